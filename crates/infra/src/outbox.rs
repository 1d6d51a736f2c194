//! The transactional outbox: a job is written to `job_outbox` in the same transaction as the
//! rows it acts on, then handed to the queue. A publish that fails (a broker that is down, a
//! process that dies between commit and publish) delays a job; it never loses it.
//!
//! - The writer stages the row already claimed for [`CLAIM`], publishes right after its
//!   commit and deletes the row once the broker confirmed (a task deletes the confirmed rows
//!   many per statement). A failed publish gives the claim
//!   up at once, so the relay retries.
//! - The relay, in every process, publishes rows whose claim has run out. A row is claimed by
//!   one conditional update, so of several replicas only one publishes it; a crash after the
//!   publish and before the delete sends it twice, which every job tolerates (at-least-once).
//! - With the in-process queue there is no broker to hold a job, so the row stays until the
//!   job is settled (the queue reports it back). At start-up the relay hands every row left
//!   to the queue: that is how embedded mode resumes what a crash interrupted.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kernel::jobs::Job;
use kernel::time::now_naive;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use tokio::sync::{Notify, mpsc, watch};
use uuid::Uuid;

use crate::error::{InfraError, Result};
use crate::group_write::GroupWriter;
use crate::queue::JobQueue;

/// How long the writer (or a relay) owns a row it is publishing; after that another relay
/// may take it.
const CLAIM: Duration = Duration::from_secs(30);
/// How often the relay looks for rows whose claim ran out, with a broker.
const RELAY_EVERY: Duration = Duration::from_secs(5);
/// After a failed publish, the relay waits this long before the next try (doubling).
const RETRY_FIRST: Duration = Duration::from_millis(500);
/// How long a request waits for the broker before leaving its job to the relay: a broker
/// that is down or unreachable delays jobs, never answers.
const SEND_WAIT: Duration = Duration::from_secs(2);
/// Rows one relay pass takes.
const BATCH: u64 = 100;

/// The table (`migration::JobOutbox`), private to the queue adapter.
mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub queue: String,
        pub payload: String,
        pub created_at: DateTime,
        pub claimed_until: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A job written by [`Outbox::stage`]; give it to [`Outbox::send`] once its transaction
/// committed. Dropped unsent (the transaction rolled back, or the caller failed after the
/// commit), the relay sends it when its claim runs out.
#[derive(Debug)]
#[must_use = "a staged job waits for the relay unless it is sent after the commit"]
pub struct Staged {
    id: Uuid,
    queue: &'static str,
    payload: Vec<u8>,
}

/// Writes jobs with the rows they act on and sees them onto the queue; clones share one.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("durable", &self.inner.durable).finish_non_exhaustive()
    }
}

struct Inner {
    db: DatabaseConnection,
    /// Deletes sent rows: grouped with other writes on SQLite, on the writer's own connections
    /// on PostgreSQL.
    writes: GroupWriter,
    queue: Arc<dyn JobQueue>,
    durable: bool,
    /// In-process queue only: rows handed to the queue and not yet settled, so the relay does
    /// not hand them twice.
    handed: Mutex<HashSet<Uuid>>,
    /// Wakes the relay early (a publish just failed).
    wake: Notify,
    /// Rows whose job the broker confirmed, deleted many per statement by a task (one delete
    /// per chat was a PostgreSQL transaction of its own).
    sent: mpsc::UnboundedSender<Uuid>,
}

impl Inner {
    /// Forgets that `ids` were handed to the in-process queue (their rows are gone).
    fn forget_handed(&self, ids: &[Uuid]) {
        let mut handed = self.handed.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            handed.remove(id);
        }
    }
}

fn db_err(e: DbErr) -> InfraError {
    InfraError::backend(e)
}

fn lease_end() -> chrono::NaiveDateTime {
    now_naive() + chrono::Duration::from_std(CLAIM).unwrap_or(chrono::Duration::MAX)
}

