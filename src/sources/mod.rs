//! Sources: turning files into graph declarations.
//!
//! Each source knows one format and nothing about analysis. It reads its files and declares
//! nodes and edges on the one [`GraphBuilder`]; the builder merges and validates. Today the
//! source is the native graph file ([`manifest`]: JSON, TOML or YAML carrying the
//! interchange schema).
//!
//! Parsers are wrapped here so every format reports errors the same way: the file, the line
//! and column, the parser's message, and a hint.

pub(crate) mod fastjson;
pub(crate) mod locate;
pub mod manifest;
pub(crate) mod text;

use std::path::Path;

use crate::codes::Location;
use crate::error::Error;
use crate::graph::GraphBuilder;

/// The text formats a graph file can be written in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.json`
    Json,
    /// `.toml`
    Toml,
    /// `.yaml` or `.yml`
    Yaml,
}

impl Format {
    /// The format of `path`, by extension.
    ///
    /// # Errors
    /// [`Error::Usage`] for any other extension.
    pub fn from_path(path: &Path) -> Result<Format, Error> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("json") => Ok(Format::Json),
            Some("toml") => Ok(Format::Toml),
            Some("yaml" | "yml") => Ok(Format::Yaml),
            _ => Err(Error::Usage(format!(
                "{}: unknown graph file type\n  help: name graph files *.json, *.toml, *.yaml or *.yml",
                path.display()
            ))),
        }
    }
}

/// Reads the native graph file `path` into `builder`.
///
/// # Errors
/// The file is missing or unreadable, or is not valid JSON/TOML/YAML of the interchange
/// schema. Cross-reference problems (dangling edges, duplicates) are not errors here: the
/// builder collects them.
pub fn load_graph_file(builder: &mut GraphBuilder, path: &Path) -> Result<(), Error> {
    manifest::load(builder, path)
}

/// A parse error at byte `offset` of `text`.
pub(crate) fn parse_error_at(path: &Path, text: &[u8], offset: usize, message: String) -> Error {
    let (line, col) = locate::line_col(text, offset);
    parse_error(path, Some((line, col)), message)
}

/// A parse error, with the position when the parser knows it.
pub(crate) fn parse_error(path: &Path, pos: Option<(u32, u32)>, message: String) -> Error {
    let help = if message.contains("unknown field") {
        Some("remove or rename the key; the allowed keys are listed above".to_string())
    } else if message.contains("budget") || message.contains("recursion limit") {
        Some(
            "the file nests too deeply or expands too many YAML aliases; write it out plainly"
                .to_string(),
        )
    } else {
        None
    };
    Error::Parse {
        location: Location {
            file: path.to_path_buf(),
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
        },
        message: message.replace("unknown field", "unknown key"),
        help,
    }
}
