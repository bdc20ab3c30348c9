//! Phase timings for performance work: set `BLAST_TIMINGS=1` to print how long each stage
//! of a run took on stderr, and (on Linux) the process's resident anonymous memory
//! (`RssAnon`) when the stage ended. Costs nothing when unset.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BLAST_TIMINGS").is_some_and(|v| !v.is_empty()))
}

/// Times a stage of the pipeline; prints its duration on drop when enabled.
pub struct Phase {
    label: &'static str,
    start: Option<Instant>,
}

impl Phase {
    /// Starts timing `label`.
    pub fn start(label: &'static str) -> Phase {
        Phase {
            label,
            start: enabled().then(Instant::now),
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(s) = self.start {
            eprintln!(
                "timing: {:<24} {:>9.3} ms{}",
                self.label,
                s.elapsed().as_secs_f64() * 1e3,
                private_mb().map_or(String::new(), |mb| format!("  {mb:>5} MB private"))
            );
        }
    }
}

/// The process's resident anonymous memory (what the run allocated and touched) in MB;
/// `None` where `/proc/self/status` cannot be read.
fn private_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb >> 10)
}
