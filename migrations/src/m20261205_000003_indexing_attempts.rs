//! `document_indexing_attempts`: how many times indexing of a document started without
//! finishing (dify-rs's own table, so Dify's `documents` stays as Dify wrote it).
//!
//! A row is written (or counted up) before a run does any work and removed when the run ends
//! either way, so a row that survives names a document whose runs keep dying with their
//! process; after `INDEXING_MAX_ATTEMPTS` of them the document is given up as `error`.

use sea_orm_migration::prelude::*;

use crate::schema::{int, timestamp, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "document_indexing_attempts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(uuid("document_id").not_null().primary_key())
                    .col(int("attempts").not_null())
                    .col(timestamp("updated_at").not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TABLE).if_exists().to_owned()).await
    }
}
