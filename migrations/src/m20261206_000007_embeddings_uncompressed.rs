//! `embeddings.embedding` is stored out of line without compression on PostgreSQL. Each row is
//! a pickled vector of about 14 KB: past TOAST's threshold, so PostgreSQL tried to compress
//! every one with pglz, which gains little on floats and took 43 % of the machine's CPU while
//! a high-quality dataset indexed. The column's type is unchanged: Dify reads it as before.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        storage(manager, "EXTERNAL").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        storage(manager, "EXTENDED").await
    }
}

async fn storage(manager: &SchemaManager<'_>, how: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute_unprepared(&format!("ALTER TABLE embeddings ALTER COLUMN embedding SET STORAGE {how}")).await?;
    Ok(())
}
