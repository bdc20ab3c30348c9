//! Integration tests: one binary (see `Cargo.toml`), one module per area.

mod gitrepo;
mod util;

mod batch;
mod cache;
mod check;
mod ci;
mod config;
mod diff;
mod errors;
mod explorer;
mod graphs;
mod impact;
mod oracle;
mod ownership;
mod pictures;
mod rank;
mod readme;
mod topology;
mod why;