impl Outbox {
    /// An outbox for `queue`. With the in-process queue, `settled` carries back the rows
    /// whose job is done ([`crate::queue::MemoryQueue::with_receipts`]); a task deletes them.
    pub fn new(
        db: DatabaseConnection,
        writes: GroupWriter,
        queue: Arc<dyn JobQueue>,
        settled: Option<mpsc::UnboundedReceiver<Uuid>>,
    ) -> Self {
        let durable = queue.durable();
        let (sent, confirmed) = mpsc::unbounded_channel();
        let outbox = Self {
            inner: Arc::new(Inner {
                db,
                writes,
                queue,
                durable,
                handed: Mutex::new(HashSet::new()),
                wake: Notify::new(),
                sent,
            }),
        };
        for done in [settled, Some(confirmed)].into_iter().flatten() {
            tokio::spawn(forget_settled(outbox.inner.writes.clone(), Arc::downgrade(&outbox.inner), done));
        }
        outbox
    }

    /// Writes `job` through `conn` (the caller's transaction), claimed by the caller.
    pub async fn stage(conn: &impl ConnectionTrait, job: &Job) -> std::result::Result<Staged, DbErr> {
        let (staged, insert) = Self::staging(job);
        conn.execute_raw(conn.get_database_backend().build(&insert)).await?;
        Ok(staged)
    }

    /// The job staged by `insert`, for a caller that commits the statement with its own (as
    /// through [`crate::group_write::GroupWriter`]).
    pub fn staging(job: &Job) -> (Staged, sea_orm::sea_query::InsertStatement) {
        let payload = job.to_bytes();
        let id = Uuid::new_v4();
        let insert = row::Entity::insert(row::ActiveModel {
            id: Set(id),
            queue: Set(job.queue().to_owned()),
            // `Job` serialises to JSON: always UTF-8.
            payload: Set(String::from_utf8_lossy(&payload).into_owned()),
            created_at: Set(now_naive()),
            claimed_until: Set(lease_end()),
        })
        .into_query();
        (Staged { id, queue: job.queue(), payload }, insert)
    }

    /// Hands committed jobs to the queue. Never fails: a job the queue did not take stays in
    /// the outbox for the relay.
    pub async fn send(&self, staged: impl IntoIterator<Item = Staged>) {
        for s in staged {
            let sent =
                tokio::time::timeout(SEND_WAIT, self.publish(s.id, s.queue, &s.payload)).await.unwrap_or_else(|_| {
                    Err(InfraError::Unavailable(format!("no answer from the queue within {SEND_WAIT:?}")))
                });
            if let Err(e) = sent {
                tracing::warn!(queue = s.queue, error = %e, "job kept in the outbox; the relay will send it");
                self.release(s.id).await;
                self.inner.wake.notify_one();
            }
        }
    }

    /// Stages `job` on its own and sends it: for jobs not tied to other rows.
    pub async fn enqueue(&self, job: &Job) -> Result<()> {
        let staged = Self::stage(&self.inner.db, job).await.map_err(db_err)?;
        self.send([staged]).await;
        Ok(())
    }

    /// Jobs in the outbox, sent or not (in-process queue: not yet done).
    pub async fn pending(&self) -> Result<Vec<Job>> {
        let rows =
            row::Entity::find().order_by_asc(row::Column::CreatedAt).all(&self.inner.db).await.map_err(db_err)?;
        Ok(rows.iter().filter_map(|r| Job::from_bytes(r.payload.as_bytes()).ok()).collect())
    }

    /// One relay pass: sends every row whose claim ran out (in-process queue: every row not
    /// handed yet). Returns how many were sent; stops at the first failed publish.
    pub async fn relay_once(&self) -> Result<usize> {
        let mut find = row::Entity::find().order_by_asc(row::Column::CreatedAt).limit(BATCH);
        if self.inner.durable {
            find = find.filter(row::Column::ClaimedUntil.lte(now_naive()));
        }
        let rows = find.all(&self.inner.db).await.map_err(db_err)?;
        let mut sent = 0;
        for r in rows {
            if !self.inner.durable {
                if self.handed().contains(&r.id) {
                    continue;
                }
            } else if !self.claim(r.id).await? {
                continue; // Another relay has it.
            }
            let Some(queue) = crate::queue::QUEUES.iter().find(|q| **q == r.queue) else {
                tracing::error!(queue = %r.queue, id = %r.id, "outbox row for an unknown queue; dropped");
                forget_rows(&self.inner, &[r.id]).await;
                continue;
            };
            if let Err(e) = self.publish(r.id, queue, r.payload.as_bytes()).await {
                self.release(r.id).await;
                return Err(e);
            }
            sent += 1;
        }
        Ok(sent)
    }

