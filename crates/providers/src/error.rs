//! What a provider call can fail with; api-server's error table gives each Dify's code.

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
    /// A failure every domain shares (invalid parameter, storage), met in the workspace's
    /// provider settings.
    #[error(transparent)]
    Common(#[from] kernel::ApiError),
}

impl From<sea_orm::DbErr> for ProviderError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Common(e.into())
    }
}
