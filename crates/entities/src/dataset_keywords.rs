//! dify-rs's own table: an economy dataset's keyword index, one row per keyword and segment
//! (node id). Dify's JSON in `dataset_keyword_tables` is written from these rows.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dataset_keywords")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub keyword: String,
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub node_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
