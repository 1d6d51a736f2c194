//! Paid quota orders for hosted model providers.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "provider_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub provider_name: String,
    pub account_id: Uuid,
    pub payment_product_id: String,
    pub payment_id: Option<String>,
    pub transaction_id: Option<String>,
    pub quantity: i32,
    pub currency: Option<String>,
    pub total_amount: Option<i32>,
    pub payment_status: PaymentStatus,
    pub paid_at: Option<DateTime>,
    pub pay_failed_at: Option<DateTime>,
    pub refunded_at: Option<DateTime>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

/// A Stripe order's state (Dify's `ProviderOrderPaymentStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(255))")]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    #[sea_orm(string_value = "wait_pay")]
    WaitPay,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "pay_failed")]
    PayFailed,
    #[sea_orm(string_value = "refunded")]
    Refunded,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::checked_saves!();
