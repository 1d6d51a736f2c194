//! Resolving the model an app (or a helper prompt) calls: credentials and parameter rules.

use crate::ConversationError;
use providers::ModelType;
use providers::catalog::{self, ParameterRules};
use providers::runtime::ModelRef;
use providers::store::QuotaCharge;
use uuid::Uuid;

use crate::engine::Engine;

/// A text-generation model ready to call.
#[derive(Debug, Clone)]
pub struct TextModel {
    pub model: ModelRef,
    pub rules: ParameterRules,
    /// The hosted quota an app's call uses up; helper prompts on the default model, as in
    /// Dify, are free.
    pub quota: Option<QuotaCharge>,
}

impl TextModel {
    /// The model's context size (`max_tokens`' upper bound), when known.
    pub fn context_size(&self) -> Option<i64> {
        self.rules.max_tokens.max_value()
    }
}

/// The workspace's credentials for `provider`/`name`, with the model's parameter rules.
pub async fn text_model(
    engine: &Engine,
    tenant_id: Uuid,
    provider: &str,
    name: &str,
) -> Result<TextModel, ConversationError> {
    let call = providers::store::get_credentials(
        &engine.db,
        engine.storage.as_ref(),
        &engine.credentials,
        &engine.hosting,
        tenant_id,
        provider,
        name,
        ModelType::TextGeneration,
    )
    .await?;
    // Configurable providers' ranges depend on the model's own config (Azure's base model).
    let fixed = catalog::get(provider).is_some_and(|s| s.is_fixed());
    let rules = catalog::parameter_rules(provider, name, (!fixed).then_some(&call.credentials));
    Ok(TextModel { model: ModelRef::new(provider, name, call.credentials), rules, quota: call.quota })
}

/// The workspace's default text model (naming, suggestions, helpers). Without one: Dify's
/// "Default model is not available" as a `completion_request_error`.
pub async fn default_text_model(engine: &Engine, tenant_id: Uuid) -> Result<TextModel, ConversationError> {
    let default = providers::store::kept_usable_default_model(
        &engine.db,
        &engine.hosting,
        &engine.credentials,
        tenant_id,
        ModelType::TextGeneration,
    )
    .await?
    .ok_or(ConversationError::NoDefaultModel)?;
    let model = text_model(engine, tenant_id, &default.model_provider.provider_name, &default.model_name).await?;
    Ok(TextModel { quota: None, ..model })
}
