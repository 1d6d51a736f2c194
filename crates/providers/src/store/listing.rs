//! The console's provider list (`GET model-providers`) and its legacy flat form
//! (`GET providers`), with credentials obfuscated.

use std::collections::HashMap;

use entities::{provider_models, providers, tenant_preferred_model_providers as preferred};
use infra::storage::Storage;
use kernel::ApiError;
use kernel::time::unix_seconds;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use uuid::Uuid;

use super::resolve::preferred_type;
use super::usable_providers;
use crate::catalog::{self, PROVIDERS, ProviderSpec, ProviderType, QuotaType};
use crate::credentials::{self, CredentialCache, Credentials};
use crate::hosted::Hosting;

/// Every provider's status, keyed by name in Dify's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderList(pub Vec<(&'static str, ProviderStatus)>);

impl Serialize for ProviderList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, status) in &self.0 {
            map.serialize_entry(name, status)?;
        }
        map.end()
    }
}

/// One provider in the list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProviderStatus {
    pub preferred_provider_type: ProviderType,
    pub model_flexibility: &'static str,
    /// The system entries (one per hosted quota type), then the custom entry.
    pub providers: Vec<ProviderEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ProviderEntry {
    System(SystemEntry),
    Custom(CustomEntry),
}

/// A hosted quota of the provider.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SystemEntry {
    pub provider_name: &'static str,
    pub provider_type: ProviderType,
    /// Always null: hosted credentials are never shown.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Credentials>,
    pub is_valid: bool,
    pub quota_type: QuotaType,
    pub quota_unit: &'static str,
    pub quota_limit: Option<i64>,
    pub quota_used: Option<i64>,
    pub last_used: Option<i64>,
}

/// The workspace's own credentials.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomEntry {
    pub provider_name: &'static str,
    pub provider_type: ProviderType,
    /// Obfuscated credentials of a fixed provider.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Credentials>,
    /// The configured models of a configurable provider.
    pub models: Vec<ModelEntry>,
    pub is_valid: bool,
    pub last_used: Option<i64>,
}

/// One configured model of a configurable provider.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelEntry {
    pub model_name: String,
    pub model_type: crate::ModelType,
    /// Obfuscated credentials.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Credentials>,
    pub is_valid: bool,
}

/// A row of the legacy `GET providers` list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LegacyProvider {
    pub provider_name: &'static str,
    pub provider_type: ProviderType,
    pub is_valid: bool,
    pub last_used: Option<i64>,
    pub is_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_type: Option<QuotaType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_limit: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota_used: Option<Option<i64>>,
    /// The obfuscated config; for OpenAI only its obfuscated key.
    #[schema(value_type = Value)]
    pub token: Value,
}

/// Dify's `get_provider_list`: every provider with its hosted-quota entries and the
/// workspace's own (obfuscated) credentials.
pub async fn provider_list(
    db: &impl ConnectionTrait,
    storage: &dyn Storage,
    cache: &CredentialCache,
    hosting: &Hosting,
    tenant_id: Uuid,
) -> Result<ProviderList, ApiError> {
    // Resolving creates the hosted trial rows on first sight, as Dify's list does.
    let trial: Vec<&'static ProviderSpec> = PROVIDERS.iter().filter(|p| p.has_trial()).collect();
    usable_providers(db, hosting, tenant_id, &trial).await?;

    let rows = providers::Entity::find()
        .filter(providers::Column::TenantId.eq(tenant_id))
        .filter(providers::Column::ProviderName.is_in(catalog::names()))
        .filter(providers::Column::IsValid.eq(true))
        .order_by_desc(providers::Column::CreatedAt)
        .all(db)
        .await?;
    let configurable = PROVIDERS.iter().filter(|p| !p.is_fixed()).map(|p| p.name);
    let model_rows = provider_models::Entity::find()
        .filter(provider_models::Column::TenantId.eq(tenant_id))
        .filter(provider_models::Column::ProviderName.is_in(configurable))
        .filter(provider_models::Column::IsValid.eq(true))
        .order_by_desc(provider_models::Column::CreatedAt)
        .all(db)
        .await?;
    let preferred: HashMap<String, ProviderType> = preferred::Entity::find()
        .filter(preferred::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.provider_name, p.preferred_provider_type))
        .collect();

    let mut list = Vec::with_capacity(PROVIDERS.len());
    for spec in PROVIDERS.iter() {
        let mut system = system_entries(spec);
        let mut custom = CustomEntry {
            provider_name: spec.name,
            provider_type: ProviderType::Custom,
            config: None,
            models: Vec::new(),
            is_valid: false,
            last_used: None,
        };
        for row in rows.iter().filter(|r| r.provider_name == spec.name) {
            let last_used = row.last_used.map(unix_seconds);
            if row.provider_type == ProviderType::System {
                if let Some(entry) = system.iter_mut().find(|e| Some(e.quota_type) == row.quota_type) {
                    entry.is_valid = row.is_valid;
                    entry.quota_used = row.quota_used;
                    entry.quota_limit = row.quota_limit;
                    entry.last_used = last_used;
                }
            } else if row.provider_type == ProviderType::Custom {
                custom.is_valid = row.is_valid;
                custom.last_used = last_used;
                if spec.is_fixed() {
                    custom.config =
                        shown_config(storage, cache, tenant_id, spec, row.encrypted_config.as_deref()).await;
                } else {
                    custom.models = Vec::new();
                    for m in model_rows.iter().filter(|m| m.provider_name == spec.name) {
                        custom.models.push(ModelEntry {
                            model_name: m.model_name.clone(),
                            model_type: m.model_type,
                            config: shown_config(storage, cache, tenant_id, spec, m.encrypted_config.as_deref()).await,
                            is_valid: m.is_valid,
                        });
                    }
                }
            }
        }
        let custom_valid = custom.is_valid;
        let mut providers: Vec<ProviderEntry> = system.into_iter().map(ProviderEntry::System).collect();
        providers.push(ProviderEntry::Custom(custom));
        let status = ProviderStatus {
            preferred_provider_type: preferred_type(hosting, spec, preferred.get(spec.name).copied(), custom_valid),
            model_flexibility: spec.flexibility.as_str(),
            providers,
        };
        list.push((spec.name, status));
    }
    Ok(ProviderList(list))
}

