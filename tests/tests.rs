//! Integration tests: one binary (see `Cargo.toml`), one module per area.

mod util;

mod batch;
mod cache;
mod check;
mod config;
mod errors;
mod explorer;
mod graphs;
mod impact;
mod oracle;
mod pictures;
mod rank;
mod readme;
mod why;
