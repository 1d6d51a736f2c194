//! A minimal plaintext SMTP server that accepts every message and records it.
//! Speaks EHLO/HELO, AUTH PLAIN/LOGIN (any credentials), MAIL, RCPT, DATA, RSET, NOOP, QUIT.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message as sent after `DATA`: headers, blank line, body; dot-unstuffed, CRLF
    /// line endings, without the terminating `.` line.
    pub data: String,
}

impl ReceivedMail {
    /// The first header called `name` (case-insensitive), with folded lines joined.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim_start().to_owned());
            }
        }
        value.map(|v| v.trim_end().to_owned())
    }

    /// Everything after the header block, undecoded.
    pub fn body(&self) -> &str {
        self.data.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default()
    }
}

type Inbox = Arc<Mutex<Vec<ReceivedMail>>>;

fn lock(inbox: &Inbox) -> MutexGuard<'_, Vec<ReceivedMail>> {
    inbox.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake SMTP server on a random loopback port; stops accepting when dropped.
#[derive(Debug)]
pub struct FakeSmtp {
    pub host: String,
    pub port: u16,
    inbox: Inbox,
    accept: JoinHandle<()>,
}

impl FakeSmtp {
    /// Starts listening on `127.0.0.1` on the current tokio runtime.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake SMTP listener");
        let port = listener.local_addr().expect("fake SMTP listener address").port();
        let inbox = Inbox::default();
        let accept_inbox = Arc::clone(&inbox);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inbox = Arc::clone(&accept_inbox);
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, inbox).await {
                        tracing::debug!(error = %e, "fake SMTP connection ended with an error");
                    }
                });
            }
        });
        Self { host: "127.0.0.1".to_owned(), port, inbox, accept }
    }

    /// Every message accepted so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        lock(&self.inbox).clone()
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Session {
    /// One line without its line ending; `None` at end of stream.
    async fn line(&mut self) -> std::io::Result<Option<String>> {
        let mut buf = Vec::new();
        if self.reader.read_until(b'\n', &mut buf).await? == 0 {
            return Ok(None);
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
    }

    async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_all(text.as_bytes()).await?;
        self.writer.write_all(b"\r\n").await?;
        self.writer.flush().await
    }
}

/// The address inside `<...>` after a `MAIL FROM:` / `RCPT TO:` verb, ignoring parameters.
fn angle_address(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = start + arg[start..].find('>')?;
    Some(arg[start + 1..end].to_owned())
}

async fn serve(stream: TcpStream, inbox: Inbox) -> std::io::Result<()> {
    let (read, writer) = stream.into_split();
    let mut s = Session { reader: BufReader::new(read), writer };
    s.reply("220 fake-smtp ESMTP ready").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    while let Some(line) = s.line().await? {
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => s.reply("250-fake-smtp\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN").await?,
            "HELO" => s.reply("250 fake-smtp").await?,
            "AUTH" => {
                let mut parts = arg.split_whitespace();
                match (parts.next().map(str::to_ascii_uppercase).as_deref(), parts.next()) {
                    (Some("PLAIN"), Some(_)) => {}
                    (Some("PLAIN"), None) => {
                        s.reply("334 ").await?;
                        s.line().await?;
                    }
                    (Some("LOGIN"), initial) => {
                        if initial.is_none() {
                            s.reply("334 VXNlcm5hbWU6").await?;
                            s.line().await?;
                        }
                        s.reply("334 UGFzc3dvcmQ6").await?;
                        s.line().await?;
                    }
                    _ => {
                        s.reply("504 unrecognized authentication type").await?;
                        continue;
                    }
                }
                s.reply("235 authentication succeeded").await?;
            }
            "MAIL" => match angle_address(arg) {
                Some(addr) => {
                    from = Some(addr);
                    to.clear();
                    s.reply("250 OK").await?;
                }
                None => s.reply("501 syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => match (&from, angle_address(arg)) {
                (None, _) => s.reply("503 need MAIL first").await?,
                (Some(_), Some(addr)) => {
                    to.push(addr);
                    s.reply("250 OK").await?;
                }
                (Some(_), None) => s.reply("501 syntax: RCPT TO:<address>").await?,
            },
            "DATA" => {
                let Some(sender) = from.take().filter(|_| !to.is_empty()) else {
                    s.reply("503 need MAIL and RCPT first").await?;
                    continue;
                };
                s.reply("354 end data with <CR><LF>.<CR><LF>").await?;
                let mut data = String::new();
                loop {
                    let Some(line) = s.line().await? else {
                        return Ok(());
                    };
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push_str("\r\n");
                }
                lock(&inbox).push(ReceivedMail { from: sender, to: std::mem::take(&mut to), data });
                s.reply("250 OK queued").await?;
            }
            "RSET" => {
                from = None;
                to.clear();
                s.reply("250 OK").await?;
            }
            "NOOP" => s.reply("250 OK").await?,
            "QUIT" => {
                s.reply("221 bye").await?;
                return Ok(());
            }
            _ => s.reply("502 command not implemented").await?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ReceivedMail;

    #[test]
    fn headers_and_body() {
        let mail = ReceivedMail {
            from: "a@x".into(),
            to: vec!["b@x".into()],
            data: "Subject: hello\r\n there\r\nTo: b@x\r\n\r\n<p>hi</p>\r\n".into(),
        };
        assert_eq!(mail.header("subject").as_deref(), Some("hello there"));
        assert_eq!(mail.header("To").as_deref(), Some("b@x"));
        assert_eq!(mail.body(), "<p>hi</p>\r\n");
    }
}
