//! Documents of a dataset and their indexing progress.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub dataset_id: Uuid,
    pub position: i32,
    pub data_source_type: crate::kinds::DataSourceType,
    /// JSON text: `{"upload_file_id"}` or the Notion page it came from.
    #[sea_orm(column_type = "Text")]
    pub data_source_info: Option<String>,
    pub dataset_process_rule_id: Option<Uuid>,
    pub batch: String,
    pub name: String,
    pub created_from: CreatedFrom,
    pub created_by: Uuid,
    pub created_api_request_id: Option<Uuid>,
    pub created_at: DateTime,
    pub processing_started_at: Option<DateTime>,
    #[sea_orm(column_type = "Text")]
    pub file_id: Option<String>,
    pub word_count: Option<i32>,
    pub parsing_completed_at: Option<DateTime>,
    pub cleaning_completed_at: Option<DateTime>,
    pub splitting_completed_at: Option<DateTime>,
    pub tokens: Option<i32>,
    pub indexing_latency: Option<f64>,
    pub completed_at: Option<DateTime>,
    pub is_paused: Option<bool>,
    pub paused_by: Option<Uuid>,
    pub paused_at: Option<DateTime>,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub stopped_at: Option<DateTime>,
    pub indexing_status: IndexingStatus,
    pub enabled: bool,
    pub disabled_at: Option<DateTime>,
    pub disabled_by: Option<Uuid>,
    pub archived: bool,
    pub archived_reason: Option<String>,
    pub archived_by: Option<Uuid>,
    pub archived_at: Option<DateTime>,
    pub updated_at: DateTime,
    pub doc_type: Option<String>,
    pub doc_metadata: Option<Json>,
    pub doc_form: DocForm,
    pub doc_language: Option<String>,
}

/// Where a document is in indexing, as Dify writes `indexing_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum IndexingStatus {
    #[sea_orm(string_value = "waiting")]
    Waiting,
    #[sea_orm(string_value = "parsing")]
    Parsing,
    #[sea_orm(string_value = "cleaning")]
    Cleaning,
    #[sea_orm(string_value = "splitting")]
    Splitting,
    #[sea_orm(string_value = "indexing")]
    Indexing,
    /// Written by Python Dify when a run meets a paused document; dify-rs keeps the stage and
    /// sets `is_paused` instead, as Dify's pause route does.
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "error")]
    Error,
    #[sea_orm(string_value = "completed")]
    Completed,
}

impl IndexingStatus {
    /// Queued or part-way: a run still owes this document an end.
    pub const UNFINISHED: [Self; 5] = [Self::Waiting, Self::Parsing, Self::Cleaning, Self::Splitting, Self::Indexing];

    /// A run is working on it right now (past the queue, before an end).
    pub fn is_running(self) -> bool {
        matches!(self, Self::Parsing | Self::Cleaning | Self::Splitting | Self::Indexing)
    }

    /// Queued or running.
    pub fn is_unfinished(self) -> bool {
        Self::UNFINISHED.contains(&self)
    }

    /// Ended, well or not: a repeated job leaves it alone.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Completed | Self::Error)
    }
}

/// How a document is split: plain segments or question/answer pairs (default `text_model`).
/// Read from a body, an empty string or another value answers with Dify's messages.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(try_from = "String", rename_all = "snake_case")]
pub enum DocForm {
    #[default]
    #[sea_orm(string_value = "text_model")]
    TextModel,
    #[sea_orm(string_value = "qa_model")]
    QaModel,
}

impl DocForm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextModel => "text_model",
            Self::QaModel => "qa_model",
        }
    }
}

impl TryFrom<String> for DocForm {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "" => Err("doc_form must be a string."),
            "text_model" => Ok(Self::TextModel),
            "qa_model" => Ok(Self::QaModel),
            _ => Err("doc_form must be text_model or qa_model."),
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();

/// Which surface created a document: the console (`web`) or the service API (`api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum CreatedFrom {
    #[sea_orm(string_value = "web")]
    Web,
    #[sea_orm(string_value = "api")]
    Api,
}
