//! `/workspaces/current/model-providers*`, `default-model`, `models/model-type/<type>` and the
//! legacy `providers*` routes: a workspace's model-provider settings (contract 4.8).
//!
//! Reads take `Console`; writes Dify guards with the owner/admin check take `Manager` (403
//! otherwise). Setting the default model has no role check in Dify, nor here.

use actix_web::{HttpResponse, web};
use kernel::ApiError;
use providers::ModelType;
use providers::credentials::Credentials;
use providers::store;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::guard::{Console, Manager};
use crate::body::{Body, choice};
use crate::http_error::HttpResult;
use crate::query::QueryArgs;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /model-providers/<name>` and its `validate`: the provider's credentials.
#[derive(Deserialize, utoipa::ToSchema)]
struct ProviderCredentials {
    /// The provider's credential fields.
    #[serde(deserialize_with = "dict")]
    #[schema(value_type = Object)]
    config: Credentials,
}

/// `POST /model-providers/<name>/models` and its `validate`: one model's credentials.
#[derive(Deserialize, utoipa::ToSchema)]
struct ModelCredentials {
    model_name: String,
    model_type: ConfigurableModelType,
    /// The model's credential fields.
    #[serde(deserialize_with = "dict")]
    #[schema(value_type = Object)]
    config: Credentials,
}

/// `POST /model-providers/<name>/preferred-provider-type`.
#[derive(Deserialize, utoipa::ToSchema)]
struct PreferredType {
    #[serde(deserialize_with = "choice")]
    preferred_provider_type: providers::catalog::ProviderType,
}

/// `POST /default-model`.
#[derive(Deserialize, utoipa::ToSchema)]
struct DefaultModelEdit {
    model_name: String,
    model_type: ConfigurableModelType,
    provider_name: String,
}

/// The legacy `providers/<provider>/token` and `token-validate`.
#[derive(Deserialize, utoipa::ToSchema)]
struct LegacyToken {
    /// OpenAI's API key as a string; any other provider's credentials as an object.
    #[schema(schema_with = string_or_object)]
    token: Value,
}

/// `oneOf: [string, object]`, as the legacy token is sent.
fn string_or_object() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Object))
        .build()
        .into()
}

/// A model type per-model credentials and default models take (Dify's choices:
/// `text-generation`, `embeddings`, `speech2text`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String")]
#[schema(value_type = String)]
struct ConfigurableModelType(ModelType);

impl TryFrom<String> for ConfigurableModelType {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        configurable_model_type("model_type", &value).map(Self).map_err(|e| e.message)
    }
}

/// reqparse's `type=dict`: an object, worded `"<name> must be a dict."` otherwise.
fn dict<'de, D: Deserializer<'de>>(d: D) -> Result<Credentials, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(map) => Ok(map),
        _ => Err(serde::de::Error::invalid_type(serde::de::Unexpected::Other("value"), &"a dict")),
    }
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    validate_provider,
    save_provider,
    delete_provider,
    validate_model,
    save_model,
    delete_model,
    preferred_provider_type,
    parameter_rules,
    checkout_url,
    free_quota_submit,
    free_quota_verify,
    default_model,
    set_default_model,
    valid_models,
    legacy_list,
    legacy_save_token,
    legacy_validate_token
))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/workspaces/current/model-providers", "console.modelproviderlistapi", web::to(list));
    t.add(
        "POST",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/validate",
        "console.modelprovidervalidateapi",
        web::to(validate_provider),
    );
    t.add(
        "POST",
        "/console/api/workspaces/current/model-providers/<string:provider_name>",
        "console.modelproviderupdateapi",
        web::to(save_provider),
    );
    t.add(
        "DELETE",
        "/console/api/workspaces/current/model-providers/<string:provider_name>",
        "console.modelproviderupdateapi",
        web::to(delete_provider),
    );
    t.add(
        "POST",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/models/validate",
        "console.modelprovidermodelvalidateapi",
        web::to(validate_model),
    );
    t.add(
        "POST",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/models",
        "console.modelprovidermodelupdateapi",
        web::to(save_model),
    );
    t.add(
        "DELETE",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/models",
        "console.modelprovidermodelupdateapi",
        web::to(delete_model),
    );
    t.add(
        "POST",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/preferred-provider-type",
        "console.preferredprovidertypeupdateapi",
        web::to(preferred_provider_type),
    );
    t.add(
        "GET",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/models/parameter-rules",
        "console.modelprovidermodelparameterruleapi",
        web::to(parameter_rules),
    );
    t.add(
        "GET",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/checkout-url",
        "console.modelproviderpaymentcheckouturlapi",
        web::to(checkout_url),
    );
    t.add(
        "POST",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/free-quota-submit",
        "console.modelproviderfreequotasubmitapi",
        web::to(free_quota_submit),
    );
    t.add(
        "GET",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/free-quota-qualification-verify",
        "console.modelproviderfreequotaqualificationverifyapi",
        web::to(free_quota_verify),
    );
    t.add("GET", "/console/api/workspaces/current/default-model", "console.defaultmodelapi", web::to(default_model));
    t.add(
        "POST",
        "/console/api/workspaces/current/default-model",
        "console.defaultmodelapi",
        web::to(set_default_model),
    );
    t.add(
        "GET",
        "/console/api/workspaces/current/models/model-type/<string:model_type>",
        "console.validmodelapi",
        web::to(valid_models),
    );
    t.add("GET", "/console/api/workspaces/current/providers", "console.providerlistapi", web::to(legacy_list));
    t.add(
        "POST",
        "/console/api/workspaces/current/providers/<provider>/token",
        "console.workspaces_current_providers_token",
        web::to(legacy_save_token),
    );
    t.add(
        "POST",
        "/console/api/workspaces/current/providers/<provider>/token-validate",
        "console.workspaces_current_providers_token_validate",
        web::to(legacy_validate_token),
    );
}

type Query = QueryArgs;

#[utoipa::path(get, path = "/console/api/workspaces/current/model-providers", tag = "model-providers", responses((status = 200, description = "Every provider with the workspace's settings", body = std::collections::HashMap<String, providers::store::ProviderStatus>)))]
async fn list(state: web::Data<AppState>, user: Console) -> HttpResult {
    let list = store::provider_list(
        &state.infra.db,
        state.infra.storage.as_ref(),
        &state.provider_credentials,
        &state.engine.hosting,
        user.tenant_id(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(post, path = "/console/api/workspaces/current/model-providers/{provider_name}/validate", tag = "model-providers", params(("provider_name" = String, Path)), request_body = ProviderCredentials, responses((status = 200, description = "`result` (`success` or `error`, with `error`)", body = crate::answers::Checked)))]
async fn validate_provider(
    state: web::Data<AppState>,
    _user: Console,
    path: web::Path<String>,
    body: Body<ProviderCredentials>,
) -> HttpResult {
    let config = body.read()?.config;
    Ok(check_result(store::validate_provider(&state.http, &path, &config).await?))
}

#[utoipa::path(post, path = "/console/api/workspaces/current/model-providers/{provider_name}", tag = "model-providers", params(("provider_name" = String, Path)), request_body = ProviderCredentials, responses((status = 201, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn save_provider(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: Body<ProviderCredentials>,
) -> HttpResult {
    let config = body.read()?.config;
    store::save_provider(&state.infra.db, &state.http, &state.provider_credentials, user.tenant_id(), &path, config)
        .await?;
    Ok(HttpResponse::Created().json(crate::answers::SUCCESS))
}

#[utoipa::path(delete, path = "/console/api/workspaces/current/model-providers/{provider_name}", tag = "model-providers", params(("provider_name" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_provider(state: web::Data<AppState>, Manager(user): Manager, path: web::Path<String>) -> HttpResult {
    store::delete_provider(
        &state.infra.db,
        &state.provider_credentials,
        &state.engine.hosting,
        user.tenant_id(),
        &path,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/console/api/workspaces/current/model-providers/{provider_name}/models/validate", tag = "model-providers", params(("provider_name" = String, Path)), request_body = ModelCredentials, responses((status = 200, description = "`result` (`success` or `error`, with `error`)", body = crate::answers::Checked)))]
async fn validate_model(
    state: web::Data<AppState>,
    _user: Console,
    path: web::Path<String>,
    body: Body<ModelCredentials>,
) -> HttpResult {
    let ModelCredentials { model_name, model_type: ConfigurableModelType(model_type), config } = body.read()?;
    let outcome = store::validate_model(&state.http, &path, &model_name, model_type, &config).await?;
    Ok(check_result(outcome))
}

#[utoipa::path(post, path = "/console/api/workspaces/current/model-providers/{provider_name}/models", tag = "model-providers", params(("provider_name" = String, Path)), request_body = ModelCredentials, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn save_model(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: Body<ModelCredentials>,
) -> HttpResult {
    let ModelCredentials { model_name, model_type: ConfigurableModelType(model_type), config } = body.read()?;
    store::save_model(
        &state.infra.db,
        &state.http,
        &state.provider_credentials,
        user.tenant_id(),
        &path,
        &model_name,
        model_type,
        config,
    )
    .await?;
    Ok(crate::answers::success())
}

#[utoipa::path(delete, path = "/console/api/workspaces/current/model-providers/{provider_name}/models", tag = "model-providers", params(("provider_name" = String, Path), ("model_name" = String, Query), ("model_type" = String, Query)), responses((status = 204, description = "Deleted")))]
async fn delete_model(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    query: Query,
) -> HttpResult {
    let model_name = query.required("model_name")?.to_owned();
    let model_type = configurable_model_type("model_type", query.required("model_type")?)?;
    store::delete_model(&state.infra.db, &state.provider_credentials, user.tenant_id(), &path, &model_name, model_type)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/console/api/workspaces/current/model-providers/{provider_name}/preferred-provider-type", tag = "model-providers", params(("provider_name" = String, Path)), request_body = PreferredType, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn preferred_provider_type(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: Body<PreferredType>,
) -> HttpResult {
    let PreferredType { preferred_provider_type } = body.read()?;
    let preferred = preferred_provider_type;
    store::set_preferred_provider_type(&state.infra.db, &state.engine.hosting, user.tenant_id(), &path, preferred)
        .await?;
    Ok(crate::answers::success())
}

#[utoipa::path(get, path = "/console/api/workspaces/current/model-providers/{provider_name}/models/parameter-rules", tag = "model-providers", params(("provider_name" = String, Path), ("model_name" = String, Query)), responses((status = 200, description = "The model's parameter rules", body = providers::catalog::ParameterRules)))]
async fn parameter_rules(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<String>,
    query: Query,
) -> HttpResult {
    let model_name = query.required("model_name")?.to_owned();
    let rules =
        store::model_parameter_rules(&state.infra.db, &state.engine.hosting, user.tenant_id(), &path, &model_name)
            .await?;
    Ok(HttpResponse::Ok().json(rules))
}

/// Stripe checkout for a hosted paid quota. Without hosted providers no provider is payable:
/// the same 400s a SELF_HOSTED Dify answers.
#[utoipa::path(get, path = "/console/api/workspaces/current/model-providers/{provider_name}/checkout-url", tag = "model-providers", params(("provider_name" = String, Path)), responses((status = 400, description = "No provider is payable without hosted providers")))]
async fn checkout_url(_user: Console, path: web::Path<String>) -> HttpResult {
    let message = match providers::catalog::get(&path) {
        None => format!("provider name {path} is invalid"),
        Some(_) => format!("provider name {path} not support payment"),
    };
    Err(ApiError::value_error(message).into())
}

/// Dify's free-quota service exists only for Dify Cloud (a SELF_HOSTED Dify has no
/// `FREE_QUOTA_APPLY_BASE_URL` and fails with a 500 here); dify-rs answers 404.
async fn free_quota(_user: Console) -> HttpResult {
    Err(ApiError::not_found("Free quotas are only available on Dify Cloud.").into())
}

#[utoipa::path(post, path = "/console/api/workspaces/current/model-providers/{provider_name}/free-quota-submit", tag = "model-providers", params(("provider_name" = String, Path)), responses((status = 404, description = "Free quotas are only available on Dify Cloud")))]
async fn free_quota_submit(user: Console) -> HttpResult {
    free_quota(user).await
}

#[utoipa::path(get, path = "/console/api/workspaces/current/model-providers/{provider_name}/free-quota-qualification-verify", tag = "model-providers", params(("provider_name" = String, Path)), responses((status = 404, description = "Free quotas are only available on Dify Cloud")))]
async fn free_quota_verify(user: Console) -> HttpResult {
    free_quota(user).await
}

#[utoipa::path(get, path = "/console/api/workspaces/current/default-model", tag = "model-providers", params(("model_type" = String, Query)), responses((status = 200, description = "The workspace's default model of that type, or null", body = Option<providers::store::DefaultModel>)))]
async fn default_model(state: web::Data<AppState>, user: Console, query: Query) -> HttpResult {
    let model_type = configurable_model_type("model_type", query.required("model_type")?)?;
    let model = store::default_model(&state.infra.db, &state.engine.hosting, user.tenant_id(), model_type).await?;
    Ok(HttpResponse::Ok().json(model))
}

#[utoipa::path(post, path = "/console/api/workspaces/current/default-model", tag = "model-providers", request_body = DefaultModelEdit, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn set_default_model(state: web::Data<AppState>, user: Console, body: Body<DefaultModelEdit>) -> HttpResult {
    let DefaultModelEdit { model_name, model_type: ConfigurableModelType(model_type), provider_name } = body.read()?;
    store::set_default_model(
        &state.infra.db,
        &state.engine.hosting,
        &state.provider_credentials,
        user.tenant_id(),
        model_type,
        &provider_name,
        &model_name,
    )
    .await?;
    Ok(crate::answers::success())
}

#[utoipa::path(get, path = "/console/api/workspaces/current/models/model-type/{model_type}", tag = "model-providers", params(("model_type" = String, Path)), responses((status = 200, description = "The models of that type the workspace may use", body = Vec<providers::store::ValidModel>)))]
async fn valid_models(state: web::Data<AppState>, user: Console, path: web::Path<String>) -> HttpResult {
    let model_type = match path.parse::<ModelType>() {
        Ok(t) => t,
        // Dify's enum also has image and video models, which no provider offers.
        Err(()) if matches!(path.as_str(), "image" | "video") => return Ok(HttpResponse::Ok().json(json!([]))),
        Err(()) => {
            return Err(ApiError::value_error(format!("No matching enum found for value '{}'", path.as_str())).into());
        }
    };
    let models = store::valid_models(&state.infra.db, &state.engine.hosting, user.tenant_id(), model_type).await?;
    Ok(HttpResponse::Ok().json(models))
}

#[utoipa::path(get, path = "/console/api/workspaces/current/providers", tag = "model-providers", responses((status = 200, description = "The providers in Dify's legacy shape", body = Vec<providers::store::LegacyProvider>)))]
async fn legacy_list(state: web::Data<AppState>, user: Console) -> HttpResult {
    let list = store::provider_list(
        &state.infra.db,
        state.infra.storage.as_ref(),
        &state.provider_credentials,
        &state.engine.hosting,
        user.tenant_id(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(store::legacy_provider_list(&list)))
}

#[utoipa::path(post, path = "/console/api/workspaces/current/providers/{provider}/token", tag = "model-providers", params(("provider" = String, Path)), request_body = LegacyToken, responses((status = 201, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn legacy_save_token(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: Body<LegacyToken>,
) -> HttpResult {
    let config = legacy_token(&path, body.read()?.token)?;
    store::save_provider(&state.infra.db, &state.http, &state.provider_credentials, user.tenant_id(), &path, config)
        .await?;
    Ok(HttpResponse::Created().json(crate::answers::SUCCESS))
}

#[utoipa::path(post, path = "/console/api/workspaces/current/providers/{provider}/token-validate", tag = "model-providers", params(("provider" = String, Path)), request_body = LegacyToken, responses((status = 200, description = "`result` (`success` or `error`, with `error`)", body = crate::answers::Checked)))]
async fn legacy_validate_token(
    state: web::Data<AppState>,
    _user: Console,
    path: web::Path<String>,
    body: Body<LegacyToken>,
) -> HttpResult {
    let config = legacy_token(&path, body.read()?.token)?;
    Ok(check_result(store::validate_provider(&state.http, &path, &config).await?))
}

/// The legacy `token` argument: OpenAI's key as a string, any other provider's config object.
fn legacy_token(provider: &str, token: Value) -> Result<Credentials, ApiError> {
    match token {
        Value::String(key) if provider == "openai" => {
            let mut config = Credentials::new();
            config.insert("openai_api_key".into(), Value::String(key));
            Ok(config)
        }
        Value::Object(config) if provider != "openai" => Ok(config),
        _ => Err(ApiError::invalid_param("token", "token is not valid for this provider.")),
    }
}

/// `{result:'success'}` or `{result:'error', error}` for a credential check.
fn check_result(outcome: Result<(), String>) -> HttpResponse {
    HttpResponse::Ok().json(crate::answers::Checked::of(outcome))
}

/// The model types per-model credentials and default models take (Dify's choices).
fn configurable_model_type(name: &str, value: &str) -> Result<ModelType, ApiError> {
    match value.parse::<ModelType>() {
        Ok(t) if t != ModelType::Moderation => Ok(t),
        _ => Err(not_a_choice(name, value)),
    }
}

fn not_a_choice(name: &str, value: &str) -> ApiError {
    ApiError::invalid_param(name, format!("{value} is not a valid choice"))
}
