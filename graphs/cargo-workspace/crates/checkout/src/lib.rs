//! Checkout: turns a cart into a paid order.
