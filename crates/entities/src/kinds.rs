//! The string columns several tables share, as enums over the varchar values Dify writes,
//! so rows Python Dify wrote read as they are.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `status` of apps, sites, conversations and workspaces. Dify writes `normal`; a workspace
/// may be `archive`d.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    #[sea_orm(string_value = "normal")]
    Normal,
    #[sea_orm(string_value = "archive")]
    Archive,
}

/// Which surface a conversation, message or feedback came from: the service or web-app API
/// (`api`) or the console's debugger and installed apps (`console`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum FromSource {
    #[sea_orm(string_value = "api")]
    Api,
    #[sea_orm(string_value = "console")]
    Console,
}

/// Where a document's (or a dataset's) content comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum DataSourceType {
    #[sea_orm(string_value = "upload_file")]
    UploadFile,
    #[sea_orm(string_value = "notion_import")]
    NotionImport,
}

impl DataSourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UploadFile => "upload_file",
            Self::NotionImport => "notion_import",
        }
    }
}

/// `created_by_role` of saved messages, pinned conversations, agent thoughts and dataset
/// queries: who the `created_by` id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum CreatorRole {
    #[sea_orm(string_value = "account")]
    Account,
    #[sea_orm(string_value = "end_user")]
    EndUser,
}

impl CreatorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::EndUser => "end_user",
        }
    }
}

/// A kind of model, named as Dify's API and its `model_type` columns name it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(40))")]
pub enum ModelType {
    #[sea_orm(string_value = "text-generation")]
    #[serde(rename = "text-generation")]
    TextGeneration,
    #[sea_orm(string_value = "embeddings")]
    #[serde(rename = "embeddings")]
    Embeddings,
    #[sea_orm(string_value = "speech2text")]
    #[serde(rename = "speech2text")]
    Speech2Text,
    #[sea_orm(string_value = "moderation")]
    #[serde(rename = "moderation")]
    Moderation,
}

impl ModelType {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelType::TextGeneration => "text-generation",
            ModelType::Embeddings => "embeddings",
            ModelType::Speech2Text => "speech2text",
            ModelType::Moderation => "moderation",
        }
    }
}

impl std::str::FromStr for ModelType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "text-generation" => Ok(ModelType::TextGeneration),
            "embeddings" => Ok(ModelType::Embeddings),
            "speech2text" => Ok(ModelType::Speech2Text),
            "moderation" => Ok(ModelType::Moderation),
            _ => Err(()),
        }
    }
}
