//! Group commit for the hot writes (a chat's rows before and after the model call). SQLite
//! takes one writer at a time: concurrent transactions otherwise queue on its lock, each
//! waking, failing to get it and sleeping in the busy handler. Here one task writes for the
//! whole process, committing every unit that arrived while the previous commit ran in one
//! transaction. A unit is a list of statements that must commit together; if a grouped commit
//! fails, each unit is retried in a transaction of its own, so one bad unit fails only itself.
//!
//! PostgreSQL runs writers side by side, so there each unit is simply its own transaction on
//! the caller's task: one code path, two strategies.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

/// Units committed together at most (bounds one transaction's size and a unit's wait).
const MAX_GROUP: usize = 64;

/// Units waiting for the writer before callers wait to hand theirs over.
const QUEUE: usize = 1024;

struct Unit {
    statements: Vec<Statement>,
    done: oneshot::Sender<Result<(), DbErr>>,
}

/// Writes units of statements, grouped into shared commits on SQLite. Cheap to clone.
#[derive(Clone)]
pub struct GroupWriter {
    db: DatabaseConnection,
    /// The SQLite writer task's inbox; `None` on PostgreSQL.
    grouped: Option<mpsc::Sender<Unit>>,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").field("grouped", &self.grouped.is_some()).finish()
    }
}

impl GroupWriter {
    /// A writer on `db`; on SQLite it starts its task on the current Tokio runtime.
    pub fn new(db: DatabaseConnection) -> Self {
        let grouped = (db.get_database_backend() == DbBackend::Sqlite).then(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(db.clone(), rx));
            tx
        });
        Self { db, grouped }
    }

    /// The backend statements are built for.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Commits `statements` together, returning once they are committed (or failed).
    pub async fn write(&self, statements: Vec<Statement>) -> Result<(), DbErr> {
        let Some(grouped) = &self.grouped else { return commit(&self.db, &statements).await };
        let (done, answer) = oneshot::channel();
        let stopped = || DbErr::Custom("the database writer has stopped".into());
        grouped.send(Unit { statements, done }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// One transaction for `statements` (one statement needs none).
async fn commit(db: &DatabaseConnection, statements: &[Statement]) -> Result<(), DbErr> {
    if let [one] = statements {
        db.execute_raw(one.clone()).await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    for s in statements {
        txn.execute_raw(s.clone()).await?;
    }
    txn.commit().await
}

/// The SQLite writer: takes what has arrived, commits it as one, answers each unit.
async fn run(db: DatabaseConnection, mut inbox: mpsc::Receiver<Unit>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while inbox.recv_many(&mut group, MAX_GROUP).await > 0 {
        let all: Vec<Statement> = group.iter().flat_map(|u| u.statements.iter().cloned()).collect();
        match commit(&db, &all).await {
            Ok(()) => {
                for unit in group.drain(..) {
                    let _ = unit.done.send(Ok(()));
                }
            }
            Err(e) if group.len() == 1 => {
                let _ = group.remove(0).done.send(Err(e));
            }
            Err(_) => {
                // Someone's unit broke the group: each on its own, so only that one fails.
                for unit in group.drain(..) {
                    let result = commit(&db, &unit.statements).await;
                    let _ = unit.done.send(result);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn table(dir: &tempfile::TempDir) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::db::connect(&url, 3).await.expect("connect");
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)").await.expect("create");
        db
    }

    fn insert(id: i64, v: Option<&str>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, "INSERT INTO t (id, v) VALUES (?, ?)", [id.into(), v.into()])
    }

    async fn ids(db: &DatabaseConnection) -> Vec<i64> {
        let rows = db
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT id FROM t ORDER BY id"))
            .await
            .expect("select");
        rows.iter().map(|r| r.try_get::<i64>("", "id").expect("id")).collect()
    }

    /// Concurrent units all commit; a unit that breaks (NULL into NOT NULL) fails alone and
    /// leaves nothing half-written, while its neighbours in the same group commit.
    #[tokio::test]
    async fn units_commit_together_and_a_bad_one_fails_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = table(&dir).await;
        let writer = GroupWriter::new(db.clone());
        let mut tasks = Vec::new();
        for id in 0..40 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let bad = id == 7;
                let unit = vec![insert(id * 2, Some("a")), insert(id * 2 + 1, (!bad).then_some("b"))];
                (id, writer.write(unit).await)
            }));
        }
        for task in tasks {
            let (id, result) = task.await.expect("join");
            assert_eq!(result.is_err(), id == 7, "unit {id}: {result:?}");
        }
        let expected: Vec<i64> = (0..80).filter(|i| *i != 14 && *i != 15).collect();
        assert_eq!(ids(&db).await, expected);
    }
}
