//! Taking over a PostgreSQL database that Dify created with its Alembic migrations.
//!
//! Our first migration builds exactly Dify's schema at one Alembic revision, so a
//! database at that revision only needs the migration recorded as applied.

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use sea_orm_migration::prelude::{Query, SimpleExpr};
use sea_orm_migration::{MigrationName, MigratorTrait};

use crate::{ADOPTABLE_ALEMBIC_REVISION, DifySchema, Migrator};

#[derive(FromQueryResult)]
struct AlembicRow {
    version_num: String,
}

/// Records our schema migration as applied when Dify's `alembic_version` says the
/// schema is already there. Returns whether it recorded it now; errors on any other
/// Alembic revision, whose schema we would not match.
pub(crate) async fn adopt_alembic_schema<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    let Some(revision) = alembic_revision(db).await? else {
        return Ok(false);
    };
    if revision != ADOPTABLE_ALEMBIC_REVISION {
        return Err(DbErr::Custom(format!(
            "database was created by Dify at Alembic revision {revision}; dify-rs adopts \
             only revision {ADOPTABLE_ALEMBIC_REVISION} (Dify 0.3.23): run Dify's own \
             migrations to that revision first"
        )));
    }

    let schema_migration = DifySchema.name();
    let already = Migrator::get_applied_migrations(db).await?.iter().any(|m| m.name() == schema_migration);
    if already {
        return Ok(false);
    }
    record_applied(db, schema_migration).await?;
    tracing::info!(
        revision = %revision,
        migration = schema_migration,
        "adopted a schema created by Dify's Alembic migrations"
    );
    Ok(true)
}

/// The single revision in `alembic_version`, or `None` when Alembic never ran here.
async fn alembic_revision<C: ConnectionTrait>(db: &C) -> Result<Option<String>, DbErr> {
    let backend = db.get_database_backend();
    let present = db
        .query_one_raw(Statement::from_string(backend, "SELECT to_regclass('alembic_version') IS NOT NULL AS present"))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false);
    if !present {
        return Ok(None);
    }
    let rows =
        AlembicRow::find_by_statement(Statement::from_string(backend, "SELECT version_num FROM alembic_version"))
            .all(db)
            .await?;
    match rows.as_slice() {
        [row] => Ok(Some(row.version_num.clone())),
        [] => Err(DbErr::Custom(
            "table alembic_version exists but is empty: the database was not fully \
             migrated by Dify, so dify-rs will not adopt it"
                .to_owned(),
        )),
        _ => Err(DbErr::Custom(format!(
            "alembic_version holds several revisions ({}); dify-rs adopts only a single \
             revision {ADOPTABLE_ALEMBIC_REVISION}",
            rows.iter().map(|r| r.version_num.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Writes the bookkeeping row sea-orm-migration itself writes after applying a
/// migration, creating its table first if needed.
async fn record_applied<C: ConnectionTrait>(db: &C, name: &str) -> Result<(), DbErr> {
    Migrator::install(db).await?;
    let applied_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| DbErr::Custom(format!("system clock before 1970: {e}")))?
        .as_secs();
    let applied_at = i64::try_from(applied_at).map_err(|e| DbErr::Custom(format!("system clock out of range: {e}")))?;
    let insert = Query::insert()
        .into_table(Migrator::migration_table_name())
        .columns(["version", "applied_at"])
        .values([SimpleExpr::from(name), SimpleExpr::from(applied_at)])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}
