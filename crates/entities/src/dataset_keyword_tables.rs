//! Per-dataset keyword index (JSON held as text) for economy indexing.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dataset_keyword_tables")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    /// JSON text: `{"__type__":"keyword_table","__data__":{..., "table": {keyword: [node ids]}}}`.
    #[sea_orm(column_type = "Text")]
    pub keyword_table: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
