//! The web shop customers use.
fn main() {}
