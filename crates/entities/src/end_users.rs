//! Anonymous web-app visitors and service-API users, keyed by session id.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "end_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub app_id: Option<Uuid>,
    pub r#type: EndUserType,
    pub external_user_id: Option<String>,
    pub name: Option<String>,
    pub is_anonymous: bool,
    pub session_id: String,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();

/// Who an end user is: a web-app visitor (`browser`) or a service-API caller's `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum EndUserType {
    #[sea_orm(string_value = "browser")]
    Browser,
    #[sea_orm(string_value = "service_api")]
    ServiceApi,
}
