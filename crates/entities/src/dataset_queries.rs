//! Queries run against a dataset, from apps or hit testing.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dataset_queries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub source: QuerySource,
    pub source_app_id: Option<Uuid>,
    pub created_by_role: crate::kinds::CreatorRole,
    pub created_by: Uuid,
    pub created_at: DateTime,
}

/// Where a dataset was queried from: a chat's retrieval or the console's hit testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum QuerySource {
    #[sea_orm(string_value = "app")]
    App,
    #[sea_orm(string_value = "hit_testing")]
    HitTesting,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
