//! Versions of an app's model and prompt configuration; feature settings are JSON held as text.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "app_model_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub provider: String,
    pub model_id: String,
    pub configs: Json,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    #[sea_orm(column_type = "Text")]
    pub opening_statement: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub suggested_questions: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub suggested_questions_after_answer: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub more_like_this: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub model: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub user_input_form: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub pre_prompt: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub agent_mode: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub speech_to_text: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub sensitive_word_avoidance: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub retriever_resource: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
