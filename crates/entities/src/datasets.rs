//! Datasets (knowledge bases): indexing technique, embedding model and vector collection.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "datasets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub provider: String,
    pub permission: Permission,
    pub data_source_type: Option<crate::kinds::DataSourceType>,
    pub indexing_technique: Option<IndexingTechnique>,
    /// JSON text naming the vector store and its collection.
    #[sea_orm(column_type = "Text")]
    pub index_struct: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime,
    pub embedding_model: Option<String>,
    pub embedding_model_provider: Option<String>,
    pub collection_binding_id: Option<Uuid>,
}

/// Who may open a dataset besides its creator. Read from a body, anything but one of its
/// values (null included) is Dify's `Invalid permission.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(try_from = "serde_json::Value", rename_all = "snake_case")]
pub enum Permission {
    #[sea_orm(string_value = "only_me")]
    OnlyMe,
    #[sea_orm(string_value = "all_team_members")]
    AllTeamMembers,
}

impl Permission {
    /// Dify's stored value; anything else is None.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "only_me" => Some(Self::OnlyMe),
            "all_team_members" => Some(Self::AllTeamMembers),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnlyMe => "only_me",
            Self::AllTeamMembers => "all_team_members",
        }
    }
}

impl TryFrom<serde_json::Value> for Permission {
    type Error = &'static str;

    fn try_from(v: serde_json::Value) -> Result<Self, Self::Error> {
        v.as_str().and_then(Self::parse).ok_or("Invalid permission.")
    }
}

/// How a dataset's documents are indexed. Read from a body, anything but one of its values
/// (null included) is Dify's `Invalid indexing technique.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(try_from = "serde_json::Value", rename_all = "snake_case")]
pub enum IndexingTechnique {
    /// Embeddings in a vector store.
    #[sea_orm(string_value = "high_quality")]
    HighQuality,
    /// A keyword table only.
    #[sea_orm(string_value = "economy")]
    Economy,
}

impl IndexingTechnique {
    /// Dify's stored value; anything else is None.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "high_quality" => Some(Self::HighQuality),
            "economy" => Some(Self::Economy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HighQuality => "high_quality",
            Self::Economy => "economy",
        }
    }
}

impl TryFrom<serde_json::Value> for IndexingTechnique {
    type Error = &'static str;

    fn try_from(v: serde_json::Value) -> Result<Self, Self::Error> {
        v.as_str().and_then(Self::parse).ok_or("Invalid indexing technique.")
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
