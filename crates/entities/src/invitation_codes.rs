//! Sign-up invitation codes, in batches, and who redeemed them.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "invitation_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub batch: String,
    pub code: String,
    pub status: CodeStatus,
    pub used_at: Option<DateTime>,
    pub used_by_tenant_id: Option<Uuid>,
    pub used_by_account_id: Option<Uuid>,
    pub deprecated_at: Option<DateTime>,
    pub created_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();

/// Where an invitation code is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    #[sea_orm(string_value = "unused")]
    Unused,
    #[sea_orm(string_value = "used")]
    Used,
    #[sea_orm(string_value = "deprecated")]
    Deprecated,
}
