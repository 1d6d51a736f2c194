//! The models an app configuration may name, from the workspace's provider settings.

use std::collections::HashMap;

use apps::model_config::ModelChoices;
use kernel::ApiError;
use providers::ModelType;
use uuid::Uuid;

use crate::state::AppState;

/// The workspace's usable text-generation models per provider, and its default one.
pub async fn choices(state: &AppState, tenant_id: Uuid) -> Result<(ModelChoices, Option<(String, String)>), ApiError> {
    let db = &state.infra.db;
    let mut text_models: HashMap<String, Vec<String>> = HashMap::new();
    for m in providers::store::valid_models(db, &state.engine.hosting, tenant_id, ModelType::TextGeneration).await? {
        text_models.entry(m.model_provider.provider_name).or_default().push(m.model_name);
    }
    let default =
        providers::store::usable_default_model(db, &state.engine.hosting, tenant_id, ModelType::TextGeneration)
            .await?
            .map(|d| (d.model_provider.provider_name, d.model_name));
    let provider_names = providers::catalog::names().map(str::to_string).collect();
    Ok((ModelChoices { provider_names, text_models }, default))
}
