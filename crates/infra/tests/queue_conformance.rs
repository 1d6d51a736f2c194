//! One conformance suite for every `JobQueue` backend: each case runs against
//! `MemoryQueue` always and against `RabbitQueue` when `DIFY_TEST_BACKEND=services`
//! (broker at `TEST_AMQP_URL`, every test on its own `test-<uuid>.` queue prefix).

use std::sync::Arc;
use std::time::{Duration, Instant};

use infra::queue::{Consumer, Delivery, JobQueue, MemoryQueue, RabbitQueue, RetryPolicy};
use tokio::time::timeout;

/// Upper bound on any single step that should succeed.
const STEP: Duration = Duration::from_secs(10);
/// How long "nothing more arrives" is watched for.
const QUIET: Duration = Duration::from_millis(300);
const QUEUE: &str = "dataset";

#[derive(Clone, Copy, Debug)]
enum Kind {
    Memory,
    Rabbit,
}

/// A backend under test; every handle it opens sees the same queues.
struct Env {
    policy: RetryPolicy,
    prefetch: u16,
    backend: Backend,
}

enum Backend {
    Memory(MemoryQueue),
    Rabbit { url: String, prefix: String },
}

/// One process's view of the queues.
struct Handle {
    queue: Arc<dyn JobQueue>,
    rabbit: Option<RabbitQueue>,
}

impl Handle {
    /// Ends this handle the way a killed process would: its connection goes away.
    async fn crash(&self) {
        if let Some(rabbit) = &self.rabbit {
            rabbit.close().await.expect("close connection");
        }
    }
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy { max_attempts, backoff_base: Duration::from_millis(50), backoff_max: Duration::from_secs(10) }
}

impl Env {
    /// None (after saying so) when the backend is not enabled for this run.
    fn new(kind: Kind, policy: RetryPolicy, prefetch: u16) -> Option<Self> {
        let backend = match kind {
            Kind::Memory => Backend::Memory(MemoryQueue::new(policy.clone(), usize::from(prefetch))),
            Kind::Rabbit => {
                if std::env::var("DIFY_TEST_BACKEND").as_deref() != Ok("services") {
                    println!("skipped: DIFY_TEST_BACKEND!=services");
                    return None;
                }
                let url = std::env::var("TEST_AMQP_URL")
                    .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
                Backend::Rabbit { url, prefix: format!("test-{}.", uuid::Uuid::new_v4()) }
            }
        };
        Some(Self { policy, prefetch, backend })
    }

    /// A new handle; for RabbitMQ a separate connection.
    async fn open(&self) -> Handle {
        match &self.backend {
            Backend::Memory(q) => Handle { queue: Arc::new(q.clone()), rabbit: None },
            Backend::Rabbit { url, prefix } => {
                let q = timeout(STEP, RabbitQueue::connect(url, prefix, self.policy.clone(), self.prefetch))
                    .await
                    .expect("connect timed out")
                    .expect("connect to RabbitMQ");
                Handle { queue: Arc::new(q.clone()), rabbit: Some(q) }
            }
        }
    }

    /// Deletes the test's queues from the broker.
    async fn cleanup(&self) {
        let Backend::Rabbit { url, prefix } = &self.backend else {
            return;
        };
        let names = infra::queue::topology(&format!("{prefix}{QUEUE}"), &self.policy);
        let result = timeout(STEP, async {
            let conn = lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await?;
            let channel = conn.create_channel().await?;
            for name in names {
                channel.queue_delete(name.into(), lapin::options::QueueDeleteOptions::default()).await?;
            }
            conn.close(200, "OK".into()).await
        })
        .await;
        if !matches!(result, Ok(Ok(()))) {
            println!("cleanup of {prefix}* failed: {result:?}");
        }
    }
}

