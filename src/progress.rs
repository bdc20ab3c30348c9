//! Progress bars for long loads and ranks, drawn on stderr by indicatif.
//!
//! Off unless the binary turns them on ([`enable`]), and then only when stderr is a terminal
//! and the work is large enough to be worth watching; CI logs and pipes stay clean.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns progress bars on (when stderr is a terminal).
pub fn enable() {
    ENABLED.store(std::io::stderr().is_terminal(), Ordering::Relaxed);
}

/// A progress bar, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar over `total` bytes, shown only for at least `min` bytes.
    pub fn bytes(label: &'static str, total: u64, min: u64) -> Progress {
        if !ENABLED.load(Ordering::Relaxed) || total < min {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(label);
        Progress(Some(bar))
    }

    /// A spinner with steps, shown only when `show` is true.
    pub fn steps(label: &'static str, total: u64, show: bool) -> Progress {
        if !ENABLED.load(Ordering::Relaxed) || !show {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {wide_msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(label);
        Progress(Some(bar))
    }

    /// Moves the bar to `pos`.
    pub fn set(&self, pos: u64) {
        if let Some(b) = &self.0 {
            b.set_position(pos);
        }
    }

    /// Advances the bar by one step.
    pub fn step(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
