//! Agent reasoning steps (thought, tool call, observation) of a message.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "message_agent_thoughts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub message_id: Uuid,
    pub message_chain_id: Uuid,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub thought: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub tool: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub tool_input: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub observation: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub tool_process_data: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub message: Option<String>,
    pub message_token: Option<i32>,
    pub message_unit_price: Option<Decimal>,
    #[sea_orm(column_type = "Text")]
    pub answer: Option<String>,
    pub answer_token: Option<i32>,
    pub answer_unit_price: Option<Decimal>,
    pub tokens: Option<i32>,
    pub total_price: Option<Decimal>,
    pub currency: Option<String>,
    pub latency: Option<f64>,
    pub created_by_role: crate::kinds::CreatorRole,
    pub created_by: Uuid,
    pub created_at: DateTime,
    #[sea_orm(column_type = "Decimal(Some((10, 7)))")]
    pub message_price_unit: Decimal,
    #[sea_orm(column_type = "Decimal(Some((10, 7)))")]
    pub answer_price_unit: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
