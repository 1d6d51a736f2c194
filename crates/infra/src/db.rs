//! Database connection: SQLite in embedded mode, PostgreSQL when scaled out.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::error::{InfraError, Result};

/// Opens a pool on `url`. Connection and acquire timeouts are short so a dead database
/// answers 503 quickly instead of hanging requests.
///
/// SQLite runs every connection in WAL mode with `synchronous=NORMAL`: a commit is not
/// fsynced, the WAL is at checkpoints. What that keeps: the file is never corrupted, and a
/// committed transaction survives the process crashing or being killed; a power loss or an
/// OS crash may roll back the transactions committed since the last checkpoint. It saves an
/// fsync per commit, which every write would otherwise wait for, one writer at a time.
///
/// Checkpoints run on a task of their own ([`checkpoints`]), not inside whichever commit
/// crossed SQLite's threshold: that commit was most often the single writer's
/// (`group_write`), and every write queued behind it waited for the copy and the fsyncs.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| InfraError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(max_connections.max(1))
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // A connection in use in the last seconds is handed out without a ping first: a ping
        // per acquire was a round trip per statement and per transaction. A connection the
        // server dropped meanwhile fails the one statement that finds it, and is discarded.
        .test_before_acquire_if_idle_for(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .pragma("wal_autocheckpoint", "0")
        })
        // Each acquire reports how long it waited, for `db_pool_acquire_seconds`.
        .map_sqlx_postgres_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace))
        .map_sqlx_sqlite_pool_opts(|o| o.acquire_time_level(log::LevelFilter::Trace));
    let db =
        Database::connect(opts).await.map_err(|e| InfraError::unavailable(kernel::config::redact(&e.to_string())))?;
    if db.get_database_backend() == DbBackend::Sqlite {
        tokio::spawn(checkpoints(db.clone()));
    }
    Ok(db)
}

/// How soon the next checkpoint runs after one that found new frames in the WAL, and after
/// one that found none. A burst of writes is copied to the database file as it goes, on
/// another connection than the writer's; an idle database costs one cheap query a second.
const CHECKPOINT_AFTER_WRITES: Duration = Duration::from_millis(100);
const CHECKPOINT_IDLE: Duration = Duration::from_secs(1);

/// SQLite's WAL checkpoints for the pool's database, until the pool closes: `PASSIVE`, so
/// they never wait for a writer or a reader, nor make one wait. The WAL is fsynced before each,
/// so since `synchronous=NORMAL` it also bounds what an OS crash can roll back to about a
/// second of commits (SQLite's own threshold waited for 1,000 pages, however long that took).
async fn checkpoints(db: DatabaseConnection) {
    use sea_orm::{ConnAcquireErr, ConnectionTrait, DbErr, Statement};
    let checkpoint = Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)");
    // Frames in the WAL at the last checkpoint: a change means writes since.
    let mut seen = 0i64;
    loop {
        let wait = match db.query_one_raw(checkpoint.clone()).await {
            Ok(Some(row)) => {
                let frames = row.try_get_by_index::<i64>(1).unwrap_or(0);
                let moved = frames != seen;
                seen = frames;
                if moved { CHECKPOINT_AFTER_WRITES } else { CHECKPOINT_IDLE }
            }
            Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)) => return,
            Ok(None) | Err(_) => CHECKPOINT_IDLE,
        };
        tokio::time::sleep(wait).await;
    }
}

/// The file path of a `sqlite://` URL, without its query.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Begins a transaction in which finding a row and making it when absent is one critical
/// section, for tables where Dify has no unique key to decide: on PostgreSQL an advisory lock
/// on `key` held until commit; on SQLite the database's write lock, taken up front by a
/// no-op write to `table` (a read first would fail as busy when a second writer upgrades,
/// instead of waiting its turn). Inside a caller's transaction this is a savepoint, and the
/// lock lasts until the outer commit.
pub async fn begin_critical<D: sea_orm::TransactionTrait>(
    db: &D,
    key: &str,
    table: &'static str,
) -> std::result::Result<D::Transaction, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let txn = db.begin().await?;
    match txn.get_database_backend() {
        DbBackend::Postgres => {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtext($1))",
                [key.into()],
            ))
            .await?;
        }
        backend => {
            txn.execute_raw(Statement::from_string(backend, format!("UPDATE {table} SET rowid = rowid WHERE 0")))
                .await?;
        }
    }
    Ok(txn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_path_strips_scheme_and_query() {
        assert_eq!(super::sqlite_path("sqlite://./data/dify.db?mode=rwc"), Some("./data/dify.db"));
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
        assert_eq!(super::sqlite_path("postgres://x/y"), None);
    }
}
