//! What a provider call can fail with, mapped to Dify's error codes.

use kernel::ApiError;

/// A failed provider operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// No usable credentials for the model (`provider_not_initialize`).
    #[error("{0}")]
    NotInitialized(String),
    /// A hosted quota is used up (`provider_quota_exceeded`).
    #[error("{0}")]
    QuotaExceeded(String),
    /// The model is not offered on this quota (`model_currently_not_support`).
    #[error("{0}")]
    ModelNotSupported(String),
    /// The provider refused the credentials (bad key, no access).
    #[error("{0}")]
    Authentication(String),
    /// The provider rate-limited the call.
    #[error("{0}")]
    RateLimited(String),
    /// The provider rejected the request (bad parameters, context too long).
    #[error("{0}")]
    BadRequest(String),
    /// The provider could not be reached or did not answer in time.
    #[error("{0}")]
    Connection(String),
    /// The provider answered with a server error.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else, with the provider's message.
    #[error("{0}")]
    Other(String),
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::NotInitialized(m) => ApiError::new(400, "provider_not_initialize", m),
            ProviderError::QuotaExceeded(m) => ApiError::new(400, "provider_quota_exceeded", m),
            ProviderError::ModelNotSupported(m) => ApiError::new(400, "model_currently_not_support", m),
            ProviderError::Authentication(m)
            | ProviderError::RateLimited(m)
            | ProviderError::BadRequest(m)
            | ProviderError::Connection(m)
            | ProviderError::Unavailable(m)
            | ProviderError::Other(m) => ApiError::new(400, "completion_request_error", m),
        }
    }
}
