//! Cleaning and segmentation rules used to process a dataset's documents.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dataset_process_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub mode: ProcessMode,
    #[sea_orm(column_type = "Text")]
    pub rules: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime,
}

/// How documents are split: Dify's automatic rules, or the custom rules stored beside.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum ProcessMode {
    #[default]
    #[sea_orm(string_value = "automatic")]
    Automatic,
    #[sea_orm(string_value = "custom")]
    Custom,
}

impl ProcessMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automatic => "automatic",
            Self::Custom => "custom",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
