//! The consumer loop shared by `indexer-worker` and the in-process worker of embedded mode.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::queue::{Consumer, JobQueue};

/// How a job ended.
#[derive(Debug)]
pub enum JobOutcome {
    /// Done and committed: ack.
    Done,
    /// Failed for a reason that may pass (a model timeout, a lock): retry with backoff.
    Retry(String),
    /// Can never succeed (malformed payload, unknown task): dead-letter now.
    Reject(String),
}

/// Runs one queue's jobs.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn handle(&self, payload: &[u8]) -> JobOutcome;
}

/// Consumes `queue_name` with up to `concurrency` jobs in flight until `shutdown` turns true.
/// On shutdown it stops taking jobs and waits for the in-flight ones to settle; any job that
/// is still unacked when the process dies is redelivered by the queue.
pub async fn run(
    queue: Arc<dyn JobQueue>,
    queue_name: String,
    handler: Arc<dyn JobHandler>,
    concurrency: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let concurrency = concurrency.max(1);
    tracing::info!(queue = %queue_name, concurrency, "worker started");
    let mut consumer: Option<Box<dyn Consumer>> = None;
    let mut in_flight = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        if in_flight.len() >= concurrency {
            in_flight.join_next().await;
            continue;
        }
        // (Re)subscribe: a consumer dies with its broker connection, and its unacked jobs
        // are already back on the queue.
        let active = match consumer.as_mut() {
            Some(c) => c,
            None => match queue.consume(&queue_name).await {
                Ok(c) => consumer.insert(c),
                Err(e) => {
                    tracing::error!(queue = %queue_name, error = %e, "cannot consume; retrying in 2s");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            },
        };
        let next = tokio::select! {
            d = active.next() => d,
            _ = shutdown.changed() => continue,
        };
        let delivery = match next {
            Ok(Some(d)) => d,
            Ok(None) => break,
            Err(e) => {
                tracing::error!(queue = %queue_name, error = %e, "consumer failed; resubscribing");
                consumer = None;
                continue;
            }
        };
        let handler = handler.clone();
        let name = queue_name.clone();
        in_flight.spawn(async move {
            let attempt = delivery.attempt;
            let settled = match handler.handle(&delivery.payload).await {
                JobOutcome::Done => delivery.ack().await,
                JobOutcome::Retry(why) => {
                    tracing::warn!(queue = %name, attempt, reason = %why, "job failed; will retry");
                    delivery.retry().await
                }
                JobOutcome::Reject(why) => {
                    tracing::error!(queue = %name, attempt, reason = %why, "job rejected; dead-lettered");
                    delivery.reject().await
                }
            };
            if let Err(e) = settled {
                tracing::error!(queue = %name, error = %e, "could not settle job; it will be redelivered");
            }
        });
    }
    tracing::info!(queue = %queue_name, in_flight = in_flight.len(), "shutting down; finishing in-flight jobs");
    while in_flight.join_next().await.is_some() {}
}
