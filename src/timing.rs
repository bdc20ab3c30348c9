//! Phase timings for performance work: set `BLAST_TIMINGS=1` to print, on stderr, for each
//! stage of a run: how long it took, when it ended (milliseconds since the first stage
//! started), the processor time the whole process spent meanwhile (every thread, user and
//! kernel: more than the duration when cores worked in parallel, or when another thread
//! ran alongside, as `--batch`'s writer does; the kernel may count it in scheduler ticks
//! of a few milliseconds), and (on Linux) the process's resident anonymous memory
//! (`RssAnon`) when the stage ended. Costs nothing when unset.
//!
//! ```text
//! timing: walk: strongest             38.579 ms  at   114.1 ms  cpu    51.7 ms     82 MB private
//! ```

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BLAST_TIMINGS").is_some_and(|v| !v.is_empty()))
}

/// When the first stage started.
fn origin() -> Instant {
    static AT: OnceLock<Instant> = OnceLock::new();
    *AT.get_or_init(Instant::now)
}

/// Times a stage of the pipeline; prints its duration on drop when enabled.
pub struct Phase {
    label: &'static str,
    /// When the stage started, and the process's processor time then (ms).
    start: Option<(Instant, Option<f64>)>,
}

impl Phase {
    /// Starts timing `label`.
    pub fn start(label: &'static str) -> Phase {
        Phase {
            label,
            start: enabled().then(|| {
                origin();
                (Instant::now(), cpu_ms())
            }),
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some((at, cpu)) = self.start {
            let cpu = match (cpu, cpu_ms()) {
                (Some(a), Some(b)) => format!("  cpu {:>7.1} ms", b - a),
                _ => String::new(),
            };
            eprintln!(
                "timing: {:<24} {:>9.3} ms  at {:>7.1} ms{cpu}{}",
                self.label,
                at.elapsed().as_secs_f64() * 1e3,
                origin().elapsed().as_secs_f64() * 1e3,
                private_mb().map_or(String::new(), |mb| format!("  {mb:>5} MB private"))
            );
        }
    }
}

/// The processor time the process has used so far, every thread, user and kernel, in ms.
#[cfg(unix)]
fn cpu_ms() -> Option<f64> {
    // SAFETY: `getrusage` fills the struct it is given; all-zero bytes are a valid `rusage`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a `rusage` that outlives the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    Some(ms(usage.ru_utime) + ms(usage.ru_stime))
}

#[cfg(not(unix))]
fn cpu_ms() -> Option<f64> {
    None
}

/// The process's resident anonymous memory (what the run allocated and touched) in MB;
/// `None` where `/proc/self/status` cannot be read.
fn private_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb >> 10)
}