/// Runs one case against `kind`, then deletes its queues even when the case panicked.
async fn run<F, Fut>(kind: Kind, policy: RetryPolicy, prefetch: u16, case: F)
where
    F: FnOnce(Arc<Env>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(env) = Env::new(kind, policy, prefetch) else {
        return;
    };
    let env = Arc::new(env);
    let outcome = tokio::spawn(case(env.clone())).await;
    env.cleanup().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn next(consumer: &mut Box<dyn Consumer>) -> Delivery {
    timeout(STEP, consumer.next())
        .await
        .expect("no delivery within the time limit")
        .expect("consume failed")
        .expect("queue closed")
}

/// Asserts that nothing is delivered for a while.
async fn assert_quiet(consumer: &mut Box<dyn Consumer>) {
    if let Ok(got) = timeout(QUIET, consumer.next()).await {
        panic!(
            "expected no delivery, got {:?}",
            got.map(|d| d.map(|d| (d.attempt, String::from_utf8_lossy(&d.payload).into_owned())))
        );
    }
}

async fn publish(h: &Handle, payload: &str) {
    timeout(STEP, h.queue.publish(QUEUE, payload.as_bytes())).await.expect("publish timed out").expect("publish");
}

async fn consume(h: &Handle) -> Box<dyn Consumer> {
    timeout(STEP, h.queue.consume(QUEUE)).await.expect("consume timed out").expect("consume")
}

async fn pending(h: &Handle) -> u64 {
    timeout(STEP, h.queue.pending(QUEUE)).await.expect("pending timed out").expect("pending")
}

async fn dead_letters(h: &Handle) -> Vec<String> {
    let jobs = timeout(STEP, h.queue.drain_dead_letters(QUEUE)).await.expect("drain timed out").expect("drain");
    jobs.into_iter().map(|j| String::from_utf8(j).expect("utf-8 payload")).collect()
}

// ---- the cases ----

async fn acked_job_is_gone(env: Arc<Env>) {
    let h = env.open().await;
    publish(&h, "job-1").await;
    let mut c = consume(&h).await;
    let d = next(&mut c).await;
    assert_eq!(d.payload, b"job-1");
    assert_eq!(d.attempt, 1);
    assert!(!d.redelivered);
    d.ack().await.expect("ack");
    assert_quiet(&mut c).await;
    assert_eq!(pending(&h).await, 0);
    assert!(dead_letters(&h).await.is_empty());
    drop(c);
}

async fn fifo_order(env: Arc<Env>) {
    let h = env.open().await;
    let jobs: Vec<String> = (1..=5).map(|i| format!("job-{i}")).collect();
    for j in &jobs {
        publish(&h, j).await;
    }
    assert_eq!(pending(&h).await, 5);
    let mut c = consume(&h).await;
    let mut seen = Vec::new();
    for _ in &jobs {
        let d = next(&mut c).await;
        seen.push(String::from_utf8(d.payload.clone()).expect("utf-8"));
        d.ack().await.expect("ack");
    }
    assert_eq!(seen, jobs);
    assert_quiet(&mut c).await;
    drop(c);
}

async fn dropped_delivery_is_redelivered(env: Arc<Env>) {
    let h = env.open().await;
    publish(&h, "job-1").await;
    publish(&h, "job-2").await;
    let mut c = consume(&h).await;
    let d = next(&mut c).await;
    assert_eq!(d.payload, b"job-1");
    drop(d);
    // Back at the front of the queue, ahead of job-2.
    let d = next(&mut c).await;
    assert_eq!(d.payload, b"job-1");
    assert!(d.redelivered);
    assert_eq!(d.attempt, 2);
    d.ack().await.expect("ack");
    let d = next(&mut c).await;
    assert_eq!(d.payload, b"job-2");
    assert!(!d.redelivered);
    d.ack().await.expect("ack");
    assert_quiet(&mut c).await;
    drop(c);
}

async fn dead_consumer_job_goes_to_another(env: Arc<Env>) {
    let first = env.open().await;
    publish(&first, "job-1").await;
    let mut c1 = consume(&first).await;
    let d = next(&mut c1).await;
    assert_eq!(d.payload, b"job-1");
    // The worker dies mid-job: connection gone, consumer and delivery dropped unacked.
    first.crash().await;
    drop(c1);
    drop(d);
    drop(first);

    let second = env.open().await;
    let mut c2 = consume(&second).await;
    let d = next(&mut c2).await;
    assert_eq!(d.payload, b"job-1");
    assert!(d.redelivered);
    assert_eq!(d.attempt, 2);
    d.ack().await.expect("ack");
    assert_quiet(&mut c2).await;
    assert_eq!(pending(&second).await, 0);
    drop(c2);
}

async fn retry_backs_off(env: Arc<Env>) {
    let policy = policy(5);
    let h = env.open().await;
    publish(&h, "flaky").await;
    let mut c = consume(&h).await;
    let mut seen: Vec<(u32, Instant)> = Vec::new();
    loop {
        let d = next(&mut c).await;
        assert_eq!(d.payload, b"flaky");
        assert!(!d.redelivered, "a retry is not a crash redelivery");
        seen.push((d.attempt, Instant::now()));
        if d.attempt < 3 {
            d.retry().await.expect("retry");
        } else {
            d.ack().await.expect("ack");
            break;
        }
    }
    let attempts: Vec<u32> = seen.iter().map(|(a, _)| *a).collect();
    assert_eq!(attempts, [1, 2, 3]);
    for pair in seen.windows(2) {
        let (attempt, at) = pair[0];
        let waited = pair[1].1 - at;
        assert!(waited >= policy.backoff(attempt), "attempt {attempt} retried after {waited:?}");
    }
    assert_quiet(&mut c).await;
    assert!(dead_letters(&h).await.is_empty());
    drop(c);
}

async fn poisoned_job_is_dead_lettered(env: Arc<Env>) {
    let h = env.open().await;
    publish(&h, "poison").await;
    let mut c = consume(&h).await;
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let d = next(&mut c).await;
        assert_eq!(d.payload, b"poison");
        attempts.push(d.attempt);
        d.retry().await.expect("retry");
    }
    assert_eq!(attempts, [1, 2, 3]);
    assert_quiet(&mut c).await;
    assert_eq!(dead_letters(&h).await, ["poison"]);
    assert!(dead_letters(&h).await.is_empty(), "draining removes the dead letters");
    assert_eq!(pending(&h).await, 0);
    drop(c);
}

