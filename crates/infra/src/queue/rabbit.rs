//! RabbitMQ job queues (lapin).
//!
//! Topology per logical queue `q` (all durable, on the default exchange):
//! - `q`: the jobs;
//! - `q.delay.<ms>` for each delay the retry policy uses: a failed job waits here. The
//!   queue's `x-message-ttl` is `<ms>` and it dead-letters into `q`, so the job flows back by
//!   itself. One queue per delay keeps every message in a queue with one TTL, so an expired
//!   job is never stuck behind a longer-lived one; and since the name says the TTL, a queue's
//!   arguments never depend on who declares it: replicas with different `QUEUE_BACKOFF_MS`
//!   (or `QUEUE_MAX_ATTEMPTS`) share a broker, each using its own delays, and RabbitMQ never
//!   refuses a declaration as inequivalent. (Queues of earlier versions, `q.retry.<n>`, are
//!   never declared again; the jobs in them still flow back into `q` when they expire.)
//! - `q.dead`: jobs that exhausted their attempts or were rejected.
//!
//! The delivery count travels in the `x-attempt` header (absent = first delivery); a
//! delivery the broker flags as redelivered (its previous one ended unacked) counts one more.
//!
//! Reconnection is lazy: after the connection drops, the next `publish`/`consume`/... opens a
//! new one. Consumers do not survive it: their `next` returns `Unavailable` and the caller
//! consumes again; their unacked jobs were requeued by the broker.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Acker, BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ErrorKind};

use super::{Consumer, Delivery, JobQueue, RetryPolicy, Settle};
use crate::error::{InfraError, Result};

const ATTEMPT_HEADER: &str = "x-attempt";
/// AMQP `delivery_mode` for messages that survive a broker restart.
const PERSISTENT: u8 = 2;
/// A broker that does not answer within this is reported unavailable rather than waited on.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Job queues on a RabbitMQ broker; clones share one connection.
#[derive(Clone)]
pub struct RabbitQueue {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RabbitQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitQueue")
            .field("prefix", &self.inner.prefix)
            .field("policy", &self.inner.policy)
            .field("prefetch", &self.inner.prefetch)
            .finish_non_exhaustive()
    }
}

struct Inner {
    url: String,
    prefix: String,
    policy: RetryPolicy,
    prefetch: u16,
    connection: tokio::sync::Mutex<Option<Connection>>,
    /// The channel every publish goes through, in confirm mode.
    publisher: tokio::sync::Mutex<Option<Channel>>,
    /// Logical queue names whose topology this process has declared.
    declared: Mutex<HashSet<String>>,
}

fn map_err(e: lapin::Error) -> InfraError {
    match e.kind() {
        ErrorKind::IOError(_)
        | ErrorKind::RuntimeShutdownError(_)
        | ErrorKind::InvalidConnectionState(_)
        | ErrorKind::MissingHeartbeatError => InfraError::unavailable(e),
        _ => InfraError::backend(e),
    }
}

impl RabbitQueue {
    /// Connects to the broker at `url`; queue names are `prefix + name`.
    pub async fn connect(url: &str, prefix: &str, policy: RetryPolicy, prefetch: u16) -> Result<Self> {
        let queue = Self {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                prefix: prefix.to_owned(),
                policy,
                prefetch,
                connection: tokio::sync::Mutex::new(None),
                publisher: tokio::sync::Mutex::new(None),
                declared: Mutex::new(HashSet::new()),
            }),
        };
        // Fail at start-up, not on the first job, when the broker is unreachable.
        queue.inner.publisher().await?;
        Ok(queue)
    }

    /// Closes the connection (graceful shutdown). Unacked deliveries go back to their queues;
    /// a later call on this handle reconnects.
    pub async fn close(&self) -> Result<()> {
        // Drop the publishing channel only after the connection is closed: closing it first
        // races its channel.close against the connection.close.
        let publisher = self.inner.publisher.lock().await.take();
        let connection = self.inner.connection.lock().await.take();
        let result = match &connection {
            Some(c) if c.status().connected() => c.close(200, "OK".into()).await,
            _ => Ok(()),
        };
        drop(publisher);
        match result {
            // Closed anyway (e.g. a channel was closing at the same moment): nothing left to do.
            Err(_) if connection.is_some_and(|c| !c.status().connected()) => Ok(()),
            other => other.map_err(map_err),
        }
    }
}

