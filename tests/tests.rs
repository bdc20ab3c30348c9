//! Integration tests: one binary (see `Cargo.toml`), one module per area.

mod util;

mod batch;
mod cache;
mod check;
mod config;
mod errors;
mod graphs;
mod impact;
mod oracle;
mod rank;
mod readme;
mod why;
