//! Model-provider credentials and quotas of a workspace.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub provider_name: String,
    pub provider_type: String,
    /// JSON text of credentials; secret fields encrypted with the tenant key.
    #[sea_orm(column_type = "Text")]
    pub encrypted_config: Option<String>,
    pub is_valid: bool,
    pub last_used: Option<DateTime>,
    pub quota_type: Option<String>,
    pub quota_limit: Option<i64>,
    pub quota_used: Option<i64>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
