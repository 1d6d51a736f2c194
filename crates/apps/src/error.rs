//! What app, catalogue and API-key operations refuse, in the domain's words. api-server's
//! error table gives each case Dify's code and status.

use entities::apps::AppMode;
use kernel::ApiError;

/// A refused app operation; `Display` is Dify's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// No app of the workspace has this id (the lookup's plain 404).
    #[error("App not found")]
    Missing,
    /// The app exists but is not of the mode the route serves.
    #[error("The {} app not found", .0.as_str())]
    WrongMode(AppMode),
    /// Any workspace's app, looked up by an operator.
    #[error("App '{0}' is not found")]
    NoSuchApp(uuid::Uuid),
    /// Dify's `AppNotFoundError` (console app routes, the catalogue).
    #[error("App not found.")]
    NotFound,
    #[error("No Default System Reasoning Model available. Please configure in the Settings -> Model Provider.")]
    NoDefaultModel,
    /// The app has no model configuration to run or describe.
    #[error("App unavailable, please check your app configurations.")]
    NoConfig,
    #[error("You can't install a non-public app")]
    NotPublic,
    #[error("Cannot create more than 10 API keys for this resource type.")]
    TooManyKeys,
    /// A failure every domain shares (not found, invalid parameter, storage).
    #[error(transparent)]
    Common(#[from] ApiError),
}

impl AppError {
    /// The console's wording of a missing app: Dify's `AppNotFoundError`.
    pub fn as_app_not_found(self) -> Self {
        match self {
            Self::Missing | Self::WrongMode(_) => Self::NotFound,
            other => other,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Common(e.into())
    }
}
