//! The worker end to end: jobs published on the queue are run, acked, retried or
//! dead-lettered. Both modes: in-process queue, and RabbitMQ with DIFY_TEST_BACKEND=services.

use std::time::Duration;

use kernel::jobs::Job;
use test_support::TestEnv;
use test_support::fake_smtp::FakeSmtp;

async fn env_with_smtp(smtp: &FakeSmtp) -> TestEnv {
    let port = smtp.port.to_string();
    TestEnv::with_vars(&[("MAIL_TYPE", "smtp"), ("SMTP_SERVER", smtp.host.as_str()), ("SMTP_PORT", port.as_str())])
        .await
}

/// Polls `check` for up to `secs` seconds.
async fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

#[tokio::test]
async fn a_mail_job_is_sent_through_smtp_and_acked() {
    let smtp = FakeSmtp::start().await;
    let env = env_with_smtp(&smtp).await;
    let job = Job::SendMail { to: "new@member.test".into(), subject: "Join us".into(), html: "<p>Welcome</p>".into() };
    env.infra.queue.publish(job.queue(), &job.to_bytes()).await.expect("publish");

    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(indexer_worker::run(env.config.clone(), env.infra.clone(), vec!["mail".into()], rx));
    assert!(eventually(10, || !smtp.received().is_empty()).await, "mail never arrived");
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["new@member.test".to_string()]);
    assert!(mails[0].body().contains("Welcome"));

    stop.send(true).expect("stop");
    tokio::time::timeout(Duration::from_secs(10), worker).await.expect("worker stops on shutdown").expect("join");
    assert_eq!(env.infra.queue.pending("mail").await.expect("pending"), 0);
    assert!(env.infra.queue.drain_dead_letters("mail").await.expect("dead").is_empty());
}

#[tokio::test]
async fn malformed_jobs_are_dead_lettered_and_unreachable_smtp_is_retried_then_dead_lettered() {
    // Nothing listens on this port: every send fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    drop(std::net::TcpListener::bind("127.0.0.1:0"));
    let port = closed.to_string();
    let env =
        TestEnv::with_vars(&[("MAIL_TYPE", "smtp"), ("SMTP_SERVER", "127.0.0.1"), ("SMTP_PORT", port.as_str())]).await;
    env.infra.queue.publish("mail", br#"{"task":"no_such_task"}"#).await.expect("publish");
    let job = Job::SendMail { to: "x@y.test".into(), subject: "s".into(), html: "h".into() };
    env.infra.queue.publish("mail", &job.to_bytes()).await.expect("publish");

    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(indexer_worker::run(env.config.clone(), env.infra.clone(), vec!["mail".into()], rx));
    let mut dead = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while dead.len() < 2 && tokio::time::Instant::now() < deadline {
        dead.extend(env.infra.queue.drain_dead_letters("mail").await.expect("drain"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).expect("stop");
    tokio::time::timeout(Duration::from_secs(10), worker).await.expect("worker stops").expect("join");
    assert_eq!(dead.len(), 2, "both jobs end in the dead-letter queue (QUEUE_MAX_ATTEMPTS=3)");
    assert!(dead.iter().any(|d| d.as_slice() == br#"{"task":"no_such_task"}"#));
    assert!(dead.iter().any(|d| Job::from_bytes(d).is_ok_and(|j| j == job)));
}
