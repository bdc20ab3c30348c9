//! Integration tests: one binary (see `Cargo.toml`), one module per area.

mod util;

mod cargo;
mod check;
mod config;
mod errors;
mod graph_cmd;
mod graphs;
mod impact;
mod oracle;
mod overlays;
mod readme;
mod source_inputs;
mod sources;
mod why;
