//! The explore catalogue: listed template apps per language.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "recommended_apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub description: Json,
    pub copyright: String,
    pub privacy_policy: String,
    pub category: String,
    pub position: i32,
    pub is_listed: bool,
    pub install_count: i32,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub language: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