    /// Runs [`Outbox::relay_once`] at start, then (with a broker) every few seconds and after
    /// a failed publish, until `shutdown` turns true.
    pub async fn run_relay(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = RETRY_FIRST;
        loop {
            let wait = match self.relay_once().await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(jobs = n, "outbox relay sent jobs");
                    }
                    backoff = RETRY_FIRST;
                    RELAY_EVERY
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "outbox relay cannot send yet");
                    let wait = backoff;
                    backoff = (backoff * 2).min(RELAY_EVERY);
                    wait
                }
            };
            if !self.inner.durable {
                // Nothing in-process can fail to publish: start-up was the only pass needed.
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                // A failed send: retry soon, not at the next round.
                _ = self.inner.wake.notified() => tokio::time::sleep(backoff).await,
                _ = shutdown.changed() => return,
            }
        }
    }

    async fn publish(&self, id: Uuid, queue: &'static str, payload: &[u8]) -> Result<()> {
        if self.inner.durable {
            self.inner.queue.publish(queue, payload).await?;
            // The row stays claimed until the delete, so no relay sends it again meanwhile.
            if self.inner.sent.send(id).is_err() {
                forget_rows(&self.inner, &[id]).await;
            }
        } else {
            self.handed().insert(id);
            self.inner.queue.publish_receipt(queue, payload, id).await?;
        }
        Ok(())
    }

    /// Takes a row whose claim ran out; false when another relay took it first.
    async fn claim(&self, id: Uuid) -> Result<bool> {
        let taken = row::Entity::update_many()
            .col_expr(row::Column::ClaimedUntil, Expr::value(lease_end()))
            .filter(row::Column::Id.eq(id))
            .filter(row::Column::ClaimedUntil.lte(now_naive()))
            .exec(&self.inner.db)
            .await
            .map_err(db_err)?;
        Ok(taken.rows_affected == 1)
    }

    /// Gives a claim up so the relay retries now rather than when it runs out.
    async fn release(&self, id: Uuid) {
        if !self.inner.durable {
            self.handed().remove(&id);
            return;
        }
        let released = row::Entity::update_many()
            .col_expr(row::Column::ClaimedUntil, Expr::value(now_naive()))
            .filter(row::Column::Id.eq(id))
            .exec(&self.inner.db)
            .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, %id, "cannot release an outbox row; it is retried when its claim runs out");
        }
    }

    fn handed(&self) -> std::sync::MutexGuard<'_, HashSet<Uuid>> {
        self.inner.handed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Deletes rows whose job the queue has (or finished).
async fn forget_rows(inner: &Inner, ids: &[Uuid]) {
    if delete_rows(&inner.writes, ids).await {
        inner.forget_handed(ids);
    }
}

/// Deletes the rows `ids`; false when the database refused.
async fn delete_rows(writes: &GroupWriter, ids: &[Uuid]) -> bool {
    if ids.is_empty() {
        return true;
    }
    let delete = row::Entity::delete_many().filter(row::Column::Id.is_in(ids.iter().copied())).into_query();
    match writes.write(vec![delete.into()]).await {
        Ok(()) => true,
        // The job is sent (or done): a row left behind only sends it once more.
        Err(e) => {
            tracing::warn!(error = %e, rows = ids.len(), "cannot delete sent jobs from the outbox");
            false
        }
    }
}

/// Deletes the rows of settled in-process jobs, or of jobs the broker confirmed, many per
/// statement when they come quickly. It drains its channel even once the outbox is dropped:
/// a confirmed row left behind would be sent again when its claim runs out.
async fn forget_settled(
    writes: GroupWriter,
    inner: std::sync::Weak<Inner>,
    mut settled: mpsc::UnboundedReceiver<Uuid>,
) {
    let mut ids = Vec::new();
    while settled.recv_many(&mut ids, BATCH as usize).await > 0 {
        if delete_rows(&writes, &ids).await
            && let Some(inner) = inner.upgrade()
        {
            inner.forget_handed(&ids);
        }
        ids.clear();
    }
}
