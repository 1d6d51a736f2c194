//! API keys, scoped to an app or to a dataset.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Option<Uuid>,
    pub dataset_id: Option<Uuid>,
    pub r#type: TokenType,
    pub token: String,
    pub last_used_at: Option<DateTime>,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();

/// What an API key opens: an app (`app-`) or a dataset (`ds-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    #[sea_orm(string_value = "app")]
    App,
    #[sea_orm(string_value = "dataset")]
    Dataset,
}
