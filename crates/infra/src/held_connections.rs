//! PostgreSQL connections the group writer keeps out of the pool. sqlx tests every connection
//! taken back into its pool with a round trip (a `ping` on release that cannot be turned off),
//! so a statement through the pool wakes a backend twice. The hot writes (a chat's two units,
//! the outbox's deletes, the naming job's update) run here instead, on connections taken from
//! the pool once and kept. They are not in the pool's gauges, and the process closing leaves
//! PostgreSQL to notice they are gone.
//!
//! What the pool would do, done here too: a connection idle for a while is pinged before it
//! is used, one past its lifetime is closed, and one that failed other than with a database
//! error (a dropped socket, a protocol error) is not kept. A caller dropped mid-statement drops
//! its connection with it, so no connection is reused in an unknown state.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgConnection, PgDatabaseError, PgPool, PgSeverity};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Semaphore;

/// A kept connection unused this long is pinged before use (as the pool does, `db::connect`).
const PING_IF_IDLE: Duration = Duration::from_secs(5);
/// A kept connection is closed after this long, as sqlx's pool closes its own.
const LIFETIME: Duration = Duration::from_secs(30 * 60);

struct Kept {
    conn: PgConnection,
    opened: Instant,
    used: Instant,
}

/// Up to `size` connections for the writer; callers beyond that wait their turn.
pub(crate) struct HeldConnections {
    pool: PgPool,
    idle: Mutex<Vec<Kept>>,
    turns: Semaphore,
}

impl HeldConnections {
    /// Connections for the writer beside `pool`'s: a quarter of its size, 1 to 8.
    pub(crate) fn beside(pool: &PgPool) -> Arc<Self> {
        let size = (pool.options().get_max_connections() / 4).clamp(1, 8) as usize;
        Arc::new(Self { pool: pool.clone(), idle: Mutex::new(Vec::with_capacity(size)), turns: Semaphore::new(size) })
    }

    /// Runs `statement` on a kept connection (opening one when none is idle).
    pub(crate) async fn execute(&self, statement: Statement) -> Result<(), DbErr> {
        let _turn =
            self.turns.acquire().await.map_err(|_| DbErr::Custom("the writer's connections are closed".into()))?;
        let mut kept = self.take().await?;
        // Taken, not cloned: a unit's values hold whole answers.
        let values = statement.values.unwrap_or(sea_orm::Values(Vec::new()));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(statement.sql.as_str()), SqlxValues(values));
        let result = query.execute(&mut kept.conn).await;
        kept.used = Instant::now();
        match result {
            Ok(_) => {
                self.put_back(kept);
                Ok(())
            }
            Err(e) => {
                if leaves_it_usable(&e) {
                    self.put_back(kept);
                }
                Err(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))))
            }
        }
    }

    /// An idle connection known to work, or a new one from the pool.
    async fn take(&self) -> Result<Kept, DbErr> {
        loop {
            let Some(mut kept) = self.lock().pop() else { break };
            if kept.opened.elapsed() > LIFETIME {
                tokio::spawn(kept.conn.close());
                continue;
            }
            if kept.used.elapsed() > PING_IF_IDLE && kept.conn.ping().await.is_err() {
                continue; // The server hung up: dropped, not closed politely.
            }
            return Ok(kept);
        }
        let conn = self.pool.acquire().await.map_err(acquire_error)?.detach();
        let now = Instant::now();
        Ok(Kept { conn, opened: now, used: now })
    }

    fn put_back(&self, kept: Kept) {
        self.lock().push(kept);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Kept>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a connection is fit for the next statement after `e`: a statement's error (a
/// constraint, a type) is; a fatal one (the server terminating the session says so before it
/// hangs up) or any failure of the connection itself is not.
fn leaves_it_usable(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = e else { return false };
    e.try_downcast_ref::<PgDatabaseError>().is_some_and(|pg| pg.severity() == PgSeverity::Error)
}

/// The pool's errors as sea-orm reports them for its own acquires.
fn acquire_error(e: sqlx::Error) -> DbErr {
    match e {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
    }
}
