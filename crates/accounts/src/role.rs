//! Workspace roles, as Dify names them in `tenant_account_joins.role`.

use std::str::FromStr;

/// A member's role in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantRole {
    Owner,
    Admin,
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

impl FromStr for TenantRole {
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

impl std::fmt::Display for TenantRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
