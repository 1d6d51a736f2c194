//! Infrastructure adapters: one trait per concern, an embedded and a scaled implementation each.

pub mod allocator;
pub mod cache;
pub mod db;
pub mod error;
pub mod group_write;
mod held_connections;
pub mod kept;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod outbound;
pub mod outbox;
pub mod queue;
pub mod readiness;
pub mod storage;
pub mod telemetry;
mod wiring;
pub mod worker;

pub use error::InfraError;
pub use wiring::Infra;
