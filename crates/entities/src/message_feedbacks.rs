//! Like/dislike ratings of a message by a user or an admin.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "message_feedbacks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    pub rating: String,
    #[sea_orm(column_type = "Text")]
    pub content: Option<String>,
    pub from_source: String,
    pub from_end_user_id: Option<Uuid>,
    pub from_account_id: Option<Uuid>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
