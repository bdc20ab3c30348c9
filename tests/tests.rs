//! Integration tests: one binary (see `Cargo.toml`), one module per area.

mod gitrepo;
mod util;

mod batch;
mod cache;
mod cargo;
mod check;
mod ci;
mod config;
mod diff;
mod errors;
mod explorer;
mod graph_cmd;
mod graphs;
mod impact;
mod oracle;
mod overlays;
mod ownership;
mod pictures;
mod rank;
mod readme;
mod source_inputs;
mod sources;
mod topology;
mod why;
