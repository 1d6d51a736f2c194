//! Group commit for the hot writes (a chat's rows before and after the model call). SQLite
//! takes one writer at a time: concurrent transactions otherwise queue on its lock, each
//! waking, failing to get it and sleeping in the busy handler. Here one task writes for the
//! whole process, committing every unit that arrived while the previous commit ran in one
//! transaction. A unit is a list of statements that must commit together; if a grouped commit
//! fails, each unit is retried in a transaction of its own, so one bad unit fails only itself.
//!
//! PostgreSQL runs writers side by side, so there each unit is written on the caller's task as
//! one statement: all but the last of its writes become data-modifying `WITH` queries of the
//! last. One statement is atomic on its own, so the unit costs one round trip instead of
//! `BEGIN`, each write and `COMMIT`. It runs on a connection the writer keeps out of the pool
//! ([`crate::held_connections`]), which spares it the pool's test of each released connection.
//! One code path, two strategies.

use std::borrow::Borrow;

use sea_orm::sea_query::{Alias, CommonTableExpression, SubQueryStatement, WithClause};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::held_connections::HeldConnections;

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
    backend: DbBackend,
    how: How,
}

#[derive(Clone)]
enum How {
    /// SQLite: the writer task's inbox.
    Grouped(mpsc::Sender<Unit>),
    /// PostgreSQL: each unit as one statement on the writer's own connections (and the pool,
    /// for [`GroupWriter::write_unbounded`]).
    OneStatement(std::sync::Arc<HeldConnections>, DatabaseConnection),
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").field("backend", &self.backend).finish()
    }
}

impl GroupWriter {
    /// A writer on `db`; on SQLite it starts its task on the current Tokio runtime.
    pub fn new(db: DatabaseConnection) -> Self {
        let backend = db.get_database_backend();
        let how = if backend == DbBackend::Postgres {
            How::OneStatement(HeldConnections::beside(db.get_postgres_connection_pool()), db)
        } else {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(db, rx));
            How::Grouped(tx)
        };
        Self { backend, how }
    }

    /// The backend statements are built for.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Commits the writes of `unit` (INSERT, UPDATE or DELETE) together, returning once they
    /// are committed (or failed). On PostgreSQL they run as one statement on one snapshot: a
    /// write of the unit must not read what another writes, nor change the same row.
    pub async fn write(&self, unit: Vec<SubQueryStatement>) -> Result<(), DbErr> {
        if unit.is_empty() {
            return Ok(());
        }
        let backend = self.backend;
        let grouped = match &self.how {
            How::Grouped(inbox) => inbox,
            How::OneStatement(held, _) => {
                if let Some(one) = one_statement(backend, unit) {
                    held.execute(one).await?;
                }
                return Ok(());
            }
        };
        let statements = unit.iter().map(|w| build(backend, w)).collect();
        let (done, answer) = oneshot::channel();
        let stopped = || DbErr::Custom("the database writer has stopped".into());
        grouped.send(Unit { statements, done }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// [`write`](Self::write) for a unit whose size has no bound (a document's segments): on
    /// PostgreSQL, whose statements take at most 65,535 values, it is a transaction of its
    /// writes in order on a pooled connection instead of one statement. On SQLite it is a
    /// unit like any other.
    pub async fn write_unbounded(&self, unit: Vec<SubQueryStatement>) -> Result<(), DbErr> {
        match &self.how {
            How::OneStatement(_, db) => {
                let statements: Vec<Statement> = unit.iter().map(|w| build(self.backend, w)).collect();
                match statements.is_empty() {
                    true => Ok(()),
                    false => commit(db, &statements).await,
                }
            }
            How::Grouped(_) => self.write(unit).await,
        }
    }
}

/// A write as `backend`'s SQL.
fn build(backend: DbBackend, write: &SubQueryStatement) -> Statement {
    match write {
        SubQueryStatement::InsertStatement(q) => backend.build(q),
        SubQueryStatement::UpdateStatement(q) => backend.build(q),
        SubQueryStatement::DeleteStatement(q) => backend.build(q),
        SubQueryStatement::SelectStatement(q) => backend.build(q),
        SubQueryStatement::WithStatement(q) => backend.build(q),
    }
}

/// The unit as one statement: `WITH w0 AS (first), w1 AS (second) last` (PostgreSQL runs
/// every data-modifying `WITH` query once, whether or not it is referenced). `None` for an
/// empty unit.
fn one_statement(backend: DbBackend, mut unit: Vec<SubQueryStatement>) -> Option<Statement> {
    let last = unit.pop()?;
    if unit.is_empty() {
        return Some(build(backend, &last));
    }
    let mut with = WithClause::new();
    for (i, write) in unit.into_iter().enumerate() {
        with.cte(CommonTableExpression::new().table_name(Alias::new(format!("w{i}"))).query(write).to_owned());
    }
    Some(backend.build(&with.query(last)))
}

/// One transaction for `statements` (one statement needs none). Each is copied once, to be
/// executed: a unit's own stay for its retry on its own.
async fn commit<S: Borrow<Statement> + Sync>(db: &DatabaseConnection, statements: &[S]) -> Result<(), DbErr> {
    if let [one] = statements {
        db.execute_raw(one.borrow().clone()).await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    for s in statements {
        txn.execute_raw(s.borrow().clone()).await?;
    }
    txn.commit().await
}

/// The SQLite writer: takes what has arrived, commits it as one, answers each unit.
async fn run(db: DatabaseConnection, mut inbox: mpsc::Receiver<Unit>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while inbox.recv_many(&mut group, MAX_GROUP).await > 0 {
        let all: Vec<&Statement> = group.iter().flat_map(|u| &u.statements).collect();
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
    use sea_orm::sea_query::{Expr, ExprTrait, Query};

    fn insert(id: i64, v: &str) -> SubQueryStatement {
        Query::insert().into_table("t").columns(["id", "v"]).values_panic([id.into(), v.into()]).to_owned().into()
    }

    /// On PostgreSQL a unit is one statement whose binds are numbered across its writes.
    #[test]
    fn a_unit_is_one_statement_with_its_writes_as_with_queries() {
        let update = Query::update().table("t").value("v", "c").and_where(Expr::col("id").eq(1)).to_owned().into();
        let unit = vec![insert(2, "b"), insert(3, "d"), update];
        let one = one_statement(DbBackend::Postgres, unit).expect("a statement");
        assert_eq!(
            one.sql,
            r#"WITH "w0" AS (INSERT INTO "t" ("id", "v") VALUES ($1, $2)) , "w1" AS (INSERT INTO "t" ("id", "v") VALUES ($3, $4)) UPDATE "t" SET "v" = $5 WHERE "id" = $6"#
        );
        assert_eq!(one.values.expect("values").0.len(), 6);
        let single = one_statement(DbBackend::Postgres, vec![insert(1, "a")]).expect("a statement");
        assert_eq!(single.sql, r#"INSERT INTO "t" ("id", "v") VALUES ($1, $2)"#);
        assert!(one_statement(DbBackend::Postgres, Vec::new()).is_none());
    }
}
