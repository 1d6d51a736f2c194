//! In-process job queue for the embedded mode: api-server and its worker loop share one
//! `MemoryQueue` handle. Same contract as RabbitMQ, minus durability across restarts: that
//! comes from the outbox, whose rows (receipts) this queue reports back once their job is
//! settled, so a row outlives its job only when the process dies first.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tokio::sync::{Notify, mpsc};
use uuid::Uuid;

use super::{Consumer, Delivery, JobQueue, RetryPolicy, Settle};
use crate::error::{InfraError, Result};

/// In-process queues; clones share the same queues.
#[derive(Clone)]
pub struct MemoryQueue {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MemoryQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryQueue")
            .field("policy", &self.shared.policy)
            .field("prefetch", &self.shared.prefetch)
            .finish_non_exhaustive()
    }
}

struct Shared {
    policy: RetryPolicy,
    /// Unacked deliveries one consumer may hold; 0 means unbounded (as AMQP's `basic.qos`).
    prefetch: usize,
    queues: Mutex<HashMap<String, Arc<QueueState>>>,
    next_id: AtomicU64,
    /// Where the receipts of settled (acked or dead-lettered) jobs go.
    settled: Option<mpsc::UnboundedSender<Uuid>>,
}

/// One named queue.
struct QueueState {
    inner: Mutex<QueueInner>,
    /// Woken on every change a waiting consumer may care about: a job became ready or a
    /// delivery was settled (freeing prefetch room).
    changed: Notify,
}

#[derive(Default)]
struct QueueInner {
    ready: VecDeque<Job>,
    /// Unacked deliveries by job id, with the consumer holding each.
    in_flight: HashMap<u64, (u64, Job)>,
    /// Unacked deliveries per live consumer.
    unacked: HashMap<u64, usize>,
    dead: Vec<Vec<u8>>,
}

struct Job {
    id: u64,
    payload: Vec<u8>,
    /// Deliveries so far.
    attempt: u32,
    redelivered: bool,
    /// The outbox row this job came from.
    receipt: Option<Uuid>,
}

impl QueueInner {
    /// Takes `job_id` out of the in-flight set; None when it is no longer there (its
    /// consumer was dropped and the job already went back to the queue).
    fn settle(&mut self, job_id: u64) -> Option<Job> {
        let (consumer, job) = self.in_flight.remove(&job_id)?;
        if let Some(n) = self.unacked.get_mut(&consumer) {
            *n = n.saturating_sub(1);
        }
        Some(job)
    }

    fn put_back(&mut self, mut job: Job) {
        job.redelivered = true;
        self.ready.push_front(job);
    }
}

fn lock(m: &Mutex<QueueInner>) -> MutexGuard<'_, QueueInner> {
    // A panic while holding the lock leaves the queue's data consistent (every mutation is a
    // single push/remove), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryQueue {
    /// Empty queues; each consumer holds at most `prefetch` unacked jobs (0 = no limit).
    pub fn new(policy: RetryPolicy, prefetch: usize) -> Self {
        Self::build(policy, prefetch, None)
    }

    /// Like [`MemoryQueue::new`], and reports the receipt of every job published with
    /// [`JobQueue::publish_receipt`] on the returned channel once the job is acked or
    /// dead-lettered.
    pub fn with_receipts(policy: RetryPolicy, prefetch: usize) -> (Self, mpsc::UnboundedReceiver<Uuid>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self::build(policy, prefetch, Some(tx)), rx)
    }

    fn build(policy: RetryPolicy, prefetch: usize, settled: Option<mpsc::UnboundedSender<Uuid>>) -> Self {
        Self {
            shared: Arc::new(Shared {
                policy,
                prefetch,
                queues: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                settled,
            }),
        }
    }

    fn push(&self, queue: &str, payload: &[u8], receipt: Option<Uuid>) {
        let state = self.queue(queue);
        let job = Job { id: self.next_id(), payload: payload.to_vec(), attempt: 0, redelivered: false, receipt };
        lock(&state.inner).ready.push_back(job);
        state.changed.notify_waiters();
    }

    fn queue(&self, name: &str) -> Arc<QueueState> {
        let mut queues = self.shared.queues.lock().unwrap_or_else(|e| e.into_inner());
        queues
            .entry(name.to_owned())
            .or_insert_with(|| {
                Arc::new(QueueState { inner: Mutex::new(QueueInner::default()), changed: Notify::new() })
            })
            .clone()
    }

    fn next_id(&self) -> u64 {
        self.shared.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn publish(&self, queue: &str, payload: &[u8]) -> Result<()> {
        self.push(queue, payload, None);
        Ok(())
    }

    async fn publish_receipt(&self, queue: &str, payload: &[u8], receipt: Uuid) -> Result<()> {
        self.push(queue, payload, Some(receipt));
        Ok(())
    }

    fn durable(&self) -> bool {
        false
    }

    async fn consume(&self, queue: &str) -> Result<Box<dyn Consumer>> {
        let state = self.queue(queue);
        let id = self.next_id();
        lock(&state.inner).unacked.insert(id, 0);
        Ok(Box::new(MemoryConsumer { id, state, shared: self.shared.clone() }))
    }

    async fn drain_dead_letters(&self, queue: &str) -> Result<Vec<Vec<u8>>> {
        let state = self.queue(queue);
        Ok(std::mem::take(&mut lock(&state.inner).dead))
    }

    async fn pending(&self, queue: &str) -> Result<u64> {
        let state = self.queue(queue);
        Ok(lock(&state.inner).ready.len() as u64)
    }
}

