//! The models a workspace can use: per model type across usable providers, the default model
//! of each type, and a model's parameter ranges.

use entities::{provider_models, providers, tenant_default_models as defaults};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionSession,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{spec, usable_providers};
use crate::catalog::{self, AGENT_THOUGHT, PROVIDERS, ParameterRules, ProviderSpec, ProviderType, QuotaType};
use crate::credentials;
use crate::hosted::Hosting;
use crate::{ModelType, ProviderError};

/// Azure base models Dify marks as able to drive an agent.
const AZURE_AGENT_BASE_MODELS: [&str; 4] = ["gpt-4", "gpt-4-32k", "gpt-35-turbo", "gpt-35-turbo-16k"];

/// A workspace's default model of one type.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DefaultModel {
    pub model_name: String,
    pub model_type: ModelType,
    pub model_provider: ModelProviderRef,
}

/// The provider a model is served through; `provider_type` is absent when the provider is not
/// usable any more.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelProviderRef {
    pub provider_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<ProviderType>,
}

/// A model the workspace can use.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ValidModel {
    pub model_name: String,
    pub model_display_name: String,
    pub model_type: ModelType,
    pub model_provider: ModelProviderRef,
    pub features: Vec<String>,
}

/// One model a usable provider offers: (name, display name, features).
type Offered = (String, String, Vec<String>);

/// Every model of `model_type` the workspace can use, provider by provider in Dify's order.
pub async fn valid_models(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    model_type: ModelType,
) -> Result<Vec<ValidModel>, ApiError> {
    let all: Vec<&'static ProviderSpec> = PROVIDERS.iter().collect();
    let usable = usable_providers(db, hosting, tenant_id, &all).await?;
    let mut out = Vec::new();
    for spec in all {
        let Some(row) = usable.get(spec.name) else { continue };
        for (name, display, features) in offered_models(db, tenant_id, spec, model_type, on_trial(row)).await? {
            out.push(ValidModel {
                model_name: name,
                model_display_name: display,
                model_type,
                model_provider: ModelProviderRef {
                    provider_name: spec.name.to_owned(),
                    provider_type: Some(row.provider_type),
                },
                features,
            });
        }
    }
    Ok(out)
}

/// The default model of a type. Without one, the first model of the first usable provider
/// (in Dify's order) becomes the default and is stored; `None` when no provider is usable.
pub async fn default_model(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    model_type: ModelType,
) -> Result<Option<DefaultModel>, ApiError> {
    let row = match stored_default(db, tenant_id, model_type).await? {
        Some(row) => row,
        None => match first_usable_model(db, hosting, tenant_id, model_type).await? {
            Some((provider, model_name)) => {
                let now = now_naive();
                defaults::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    tenant_id: Set(tenant_id),
                    provider_name: Set(provider.to_owned()),
                    model_name: Set(model_name),
                    model_type: Set(model_type),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(db)
                .await?
            }
            None => return Ok(None),
        },
    };
    let provider_type = match catalog::get(&row.provider_name) {
        Some(spec) => {
            usable_providers(db, hosting, tenant_id, &[spec]).await?.remove(spec.name).map(|p| p.provider_type)
        }
        None => None,
    };
    Ok(Some(DefaultModel {
        model_name: row.model_name,
        model_type: row.model_type,
        model_provider: ModelProviderRef { provider_name: row.provider_name, provider_type },
    }))
}

/// The default model of a type when its provider is usable now (what calls may go through).
pub async fn usable_default_model(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    model_type: ModelType,
) -> Result<Option<DefaultModel>, ApiError> {
    Ok(default_model(db, hosting, tenant_id, model_type).await?.filter(|d| d.model_provider.provider_type.is_some()))
}

/// [`usable_default_model`], kept in `cache` while providers are unchanged when it is served
/// through the workspace's own credentials.
pub async fn kept_usable_default_model(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    cache: &crate::credentials::CredentialCache,
    tenant_id: Uuid,
    model_type: ModelType,
) -> Result<Option<DefaultModel>, ApiError> {
    let seen = cache.kept().seen().await;
    if let Some(kept) = cache.kept().default_model(tenant_id, model_type, seen) {
        return Ok(Some(kept));
    }
    let found = usable_default_model(db, hosting, tenant_id, model_type).await?;
    if let Some(d) = &found
        && d.model_provider.provider_type == Some(ProviderType::Custom)
        && !hosting.system_supported(&d.model_provider.provider_name)
    {
        cache.kept().keep_default_model(tenant_id, d, seen);
    }
    Ok(found)
}

