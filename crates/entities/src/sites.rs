//! The public web app of an app: access code, branding and token strategy.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub title: String,
    pub icon: Option<String>,
    pub icon_background: Option<String>,
    pub description: Option<String>,
    pub default_language: String,
    pub copyright: Option<String>,
    pub privacy_policy: Option<String>,
    pub customize_domain: Option<String>,
    pub customize_token_strategy: String,
    pub prompt_public: bool,
    pub status: crate::kinds::RowStatus,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
