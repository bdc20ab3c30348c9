//! Metrics and tracing setup (Unix hosts only).
