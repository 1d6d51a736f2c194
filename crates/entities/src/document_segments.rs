//! Chunks of a document as indexed, with keywords and index node ids.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "document_segments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub dataset_id: Uuid,
    pub document_id: Uuid,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub word_count: i32,
    pub tokens: i32,
    pub keywords: Option<Json>,
    pub index_node_id: Option<String>,
    pub index_node_hash: Option<String>,
    pub hit_count: i32,
    pub enabled: bool,
    pub disabled_at: Option<DateTime>,
    pub disabled_by: Option<Uuid>,
    pub status: SegmentStatus,
    pub created_by: Uuid,
    pub created_at: DateTime,
    pub indexing_at: Option<DateTime>,
    pub completed_at: Option<DateTime>,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub stopped_at: Option<DateTime>,
    #[sea_orm(column_type = "Text")]
    pub answer: Option<String>,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime,
}

/// Where a segment is in indexing, as Dify writes `document_segments.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum SegmentStatus {
    #[sea_orm(string_value = "waiting")]
    Waiting,
    #[sea_orm(string_value = "indexing")]
    Indexing,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "error")]
    Error,
    /// Left by a re-process until the new segments replace it; never listed or counted.
    #[sea_orm(string_value = "re_segment")]
    ReSegment,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
