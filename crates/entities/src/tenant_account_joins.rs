//! Membership of an account in a workspace, with its role (owner, admin, normal).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tenant_account_joins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub role: TenantRole,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

/// A member's role in a workspace, as Dify's `TenantAccountJoinRole` writes it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum TenantRole {
    #[sea_orm(string_value = "owner")]
    Owner,
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "normal")]
    Normal,
}

impl TenantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantRole::Owner => "owner",
            TenantRole::Admin => "admin",
            TenantRole::Normal => "normal",
        }
    }

    /// Owners and admins edit apps, datasets, providers and invite members.
    pub fn is_manager(self) -> bool {
        matches!(self, TenantRole::Owner | TenantRole::Admin)
    }
}

impl std::fmt::Display for TenantRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TenantRole {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "owner" => Ok(TenantRole::Owner),
            "admin" => Ok(TenantRole::Admin),
            "normal" => Ok(TenantRole::Normal),
            _ => Err(()),
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
