//! Mail delivered to an SMTP server, through `lettre`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Mail, MailTransport};
use crate::error::{InfraError, Result};

/// How long one SMTP command may take before the send is abandoned.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plaintext; only for a relay on a trusted network (or tests).
    None,
    /// Plaintext connection upgraded with STARTTLS before anything is sent; refused if the
    /// server does not offer it.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Implicit,
}

/// Where the SMTP server is and how to log in.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: SmtpTls,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .finish()
    }
}

/// Sends each mail over a fresh SMTP connection.
#[derive(Clone)]
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport").field("server", &self.server).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// Builds the transport; no connection is made until the first send.
    pub fn new(settings: SmtpSettings) -> Result<Self> {
        let host = settings.host.trim();
        if host.is_empty() {
            return Err(InfraError::Backend("SMTP host is empty".to_owned()));
        }
        let builder = match settings.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| InfraError::Backend(format!("configure SMTP STARTTLS for {host}: {e}")))?,
            SmtpTls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| InfraError::Backend(format!("configure SMTP TLS for {host}: {e}")))?,
        };
        let mut builder = builder.port(settings.port).timeout(Some(COMMAND_TIMEOUT));
        if let Some(username) = settings.username.filter(|u| !u.is_empty()) {
            builder = builder.credentials(Credentials::new(username, settings.password.unwrap_or_default()));
        }
        Ok(Self { inner: builder.build(), server: format!("{host}:{}", settings.port) })
    }
}

fn mailbox(role: &str, address: &str) -> Result<Mailbox> {
    address
        .parse::<Mailbox>()
        // Retrying cannot fix an address, so this is refused like a bad key.
        .map_err(|e| InfraError::InvalidKey(format!("{role} address {address:?}: {e}")))
}

/// Builds the MIME message: one UTF-8 HTML part.
fn message(mail: &Mail) -> Result<Message> {
    Message::builder()
        .from(mailbox("from", &mail.from)?)
        .to(mailbox("to", &mail.to)?)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_HTML)
        .body(mail.html.clone())
        .map_err(|e| InfraError::Backend(format!("build mail: {e}")))
}

fn map_error(server: &str, e: &lettre::transport::smtp::Error) -> InfraError {
    // 5xx replies and malformed exchanges will fail the same way again; everything else
    // (4xx, refused connections, timeouts, TLS handshakes) may succeed later.
    if e.is_permanent() || e.is_client() || e.is_response() {
        InfraError::Backend(format!("SMTP {server}: {e}"))
    } else {
        InfraError::Unavailable(format!("SMTP {server}: {e}"))
    }
}

#[async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, mail: &Mail) -> Result<()> {
        let message = message(mail)?;
        self.inner.send(message).await.map_err(|e| map_error(&self.server, &e))?;
        tracing::debug!(to = %mail.to, subject = %mail.subject, server = %self.server, "mail sent");
        Ok(())
    }
}
