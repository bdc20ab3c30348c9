//! The `blast` command: parse flags, run the library, map the result to an exit code.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    blast_radius::allocator::tune();
    let args = cli::Cli::parse();
    blast_radius::progress::enable();
    let color = cli::color_enabled(args.color);
    let mut out = Vec::new();
    let result = cli::run(args, color, &mut out);
    match result {
        Ok((code, warnings)) => {
            for w in warnings {
                eprintln!("{}", blast_radius::report::inert_lines(&w));
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
            eprintln!(
                "error: {}",
                blast_radius::report::inert_lines(&e.to_string())
            );
            ExitCode::from(2)
        }
    }
}
