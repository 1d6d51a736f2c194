//! One behavioural suite for every `MailTransport`: SMTP (against a wire-level fake SMTP
//! server) and the log-only outbox.

use std::any::Any;
use std::sync::Arc;

use infra::mail::{LogOutbox, Mail, MailTransport, SmtpSettings, SmtpTls, SmtpTransport};
use test_support::fake_smtp::FakeSmtp;

/// What a sink says it delivered, reduced to the fields every transport can report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Delivered {
    envelope_to: Vec<String>,
    to_header: String,
    subject: String,
    html: String,
}

struct Sink {
    transport: Arc<dyn MailTransport>,
    delivered: Box<dyn Fn() -> Vec<Delivered> + Send + Sync>,
    _keep_alive: Box<dyn Any + Send + Sync>,
}

/// An `SmtpTransport` in plaintext against a fresh fake server, optionally logging in.
async fn smtp_sink(credentials: Option<(&str, &str)>) -> Sink {
    let server = Arc::new(FakeSmtp::start().await);
    let transport = SmtpTransport::new(SmtpSettings {
        host: server.host.clone(),
        port: server.port,
        username: credentials.map(|(u, _)| u.to_owned()),
        password: credentials.map(|(_, p)| p.to_owned()),
        tls: SmtpTls::None,
    })
    .expect("build SMTP transport");
    let view = Arc::clone(&server);
    Sink {
        transport: Arc::new(transport),
        delivered: Box::new(move || {
            view.received()
                .into_iter()
                .map(|m| {
                    assert_eq!(m.header("Content-Type").as_deref(), Some("text/html; charset=utf-8"));
                    Delivered {
                        envelope_to: m.to.clone(),
                        to_header: m.header("To").unwrap_or_default(),
                        subject: m.header("Subject").unwrap_or_default(),
                        // The wire uses CRLF line endings; the last one ends the DATA block.
                        html: m.body().trim_end_matches("\r\n").replace("\r\n", "\n"),
                    }
                })
                .collect()
        }),
        _keep_alive: Box::new(server),
    }
}

async fn smtp() -> Sink {
    smtp_sink(None).await
}

async fn smtp_with_login() -> Sink {
    smtp_sink(Some(("mailer", "secret"))).await
}

async fn outbox() -> Sink {
    let outbox = Arc::new(LogOutbox::default());
    let view = Arc::clone(&outbox);
    Sink {
        transport: outbox,
        delivered: Box::new(move || {
            view.sent()
                .into_iter()
                .map(|m| Delivered {
                    envelope_to: vec![m.to.clone()],
                    to_header: m.to,
                    subject: m.subject,
                    html: m.html,
                })
                .collect()
        }),
        _keep_alive: Box::new(()),
    }
}

fn invitation(to: &str) -> Mail {
    Mail {
        from: "Dify <no-reply@dify.example>".to_owned(),
        to: to.to_owned(),
        subject: "Join Dify Workspace Now".to_owned(),
        html: [
            "<!DOCTYPE html>",
            "<html><body>",
            "<p>Dear alice@example.com,</p>",
            "<p>Bob has invited you to join the Acme workspace.</p>",
            "<p><a href=\"https://dify.example/activate?token=abc123\">Join</a></p>",
            ".a line that starts with a dot survives SMTP dot-stuffing",
            "</body></html>",
        ]
        .join("\n"),
    }
}

// ---- the suite ----

async fn delivers_exactly_the_mail(sink: Sink) {
    let mail = invitation("alice@example.com");
    sink.transport.send(&mail).await.expect("send");
    assert_eq!(
        (sink.delivered)(),
        vec![Delivered {
            envelope_to: vec!["alice@example.com".to_owned()],
            to_header: "alice@example.com".to_owned(),
            subject: mail.subject.clone(),
            html: mail.html.clone(),
        }]
    );
}

async fn delivers_each_mail_in_order(sink: Sink) {
    for i in 0..3 {
        let mut mail = invitation(&format!("user{i}@example.com"));
        mail.subject = format!("Reset your password ({i})");
        sink.transport.send(&mail).await.expect("send");
    }
    let delivered = (sink.delivered)();
    let seen: Vec<(&str, &str)> = delivered.iter().map(|d| (d.to_header.as_str(), d.subject.as_str())).collect();
    assert_eq!(
        seen,
        vec![
            ("user0@example.com", "Reset your password (0)"),
            ("user1@example.com", "Reset your password (1)"),
            ("user2@example.com", "Reset your password (2)"),
        ]
    );
}

// ---- wiring: every case against every sink ----

macro_rules! conformance {
    ($sink:ident => $($case:ident),+ $(,)?) => {
        mod $sink {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(super::$sink().await).await;
                }
            )+
        }
    };
}

conformance!(smtp => delivers_exactly_the_mail, delivers_each_mail_in_order);
conformance!(smtp_with_login => delivers_exactly_the_mail, delivers_each_mail_in_order);
conformance!(outbox => delivers_exactly_the_mail, delivers_each_mail_in_order);

#[tokio::test]
async fn outbox_keeps_only_the_last_hundred() {
    let outbox = LogOutbox::default();
    for i in 0..105 {
        outbox.send(&invitation(&format!("u{i}@example.com"))).await.expect("send");
    }
    let sent = outbox.sent();
    assert_eq!(sent.len(), 100);
    assert_eq!(sent.first().map(|m| m.to.as_str()), Some("u5@example.com"));
    assert_eq!(sent.last().map(|m| m.to.as_str()), Some("u104@example.com"));
}

#[tokio::test]
async fn smtp_refuses_a_malformed_address() {
    let server = FakeSmtp::start().await;
    let transport = SmtpTransport::new(SmtpSettings {
        host: server.host.clone(),
        port: server.port,
        username: None,
        password: None,
        tls: SmtpTls::None,
    })
    .expect("build SMTP transport");
    let err = transport.send(&invitation("not an address")).await.expect_err("must fail");
    assert!(matches!(err, infra::InfraError::InvalidKey(_)), "{err:?}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn smtp_reports_an_unreachable_server_as_unavailable() {
    // Bind then drop a listener to get a port nobody is listening on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let transport = SmtpTransport::new(SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        username: None,
        password: None,
        tls: SmtpTls::None,
    })
    .expect("build SMTP transport");
    let err = transport.send(&invitation("alice@example.com")).await.expect_err("must fail");
    assert!(matches!(err, infra::InfraError::Unavailable(_)), "{err:?}");
}
