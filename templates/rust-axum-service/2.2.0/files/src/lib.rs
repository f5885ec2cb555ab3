//! The service as a library: the binary in `main.rs` only wires configuration, telemetry and
//! the HTTP server together, so that everything here can be tested without a network.

pub mod app;
pub mod config;
pub mod metrics;
pub mod objectives;
pub mod telemetry;
