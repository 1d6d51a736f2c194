//! Conversations of an app with an end user or console account.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub app_model_config_id: Uuid,
    pub model_provider: String,
    #[sea_orm(column_type = "Text")]
    pub override_model_configs: Option<String>,
    pub model_id: String,
    pub mode: crate::apps::AppMode,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub summary: Option<String>,
    pub inputs: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub introduction: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub system_instruction: Option<String>,
    pub system_instruction_tokens: i32,
    pub status: crate::kinds::RowStatus,
    pub from_source: crate::kinds::FromSource,
    pub from_end_user_id: Option<Uuid>,
    pub from_account_id: Option<Uuid>,
    pub read_at: Option<DateTime>,
    pub read_account_id: Option<Uuid>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub is_deleted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::messages::Entity")]
    Messages,
    #[sea_orm(has_many = "super::message_annotations::Entity")]
    MessageAnnotations,
}

impl Related<super::messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Messages.def()
    }
}

impl Related<super::message_annotations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MessageAnnotations.def()
    }
}

crate::checked_saves!();
