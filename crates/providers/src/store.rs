//! A workspace's model-provider settings in the database, as Dify's `ProviderService` and
//! `ModelProviderFactory` keep them: custom credentials (`providers`, one row per provider, or
//! `provider_models`, one per model of a configurable provider), the preferred provider type,
//! and default models. Every query is scoped by the workspace (`tenant_id`).
//!
//! # Hosted (system) providers
//! On CLOUD with `HOSTED_OPENAI_*` / `HOSTED_ANTHROPIC_*` set, workspaces may use the
//! operator's keys on a quota (see `resolve`); elsewhere — as in every SELF_HOSTED Dify —
//! system providers are never usable, their entries are listed with `is_valid: false`, and
//! switching the preferred type is a no-op. Buying quota (Stripe) and the free-quota service
//! are not supported.
//!
//! # Side effect on reads, as in Dify
//! Resolving which providers are usable inserts an invalid placeholder `providers` row
//! (`custom`, `is_valid=false`, no config) for a provider that has no row at all; the
//! workspace detail's provider list then shows it (`token_is_set: false`).

mod listing;
mod models;
mod resolve;

use entities::{provider_models, providers, tenant_preferred_model_providers};
use infra::storage::Storage;
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, TransactionSession,
    TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

pub use listing::{
    CustomEntry, LegacyProvider, ModelEntry, ProviderEntry, ProviderList, ProviderStatus, SystemEntry,
    legacy_provider_list, provider_list,
};
pub use models::{
    DefaultModel, ModelProviderRef, ValidModel, default_model, kept_usable_default_model, model_parameter_rules,
    set_default_model, usable_default_model, valid_models,
};
pub use resolve::{QuotaCharge, SyncedTrial, charge_quota, sync_anthropic_trials};
use resolve::{Resolution, resolve_all, usable_providers};

use crate::catalog::{self, ProviderSpec, ProviderType};
use crate::credentials::{self, CredentialCache, Credentials};
use crate::hosted::Hosting;
use crate::{ModelType, ProviderError, runtime};

/// `provider_models.model_name` is a varchar(40).
const MODEL_NAME_MAX: usize = 40;

/// A provider by name, or Dify's "Invalid provider name" (400).
pub fn spec(provider: &str) -> Result<&'static ProviderSpec, ApiError> {
    catalog::get(provider).ok_or_else(|| ApiError::value_error(format!("Invalid provider name: {provider}")))
}

/// Checks workspace-wide credentials of a fixed provider with a real call. `Ok(Err(message))`
/// is a rejected credential (the validate endpoints answer `{result:'error', error}`).
pub async fn validate_provider(
    http: &reqwest::Client,
    provider: &str,
    config: &Credentials,
) -> Result<Result<(), String>, ApiError> {
    let spec = spec(provider)?;
    if !spec.is_fixed() {
        return Err(ApiError::value_error("Only support fixed model provider"));
    }
    Ok(runtime::validate_credentials(http, spec.name, None, config).await.map_err(|e| e.to_string()))
}