/// The legacy flat list built from [`provider_list`], as Dify's `ProviderListApi` does.
pub fn legacy_provider_list(list: &ProviderList) -> Vec<LegacyProvider> {
    let mut out = Vec::new();
    for (name, status) in &list.0 {
        for entry in &status.providers {
            out.push(match entry {
                ProviderEntry::System(s) => LegacyProvider {
                    provider_name: name,
                    provider_type: s.provider_type,
                    is_valid: s.is_valid,
                    last_used: s.last_used,
                    is_enabled: s.is_valid,
                    quota_type: Some(s.quota_type),
                    quota_limit: Some(s.quota_limit),
                    quota_used: Some(s.quota_used),
                    token: Value::Null,
                },
                ProviderEntry::Custom(c) => LegacyProvider {
                    provider_name: name,
                    provider_type: c.provider_type,
                    is_valid: c.is_valid,
                    last_used: c.last_used,
                    is_enabled: c.is_valid,
                    quota_type: None,
                    quota_limit: None,
                    quota_used: None,
                    token: legacy_token(name, c.config.as_ref()),
                },
            });
        }
    }
    out
}

fn legacy_token(provider: &str, config: Option<&Credentials>) -> Value {
    match config {
        Some(c) if !c.is_empty() && provider == "openai" => c.get("openai_api_key").cloned().unwrap_or(Value::Null),
        Some(c) if !c.is_empty() => Value::Object(c.clone()),
        _ => Value::Null,
    }
}

/// Dify's placeholder entries for each hosted quota type the provider has, in paid, free,
/// trial order: invalid, limit 0 (the trial's rule limit), nothing used.
fn system_entries(spec: &ProviderSpec) -> Vec<SystemEntry> {
    let Some(system) = spec.system.filter(|_| spec.supports(ProviderType::System)) else { return Vec::new() };
    QuotaType::ALL
        .into_iter()
        .filter(|q| system.quota_types.contains(q))
        .map(|q| SystemEntry {
            provider_name: spec.name,
            provider_type: ProviderType::System,
            config: None,
            is_valid: false,
            quota_type: q,
            quota_unit: system.unit.as_str(),
            quota_limit: Some(if q == QuotaType::Trial { system.trial_limit.unwrap_or(0) } else { 0 }),
            quota_used: Some(0),
            last_used: None,
        })
        .collect()
}

/// A stored config as the console sees it: decrypted, shaped as Dify's provider classes
/// return it, then obfuscated. A config that cannot be read is shown as null (and logged)
/// rather than failing the whole list.
async fn shown_config(
    storage: &dyn Storage,
    cache: &CredentialCache,
    tenant_id: Uuid,
    spec: &ProviderSpec,
    stored: Option<&str>,
) -> Option<Credentials> {
    let stored = stored?;
    let mut config = credentials::parse_stored(spec, Some(stored));
    if let Err(e) = credentials::decrypt_secrets(storage, cache, tenant_id, spec, &mut config).await {
        tracing::warn!(error = %e, %tenant_id, provider = spec.name, "cannot decrypt stored provider credentials");
        return None;
    }
    shape_for_display(spec, &mut config);
    credentials::obfuscate_secrets(spec, &mut config);
    Some(config)
}

/// The keys Dify's `get_provider_credentials` / `get_model_credentials` always return.
///
/// One deliberate difference: Dify shows OpenAI's `openai_api_base` with `/v1` appended (the
/// form it passes to its client); dify-rs shows the stored value, so that saving the form
/// again does not store `/v1` twice.
fn shape_for_display(spec: &ProviderSpec, config: &mut Credentials) {
    let ensure = |config: &mut Credentials, key: &str| {
        config.entry(key.to_owned()).or_insert(Value::Null);
    };
    match spec.name {
        "openai" => {
            if config.get("openai_api_base").is_some_and(|v| v.as_str().is_none_or(str::is_empty)) {
                config.insert("openai_api_base".into(), Value::Null);
            }
            ensure(config, "openai_api_base");
            ensure(config, "openai_organization");
        }
        "anthropic" => ensure(config, "anthropic_api_url"),
        "azure_openai" => {
            config.retain(|k, _| matches!(k.as_str(), "openai_api_base" | "openai_api_key" | "base_model_name"));
            for key in ["openai_api_base", "openai_api_key", "base_model_name"] {
                ensure(config, key);
            }
        }
        "huggingface_hub" => {
            config.entry("task_type").or_insert_with(|| Value::String("text-generation".into()));
        }
        _ => {}
    }
}
