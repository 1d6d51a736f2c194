//! Outgoing mail: SMTP, or a log-only outbox when no mail server is configured.

mod outbox;
mod smtp;

pub use self::outbox::LogOutbox;
pub use self::smtp::{SmtpSettings, SmtpTls, SmtpTransport};

use async_trait::async_trait;

use crate::error::Result;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
}

/// Delivers mail.
#[async_trait]
pub trait MailTransport: Send + Sync + 'static {
    async fn send(&self, mail: &Mail) -> Result<()>;
}
