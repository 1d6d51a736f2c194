//! Shared ground for every dify-rs crate: configuration, the API error type, ids and time.

pub mod bpe;
pub mod config;
pub mod crypto;
pub mod error;
pub mod jobs;
pub mod like;
pub mod page;
pub mod request_id;
pub mod time;
pub mod values;

pub use config::Config;
pub use error::ApiError;

/// The Dify release whose API this server speaks (sent as `X-Version`).
pub const DIFY_VERSION: &str = "0.3.23";
