//! Direct looks at what a test's database holds.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// How many rows `table` holds (a table name the test chose, never user input).
pub async fn row_count(db: &DatabaseConnection, table: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, format!("SELECT count(*) AS n FROM {table}")))
        .await
        .expect("count rows")
        .expect("a count");
    row.try_get::<i64>("", "n").expect("n")
}