/// Validates, encrypts and saves a fixed provider's credentials (custom row, `is_valid`).
/// A rejected credential is a 400 `invalid_param` with the provider's message.
pub async fn save_provider(
    db: &impl ConnectionTrait,
    http: &reqwest::Client,
    cache: &CredentialCache,
    tenant_id: Uuid,
    provider: &str,
    mut config: Credentials,
) -> Result<(), ApiError> {
    validate_provider(http, provider, &config).await?.map_err(ApiError::value_error)?;
    let spec = spec(provider)?;
    let public_pem = credentials::public_key(db, tenant_id).await?;
    credentials::encrypt_secrets(&public_pem, spec, &mut config)?;
    let encrypted = Value::Object(config).to_string();
    let now = now_naive();
    match custom_row(db, tenant_id, spec.name).await? {
        Some(row) => {
            providers::ActiveModel {
                id: Set(row.id),
                encrypted_config: Set(Some(encrypted)),
                is_valid: Set(true),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
        None => {
            let row = new_custom_row(tenant_id, spec.name, Some(encrypted), true);
            // A concurrent save of the same provider wins or loses whole.
            providers::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns(provider_key())
                        .update_columns([
                            providers::Column::EncryptedConfig,
                            providers::Column::IsValid,
                            providers::Column::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    cache.changed(tenant_id).await;
    Ok(())
}

/// Removes a provider's custom credentials (nothing to remove is not an error).
pub async fn delete_provider(
    db: &impl ConnectionTrait,
    cache: &CredentialCache,
    hosting: &Hosting,
    tenant_id: Uuid,
    provider: &str,
) -> Result<(), ApiError> {
    // As Dify, calls go back to the hosted quota (where there is one).
    if let Some(spec) = catalog::get(provider).filter(|s| s.supports(ProviderType::System)) {
        store_preference(db, hosting, tenant_id, spec, ProviderType::System).await?;
    }
    providers::Entity::delete_many()
        .filter(providers::Column::TenantId.eq(tenant_id))
        .filter(providers::Column::ProviderName.eq(provider))
        .filter(providers::Column::ProviderType.eq(ProviderType::Custom))
        .exec(db)
        .await?;
    cache.changed(tenant_id).await;
    Ok(())
}

/// Checks one model's credentials of a configurable provider with a real call.
pub async fn validate_model(
    http: &reqwest::Client,
    provider: &str,
    model_name: &str,
    model_type: ModelType,
    config: &Credentials,
) -> Result<Result<(), String>, ApiError> {
    let spec = spec(provider)?;
    if spec.is_fixed() {
        return Err(ApiError::value_error("Only support configurable model provider"));
    }
    Ok(runtime::validate_credentials(http, spec.name, Some((model_name, model_type)), config)
        .await
        .map_err(|e| e.to_string()))
}

/// Validates, encrypts and saves one model's credentials of a configurable provider, making
/// sure the provider's custom row exists and is valid (one transaction).
#[allow(clippy::too_many_arguments)]
pub async fn save_model(
    db: &(impl ConnectionTrait + TransactionTrait),
    http: &reqwest::Client,
    cache: &CredentialCache,
    tenant_id: Uuid,
    provider: &str,
    model_name: &str,
    model_type: ModelType,
    mut config: Credentials,
) -> Result<(), ApiError> {
    if model_name.chars().count() > MODEL_NAME_MAX {
        return Err(ApiError::invalid_param(
            "model_name",
            format!("model_name is too long: at most {MODEL_NAME_MAX} characters."),
        ));
    }
    validate_model(http, provider, model_name, model_type, &config).await?.map_err(ApiError::value_error)?;
    let spec = spec(provider)?;
    if spec.name == "xinference" && model_type == ModelType::TextGeneration {
        // Dify stores how the model is called (`model_format`, `model_handle_type`).
        let server = config.get("server_url").and_then(Value::as_str).unwrap_or_default().to_owned();
        let uid = config.get("model_uid").and_then(Value::as_str).unwrap_or_default().to_owned();
        let extra = runtime::xinference_model_info(http, &server, &uid)
            .await
            .map_err(|e| ApiError::value_error(e.to_string()))?;
        config.extend(extra);
    }
    let public_pem = credentials::public_key(db, tenant_id).await?;
    credentials::encrypt_secrets(&public_pem, spec, &mut config)?;
    let encrypted = Value::Object(config).to_string();
    let now = now_naive();

    let txn = db.begin().await?;
    match custom_row(&txn, tenant_id, spec.name).await? {
        None => {
            providers::Entity::insert(new_custom_row(tenant_id, spec.name, None, true))
                .on_conflict_do_nothing_on(provider_key())
                .exec_without_returning(&txn)
                .await?;
        }
        Some(row) if !row.is_valid => {
            providers::ActiveModel {
                id: Set(row.id),
                is_valid: Set(true),
                encrypted_config: Set(None),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        Some(_) => {}
    }
    let existing = provider_models::Entity::find()
        .filter(provider_models::Column::TenantId.eq(tenant_id))
        .filter(provider_models::Column::ProviderName.eq(spec.name))
        .filter(provider_models::Column::ModelName.eq(model_name))
        .filter(provider_models::Column::ModelType.eq(model_type.as_str()))
        .one(&txn)
        .await?;
    match existing {
        Some(row) => {
            provider_models::ActiveModel {
                id: Set(row.id),
                encrypted_config: Set(Some(encrypted)),
                is_valid: Set(true),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        None => {
            provider_models::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(tenant_id),
                provider_name: Set(spec.name.to_owned()),
                model_name: Set(model_name.to_owned()),
                model_type: Set(model_type),
                encrypted_config: Set(Some(encrypted)),
                is_valid: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    cache.changed(tenant_id).await;
    Ok(())
}

/// Removes one model's credentials (nothing to remove is not an error).
pub async fn delete_model(
    db: &impl ConnectionTrait,
    cache: &CredentialCache,
    tenant_id: Uuid,
    provider: &str,
    model_name: &str,
    model_type: ModelType,
) -> Result<(), ApiError> {
    provider_models::Entity::delete_many()
        .filter(provider_models::Column::TenantId.eq(tenant_id))
        .filter(provider_models::Column::ProviderName.eq(provider))
        .filter(provider_models::Column::ModelName.eq(model_name))
        .filter(provider_models::Column::ModelType.eq(model_type.as_str()))
        .exec(db)
        .await?;
    cache.changed(tenant_id).await;
    Ok(())
}

/// Dify's `switch_preferred_provider`: checks the type is one the provider supports, then
/// stores it — where the provider is hosted here; elsewhere it changes nothing, as Dify.
pub async fn set_preferred_provider_type(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    provider: &str,
    provider_type: ProviderType,
) -> Result<(), ApiError> {
    let spec = spec(provider)?;
    if !spec.supports(provider_type) {
        return Err(ApiError::value_error(format!("Not support provider type: {}", provider_type.as_str())));
    }
    store_preference(db, hosting, tenant_id, spec, provider_type).await?;
    Ok(())
}

async fn store_preference(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    spec: &ProviderSpec,
    provider_type: ProviderType,
) -> Result<(), DbErr> {
    if !hosting.system_supported(spec.name) {
        return Ok(());
    }
    use tenant_preferred_model_providers as preferred;
    let now = now_naive();
    // Dify's table has no unique key on (tenant, provider): update, else insert.
    let updated = preferred::Entity::update_many()
        .col_expr(preferred::Column::PreferredProviderType, Expr::value(provider_type))
        .col_expr(preferred::Column::UpdatedAt, Expr::value(now))
        .filter(preferred::Column::TenantId.eq(tenant_id))
        .filter(preferred::Column::ProviderName.eq(spec.name))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        preferred::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(tenant_id),
            provider_name: Set(spec.name.to_owned()),
            preferred_provider_type: Set(provider_type),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// What a model call goes through: the decrypted credentials, and the hosted quota the call
/// uses up (charge it with [`charge_quota`] once the call has run).
#[derive(Debug, Clone)]
pub struct CallCredentials {
    pub credentials: Credentials,
    pub quota: Option<QuotaCharge>,
}

/// The credentials to call `model` with, for the runtime's callers: the operator's hosted key
/// when the workspace's preferred type is `system` and a quota is left (a used-up quota without
/// own credentials is `QuotaExceeded`); else the provider's config for fixed providers, the
/// model's for configurable ones (as stored: the runtime adds OpenAI's `/v1` itself). Missing
/// or invalid credentials are `NotInitialized` ("Model {name} provider credentials is not
/// initialized."); a configurable provider's unknown model is Dify's "The model {name} does
/// not exist." (`BadRequest`). Decryption is cached.
#[allow(clippy::too_many_arguments)]
pub async fn get_credentials(
    db: &impl ConnectionTrait,
    storage: &dyn Storage,
    cache: &CredentialCache,
    hosting: &Hosting,
    tenant_id: Uuid,
    provider: &str,
    model: &str,
    model_type: ModelType,
) -> Result<CallCredentials, ProviderError> {
    let not_initialized =
        || ProviderError::NotInitialized(format!("Model {model} provider credentials is not initialized."));
    let spec = catalog::get(provider).ok_or_else(not_initialized)?;
    // A workspace's own credentials are kept; what a hosted quota decides is not.
    let seen = if hosting.system_supported(spec.name) { crate::kept::Seen::UNKNOWN } else { cache.kept().seen().await };
    let key = (tenant_id, provider.to_owned(), model.to_owned(), model_type);
    if let Some(kept) = cache.kept().call(&key, seen) {
        return Ok(kept);
    }
    if hosting.system_supported(spec.name) {
        let resolution = resolve_all(db, hosting, tenant_id, &[spec]).await.map_err(db_unavailable)?.remove(spec.name);
        match resolution {
            Some(Resolution::Usable(row)) if row.provider_type == ProviderType::System => {
                let hidden = spec.fixed_models(model_type).any(|m| m.name == model && m.hidden_on_trial);
                if hidden && row.quota_type == Some(catalog::QuotaType::Trial) {
                    // Only OpenAI's GPT-4 models are hidden on trials.
                    return Err(ProviderError::ModelNotSupported(
                        "Dify Hosted OpenAI GPT-4 currently not support.".into(),
                    ));
                }
                let credentials = hosting.credentials(spec.name).ok_or_else(not_initialized)?;
                return Ok(CallCredentials { credentials, quota: QuotaCharge::for_row(hosting, spec, &row) });
            }
            Some(Resolution::QuotaExhausted) => {
                return Err(ProviderError::QuotaExceeded(
                    "Your quota for Dify Hosted Model Provider has been exhausted. \
                     Please go to Settings -> Model Provider to complete your own provider credentials."
                        .into(),
                ));
            }
            _ => {}
        }
    }
    let row = custom_row(db, tenant_id, spec.name).await.map_err(db_unavailable)?;
    let row = row.filter(|r| r.is_valid).ok_or_else(not_initialized)?;
    let stored = if spec.is_fixed() {
        row.encrypted_config.ok_or_else(not_initialized)?
    } else {
        let model_row = provider_models::Entity::find()
            .filter(provider_models::Column::TenantId.eq(tenant_id))
            .filter(provider_models::Column::ProviderName.eq(spec.name))
            .filter(provider_models::Column::ModelName.eq(model))
            .filter(provider_models::Column::ModelType.eq(model_type.as_str()))
            .filter(provider_models::Column::IsValid.eq(true))
            .one(db)
            .await
            .map_err(db_unavailable)?
            .ok_or_else(|| {
                ProviderError::BadRequest(format!("The model {model} does not exist. Please check the configuration."))
            })?;
        model_row.encrypted_config.ok_or_else(not_initialized)?
    };
    let mut config = credentials::parse_stored(spec, Some(&stored));
    credentials::decrypt_secrets(storage, cache, tenant_id, spec, &mut config).await.map_err(|e| {
        tracing::error!(error = %e, %tenant_id, provider, "cannot decrypt provider credentials");
        ProviderError::NotInitialized(format!(
            "Model {model} provider credentials cannot be decrypted. Please set them again in Settings -> Model Provider."
        ))
    })?;
    let call = CallCredentials { credentials: config, quota: None };
    cache.kept().keep_call(key, &call, seen);
    Ok(call)
}

/// How stale `providers.last_used` may get: a busy workspace would otherwise write its
/// provider row on every answer (Dify does), and on SQLite every write waits its turn.
pub const LAST_USED_GRANULARITY: std::time::Duration = std::time::Duration::from_secs(60);

/// When this process last wrote each (workspace, provider)'s `last_used`.
static TOUCHED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<(Uuid, String), std::time::Instant>>> =
    std::sync::LazyLock::new(Default::default);

/// Whether `last_used` of (workspace, provider) is due a write at `now`, noting it if so.
fn touch_due(tenant_id: Uuid, provider: &str, now: std::time::Instant) -> bool {
    let mut touched = TOUCHED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(at) = touched.get(&(tenant_id, provider.to_owned()))
        && now.saturating_duration_since(*at) < LAST_USED_GRANULARITY
    {
        return false;
    }
    // Bounded: entries older than the granularity say nothing any more.
    if touched.len() >= 10_000 {
        touched.retain(|_, at| now.saturating_duration_since(*at) < LAST_USED_GRANULARITY);
    }
    touched.insert((tenant_id, provider.to_owned()), now);
    true
}

/// Records that a provider was just used (`providers.last_used`, as every Dify call does), at
/// most once per [`LAST_USED_GRANULARITY`] per process.
pub async fn touch_last_used(db: &impl ConnectionTrait, tenant_id: Uuid, provider: &str) -> Result<(), DbErr> {
    if !touch_due(tenant_id, provider, std::time::Instant::now()) {
        return Ok(());
    }
    providers::Entity::update_many()
        .col_expr(providers::Column::LastUsed, sea_orm::sea_query::Expr::value(now_naive()))
        .filter(providers::Column::TenantId.eq(tenant_id))
        .filter(providers::Column::ProviderName.eq(provider))
        .exec(db)
        .await?;
    Ok(())
}

fn db_unavailable(e: DbErr) -> ProviderError {
    tracing::error!(error = %e, "cannot read provider credentials");
    ProviderError::Unavailable("The database is unavailable, please try again later.".into())
}

/// The unique key of `providers` rows.
fn provider_key() -> [providers::Column; 4] {
    [
        providers::Column::TenantId,
        providers::Column::ProviderName,
        providers::Column::ProviderType,
        providers::Column::QuotaType,
    ]
}

/// The workspace's custom row for a provider (Dify's lookup ignores `quota_type`).
async fn custom_row(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    provider: &str,
) -> Result<Option<providers::Model>, DbErr> {
    providers::Entity::find()
        .filter(providers::Column::TenantId.eq(tenant_id))
        .filter(providers::Column::ProviderName.eq(provider))
        .filter(providers::Column::ProviderType.eq(ProviderType::Custom))
        .one(db)
        .await
}

fn new_custom_row(tenant_id: Uuid, provider: &str, config: Option<String>, is_valid: bool) -> providers::ActiveModel {
    let now = now_naive();
    providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        provider_name: Set(provider.to_owned()),
        provider_type: Set(ProviderType::Custom),
        encrypted_config: Set(config),
        is_valid: Set(is_valid),
        last_used: Set(None),
        quota_type: Set(Some(catalog::QuotaType::NotHosted)),
        quota_limit: Set(None),
        quota_used: Set(Some(0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_used_is_written_at_most_once_a_minute_per_workspace_provider() {
        let (tenant, other) = (Uuid::new_v4(), Uuid::new_v4());
        let now = std::time::Instant::now();
        assert!(touch_due(tenant, "openai", now));
        assert!(!touch_due(tenant, "openai", now + std::time::Duration::from_secs(59)));
        assert!(touch_due(tenant, "anthropic", now), "another provider");
        assert!(touch_due(other, "openai", now), "another workspace");
        assert!(touch_due(tenant, "openai", now + LAST_USED_GRANULARITY));
    }
}
