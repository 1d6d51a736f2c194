//! Dify's error table: each domain refusal given its `{code, message, status}`, as Dify's
//! `controllers/*/error.py` classes define them. The only place a domain error meets HTTP.

use accounts::AccountError;
use apps::AppError;
use apps::lookup::AppMode;
use conversations::ConversationError;
use datasets::DatasetError;
use kernel::ApiError;
use providers::ProviderError;

use actix_web::http::StatusCode;

use crate::http_error::HttpError;

/// How a surface words its wrong-mode errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// The console's app routes and `/api`.
    App,
    /// Installed apps in the console's explore section (Dify says it shorter).
    Explore,
    /// `/v1`: a completion route on a chat app is `app_unavailable` there.
    Service,
}

/// Refusals the HTTP layer makes itself, before any domain call (Dify's controller errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A route of the other app mode.
    WrongMode {
        expected: AppMode,
        wording: Wording,
    },
    /// The app has no configuration, or the feature the route serves is off.
    AppUnavailable,
    NoAudioUploaded,
    UnsupportedAudioType,
    AudioTooLarge,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        use Refusal as R;
        match r {
            R::WrongMode { expected: AppMode::Chat, wording: Wording::Explore } => {
                ApiError::new(400, "not_chat_app", "Not Chat App")
            }
            R::WrongMode { expected: AppMode::Chat, .. } => {
                ApiError::new(400, "not_chat_app", "Please check if your Chat app mode matches the right API route.")
            }
            R::WrongMode { expected: AppMode::Completion, wording: Wording::Explore } => {
                ApiError::new(400, "not_completion_app", "Not Completion App")
            }
            R::WrongMode { expected: AppMode::Completion, wording: Wording::App } => ApiError::new(
                400,
                "not_completion_app",
                "Please check if your Completion app mode matches the right API route.",
            ),
            R::WrongMode { expected: AppMode::Completion, wording: Wording::Service } | R::AppUnavailable => {
                ApiError::new(400, "app_unavailable", "App unavailable, please check your app configurations.")
            }
            R::NoAudioUploaded => ApiError::new(400, "no_audio_uploaded", "Please upload your audio."),
            R::UnsupportedAudioType => ApiError::new(415, "unsupported_audio_type", "Audio type not allowed."),
            R::AudioTooLarge => {
                ApiError::new(413, "audio_too_large", "Audio size exceeded. Audio size larger than 15 mb")
            }
        }
    }
}

impl From<Refusal> for HttpError {
    fn from(r: Refusal) -> Self {
        Self(r.into())
    }
}

/// `Ok` when the app is of the mode the route serves, else the surface's wrong-mode refusal.
pub fn require_mode(app: &entities::apps::Model, expected: AppMode, wording: Wording) -> Result<(), Refusal> {
    if app.mode == expected { Ok(()) } else { Err(Refusal::WrongMode { expected, wording }) }
}

/// An answer from the table: Dify's status and code with the domain's message.
fn dify(status: u16, code: &'static str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(status, code, e.to_string())
}

pub fn account(e: AccountError) -> ApiError {
    use AccountError as E;
    match e {
        E::InvalidRole => dify(400, "invalid-role", e),
        E::NoPermission(_) => dify(403, "forbidden", e),
        E::CannotOperateSelf => dify(400, "cannot-operate-self", e),
        E::MemberNotFound => dify(404, "member-not-found", e),
        E::RepeatPasswordMismatch => dify(400, "repeat_password_not_match", e),
        E::CurrentPasswordIncorrect => dify(400, "current_password_incorrect", e),
        E::AlreadyActivated => dify(403, "already_activate", e),
        E::InvalidInvitationCode => dify(400, "invalid_invitation_code", e),
        E::AlreadyInitialized => dify(400, "account_already_inited", e),
        E::NotInitialized => dify(400, "account_not_initialized", e),
        E::NotLinkedToWorkspace => dify(403, "account_not_link_tenant", e),
        E::AlreadySetup => dify(403, "already_setup", e),
        E::NotSetup => dify(401, "not_setup", e),
        E::Common(e) => e,
    }
}

impl From<AccountError> for HttpError {
    fn from(e: AccountError) -> Self {
        Self(account(e))
    }
}

pub fn app(e: AppError) -> ApiError {
    use AppError as E;
    match e {
        E::Missing | E::WrongMode(_) | E::NoSuchApp(_) => dify(404, "not_found", e),
        E::NotFound => dify(404, "app_not_found", e),
        E::NoDefaultModel => dify(400, "provider_not_initialize", e),
        E::NotPublic => dify(403, "forbidden", e),
        E::NoConfig => dify(400, "app_unavailable", e),
        E::TooManyKeys => dify(400, "max_keys_exceeded", e),
        E::Common(e) => e,
    }
}

impl From<AppError> for HttpError {
    fn from(e: AppError) -> Self {
        Self(app(e))
    }
}

