//! The hot-write path on the backend of the run: a unit's writes commit together or not at
//! all (one statement on PostgreSQL, a shared transaction on SQLite), and a unit that breaks
//! fails alone among concurrent ones.

use infra::group_write::GroupWriter;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SubQueryStatement};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use test_support::{TestEnv, services_mode};

async fn table(db: &DatabaseConnection) {
    db.execute_unprepared("CREATE TABLE gw (id BIGINT PRIMARY KEY, v TEXT NOT NULL)").await.expect("create");
}

fn insert(id: i64, v: Option<&str>) -> SubQueryStatement {
    Query::insert().into_table("gw").columns(["id", "v"]).values_panic([id.into(), v.into()]).to_owned().into()
}

fn update(id: i64, v: &str) -> SubQueryStatement {
    Query::update().table("gw").value("v", v).and_where(Expr::col("id").eq(id)).to_owned().into()
}

fn delete(id: i64) -> SubQueryStatement {
    Query::delete().from_table("gw").and_where(Expr::col("id").eq(id)).to_owned().into()
}

async fn rows(db: &DatabaseConnection) -> Vec<(i64, String)> {
    let sql = Statement::from_string(db.get_database_backend(), "SELECT id, v FROM gw ORDER BY id");
    let rows = db.query_all_raw(sql).await.expect("select");
    rows.iter().map(|r| (r.try_get("", "id").expect("id"), r.try_get("", "v").expect("v"))).collect()
}

#[tokio::test]
async fn a_unit_commits_all_its_writes_or_none() {
    let env = TestEnv::new().await;
    let db = &env.infra.db;
    table(db).await;
    let writes = &env.infra.writes;
    writes.write(vec![insert(1, Some("a")), insert(2, Some("b")), insert(3, Some("c"))]).await.expect("inserts");
    // An insert, an update and a delete of other rows, together.
    writes.write(vec![insert(4, Some("d")), update(1, "A"), delete(2)]).await.expect("mixed unit");
    assert_eq!(rows(db).await, [(1, "A".into()), (3, "c".into()), (4, "d".into())]);
    // The last write breaks (NOT NULL): the update and insert before it are not kept either.
    let broken = writes.write(vec![update(3, "C"), insert(5, Some("e")), insert(6, None)]).await;
    assert!(broken.is_err(), "{broken:?}");
    // The first write breaks (duplicate key): the rest is not kept.
    let broken = writes.write(vec![insert(1, Some("x")), insert(7, Some("g"))]).await;
    assert!(broken.is_err(), "{broken:?}");
    assert_eq!(rows(db).await, [(1, "A".into()), (3, "c".into()), (4, "d".into())]);
    writes.write(Vec::new()).await.expect("an empty unit writes nothing");
    // The broken units left the writer's connection fit for the next.
    writes.write(vec![insert(8, Some("h"))]).await.expect("a write after the broken ones");
    assert_eq!(rows(db).await.last(), Some(&(8, "h".into())));
}

/// A caller that gives up while its unit waits (a client that left) costs nobody else: the
/// writes after it commit, on PostgreSQL on a connection in a known state.
#[tokio::test]
async fn a_write_given_up_midway_leaves_the_next_ones_whole() {
    let env = TestEnv::new().await;
    let db = &env.infra.db;
    table(db).await;
    let writes = &env.infra.writes;
    writes.write(vec![insert(1, Some("a"))]).await.expect("first");
    // Another transaction holds the table, so the next unit waits inside its statement.
    let holder = db.begin().await.expect("begin");
    let hold = match db.get_database_backend() {
        DbBackend::Postgres => "LOCK TABLE gw IN SHARE MODE",
        _ => "UPDATE gw SET v = v WHERE 0",
    };
    holder.execute_unprepared(hold).await.expect("hold the table");
    let given_up = tokio::time::timeout(Duration::from_millis(300), writes.write(vec![update(1, "late")])).await;
    assert!(given_up.is_err(), "the unit waited for the table");
    holder.commit().await.expect("release");
    for id in 2..6 {
        writes.write(vec![insert(id, Some("b"))]).await.expect("a later write");
    }
    let ids: Vec<i64> = rows(db).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
}

/// PostgreSQL: the writer keeps its connections out of the pool. When the server drops them
/// (a restart, an idle timeout), at most the one write that finds a dead connection fails; the
/// writer does not keep it.
#[tokio::test]
async fn the_writer_lets_go_of_a_connection_the_server_dropped() {
    if !services_mode() {
        return; // SQLite has no server to drop a connection.
    }
    let env = TestEnv::new().await;
    let db = &env.infra.db;
    table(db).await;
    let writes = &env.infra.writes;
    writes.write(vec![insert(1, Some("a"))]).await.expect("first");
    // The writer's connection is the one whose last statement was that insert.
    let kill = Statement::from_string(
        DbBackend::Postgres,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'INSERT INTO \"gw\"%'",
    );
    let killed = db.query_all_raw(kill).await.expect("terminate the writer's connection");
    assert_eq!(killed.len(), 1, "the writer wrote on one connection");
    let mut failed = 0;
    for id in 2..6 {
        if writes.write(vec![insert(id, Some("b"))]).await.is_err() {
            failed += 1;
        }
    }
    assert!(failed <= 1, "{failed} writes failed after the server dropped the writer's connection");
    let count = rows(db).await.len();
    assert_eq!(count, 5 - failed, "every write that answered Ok is kept");
}

/// Concurrent units all commit; a unit that breaks (NULL into NOT NULL) fails alone and
/// leaves nothing half-written, while its neighbours (on SQLite, in the same group) commit.
#[tokio::test]
async fn units_commit_together_and_a_bad_one_fails_alone() {
    let env = TestEnv::new().await;
    let db = &env.infra.db;
    table(db).await;
    let writer: GroupWriter = env.infra.writes.clone();
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
    let ids: Vec<i64> = rows(db).await.into_iter().map(|(id, _)| id).collect();
    let expected: Vec<i64> = (0..80).filter(|i| *i != 14 && *i != 15).collect();
    assert_eq!(ids, expected);
}