impl Inner {
    fn full_name(&self, queue: &str) -> String {
        format!("{}{}", self.prefix, queue)
    }

    /// A new channel on the live connection, reconnecting first if it dropped.
    async fn channel(&self) -> Result<Channel> {
        let mut guard = self.connection.lock().await;
        let live = guard.as_ref().is_some_and(|c| c.status().connected());
        if !live {
            let props = ConnectionProperties::default().with_connection_name("dify-rs".into());
            let connection = tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(&self.url, props))
                .await
                .map_err(|_| InfraError::Unavailable(format!("no answer from the broker within {CONNECT_TIMEOUT:?}")))?
                .map_err(InfraError::unavailable)?;
            *guard = Some(connection);
            // A broker restart may have lost non-durable state; declare again to be sure.
            self.declared.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        match guard.as_ref() {
            Some(c) => c.create_channel().await.map_err(map_err),
            None => Err(InfraError::Unavailable("no connection".into())),
        }
    }

    /// The confirm-mode publishing channel, re-opened if it was closed (a refused declare or
    /// a lost connection closes it).
    async fn publisher(&self) -> Result<Channel> {
        let mut guard = self.publisher.lock().await;
        if let Some(channel) = guard.as_ref()
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        let channel = self.channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await.map_err(map_err)?;
        *guard = Some(channel.clone());
        Ok(channel)
    }

    /// Declares `queue`'s topology unless this process already did; returns its full name.
    async fn ensure_declared(&self, queue: &str) -> Result<String> {
        let full = self.full_name(queue);
        if full.is_empty() || full.len() > 200 {
            return Err(InfraError::InvalidKey(format!("queue name {full:?}")));
        }
        if self.declared.lock().unwrap_or_else(|e| e.into_inner()).contains(queue) {
            return Ok(full);
        }
        let channel = self.publisher().await?;
        let durable = QueueDeclareOptions::durable();
        channel.queue_declare(full.as_str().into(), durable, FieldTable::default()).await.map_err(map_err)?;
        channel.queue_declare(format!("{full}.dead").into(), durable, FieldTable::default()).await.map_err(map_err)?;
        for delay in delays(&self.policy) {
            let mut args = FieldTable::default();
            args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(i64::try_from(delay).unwrap_or(i64::MAX)));
            args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(LongString::from("")));
            args.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(LongString::from(full.as_str())));
            channel.queue_declare(delay_queue(&full, delay).into(), durable, args).await.map_err(map_err)?;
        }
        self.declared.lock().unwrap_or_else(|e| e.into_inner()).insert(queue.to_owned());
        Ok(full)
    }

    /// Publishes persistently to `routing_key` on the default exchange and waits for the
    /// broker's confirm.
    async fn publish_to(&self, routing_key: &str, payload: &[u8], attempt: Option<u32>) -> Result<()> {
        let mut properties = BasicProperties::default().with_delivery_mode(PERSISTENT);
        if let Some(attempt) = attempt {
            let mut headers = FieldTable::default();
            headers.insert(ATTEMPT_HEADER.into(), AMQPValue::LongLongInt(i64::from(attempt)));
            properties = properties.with_headers(headers);
        }
        let channel = self.publisher().await?;
        let options = BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() };
        let confirm = channel
            .basic_publish(ShortString::from(""), routing_key.into(), options, payload, properties)
            .await
            .map_err(map_err)?
            .await
            .map_err(map_err)?;
        match confirm {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(returned)) => {
                Err(InfraError::Backend(format!("message to {routing_key} returned: {}", returned.reply_text)))
            }
            Confirmation::Nack(_) => Err(InfraError::Backend(format!("broker refused message to {routing_key}"))),
            Confirmation::NotRequested => Err(InfraError::Backend("publisher confirms are off".into())),
        }
    }
}

