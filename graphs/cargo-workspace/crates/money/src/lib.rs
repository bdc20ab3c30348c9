//! Money amounts and currencies, shared by every service.
