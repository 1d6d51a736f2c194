//! The outbox relay: rows left behind by a process that died between its commit and its
//! publish are sent by the relay, each exactly once however many relays run (services mode:
//! two replicas on one database and broker), and leave the outbox once the queue has them
//! (in-process: once their job is done).

use std::collections::HashSet;
use std::time::Duration;

use infra::outbox::Outbox;
use kernel::jobs::Job;
use sea_orm::{ConnectionTrait, Statement};
use test_support::{TestEnv, services_mode};

async fn rows(env: &TestEnv) -> i64 {
    test_support::rows::row_count(&env.infra.db, "job_outbox").await
}

/// Every row's claim ran out five minutes ago.
async fn age_claims(env: &TestEnv) {
    let backend = env.infra.db.get_database_backend();
    let past = (kernel::time::now_naive() - chrono::Duration::minutes(5)).format("%Y-%m-%d %H:%M:%S").to_string();
    env.infra
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => "UPDATE job_outbox SET claimed_until = $1::timestamp",
                _ => "UPDATE job_outbox SET claimed_until = ?",
            },
            [past.into()],
        ))
        .await
        .expect("age claims");
}

/// Waits up to 10 s for the outbox to be empty; fails with `why` if it is not.
async fn emptied(env: &TestEnv, why: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while rows(env).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "{why}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn jobs_a_dead_writer_left_are_sent_once_by_the_relays() {
    let env = TestEnv::new().await;
    let jobs: Vec<Job> = (0..20)
        .map(|i| Job::SendMail { to: format!("u{i}@example.com"), subject: "s".into(), html: "h".into() })
        .collect();
    for job in &jobs {
        // Committed, never sent: the writer died right after its commit.
        drop(Outbox::stage(&env.infra.db, job).await.expect("stage"));
    }
    // Their claims run out.
    age_claims(&env).await;

    let sent = if services_mode() {
        // Two replicas relay at once.
        let other = Outbox::new(env.infra.db.clone(), env.infra.writes.clone(), env.infra.queue.clone(), None);
        let (a, b) = tokio::join!(env.infra.outbox.relay_once(), other.relay_once());
        a.expect("relay a") + b.expect("relay b")
    } else {
        env.infra.outbox.relay_once().await.expect("relay")
    };
    assert_eq!(sent, 20, "every row sent, none twice");
    // A second pass finds nothing more to send.
    assert_eq!(env.infra.outbox.relay_once().await.expect("again"), 0);

    let mut consumer = env.infra.queue.consume("mail").await.expect("consume");
    let mut seen = HashSet::new();
    while seen.len() < 20 {
        let d = tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .expect("a job in time")
            .expect("next")
            .expect("open");
        assert!(seen.insert(d.payload.clone()), "a job delivered twice");
        d.ack().await.expect("ack");
    }
    let extra = tokio::time::timeout(Duration::from_millis(300), consumer.next()).await;
    assert!(extra.is_err(), "no job more than once");
    emptied(&env, "sent and done jobs leave the outbox").await;
}

/// A relay's outbox dropped right after it published (a replica shutting down): the rows the
/// broker confirmed still leave the outbox, not sent again when their claims run out.
#[tokio::test]
async fn rows_a_dropped_relay_sent_still_leave_the_outbox() {
    if !services_mode() {
        return; // In-process, rows leave when their job is done (the test above).
    }
    let env = TestEnv::new().await;
    for i in 0..5 {
        let job = Job::SendMail { to: format!("u{i}@example.com"), subject: "s".into(), html: "h".into() };
        drop(Outbox::stage(&env.infra.db, &job).await.expect("stage"));
    }
    age_claims(&env).await;
    let replica = Outbox::new(env.infra.db.clone(), env.infra.writes.clone(), env.infra.queue.clone(), None);
    assert_eq!(replica.relay_once().await.expect("relay"), 5);
    drop(replica);
    emptied(&env, "the dropped relay's sent rows leave the outbox").await;
}
