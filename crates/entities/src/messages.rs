//! One query and its answer, with token counts, prices and latency.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub model_provider: String,
    pub model_id: String,
    #[sea_orm(column_type = "Text")]
    pub override_model_configs: Option<String>,
    pub conversation_id: Uuid,
    pub inputs: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub query: String,
    /// The prompt as sent to the model (a list of role/text entries).
    pub message: Json,
    pub message_tokens: i32,
    #[sea_orm(column_type = "Decimal(Some((10, 4)))")]
    pub message_unit_price: Decimal,
    #[sea_orm(column_type = "Text")]
    pub answer: String,
    pub answer_tokens: i32,
    #[sea_orm(column_type = "Decimal(Some((10, 4)))")]
    pub answer_unit_price: Decimal,
    pub provider_response_latency: f64,
    #[sea_orm(column_type = "Decimal(Some((10, 7)))")]
    pub total_price: Option<Decimal>,
    pub currency: String,
    pub from_source: crate::kinds::FromSource,
    pub from_end_user_id: Option<Uuid>,
    pub from_account_id: Option<Uuid>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub agent_based: bool,
    #[sea_orm(column_type = "Decimal(Some((10, 7)))")]
    pub message_price_unit: Decimal,
    #[sea_orm(column_type = "Decimal(Some((10, 7)))")]
    pub answer_price_unit: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Declared in Dify's model; the database itself has no foreign-key constraint.
    #[sea_orm(
        belongs_to = "super::conversations::Entity",
        from = "Column::ConversationId",
        to = "super::conversations::Column::Id"
    )]
    Conversation,
}

impl Related<super::conversations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Conversation.def()
    }
}

crate::checked_saves!();
