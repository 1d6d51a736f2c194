//! Log of service-API requests; defined by Dify but never written.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub api_token_id: Uuid,
    pub path: String,
    #[sea_orm(column_type = "Text")]
    pub request: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub response: Option<String>,
    pub ip: String,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
