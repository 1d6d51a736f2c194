//! Process rules (cleaning and segmentation): Dify's defaults and a dataset's latest rule.

use crate::DatasetError;
use entities::dataset_process_rules::{self, ProcessMode};
use entities::documents;
use kernel::ApiError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dataset;

/// A process rule as the console reads it: `automatic` or `custom`, and the rules.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProcessRuleFields {
    pub mode: ProcessMode,
    /// `{pre_processing_rules: [...], segmentation: {...}}`; null for an automatic rule.
    #[schema(value_type = Option<Object>)]
    pub rules: Value,
}

/// Dify's `DocumentService.DEFAULT_RULES`, what the console pre-fills for a new document.
pub fn default_rules() -> ProcessRuleFields {
    ProcessRuleFields {
        mode: ProcessMode::Custom,
        rules: json!({
            "pre_processing_rules": [
                {"id": "remove_extra_spaces", "enabled": true},
                {"id": "remove_urls_emails", "enabled": false}
            ],
            "segmentation": {"delimiter": "\n", "max_tokens": 500}
        }),
    }
}

/// `GET /datasets/process-rule`: the defaults, or with `document_id` the latest rule of that
/// document's dataset (the defaults when it has none). The document must be the workspace's
/// (404 otherwise) and its dataset open to the caller (403).
pub async fn for_document(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    account_id: Uuid,
    document_id: Option<Uuid>,
) -> Result<ProcessRuleFields, DatasetError> {
    let Some(document_id) = document_id else { return Ok(default_rules()) };
    let document = documents::Entity::find_by_id(document_id)
        .filter(documents::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(DatasetError::DocumentNotFound)?;
    let d = dataset::find_accessible(db, tenant_id, account_id, document.dataset_id).await?;
    Ok(latest_of_dataset(db, d.id).await?)
}

/// The dataset's latest process rule as `{mode, rules}`, or the defaults when it has none.
pub async fn latest_of_dataset(db: &impl ConnectionTrait, dataset_id: Uuid) -> Result<ProcessRuleFields, ApiError> {
    let latest = dataset_process_rules::Entity::find()
        .filter(dataset_process_rules::Column::DatasetId.eq(dataset_id))
        .order_by_desc(dataset_process_rules::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(match latest {
        Some(rule) => {
            let rules =
                rule.rules.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()).unwrap_or(Value::Null);
            ProcessRuleFields { mode: rule.mode, rules }
        }
        None => default_rules(),
    })
}
