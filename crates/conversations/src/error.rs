//! What generation and conversation operations refuse, in the domain's words. api-server's
//! error table gives each case Dify's code and status; an error in a running stream is
//! rendered by the same table.

use apps::AppError;
use datasets::DatasetError;
use kernel::ApiError;
use providers::ProviderError;

/// A refused or failed conversation operation; `Display` is Dify's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversationError {
    #[error("App unavailable, please check your app configurations.")]
    AppUnavailable,
    #[error(
        "Query or prefix prompt is too long, you can reduce the prefix prompt, or shrink the max token, or switch to a llm with a larger token limit size."
    )]
    PromptTooLong,
    #[error("The 'More like this' feature is disabled. Please refresh your page.")]
    MoreLikeThisDisabled,
    #[error("The 'Suggested Questions After Answer' feature is disabled. Please refresh your page.")]
    SuggestionsDisabled,
    #[error("The conversation has ended. Please start a new conversation.")]
    ConversationCompleted,
    /// No default text model for the helpers (naming, suggestions, assistants).
    #[error(
        "Default model is not available. Please configure a Default System Reasoning Model in the Settings -> Model Provider."
    )]
    NoDefaultModel,
    #[error(
        "No valid model provider credentials found. Please go to Settings -> Model Provider to complete your provider credentials."
    )]
    NoSpeechModel,
    /// Moderation could not be run; Dify hides the vendor's reason behind this message.
    #[error("Rate limit exceeded, please try again later.")]
    ModerationUnavailable,
    /// A web-app passport that does not (or no longer) open its app.
    #[error("{0}")]
    InvalidPassport(&'static str),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// A failure every domain shares (not found, invalid parameter, storage).
    #[error(transparent)]
    Common(#[from] ApiError),
}

impl From<sea_orm::DbErr> for ConversationError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Common(e.into())
    }
}
