//! Durable job queues (`dataset`, `generation`, `mail`) with at-least-once delivery.
//!
//! A job is acked only after its work has committed. A delivery that is dropped or whose
//! consumer dies unacked is redelivered. `retry` re-queues with exponential backoff and
//! moves the job to the queue's dead-letter store after `max_attempts` deliveries.

mod memory;
mod rabbit;

pub use self::memory::MemoryQueue;
pub use self::rabbit::{RabbitQueue, delete_topology, topology};

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;

/// The queues the worker serves, as Celery's `-Q` names them.
pub const QUEUES: [&str; 3] = ["dataset", "generation", "mail"];

/// Retry behaviour shared by both implementations.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Deliveries before a job goes to the dead-letter store (first delivery counts as 1).
    pub max_attempts: u32,
    /// Delay before the second delivery; doubles for each later one.
    pub backoff_base: Duration,
    /// Upper bound on any one delay.
    pub backoff_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 5, backoff_base: Duration::from_secs(2), backoff_max: Duration::from_secs(300) }
    }
}

impl RetryPolicy {
    /// `QUEUE_MAX_ATTEMPTS` and `QUEUE_BACKOFF_MS`.
    pub fn from_config(config: &kernel::Config) -> Self {
        Self { max_attempts: config.queue_max_attempts, backoff_base: config.queue_backoff, ..Self::default() }
    }

    /// Delay before delivery number `attempt + 1`, given `attempt` deliveries so far.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff_base.saturating_mul(factor).min(self.backoff_max)
    }
}

/// Publishes and consumes jobs on named queues.
#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Durably enqueues `payload` on `queue` (confirmed by the broker before returning).
    async fn publish(&self, queue: &str, payload: &[u8]) -> Result<()>;
    /// Enqueues a job the outbox holds as row `receipt`. A queue that is not [`durable`]
    /// reports the receipt back once the job is settled; a durable one needs nothing more.
    ///
    /// [`durable`]: JobQueue::durable
    async fn publish_receipt(&self, queue: &str, payload: &[u8], receipt: uuid::Uuid) -> Result<()> {
        let _ = receipt;
        self.publish(queue, payload).await
    }
    /// True when a published job outlives this process (a broker), so the outbox may forget
    /// it once published; false for the in-process queue.
    fn durable(&self) -> bool {
        true
    }
    /// Starts consuming `queue`; each consumer receives at most `prefetch` unacked jobs.
    async fn consume(&self, queue: &str) -> Result<Box<dyn Consumer>>;
    /// Removes and returns the jobs that exhausted their attempts on `queue`.
    async fn drain_dead_letters(&self, queue: &str) -> Result<Vec<Vec<u8>>>;
    /// Jobs waiting on `queue` (not counting unacked or delayed ones).
    async fn pending(&self, queue: &str) -> Result<u64>;
}

/// A stream of deliveries from one queue.
#[async_trait]
pub trait Consumer: Send {
    /// The next delivery; None once the queue is closed.
    async fn next(&mut self) -> Result<Option<Delivery>>;
}

/// One delivered job. Dropping it without `ack` or `retry` returns it to the queue.
pub struct Delivery {
    /// The job's bytes as published.
    pub payload: Vec<u8>,
    /// How many times this job has been delivered, this delivery included.
    pub attempt: u32,
    /// True when an earlier delivery of this job ended without an ack (e.g. a crash).
    pub redelivered: bool,
    settle: Option<Box<dyn Settle>>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("bytes", &self.payload.len())
            .field("attempt", &self.attempt)
            .field("redelivered", &self.redelivered)
            .finish()
    }
}

/// What to do with a delivery; implemented per backend.
#[async_trait]
pub(crate) trait Settle: Send {
    async fn ack(self: Box<Self>) -> Result<()>;
    /// Re-queue after a backoff, or dead-letter when attempts are exhausted.
    async fn retry(self: Box<Self>, dead_letter: bool) -> Result<()>;
}

impl Delivery {
    pub(crate) fn new(payload: Vec<u8>, attempt: u32, redelivered: bool, settle: Box<dyn Settle>) -> Self {
        Self { payload, attempt, redelivered, settle: Some(settle) }
    }

    /// Confirms the job is done; it is never delivered again.
    pub async fn ack(mut self) -> Result<()> {
        match self.settle.take() {
            Some(s) => s.ack().await,
            None => Ok(()),
        }
    }

    /// The job failed: deliver it again after a backoff, or dead-letter it once
    /// `max_attempts` deliveries have failed.
    pub async fn retry(mut self) -> Result<()> {
        match self.settle.take() {
            Some(s) => s.retry(false).await,
            None => Ok(()),
        }
    }

    /// The job can never succeed: move it to the dead-letter store now.
    pub async fn reject(mut self) -> Result<()> {
        match self.settle.take() {
            Some(s) => s.retry(true).await,
            None => Ok(()),
        }
    }
}
