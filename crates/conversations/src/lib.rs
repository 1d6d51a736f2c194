//! End users, conversations, messages and the generation pipeline: prompts, retrieval, streaming, stop.

pub mod caller;
pub mod end_user;
pub mod logs;

pub use caller::Caller;
