//! `dataset_keyword_sync.pairs`: how many keyword rows the dataset has, kept with each change,
//! so deciding whether its JSON is small enough to rewrite at once is one primary-key read
//! (counting, or skipping 5,000 rows, cost more as the table grew).

use sea_orm_migration::prelude::*;

use crate::schema::bigint;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SYNC: &str = "dataset_keyword_sync";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !manager.has_column(SYNC, "pairs").await? {
            manager
                .alter_table(Table::alter().table(SYNC).add_column(bigint("pairs").not_null().default(0)).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE dataset_keyword_sync SET pairs = \
                 (SELECT COUNT(*) FROM dataset_keywords k WHERE k.dataset_id = dataset_keyword_sync.dataset_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(SYNC).drop_column("pairs").to_owned()).await
    }
}
