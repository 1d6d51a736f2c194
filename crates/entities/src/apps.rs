//! Apps (chat or completion), their publishing switches and API rate limits.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub mode: String,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub app_model_config_id: Option<Uuid>,
    pub status: String,
    pub enable_site: bool,
    pub enable_api: bool,
    pub api_rpm: i32,
    pub api_rph: i32,
    pub is_demo: bool,
    pub is_public: bool,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub is_universal: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
