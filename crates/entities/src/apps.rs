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
    pub mode: AppMode,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub app_model_config_id: Option<Uuid>,
    pub status: crate::kinds::RowStatus,
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

/// An app's (and its conversations') `mode`, as Dify writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum AppMode {
    #[sea_orm(string_value = "chat")]
    Chat,
    #[sea_orm(string_value = "completion")]
    Completion,
}

impl AppMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AppMode::Chat => "chat",
            AppMode::Completion => "completion",
        }
    }
}

impl std::str::FromStr for AppMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "chat" => Ok(AppMode::Chat),
            "completion" => Ok(AppMode::Completion),
            other => Err(format!("{other} is not an app mode")),
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
