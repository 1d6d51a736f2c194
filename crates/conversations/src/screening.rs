//! Sensitive-word avoidance before the model is asked: a query with one of the app's words,
//! or one OpenAI's moderation model flags, is answered with the app's canned response.

use crate::ConversationError;
use providers::ModelType;
use providers::runtime::ModelRef;
use uuid::Uuid;

use crate::config::{SensitiveCheck, SensitiveRule};
use crate::engine::Engine;

/// The moderation model Dify screens with, on the workspace's OpenAI credentials.
const MODERATION_MODEL: &str = "text-moderation-stable";

/// The canned answer when `rule` catches `query`, else None.
pub async fn canned_answer(
    engine: &Engine,
    tenant_id: Uuid,
    rule: &SensitiveRule,
    query: &str,
) -> Result<Option<String>, ConversationError> {
    let caught = match &rule.check {
        SensitiveCheck::Keywords(words) => words.iter().any(|w| query.contains(w.as_str())),
        SensitiveCheck::Moderation => flagged(engine, tenant_id, query).await?,
    };
    Ok(caught.then(|| rule.canned.clone()))
}

async fn flagged(engine: &Engine, tenant_id: Uuid, query: &str) -> Result<bool, ConversationError> {
    let credentials = providers::store::get_credentials(
        &engine.db,
        engine.storage.as_ref(),
        &engine.credentials,
        &engine.hosting,
        tenant_id,
        "openai",
        MODERATION_MODEL,
        ModelType::Moderation,
    )
    .await?
    .credentials;
    let model = ModelRef::new("openai", MODERATION_MODEL, credentials);
    providers::runtime::moderate(&engine.http, &model, query).await.map_err(|e| {
        // Dify hides the vendor's reason behind this message.
        tracing::warn!(error = %e, "moderation failed");
        ConversationError::ModerationUnavailable
    })
}
