//! The embedding models a dataset may use: what the workspace can use now, its default, and
//! the vector collection each (provider, model) pair shares.

use crate::DatasetError;
use std::collections::HashSet;

use entities::dataset_collection_bindings as bindings;
use kernel::ApiError;
use kernel::time::now_naive;
use providers::ModelType;
use providers::hosted::Hosting;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

/// A usable embedding model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingModel {
    pub provider: String,
    pub model: String,
}

/// `"<model>:<provider>"` for every embedding model the workspace can use now.
pub async fn usable_names(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
) -> Result<HashSet<String>, ApiError> {
    Ok(providers::store::valid_models(db, hosting, tenant_id, ModelType::Embeddings)
        .await?
        .into_iter()
        .map(|m| format!("{}:{}", m.model_name, m.model_provider.provider_name))
        .collect())
}

/// The workspace's default embedding model, or Dify's `provider_not_initialize` (Dify: 500).
pub async fn default_model(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
) -> Result<EmbeddingModel, DatasetError> {
    let d = providers::store::usable_default_model(db, hosting, tenant_id, ModelType::Embeddings)
        .await?
        .ok_or(DatasetError::NoEmbeddingModel)?;
    Ok(EmbeddingModel { provider: d.model_provider.provider_name, model: d.model_name })
}

/// The collection binding of a (provider, model) pair, made on first use. Finding and making
/// it is one critical section (Dify's table has no unique key to decide): two datasets made at
/// once for a new model get the same binding, so one shared collection.
pub async fn collection_binding(db: &impl TransactionTrait, m: &EmbeddingModel) -> Result<Uuid, ApiError> {
    let key = format!("dataset_collection_bindings/{}/{}", m.provider, m.model);
    let txn = infra::db::begin_critical(db, &key, "dataset_collection_bindings").await?;
    let id = find_or_make(&txn, m).await?;
    txn.commit().await?;
    Ok(id)
}

async fn find_or_make(db: &impl ConnectionTrait, m: &EmbeddingModel) -> Result<Uuid, ApiError> {
    let existing = bindings::Entity::find()
        .filter(bindings::Column::ProviderName.eq(&m.provider))
        .filter(bindings::Column::ModelName.eq(&m.model))
        .order_by_asc(bindings::Column::CreatedAt)
        .one(db)
        .await?;
    if let Some(b) = existing {
        return Ok(b.id);
    }
    let id = Uuid::new_v4();
    let collection = format!("Vector_index_{}_Node", Uuid::new_v4().to_string().replace('-', "_"));
    bindings::ActiveModel {
        id: Set(id),
        provider_name: Set(m.provider.clone()),
        model_name: Set(m.model.clone()),
        collection_name: Set(collection),
        created_at: Set(now_naive()),
    }
    .insert(db)
    .await?;
    Ok(id)
}
