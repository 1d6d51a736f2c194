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
    pub status: String,
    pub initialized_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub last_active_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
