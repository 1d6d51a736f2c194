//! Every pooled SQLite connection writes ahead (WAL) with `synchronous=NORMAL`, not only the
//! first: the PRAGMAs are per connection, so they are set as each one opens.

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

#[tokio::test]
async fn every_sqlite_connection_uses_wal_with_normal_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("dify.db").display());
    let db = infra::db::connect(&url, 3).await.expect("connect");
    // Three transactions at once hold three different connections.
    let txns = [db.begin().await.expect("a"), db.begin().await.expect("b"), db.begin().await.expect("c")];
    for txn in &txns {
        let pragma = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
        let sync = txn.query_one_raw(pragma("PRAGMA synchronous")).await.expect("query").expect("row");
        assert_eq!(sync.try_get_by_index::<i32>(0).expect("int"), 1, "NORMAL is 1");
        let mode = txn.query_one_raw(pragma("PRAGMA journal_mode")).await.expect("query").expect("row");
        assert_eq!(mode.try_get_by_index::<String>(0).expect("text"), "wal");
    }
}

/// Checkpoints run on the pool's own task, not inside the commit that crossed SQLite's
/// threshold (that commit was most often the single writer's): no connection checkpoints by
/// itself, and what was committed still reaches the database file, with no statement after it.
#[tokio::test]
async fn checkpoints_run_in_the_background_not_in_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dify.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = infra::db::connect(&url, 3).await.expect("connect");
    let txns = [db.begin().await.expect("a"), db.begin().await.expect("b")];
    for txn in &txns {
        let auto = Statement::from_string(db.get_database_backend(), "PRAGMA wal_autocheckpoint".to_owned());
        let row = txn.query_one_raw(auto).await.expect("query").expect("row");
        assert_eq!(row.try_get_by_index::<i32>(0).expect("int"), 0, "no commit checkpoints");
    }
    drop(txns);
    let sql = |s: &str| Statement::from_string(db.get_database_backend(), s.to_owned());
    db.execute_raw(sql("CREATE TABLE t (v BLOB)")).await.expect("create");
    let before = std::fs::metadata(&path).expect("db file").len();
    // 2,000 pages of 4 KB: twice SQLite's own threshold.
    for _ in 0..20 {
        let hundred = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) \
                       INSERT INTO t SELECT randomblob(4000) FROM n";
        db.execute_raw(sql(hundred)).await.expect("insert");
    }
    let mut after = before;
    for _ in 0..50 {
        after = std::fs::metadata(&path).expect("db file").len();
        if after >= before + 7_000_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(after >= before + 7_000_000, "the rows reached the database file: {before} → {after} bytes");
}