/// The queue a job waits `delay_ms` in before it goes back to `full`.
fn delay_queue(full: &str, delay_ms: u64) -> String {
    format!("{full}.delay.{delay_ms}")
}

/// The delay before delivery `attempt + 1`, in milliseconds.
fn delay_ms(policy: &RetryPolicy, attempt: u32) -> u64 {
    u64::try_from(policy.backoff(attempt).as_millis()).unwrap_or(u64::MAX)
}

/// Every distinct delay `policy` uses, in order.
fn delays(policy: &RetryPolicy) -> Vec<u64> {
    let mut all: Vec<u64> = (1..policy.max_attempts).map(|level| delay_ms(policy, level)).collect();
    all.dedup();
    all
}

/// The delivery count from the `x-attempt` header; absent or unreadable means first delivery.
fn attempt_of(properties: &BasicProperties) -> u32 {
    let value = properties.headers().as_ref().and_then(|h| h.inner().get(ATTEMPT_HEADER));
    let n: Option<i64> = match value {
        Some(AMQPValue::LongLongInt(n)) => Some(*n),
        Some(AMQPValue::LongInt(n)) => Some(i64::from(*n)),
        Some(AMQPValue::LongUInt(n)) => Some(i64::from(*n)),
        Some(AMQPValue::ShortInt(n)) => Some(i64::from(*n)),
        Some(AMQPValue::ShortUInt(n)) => Some(i64::from(*n)),
        Some(AMQPValue::ShortShortInt(n)) => Some(i64::from(*n)),
        Some(AMQPValue::ShortShortUInt(n)) => Some(i64::from(*n)),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n >= 1).unwrap_or(1)
}

#[async_trait]
impl JobQueue for RabbitQueue {
    async fn publish(&self, queue: &str, payload: &[u8]) -> Result<()> {
        let full = self.inner.ensure_declared(queue).await?;
        self.inner.publish_to(&full, payload, None).await
    }

    async fn consume(&self, queue: &str) -> Result<Box<dyn Consumer>> {
        let full = self.inner.ensure_declared(queue).await?;
        let channel = self.inner.channel().await?;
        channel.basic_qos(self.inner.prefetch, BasicQosOptions::default()).await.map_err(map_err)?;
        let consumer = channel
            .basic_consume(full.as_str().into(), "".into(), BasicConsumeOptions::default(), FieldTable::default())
            .await
            .map_err(map_err)?;
        Ok(Box::new(RabbitConsumer { consumer, _channel: channel, queue: full, inner: self.inner.clone() }))
    }

    async fn drain_dead_letters(&self, queue: &str) -> Result<Vec<Vec<u8>>> {
        let full = self.inner.ensure_declared(queue).await?;
        let dead = format!("{full}.dead");
        let channel = self.inner.channel().await?;
        let mut jobs = Vec::new();
        while let Some(message) =
            channel.basic_get(dead.as_str().into(), BasicGetOptions::default()).await.map_err(map_err)?
        {
            message.delivery.acker.ack(BasicAckOptions::default()).await.map_err(map_err)?;
            jobs.push(message.delivery.data);
        }
        // Best effort: the channel closes on drop anyway.
        let _ = channel.close(200, "OK".into()).await;
        Ok(jobs)
    }

    async fn pending(&self, queue: &str) -> Result<u64> {
        let full = self.inner.ensure_declared(queue).await?;
        let channel = self.inner.publisher().await?;
        let options = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let declared =
            channel.queue_declare(full.as_str().into(), options, FieldTable::default()).await.map_err(map_err)?;
        Ok(u64::from(declared.message_count()))
    }
}

/// One consumer on its own channel; dropping it closes the channel, which hands the
/// unacked deliveries back to the broker.
struct RabbitConsumer {
    consumer: lapin::Consumer,
    _channel: Channel,
    queue: String,
    inner: Arc<Inner>,
}

