//! Mail that is logged and remembered instead of sent, for installs without a mail server.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Mail, MailTransport};
use crate::error::Result;

/// How many recent mails the outbox remembers.
const KEPT: usize = 100;

/// Logs each mail (recipient and subject, never the body, which may hold tokens) and keeps
/// the most recent ones in memory.
#[derive(Debug, Default)]
pub struct LogOutbox {
    kept: Mutex<VecDeque<Mail>>,
}

impl LogOutbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// The remembered mails, oldest first.
    pub fn sent(&self) -> Vec<Mail> {
        // A poisoned lock only means another thread panicked mid-push; the queue is still sound.
        let kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.iter().cloned().collect()
    }
}

#[async_trait]
impl MailTransport for LogOutbox {
    async fn send(&self, mail: &Mail) -> Result<()> {
        tracing::info!(to = %mail.to, subject = %mail.subject, "mail not sent (no mail server configured)");
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back(mail.clone());
        Ok(())
    }
}
