//! The library's error type.
//!
//! Every variant names what the user has to look at (the file, the line and column when a
//! parser knows them, the offending id or key) and, where one exists, the fix. The binary
//! prints errors with `{}` and exits with code 2.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::codes::{Finding, Location};
use crate::report::inert;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}{}", inert(&path.display().to_string()), help_line(hint))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
        /// What would fix it.
        hint: Option<String>,
    },

    /// A file is not valid JSON, TOML or YAML, has an unknown key, or a value of the wrong
    /// type or out of range.
    #[error("{location}: {}{}", inert(message), help_line(help))]
    Parse {
        /// Where.
        location: Location,
        /// What the parser said.
        message: String,
        /// What would fix it.
        help: Option<String>,
    },

    /// The graph files parse but do not make a valid graph (dangling references, duplicate
    /// ids, conflicting attributes).
    #[error(
        "the graph has {}:\n{}",
        count_errors(findings),
        DisplayFindings(findings)
    )]
    InvalidGraph {
        /// Every error found, in file order.
        findings: Vec<Finding>,
    },

    /// A change names a node id that does not exist.
    #[error("unknown node id '{}'{}", inert(id), suggest_text(suggestions))]
    UnknownNode {
        /// The id as given.
        id: String,
        /// Close matches, best first.
        suggestions: Vec<String>,
    },

    /// `blast.toml` is missing something or holds a bad value.
    #[error("{location}: {}{}", inert(message), help_line(help))]
    Config {
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
        /// What would fix it.
        help: Option<String>,
    },

    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),

    /// Git is missing, the directory is not a repository, a ref is unknown, or the history
    /// needed to compare two revisions was not fetched.
    #[error("{}{}", inert(message), help_line(help))]
    Git {
        /// What went wrong, quoting the ref or directory.
        message: String,
        /// What would fix it.
        help: Option<String>,
    },

    /// Writing a report failed (other than a closed pipe).
    #[error("cannot write output: {0}")]
    Output(#[source] io::Error),
}

impl Error {
    /// An I/O error on `path`, with a hint for the common cases.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        let path = path.into();
        let hint = match source.kind() {
            io::ErrorKind::NotFound => Some(
                "check the path (paths on the command line are relative to the working directory, paths in blast.toml to its folder)"
                    .to_string(),
            ),
            io::ErrorKind::PermissionDenied => {
                Some("make the file readable by this user".to_string())
            }
            io::ErrorKind::IsADirectory => Some("name a file, not a directory".to_string()),
            _ => None,
        };
        Error::Io { path, source, hint }
    }
}

/// A message's `help` line, if it has one. Messages, help and names in them are shown
/// through [`inert`], so a name cannot start a line of its own (a GitHub `::command::`).
fn help_line(help: &Option<String>) -> String {
    help.as_deref()
        .map(|h| format!("\n  help: {}", inert(h)))
        .unwrap_or_default()
}

fn suggest_text(s: &[String]) -> String {
    match s {
        [] => "\n  help: run `blast graph` to list the node ids".to_string(),
        [one] => format!("\n  help: did you mean '{}'?", inert(one)),
        many => format!(
            "\n  help: did you mean one of: {}?",
            many.iter()
                .map(|s| format!("'{}'", inert(s)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn count_errors(f: &[Finding]) -> String {
    if f.len() == 1 {
        "1 error".to_string()
    } else {
        format!("{} errors", f.len())
    }
}

/// At most this many findings are printed in an error message.
const SHOWN: usize = 20;

struct DisplayFindings<'a>(&'a [Finding]);

impl fmt::Display for DisplayFindings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, finding) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{finding}")?;
        }
        if self.0.len() > SHOWN {
            write!(
                f,
                "\n… and {} more (run `blast check` to list them all)",
                self.0.len() - SHOWN
            )?;
        }
        Ok(())
    }
}
