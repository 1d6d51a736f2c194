//! Model providers and credentials, the model runtime (chat, completion, embeddings, moderation, speech-to-text), token counting and quotas.

pub mod catalog;
pub mod credentials;
pub mod error;
pub mod hosted;
pub mod kept;
pub mod model_type;
pub mod pricing;
pub mod runtime;
pub mod store;
pub mod tokens;
pub mod tools;

pub use error::ProviderError;
pub use model_type::ModelType;
