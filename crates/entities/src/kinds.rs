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