#[async_trait]
impl Consumer for RabbitConsumer {
    async fn next(&mut self) -> Result<Option<Delivery>> {
        match self.consumer.next().await {
            None => Ok(None),
            Some(Err(e)) => Err(map_err(e)),
            Some(Ok(delivery)) => {
                // Classic queues do not count requeues, so a crash redelivery adds one: exact
                // for one crash per attempt, a lower bound beyond that.
                let attempt = attempt_of(&delivery.properties).saturating_add(u32::from(delivery.redelivered));
                let settle = RabbitSettle {
                    acker: Some(delivery.acker),
                    payload: delivery.data.clone(),
                    attempt,
                    queue: self.queue.clone(),
                    inner: self.inner.clone(),
                };
                Ok(Some(Delivery::new(delivery.data, attempt, delivery.redelivered, Box::new(settle))))
            }
        }
    }
}

struct RabbitSettle {
    /// None once settled.
    acker: Option<Acker>,
    payload: Vec<u8>,
    attempt: u32,
    /// Full name of the queue the job came from.
    queue: String,
    inner: Arc<Inner>,
}

async fn ack(acker: &Acker) -> Result<()> {
    if acker.ack(BasicAckOptions::default()).await.map_err(map_err)? {
        Ok(())
    } else {
        // The channel closed since delivery: the broker has already requeued the job.
        Err(InfraError::Unavailable("channel closed before ack; the job will be redelivered".into()))
    }
}

#[async_trait]
impl Settle for RabbitSettle {
    async fn ack(mut self: Box<Self>) -> Result<()> {
        match self.acker.take() {
            Some(acker) => ack(&acker).await,
            None => Ok(()),
        }
    }

    async fn retry(mut self: Box<Self>, dead_letter: bool) -> Result<()> {
        let Some(acker) = self.acker.as_ref() else {
            return Ok(());
        };
        if !acker.usable() {
            return Err(InfraError::Unavailable("channel closed; the job will be redelivered".into()));
        }
        let (target, attempt) = if dead_letter || self.attempt >= self.inner.policy.max_attempts {
            (format!("{}.dead", self.queue), self.attempt)
        } else {
            (delay_queue(&self.queue, delay_ms(&self.inner.policy, self.attempt)), self.attempt + 1)
        };
        // Publish before ack: a crash in between duplicates the job rather than losing it.
        // On failure the acker stays in place, so Drop hands the job back to the queue.
        self.inner.publish_to(&target, &self.payload, Some(attempt)).await?;
        match self.acker.take() {
            Some(acker) => ack(&acker).await,
            None => Ok(()),
        }
    }
}

impl Drop for RabbitSettle {
    /// An unsettled delivery goes straight back to the queue (marked redelivered) instead of
    /// waiting for its channel to close.
    fn drop(&mut self) {
        let Some(acker) = self.acker.take() else {
            return;
        };
        if !acker.usable() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let options = BasicNackOptions { requeue: true, ..BasicNackOptions::default() };
                if let Err(e) = acker.nack(options).await {
                    tracing::debug!(error = %e, "nack of a dropped delivery failed; its channel will requeue it");
                }
            });
        }
    }
}

/// The broker queues of the queue named `full` under `policy`: itself, `.dead` and its
/// `.delay.<ms>` queues.
pub fn topology(full: &str, policy: &RetryPolicy) -> Vec<String> {
    let mut names = vec![full.to_owned(), format!("{full}.dead")];
    names.extend(delays(policy).into_iter().map(|ms| delay_queue(full, ms)));
    names
}

/// Deletes the whole topology of `queues` under `prefix` (main, `.dead` and the `.delay.<ms>`
/// queues of `policy`) on its own connection. For teardown of tests and namespaces.
pub async fn delete_topology(url: &str, prefix: &str, queues: &[&str], policy: &RetryPolicy) -> Result<()> {
    let conn = Connection::connect(url, ConnectionProperties::default()).await.map_err(map_err)?;
    let channel = conn.create_channel().await.map_err(map_err)?;
    for q in queues {
        for name in topology(&format!("{prefix}{q}"), policy) {
            channel
                .queue_delete(name.as_str().into(), lapin::options::QueueDeleteOptions::default())
                .await
                .map_err(map_err)?;
        }
    }
    conn.close(200, "OK".into()).await.map_err(map_err)
}
