//! Uploaded files: storage key, size, type and who used them.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "upload_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub storage_type: String,
    pub key: String,
    pub name: String,
    pub size: i32,
    pub extension: String,
    pub mime_type: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime,
    pub used: bool,
    pub used_by: Option<Uuid>,
    pub used_at: Option<DateTime>,
    pub hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
