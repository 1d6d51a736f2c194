//! Creates Dify's whole schema as it stands at Alembic revision `6e2cfb077b04`
//! (Dify 0.3.23), minus Celery's result tables, which dify-rs has no use for.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use crate::schema::{self, Cx};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        if backend == DbBackend::Postgres {
            // Source of the `uuid_generate_v4()` id defaults, as in Dify's first revision.
            manager.get_connection().execute_unprepared(r#"CREATE EXTENSION IF NOT EXISTS "uuid-ossp""#).await?;
        }
        for table in schema::tables(&Cx::new(backend)) {
            manager.create_table(table.create).await?;
            for index in table.indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The uuid-ossp extension stays: other schemas in the database may rely on it.
        for table in schema::tables(&Cx::new(manager.get_database_backend())).into_iter().rev() {
            manager.drop_table(Table::drop().table(table.name).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
