//! # blast-radius
//!
//! `blast` tells a team, before a change ships, which customer-facing services the change can
//! reach, how hard, and along which path, and turns that into a risk tier.
//!
//! ## Pipeline
//!
//! ```text
//!  sources ──► graph ──► changes ──► analysis ──► report
//! ```
//!
//! * [`sources`] read files (graph files in JSON, TOML or YAML; Cargo workspaces, Compose
//!   projects, Kubernetes manifests, Backstage catalogs, trace dependency links) and declare
//!   nodes and edges on a [`graph::GraphBuilder`], which merges them (graph files are
//!   overlays that win over discovered sources) and keeps every node's and edge's
//!   provenance.
//! * [`graph`] holds the frozen [`graph::DependencyGraph`]: flat node and edge arrays with
//!   interned ids and compressed adjacency, reached through [`graph::Node`] and
//!   [`graph::Dependency`] handles (`'g` is always "borrowed from the graph").
//! * [`changes`] maps what changed (node ids, file paths, a git range, a file list) to the
//!   changed nodes, each with a reason: node `paths`, Cargo packages and lockfiles,
//!   `[[rule]]`s, CODEOWNERS for owners, and the topology change when graph files change.
//! * [`analysis`] computes the blast radius ([`analysis::Impact`]), explains one path
//!   ([`analysis::Why`]) and checks the graph ([`analysis::CheckReport`]), under a
//!   [`analysis::Policy`] from [`config`] (`blast.toml`).
//! * [`report`] writes those models as text or JSON, and draws pictures (DOT, SVG, Mermaid,
//!   an HTML explorer) of an [`analysis::picture::Picture`]: the one model of what a
//!   picture of the graph or of an impact shows.
//!
//! [`ops`] wires the stages together for each command; the `blast` binary only parses flags
//! and calls it.
//!
//! ## Example
//!
//! ```
//! use blast_radius::analysis::{Analyzer, Policy, Risk};
//! use blast_radius::changes::Resolver;
//! use blast_radius::graph::GraphBuilder;
//!
//! let mut builder = GraphBuilder::new();
//! blast_radius::sources::load_graph_file(&mut builder, "graphs/shop.toml".as_ref())?;
//! let (graph, _warnings) = builder.finish()?;
//!
//! let changes = Resolver::new(&graph).resolve(&["payment"])?;
//! let mut analyzer = Analyzer::new(&graph, Policy::default());
//! let impact = analyzer.impact(changes);
//! assert_eq!(impact.risk, Risk::Critical);
//! let checkout = impact.get("checkout").unwrap();
//! let path: Vec<_> = checkout.path().iter().map(|n| n.id().to_string()).collect();
//! assert_eq!(path, ["payment", "checkout"]);
//! # Ok::<(), blast_radius::Error>(())
//! ```

#![warn(missing_docs)]

#[cfg(feature = "cli")]
/// The build: the tool's version and a hash of the sources it was built from (see
/// `src/build.rs`). Compiled-graph caches are keyed by it.
pub const BUILD: &str = env!("BLAST_BUILD");

pub mod allocator;
pub mod analysis;
pub mod changes;
pub mod codes;
pub mod config;
pub mod error;
pub mod graph;
pub mod ops;
pub mod progress;
pub mod report;
pub mod sources;
pub mod timing;

pub use error::{Error, Result};
