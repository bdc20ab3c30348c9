//! The `blast` command: parse flags, run the library, map the result to an exit code.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (`mimalloc.h`), linked in with the allocator.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in `mimalloc.h` (the same number in mimalloc 2 and 3; the enum
/// keeps retired options as placeholders so numbers never move).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// By default mimalloc hands memory freed a second ago back to the kernel, and the next
/// allocation that reuses it faults in freshly zeroed pages. A run lasts seconds and reuses
/// what it frees (the loader's parse buffers, each query's scratch), so on a million-node
/// graph that purged and re-zeroed ~0.7 GB per run. Never purge: memory goes back at exit.
fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; mimalloc accepts any value for any option.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let args = cli::Cli::parse();
    blast_radius::progress::enable();
    let color = cli::color_enabled(args.color);
    let mut out = Vec::new();
    let result = cli::run(args, color, &mut out);
    match result {
        Ok((code, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(&out).and_then(|()| stdout.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("error: cannot write output: {e}");
                return ExitCode::from(2);
            }
            ExitCode::from(code)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
