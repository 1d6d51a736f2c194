//! Connected external data sources (Notion) and their pages.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "data_source_bindings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub access_token: String,
    pub provider: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub source_info: Json,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub disabled: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
