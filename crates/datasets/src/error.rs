//! What dataset, document, upload and indexing operations refuse, in the domain's words.
//! api-server's error table gives each case Dify's code and status.

use kernel::ApiError;
use providers::ProviderError;

/// A refused or failed dataset operation; `Display` is Dify's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatasetError {
    #[error("Dataset not found.")]
    DatasetNotFound,
    #[error("Document not found.")]
    DocumentNotFound,
    #[error("The dataset name already exists. Please modify your dataset name.")]
    NameDuplicate,
    /// A teammate's private dataset.
    #[error("You do not have permission to access this dataset.")]
    NoPermission,
    #[error("Dataset indexing technique must be set.")]
    NotInited,
    #[error("The dataset is still being initialized or indexing. Please wait a moment.")]
    NotInitialized,
    #[error("Current operation only supports 'high-quality' datasets.")]
    HighQualityOnly,
    #[error("No Embedding Model available. Please configure a valid provider in the Settings -> Model Provider.")]
    NoEmbeddingModel,
    /// No default text model for Q&A segmentation.
    #[error(
        "Default model is not available. Please configure a Default System Reasoning Model in the Settings -> Model Provider."
    )]
    NoDefaultModel,
    #[error("Please upload your file.")]
    NoFileUploaded,
    #[error("Only one file is allowed.")]
    TooManyFiles,
    /// Dify's message template was never filled in (a quirk); ours names the sizes.
    #[error("File size exceeded. ({size} > {limit})")]
    FileTooLarge { size: u64, limit: u64 },
    /// An extension Dify does not accept, or bytes that are not what the extension says.
    #[error("File type not allowed.")]
    UnsupportedFileType,
    #[error("File not exists.")]
    FileNotExists,
    #[error("The document has been processed. Please refresh the page or go to the document details.")]
    DocumentAlreadyFinished,
    #[error("The archived document is not editable.")]
    ArchivedImmutable,
    #[error("{0}")]
    DocumentIndexing(&'static str),
    #[error("{0}")]
    InvalidAction(&'static str),
    #[error("Invalid metadata value: {0}")]
    InvalidMetadata(String),
    /// A Dify feature dify-rs does not offer yet (e.g. Notion import).
    #[error("{0} is not supported by dify-rs yet.")]
    NotSupported(&'static str),
    /// The vector store cannot be used (the cause is logged where it happened).
    #[error("The vector store is unavailable, please try again later.")]
    VectorStoreUnavailable,
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A failure every domain shares (not found, invalid parameter, storage).
    #[error(transparent)]
    Common(#[from] ApiError),
}

impl DatasetError {
    /// The message a client reads (a shared failure's own, without its status).
    pub fn message(&self) -> String {
        match self {
            Self::Common(e) => e.message.clone(),
            other => other.to_string(),
        }
    }
}

impl From<sea_orm::DbErr> for DatasetError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Common(e.into())
    }
}