/// Sets the default model of a type. An unknown provider or a model the provider does not
/// offer is a 400 `invalid_param`; a provider the workspace has not configured is a 400
/// `provider_not_initialize` (Dify answers 500 there).
pub async fn set_default_model(
    db: &(impl ConnectionTrait + TransactionTrait),
    hosting: &Hosting,
    cache: &crate::credentials::CredentialCache,
    tenant_id: Uuid,
    model_type: ModelType,
    provider: &str,
    model_name: &str,
) -> Result<(), ProviderError> {
    let spec = spec(provider)?;
    let Some(row) = usable_providers(db, hosting, tenant_id, &[spec]).await?.remove(spec.name) else {
        return Err(ProviderError::NotInitialized(format!(
            "Model {model_name} provider credentials is not initialized."
        )));
    };
    let offered = offered_models(db, tenant_id, spec, model_type, on_trial(&row)).await?;
    if !offered.iter().any(|(name, _, _)| name == model_name) {
        return Err(ApiError::value_error(format!("Invalid model name: {model_name}")).into());
    }
    let now = now_naive();
    let txn = db.begin().await?;
    match stored_default(&txn, tenant_id, model_type).await? {
        Some(row) => {
            defaults::ActiveModel {
                id: Set(row.id),
                provider_name: Set(spec.name.to_owned()),
                model_name: Set(model_name.to_owned()),
                updated_at: Set(now),
                ..Default::default()
            }
            .update(&txn)
            .await?;
        }
        None => {
            defaults::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(tenant_id),
                provider_name: Set(spec.name.to_owned()),
                model_name: Set(model_name.to_owned()),
                model_type: Set(model_type),
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

/// A text-generation model's parameter ranges, as the provider the workspace uses declares
/// them. A provider the workspace cannot use has everything disabled (as in Dify); a
/// configurable provider whose ranges depend on the model's settings (Azure, Replicate,
/// Xinference) needs the model configured, else 400 `provider_not_initialize`.
pub async fn model_parameter_rules(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    provider: &str,
    model_name: &str,
) -> Result<ParameterRules, ProviderError> {
    let spec = spec(provider)?;
    if !usable_providers(db, hosting, tenant_id, &[spec]).await?.contains_key(spec.name) {
        return Ok(ParameterRules::default());
    }
    if !matches!(spec.name, "azure_openai" | "replicate" | "xinference") {
        return Ok(catalog::parameter_rules(spec.name, model_name, None));
    }
    let row = provider_models::Entity::find()
        .filter(provider_models::Column::TenantId.eq(tenant_id))
        .filter(provider_models::Column::ProviderName.eq(spec.name))
        .filter(provider_models::Column::ModelName.eq(model_name))
        .filter(provider_models::Column::ModelType.eq(ModelType::TextGeneration.as_str()))
        .filter(provider_models::Column::IsValid.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| {
            ProviderError::NotInitialized(
                "Current Text Generation Model is invalid. Please switch to the available model.".into(),
            )
        })?;
    // Only clear fields matter here (base model, model format): nothing to decrypt.
    let config = credentials::parse_stored(spec, row.encrypted_config.as_deref());
    Ok(catalog::parameter_rules(spec.name, model_name, Some(&config)))
}

async fn stored_default(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    model_type: ModelType,
) -> Result<Option<defaults::Model>, sea_orm::DbErr> {
    defaults::Entity::find()
        .filter(defaults::Column::TenantId.eq(tenant_id))
        .filter(defaults::Column::ModelType.eq(model_type.as_str()))
        .order_by_asc(defaults::Column::CreatedAt)
        .one(db)
        .await
}

async fn first_usable_model(
    db: &impl ConnectionTrait,
    hosting: &Hosting,
    tenant_id: Uuid,
    model_type: ModelType,
) -> Result<Option<(&'static str, String)>, ApiError> {
    let all: Vec<&'static ProviderSpec> = PROVIDERS.iter().collect();
    let usable = usable_providers(db, hosting, tenant_id, &all).await?;
    for spec in all {
        let Some(row) = usable.get(spec.name) else { continue };
        let offered = offered_models(db, tenant_id, spec, model_type, on_trial(row)).await?;
        if let Some((name, _, _)) = offered.into_iter().next() {
            return Ok(Some((spec.name, name)));
        }
    }
    Ok(None)
}

/// Whether calls through `row` use a hosted trial quota (which hides some models, e.g. GPT-4).
fn on_trial(row: &providers::Model) -> bool {
    row.provider_type == ProviderType::System && row.quota_type == Some(QuotaType::Trial)
}

/// The models of a type a usable provider offers: its fixed list (less those hidden on a
/// trial quota), or the workspace's valid configured models (oldest first).
async fn offered_models(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    spec: &ProviderSpec,
    model_type: ModelType,
    on_trial: bool,
) -> Result<Vec<Offered>, ApiError> {
    if spec.is_fixed() {
        return Ok(spec
            .fixed_models(model_type)
            .filter(|m| !(on_trial && m.hidden_on_trial))
            .map(|m| {
                let features = m.features.iter().map(|f| (*f).to_owned()).collect();
                (m.name.to_owned(), m.display_name.to_owned(), features)
            })
            .collect());
    }
    let rows = provider_models::Entity::find()
        .filter(provider_models::Column::TenantId.eq(tenant_id))
        .filter(provider_models::Column::ProviderName.eq(spec.name))
        .filter(provider_models::Column::ModelType.eq(model_type.as_str()))
        .filter(provider_models::Column::IsValid.eq(true))
        .order_by_asc(provider_models::Column::CreatedAt)
        .order_by_asc(provider_models::Column::ModelName)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut features = Vec::new();
            if spec.name == "azure_openai" && azure_agent_capable(row.encrypted_config.as_deref()) {
                features.push(AGENT_THOUGHT.to_owned());
            }
            (row.model_name.clone(), row.model_name, features)
        })
        .collect())
}

/// Whether an Azure model's base model (a clear field of its config) can drive an agent.
fn azure_agent_capable(config: Option<&str>) -> bool {
    let base = config
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .and_then(|v| v.get("base_model_name").and_then(Value::as_str).map(str::to_owned));
    base.is_some_and(|b| AZURE_AGENT_BASE_MODELS.contains(&b.as_str()))
}
