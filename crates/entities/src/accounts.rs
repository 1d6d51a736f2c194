//! Console users: login identity, password hash and salt, profile and status.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub password: Option<String>,
    pub password_salt: Option<String>,
    pub avatar: Option<String>,
    pub interface_language: Option<String>,
    pub interface_theme: Option<String>,
    pub timezone: Option<String>,
    pub last_login_at: Option<DateTime>,
    pub last_login_ip: Option<String>,
    pub status: AccountStatus,
    pub initialized_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub last_active_at: DateTime,
}

/// An account's `status`, as Dify's `AccountStatus` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Invited, not yet activated.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Signed up, its profile not yet completed (CLOUD).
    #[sea_orm(string_value = "uninitialized")]
    Uninitialized,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "banned")]
    Banned,
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl AccountStatus {
    /// Banned and closed accounts cannot sign in or use a session.
    pub fn is_locked_out(self) -> bool {
        matches!(self, AccountStatus::Banned | AccountStatus::Closed)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
