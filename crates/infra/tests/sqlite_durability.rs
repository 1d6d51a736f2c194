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
