//! Per-model credentials of a workspace for providers configured model by model.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "provider_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub provider_name: String,
    pub model_name: String,
    pub model_type: crate::kinds::ModelType,
    /// JSON text of credentials; secret fields encrypted with the tenant key.
    #[sea_orm(column_type = "Text")]
    pub encrypted_config: Option<String>,
    pub is_valid: bool,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