async fn reject_dead_letters_at_once(env: Arc<Env>) {
    let h = env.open().await;
    publish(&h, "hopeless").await;
    let mut c = consume(&h).await;
    let d = next(&mut c).await;
    assert_eq!(d.attempt, 1);
    d.reject().await.expect("reject");
    assert_eq!(dead_letters(&h).await, ["hopeless"]);
    assert_quiet(&mut c).await;
    drop(c);
}

async fn prefetch_is_respected(env: Arc<Env>) {
    let h = env.open().await;
    for i in 1..=3 {
        publish(&h, &format!("job-{i}")).await;
    }
    let mut c = consume(&h).await;
    let d1 = next(&mut c).await;
    let d2 = next(&mut c).await;
    assert_eq!((d1.payload.as_slice(), d2.payload.as_slice()), (&b"job-1"[..], &b"job-2"[..]));
    // Holding `prefetch` unacked deliveries: the third waits.
    assert_quiet(&mut c).await;
    d1.ack().await.expect("ack");
    let d3 = next(&mut c).await;
    assert_eq!(d3.payload, b"job-3");
    d2.ack().await.expect("ack");
    d3.ack().await.expect("ack");
    assert_quiet(&mut c).await;
    drop(c);
}

macro_rules! conformance {
    ($($case:ident($policy:expr, $prefetch:expr)),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    run(Kind::Memory, $policy, $prefetch, super::$case).await;
                }
            )*
        }
        mod rabbitmq {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    run(Kind::Rabbit, $policy, $prefetch, super::$case).await;
                }
            )*
        }
    };
}

// Each case with the retry policy and prefetch its backend is built with.
conformance!(
    acked_job_is_gone(policy(3), 8),
    fifo_order(policy(3), 8),
    // Prefetch 1, so job-2 is still in the queue (not already handed to the consumer) when
    // job-1 goes back to its front.
    dropped_delivery_is_redelivered(policy(3), 1),
    dead_consumer_job_goes_to_another(policy(3), 8),
    retry_backs_off(policy(5), 8),
    poisoned_job_is_dead_lettered(policy(3), 8),
    reject_dead_letters_at_once(policy(3), 8),
    prefetch_is_respected(policy(3), 2),
);

/// Replicas configured with other retry settings (`QUEUE_BACKOFF_MS`, `QUEUE_MAX_ATTEMPTS`)
/// share one broker: each declares its own delay queues, none is refused as inequivalent,
/// and a job one of them retries comes back to the queue every replica consumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_replicas_with_other_retry_settings_share_the_queues() {
    run(Kind::Rabbit, policy(3), 8, |env| async move {
        let Backend::Rabbit { url, prefix } = &env.backend else { return };
        let a = env.open().await;
        let other = RetryPolicy { max_attempts: 4, backoff_base: Duration::from_millis(80), ..policy(4) };
        let b = timeout(STEP, RabbitQueue::connect(url, prefix, other.clone(), 8))
            .await
            .expect("connect timed out")
            .expect("connect");
        publish(&a, "from-a").await;
        timeout(STEP, b.publish(QUEUE, b"from-b")).await.expect("publish timed out").expect("declared alongside");

        let mut on_b = timeout(STEP, b.consume(QUEUE)).await.expect("consume timed out").expect("consume");
        for _ in 0..2 {
            let d = next(&mut on_b).await;
            d.retry().await.expect("retry through b's delay");
        }
        drop(on_b);
        let mut on_a = consume(&a).await;
        let mut back = Vec::new();
        for _ in 0..2 {
            let d = next(&mut on_a).await;
            assert_eq!(d.attempt, 2, "retried once");
            back.push(String::from_utf8(d.payload.clone()).expect("utf-8"));
            d.ack().await.expect("ack");
        }
        back.sort();
        assert_eq!(back, ["from-a", "from-b"]);
        drop(on_a);
        let _ = infra::queue::delete_topology(url, prefix, &[QUEUE], &other).await;
    })
    .await;
}
