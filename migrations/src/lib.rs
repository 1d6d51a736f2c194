//! dify-rs's database schema: Dify 0.3.23's tables on PostgreSQL or SQLite, plus our
//! own additions, applied with sea-orm-migration.
//!
//! Call [`upgrade`] at start-up or from `admin db upgrade`; it also adopts a database
//! that Dify itself created at Alembic head `6e2cfb077b04`.

mod adopt;
mod m20230913_000001_dify_schema;
mod m20230913_000002_hot_indexes;
mod m20261205_000003_indexing_attempts;
mod m20261205_000004_job_outbox;
mod m20261206_000005_keyword_index;
mod m20261206_000006_keyword_counts;
mod m20261206_000007_embeddings_uncompressed;
mod schema;

pub use m20230913_000001_dify_schema::Migration as DifySchema;
pub use m20230913_000002_hot_indexes::Migration as HotIndexes;
pub use m20261205_000003_indexing_attempts::Migration as IndexingAttempts;
pub use m20261205_000004_job_outbox::Migration as JobOutbox;
pub use m20261206_000005_keyword_index::Migration as KeywordIndex;
pub use m20261206_000006_keyword_counts::Migration as KeywordCounts;
pub use m20261206_000007_embeddings_uncompressed::Migration as EmbeddingsUncompressed;
pub use sea_orm_migration::MigratorTrait;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use sea_orm_migration::{IntoSchemaManagerConnection, MigrationName, MigrationTrait};

/// The Alembic revision (Dify 0.3.23) whose schema our first migration reproduces.
pub const ADOPTABLE_ALEMBIC_REVISION: &str = "6e2cfb077b04";

/// All migrations, oldest first.
#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(DifySchema),
            Box::new(HotIndexes),
            Box::new(IndexingAttempts),
            Box::new(JobOutbox),
            Box::new(KeywordIndex),
            Box::new(KeywordCounts),
            Box::new(EmbeddingsUncompressed),
        ]
    }
}

/// The most characters each `varchar(n)` column holds, by `(table, column)`, read from the
/// schema's own DDL: what a write must be checked against so that SQLite (which does not
/// enforce lengths) and PostgreSQL give the same answer.
pub fn column_limits() -> &'static std::collections::HashMap<(String, String), u32> {
    use sea_orm_migration::prelude::{ColumnType, StringLen};
    static LIMITS: std::sync::LazyLock<std::collections::HashMap<(String, String), u32>> =
        std::sync::LazyLock::new(|| {
            let cx = schema::Cx::new(DbBackend::Postgres);
            let mut limits = std::collections::HashMap::new();
            for spec in schema::tables(&cx) {
                for col in spec.create.get_columns() {
                    if let Some(ColumnType::String(StringLen::N(n))) = col.get_column_type() {
                        limits.insert((spec.name.to_owned(), col.get_column_name()), *n);
                    }
                }
            }
            limits
        });
    &LIMITS
}

/// What one [`upgrade`] call did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpgradeReport {
    /// Names of the migrations this call applied or adopted, oldest first.
    pub applied: Vec<String>,
    /// True when this call took over a schema created by Dify's Alembic migrations.
    pub adopted_from_alembic: bool,
    /// What the operator should fix (e.g. accounts sharing an email), not fatal.
    pub warnings: Vec<String>,
}

/// Brings the database up to date; safe to call on every start.
///
/// On PostgreSQL the whole upgrade runs in one transaction under an advisory lock, so
/// replicas starting together neither race nor leave a half-applied schema.
pub async fn upgrade(db: &DatabaseConnection) -> Result<UpgradeReport, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({UPGRADE_LOCK_KEY})")).await?;
            let adopted = adopt::adopt_alembic_schema(&txn).await?;
            let mut report = apply_pending(&txn, adopted).await?;
            report.warnings.extend(unique_emails(&txn).await?);
            txn.commit().await?;
            Ok(report)
        }
        _ => {
            let mut report = apply_pending(db, false).await?;
            report.warnings.extend(unique_emails(db).await?);
            Ok(report)
        }
    }
}

/// The unique index that keeps one account per email (case-insensitively) under any
/// concurrency. Dify never had one, so a database it wrote may hold duplicates: then the
/// index is not created and the duplicates are reported instead, on every upgrade until
/// they are resolved.
async fn unique_emails<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT lower(email) AS email FROM accounts GROUP BY lower(email) HAVING count(*) > 1 ORDER BY 1",
        ))
        .await?;
    let shared: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String>("", "email").ok()).collect();
    if shared.is_empty() {
        db.execute_unprepared(&format!("CREATE UNIQUE INDEX IF NOT EXISTS {EMAIL_INDEX} ON accounts (lower(email))"))
            .await?;
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "{} email address(es) belong to more than one account ({}); the unique index {EMAIL_INDEX} was not \
         created, so two invitations at once could add another. Merge or rename those accounts, then run \
         `admin db upgrade` again.",
        shared.len(),
        shared.join(", ")
    )])
}

/// One account per email, case-insensitively.
pub const EMAIL_INDEX: &str = "account_email_lower_key";

/// Names of the migrations not yet applied, oldest first.
pub async fn pending(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    pending_on(db).await
}

/// Arbitrary, fixed key of the advisory lock that serialises upgrades.
const UPGRADE_LOCK_KEY: i64 = 0x6469_6679_7273; // "difyrs"

async fn apply_pending<'c, C>(db: &'c C, adopted: bool) -> Result<UpgradeReport, DbErr>
where
    C: ConnectionTrait,
    &'c C: IntoSchemaManagerConnection<'c>,
{
    let mut applied = Vec::new();
    if adopted {
        applied.push(DifySchema.name().to_owned());
    }
    let pending = pending_on(db).await?;
    Migrator::up(db, None).await?;
    applied.extend(pending);
    Ok(UpgradeReport { applied, adopted_from_alembic: adopted, warnings: Vec::new() })
}

async fn pending_on<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations_read_only(db).await?.iter().map(|m| m.name().to_owned()).collect())
}
