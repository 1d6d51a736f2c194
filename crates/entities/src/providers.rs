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
    pub provider_type: ProviderType,
    /// JSON text of credentials; secret fields encrypted with the tenant key.
    #[sea_orm(column_type = "Text")]
    pub encrypted_config: Option<String>,
    pub is_valid: bool,
    pub last_used: Option<DateTime>,
    pub quota_type: Option<QuotaType>,
    pub quota_limit: Option<i64>,
    pub quota_used: Option<i64>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

/// Where a provider's credentials come from: the operator's hosted keys, or the workspace's own.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(40))")]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    #[sea_orm(string_value = "system")]
    System,
    #[sea_orm(string_value = "custom")]
    Custom,
}

impl ProviderType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::System => "system",
            ProviderType::Custom => "custom",
        }
    }

    /// Parses Dify's name (`system`, `custom`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "system" => Some(ProviderType::System),
            "custom" => Some(ProviderType::Custom),
            _ => None,
        }
    }
}

/// A kind of hosted quota; [`QuotaType::ALL`] is the order Dify scans and lists them in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(40))")]
#[serde(rename_all = "snake_case")]
pub enum QuotaType {
    /// Bought through Stripe (CLOUD).
    #[sea_orm(string_value = "paid")]
    Paid,
    /// Granted by a third party (CLOUD).
    #[sea_orm(string_value = "free")]
    Free,
    /// Dify's hosted trial.
    #[sea_orm(string_value = "trial")]
    Trial,
    /// A custom row's: the column's default, part of the unique key.
    #[sea_orm(string_value = "")]
    #[serde(rename = "")]
    NotHosted,
}

impl QuotaType {
    pub const ALL: [QuotaType; 3] = [QuotaType::Paid, QuotaType::Free, QuotaType::Trial];

    pub fn as_str(self) -> &'static str {
        match self {
            QuotaType::Paid => "paid",
            QuotaType::Free => "free",
            QuotaType::Trial => "trial",
            QuotaType::NotHosted => "",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
