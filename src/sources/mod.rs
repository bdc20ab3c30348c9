//! Sources: turning files into graph declarations.
//!
//! Each source knows one format and nothing about analysis. It reads its files and declares
//! nodes and edges on the one [`GraphBuilder`]; the builder merges and validates:
//!
//! | kind | module | reads |
//! |---|---|---|
//! | `graph` | [`manifest`] | native graph files (JSON, TOML, YAML): the interchange schema, and overlays |
//! | `cargo` | [`cargo`] | a Cargo workspace (`cargo metadata`) |
//! | `compose` | [`compose`] | Docker Compose files, `.env`, `extends`, `include`, profiles |
//! | `k8s` | [`k8s`] | Kubernetes manifests (a file or a folder), ConfigMaps, NetworkPolicies |
//! | `backstage` | [`backstage`] | Backstage catalog files, following `Location`s |
//! | `jaeger` | [`jaeger`] | Jaeger or Zipkin dependency links (observed traffic) |
//!
//! Compose and Kubernetes share [`classify`]: finding the services a value names and
//! telling datastores, brokers and telemetry components apart. Every derived edge carries
//! its [`Evidence`](crate::graph::Evidence).
//!
//! Parsers are wrapped here so every format reports errors the same way: the file, the line
//! and column, the parser's message, and a hint.

pub mod backstage;
pub mod cargo;
pub mod classify;
pub mod compose;
pub mod env;
pub(crate) mod fastjson;
pub mod jaeger;
pub mod k8s;
pub(crate) mod locate;
pub mod manifest;
pub(crate) mod text;
pub(crate) mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
                crate::report::inert(&path.display().to_string())
            ))),
        }
    }
}

/// A kind of source.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// A native graph file (an overlay over the discovered sources).
    Graph,
    /// A Cargo workspace.
    Cargo,
    /// A Docker Compose project.
    Compose,
    /// Kubernetes manifests.
    K8s,
    /// A Backstage catalog.
    Backstage,
    /// Jaeger or Zipkin dependency links.
    Jaeger,
}

impl SourceKind {
    /// Every kind, in the order sources given on the command line are loaded.
    pub const ALL: &'static [SourceKind] = &[
        SourceKind::Cargo,
        SourceKind::Compose,
        SourceKind::K8s,
        SourceKind::Backstage,
        SourceKind::Jaeger,
        SourceKind::Graph,
    ];

    /// The keyword used in `blast.toml`, provenance and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Graph => "graph",
            SourceKind::Cargo => "cargo",
            SourceKind::Compose => "compose",
            SourceKind::K8s => "k8s",
            SourceKind::Backstage => "backstage",
            SourceKind::Jaeger => "jaeger",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown source kind '{s}', expected one of: {}",
                    SourceKind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Options of one source (each applies to some kinds only; `blast.toml` rejects the
/// others).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceOptions {
    /// Compose: the selected profiles (all services when empty).
    pub profiles: Vec<String>,
    /// Compose: variable files used instead of the project's `.env`.
    pub env_files: Vec<PathBuf>,
    /// Cargo: also add external crates as `external` nodes.
    pub include_external: bool,
    /// Jaeger: ignore links seen fewer times than this.
    pub min_calls: u64,
}

/// One source to load: its kind, its paths and its options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSpec {
    /// The kind.
    pub kind: SourceKind,
    /// Files or folders. For Compose, the files of one project in override order.
    pub paths: Vec<PathBuf>,
    /// Options.
    pub options: SourceOptions,
}

/// What every source may need besides its own files.
#[derive(Clone, Copy, Debug)]
pub struct LoadContext<'a> {
    /// The repository root: `paths` globs are relative to it.
    pub root: &'a Path,
    /// Datastore, broker and telemetry rules.
    pub classifier: &'a classify::Classifier,
}

/// Loads one source into `builder`.
///
/// # Errors
/// Missing or unreadable files, files that do not parse (with file, line and column), or
/// a tool a source runs failing (`cargo metadata`, with cargo's own message).
pub fn load_source(
    builder: &mut GraphBuilder,
    spec: &SourceSpec,
    ctx: &LoadContext<'_>,
) -> Result<(), Error> {
    match spec.kind {
        SourceKind::Graph => {
            for p in &spec.paths {
                load_graph_file(builder, p)?;
            }
            Ok(())
        }
        SourceKind::Compose => compose::load(
            builder,
            &spec.paths,
            &spec.options.profiles,
            &spec.options.env_files,
            ctx,
        ),
        SourceKind::K8s => k8s::load(builder, &spec.paths, ctx),
        SourceKind::Cargo => {
            for p in &spec.paths {
                cargo::load(builder, p, spec.options.include_external, ctx)?;
            }
            Ok(())
        }
        SourceKind::Backstage => backstage::load(builder, &spec.paths),
        SourceKind::Jaeger => {
            for p in &spec.paths {
                jaeger::load(builder, p, spec.options.min_calls)?;
            }
            Ok(())
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