struct MemoryConsumer {
    id: u64,
    state: Arc<QueueState>,
    shared: Arc<Shared>,
}

#[async_trait]
impl Consumer for MemoryConsumer {
    async fn next(&mut self) -> Result<Option<Delivery>> {
        loop {
            // Register interest before looking, so a change between the check and the wait
            // still wakes us.
            let changed = self.state.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut inner = lock(&self.state.inner);
                let held = inner.unacked.get(&self.id).copied().unwrap_or(0);
                let has_room = self.shared.prefetch == 0 || held < self.shared.prefetch;
                if has_room && let Some(mut job) = inner.ready.pop_front() {
                    job.attempt += 1;
                    let delivery_payload = job.payload.clone();
                    let (attempt, redelivered, job_id) = (job.attempt, job.redelivered, job.id);
                    inner.in_flight.insert(job_id, (self.id, job));
                    *inner.unacked.entry(self.id).or_insert(0) += 1;
                    let settle = MemorySettle { job_id, state: self.state.clone(), shared: self.shared.clone() };
                    return Ok(Some(Delivery::new(delivery_payload, attempt, redelivered, Box::new(settle))));
                }
            }
            changed.await;
        }
    }
}

impl Drop for MemoryConsumer {
    /// A consumer that goes away (a crashed worker loop) hands its unacked jobs back, in
    /// their original order, ahead of everything else.
    fn drop(&mut self) {
        let mut inner = lock(&self.state.inner);
        inner.unacked.remove(&self.id);
        let mine: Vec<u64> = inner.in_flight.iter().filter(|(_, (c, _))| *c == self.id).map(|(j, _)| *j).collect();
        let mut jobs: Vec<Job> =
            mine.into_iter().filter_map(|j| inner.in_flight.remove(&j).map(|(_, job)| job)).collect();
        jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
        for job in jobs {
            inner.put_back(job);
        }
        drop(inner);
        self.state.changed.notify_waiters();
    }
}

impl Shared {
    /// Hands a settled job's receipt back to its outbox.
    fn report(&self, job: &Job) {
        if let (Some(tx), Some(receipt)) = (&self.settled, job.receipt) {
            // A closed channel means the outbox is gone with its process: nothing to tell.
            let _ = tx.send(receipt);
        }
    }
}

struct MemorySettle {
    job_id: u64,
    state: Arc<QueueState>,
    shared: Arc<Shared>,
}

fn requeued_error() -> InfraError {
    InfraError::Backend("delivery's consumer is gone; the job was returned to the queue".into())
}

#[async_trait]
impl Settle for MemorySettle {
    async fn ack(self: Box<Self>) -> Result<()> {
        let job = lock(&self.state.inner).settle(self.job_id);
        self.state.changed.notify_waiters();
        let job = job.ok_or_else(requeued_error)?;
        self.shared.report(&job);
        Ok(())
    }

    async fn retry(self: Box<Self>, dead_letter: bool) -> Result<()> {
        let mut inner = lock(&self.state.inner);
        let Some(mut job) = inner.settle(self.job_id) else {
            return Err(requeued_error());
        };
        let policy = &self.shared.policy;
        if dead_letter || job.attempt >= policy.max_attempts {
            self.shared.report(&job);
            inner.dead.push(job.payload);
            drop(inner);
            self.state.changed.notify_waiters();
            return Ok(());
        }
        drop(inner);
        self.state.changed.notify_waiters();
        let delay = policy.backoff(job.attempt);
        // A retry is a fresh delivery, not a crash recovery.
        job.redelivered = false;
        let state = self.state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            lock(&state.inner).ready.push_back(job);
            state.changed.notify_waiters();
        });
        Ok(())
    }
}

impl Drop for MemorySettle {
    /// Runs after `ack`/`retry` too, when the job is no longer in flight and this is a no-op.
    fn drop(&mut self) {
        let mut inner = lock(&self.state.inner);
        if let Some(job) = inner.settle(self.job_id) {
            inner.put_back(job);
            drop(inner);
            self.state.changed.notify_waiters();
        }
    }
}
