//! End users, conversations, messages and the generation pipeline: prompts, retrieval, streaming, stop.

pub mod audio;
pub mod caller;
pub mod config;
pub mod end_user;
pub mod engine;
pub mod generate;
pub mod inputs;
pub mod logs;
pub mod lookup;
pub mod models;
pub mod naming;
pub mod prompt;
pub mod stop;
pub mod suggestions;
pub mod template;

pub use caller::Caller;
pub use engine::Engine;
