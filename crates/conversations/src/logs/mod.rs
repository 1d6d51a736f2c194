//! The console's Logs & Annotations views of an app: conversation lists with their filters,
//! conversation and message details, the message history of a chat, and annotations.
//!
//! Where Dify 0.3.23 trips over its own queries, this does what it meant: deleted
//! conversations are gone from every view, a keyword or annotation filter never repeats a
//! conversation, and a completion conversation can be deleted from a completion app.

mod conversations;
mod filter;
mod messages;
mod shape;

pub use conversations::{
    ChatConversationDetail, ChatConversationItem, CompletionConversationDetail, CompletionConversationItem,
    ConversationPage, SimpleMessage, chat_conversation, chat_conversations, completion_conversation,
    completion_conversations, delete_conversation,
};
pub use filter::{AnnotationStatus, LogFilter};
pub use messages::{MessagePage, annotate, annotation_count, chat_messages, message_detail};
pub use shape::{
    AccountRef, AnnotationView, FeedbackStats, FeedbackView, MessageDetail, ModelConfigView, SimpleModelConfig,
};