pub fn conversation(e: ConversationError) -> ApiError {
    use ConversationError as E;
    match e {
        E::AppUnavailable => dify(400, "app_unavailable", e),
        E::PromptTooLong | E::NoDefaultModel | E::ModerationUnavailable => dify(400, "completion_request_error", e),
        E::MoreLikeThisDisabled => dify(403, "app_more_like_this_disabled", e),
        E::SuggestionsDisabled => dify(403, "app_suggested_questions_after_answer_disabled", e),
        E::ConversationCompleted => dify(400, "conversation_completed", e),
        E::NoSpeechModel => dify(400, "provider_not_initialize", e),
        E::InvalidPassport(_) => dify(401, "unauthorized", e),
        E::Provider(e) => provider(e),
        E::App(e) => app(e),
        E::Dataset(e) => dataset(e),
        E::Common(e) => e,
    }
}

impl From<ConversationError> for HttpError {
    fn from(e: ConversationError) -> Self {
        Self(conversation(e))
    }
}

/// A model vendor's failure: Dify's `CompletionRequestError` unless the workspace's provider
/// set-up is at fault.
pub fn provider(e: ProviderError) -> ApiError {
    use ProviderError as E;
    match e {
        E::NotInitialized(_) => dify(400, "provider_not_initialize", e),
        E::QuotaExceeded(_) => dify(400, "provider_quota_exceeded", e),
        E::ModelNotSupported(_) => dify(400, "model_currently_not_support", e),
        E::Authentication(_)
        | E::RateLimited(_)
        | E::BadRequest(_)
        | E::Connection(_)
        | E::Unavailable(_)
        | E::Other(_) => dify(400, "completion_request_error", e),
        E::Common(e) => e,
    }
}

impl From<ProviderError> for HttpError {
    fn from(e: ProviderError) -> Self {
        Self(provider(e))
    }
}

pub fn dataset(e: DatasetError) -> ApiError {
    use DatasetError as E;
    match e {
        E::DatasetNotFound | E::DocumentNotFound => dify(404, "not_found", e),
        E::NameDuplicate => dify(409, "dataset_name_duplicate", e),
        E::NoPermission => dify(403, "forbidden", e),
        E::NotInited => dify(403, "dataset_not_inited", e),
        E::NotInitialized => dify(400, "dataset_not_initialized", e),
        E::HighQualityOnly => dify(400, "high_quality_dataset_only", e),
        E::NoEmbeddingModel => dify(400, "provider_not_initialize", e),
        E::NoDefaultModel => dify(400, "completion_request_error", e),
        E::NoFileUploaded => dify(400, "no_file_uploaded", e),
        E::TooManyFiles => dify(400, "too_many_files", e),
        E::FileTooLarge { .. } => dify(413, "file_too_large", e),
        E::UnsupportedFileType => dify(415, "unsupported_file_type", e),
        E::FileNotExists => dify(404, "file_not_exists", e),
        E::DocumentAlreadyFinished => dify(400, "document_already_finished", e),
        E::ArchivedImmutable => dify(403, "archived_document_immutable", e),
        E::DocumentIndexing(_) => dify(400, "document_indexing", e),
        E::InvalidAction(_) => dify(400, "invalid_action", e),
        E::InvalidMetadata(_) => dify(400, "invalid_metadata", e),
        E::NotSupported(_) => dify(501, "not_implemented", e),
        E::VectorStoreUnavailable => dify(503, "vector_store_unavailable", e),
        E::Provider(e) => provider(e),
        E::Common(e) => e,
    }
}

/// The service API's wording of a document refusal (`service_api/dataset/error.py`): 403 for
/// both refusals, where the console answers 400 while indexing.
pub fn service_document(e: DatasetError) -> ApiError {
    use DatasetError as E;
    match e {
        E::DocumentNotFound => dify(404, "not_found", "Document Not Exists."),
        E::ArchivedImmutable => dify(403, "archived_document_immutable", "Cannot operate when document was archived."),
        E::DocumentIndexing(_) => dify(403, "document_indexing", e),
        other => dataset(other),
    }
}

impl From<DatasetError> for HttpError {
    fn from(e: DatasetError) -> Self {
        Self(dataset(e))
    }
}

/// The generic error for a status, as Werkzeug names and words it.
pub fn generic(status: StatusCode) -> ApiError {
    let s = status.as_u16();
    match s {
        400 => ApiError::bad_request("The browser (or proxy) sent a request that this server could not understand."),
        401 => ApiError::unauthorized(),
        403 => ApiError::forbidden(),
        404 => ApiError::route_not_found(),
        405 => ApiError::method_not_allowed(),
        413 => ApiError::payload_too_large("The data value transmitted exceeds the capacity limit."),
        415 => {
            ApiError::unsupported_media_type("The server does not support the media type transmitted in the request.")
        }
        429 => ApiError::too_many_requests("Too many requests, please try again later."),
        503 => ApiError::unavailable("The server is temporarily unable to service your request."),
        _ if status.is_server_error() => ApiError::internal(),
        _ => ApiError::new(
            s,
            status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace([' ', '-'], "_"),
            status.canonical_reason().unwrap_or("Error"),
        ),
    }
}
