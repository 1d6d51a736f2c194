//! The one error type every adapter returns.

use thiserror::Error;

/// What went wrong in an adapter, coarse enough for callers to decide retry vs. report.
#[derive(Debug, Error)]
pub enum InfraError {
    /// The key or object does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A key, path or name was refused before it reached the backend.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The backend could not be reached (connection refused, pool exhausted, timeout).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The backend answered with an error.
    #[error("backend error: {0}")]
    Backend(String),
}

impl InfraError {
    /// Wraps any displayable backend error.
    pub fn backend(e: impl std::fmt::Display) -> Self {
        Self::Backend(e.to_string())
    }

    /// Wraps any displayable connection-level error.
    pub fn unavailable(e: impl std::fmt::Display) -> Self {
        Self::Unavailable(e.to_string())
    }
}

pub type Result<T, E = InfraError> = std::result::Result<T, E>;
