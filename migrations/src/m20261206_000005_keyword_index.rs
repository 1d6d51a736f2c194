//! The keyword index of economy datasets, kept row by row (dify-rs's own tables) so a change
//! costs what it adds or removes, not the size of the dataset:
//!
//! - `dataset_keywords`: one row per (dataset, keyword, segment node id); searched with one
//!   indexed query.
//! - `dataset_keyword_sync`: per dataset, how many changes the rows have seen (`changes`) and up
//!   to which change Dify's JSON in `dataset_keyword_tables` was rewritten from them
//!   (`written`). Its presence also says the dataset's JSON (if Python Dify wrote one) was
//!   imported into the rows.

use sea_orm_migration::prelude::*;

use crate::schema::{bigint, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

const KEYWORDS: &str = "dataset_keywords";
const SYNC: &str = "dataset_keyword_sync";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KEYWORDS)
                    .if_not_exists()
                    .col(uuid("dataset_id").not_null())
                    .col(text("keyword").not_null())
                    .col(text("node_id").not_null())
                    .primary_key(Index::create().col("dataset_id").col("keyword").col("node_id"))
                    .to_owned(),
            )
            .await?;
        // Removing a segment's keywords finds its rows by node id.
        manager
            .create_index(
                Index::create()
                    .name("dataset_keywords_node_idx")
                    .table(KEYWORDS)
                    .col("dataset_id")
                    .col("node_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SYNC)
                    .if_not_exists()
                    .col(uuid("dataset_id").not_null().primary_key())
                    .col(bigint("changes").not_null())
                    .col(bigint("written").not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SYNC).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(KEYWORDS).if_exists().to_owned()).await
    }
}
