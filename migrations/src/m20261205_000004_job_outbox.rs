//! `job_outbox`: jobs written in the same transaction as the rows they act on, until the
//! queue has them (dify-rs's own table; see `infra::outbox`).
//!
//! With a broker a row lives from its commit until the broker confirms the publish. With the
//! in-process queue it lives until the job is done, so a restart finds every job it lost.

use sea_orm_migration::prelude::*;

use crate::schema::{text, timestamp, uuid, varchar};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "job_outbox";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .if_not_exists()
                    .col(uuid("id").not_null().primary_key())
                    .col(varchar("queue", 40).not_null())
                    .col(text("payload").not_null())
                    .col(timestamp("created_at").not_null())
                    .col(timestamp("claimed_until").not_null())
                    .to_owned(),
            )
            .await?;
        // The relay's one query: rows whose claim ran out, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("job_outbox_claimed_until_idx")
                    .table(TABLE)
                    .col("claimed_until")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TABLE).if_exists().to_owned()).await
    }
}
