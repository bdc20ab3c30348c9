//! The payment service's core logic.
