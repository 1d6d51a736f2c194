//! End users, conversations, messages and the generation pipeline: prompts, retrieval, streaming, stop.

pub mod assist;
pub mod audio;
pub mod caller;
pub mod config;
pub mod end_user;
pub mod engine;
pub mod error;
pub mod feedback;
pub mod generate;
pub mod inputs;
pub mod listing;
pub mod logs;
pub mod lookup;
pub mod models;
pub mod naming;
pub mod passport;
pub mod pinned;
pub mod prompt;
pub mod saved;
pub mod screening;
pub mod stop;
pub mod suggestions;
pub mod template;

pub use caller::Caller;
pub use engine::Engine;
pub use error::ConversationError;
