//! Dataset segments quoted as sources in an answer.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dataset_retriever_resources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub message_id: Uuid,
    pub position: i32,
    pub dataset_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub dataset_name: String,
    pub document_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub document_name: String,
    #[sea_orm(column_type = "Text")]
    pub data_source_type: crate::kinds::DataSourceType,
    pub segment_id: Uuid,
    pub score: Option<f64>,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub hit_count: Option<i32>,
    pub word_count: Option<i32>,
    pub segment_position: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub index_node_hash: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub retriever_from: String,
    pub created_by: Uuid,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
