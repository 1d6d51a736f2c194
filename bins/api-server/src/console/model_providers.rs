//! `/workspaces/current/model-providers*`, `default-model`, `models/model-type/<type>` and the
//! legacy `providers*` routes: a workspace's model-provider settings (contract 4.8).
//!
//! Reads take `Console`; writes Dify guards with the owner/admin check take `Manager` (403
//! otherwise). Setting the default model has no role check in Dify, nor here.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use kernel::ApiError;
use providers::ModelType;
use providers::credentials::Credentials;
use providers::store;
use serde_json::{Value, json};

use super::guard::{Console, Manager};
use crate::args::{JsonArgs, required_query};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
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
        web::to(free_quota),
    );
    t.add(
        "GET",
        "/console/api/workspaces/current/model-providers/<string:provider_name>/free-quota-qualification-verify",
        "console.modelproviderfreequotaqualificationverifyapi",
        web::to(free_quota),
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

type Query = web::Query<HashMap<String, String>>;

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

async fn validate_provider(
    state: web::Data<AppState>,
    _user: Console,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResult {
    let (_, config) = split_config(body)?;
    let config = config_arg(config, "config")?;
    Ok(check_result(store::validate_provider(&state.http, &path, &config).await?))
}

async fn save_provider(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResult {
    let (_, config) = split_config(body)?;
    let config = config_arg(config, "config")?;
    store::save_provider(&state.infra.db, &state.http, &state.provider_credentials, user.tenant_id(), &path, config)
        .await?;
    Ok(HttpResponse::Created().json(json!({"result": "success"})))
}

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

async fn validate_model(
    state: web::Data<AppState>,
    _user: Console,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResult {
    let (args, config) = split_config(body)?;
    let model_name = args.required_str("model_name")?;
    let model_type = configurable_model_type("model_type", &args.required_str("model_type")?)?;
    let config = config_arg(config, "config")?;
    let outcome = store::validate_model(&state.http, &path, &model_name, model_type, &config).await?;
    Ok(check_result(outcome))
}

async fn save_model(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResult {
    let (args, config) = split_config(body)?;
    let model_name = args.required_str("model_name")?;
    let model_type = configurable_model_type("model_type", &args.required_str("model_type")?)?;
    let config = config_arg(config, "config")?;
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
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

async fn delete_model(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    query: Query,
) -> HttpResult {
    let model_name = required_query(&query, "model_name")?;
    let model_type = configurable_model_type("model_type", &required_query(&query, "model_type")?)?;
    store::delete_model(&state.infra.db, &state.provider_credentials, user.tenant_id(), &path, &model_name, model_type)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn preferred_provider_type(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResult {
    let preferred = JsonArgs::new(body)?.required_str("preferred_provider_type")?;
    if !matches!(preferred.as_str(), "system" | "custom") {
        return Err(not_a_choice("preferred_provider_type", &preferred).into());
    }
    store::set_preferred_provider_type(&state.infra.db, &state.engine.hosting, user.tenant_id(), &path, &preferred)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

async fn parameter_rules(
    state: web::Data<AppState>,
    user: Console,
    path: web::Path<String>,
    query: Query,
) -> HttpResult {
    let model_name = required_query(&query, "model_name")?;
    let rules =
        store::model_parameter_rules(&state.infra.db, &state.engine.hosting, user.tenant_id(), &path, &model_name)
            .await?;
    Ok(HttpResponse::Ok().json(rules))
}

/// Stripe checkout for a hosted paid quota. Without hosted providers no provider is payable:
/// the same 400s a SELF_HOSTED Dify answers.
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

async fn default_model(state: web::Data<AppState>, user: Console, query: Query) -> HttpResult {
    let model_type = configurable_model_type("model_type", &required_query(&query, "model_type")?)?;
    let model = store::default_model(&state.infra.db, &state.engine.hosting, user.tenant_id(), model_type).await?;
    Ok(HttpResponse::Ok().json(model))
}

async fn set_default_model(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let model_name = args.required_str("model_name")?;
    let model_type = configurable_model_type("model_type", &args.required_str("model_type")?)?;
    let provider_name = args.required_str("provider_name")?;
    store::set_default_model(
        &state.infra.db,
        &state.engine.hosting,
        user.tenant_id(),
        model_type,
        &provider_name,
        &model_name,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

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

async fn legacy_save_token(
    state: web::Data<AppState>,
    Manager(user): Manager,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResult {
    let config = legacy_token(&path, body)?;
    store::save_provider(&state.infra.db, &state.http, &state.provider_credentials, user.tenant_id(), &path, config)
        .await?;
    Ok(HttpResponse::Created().json(json!({"result": "success"})))
}

async fn legacy_validate_token(
    state: web::Data<AppState>,
    _user: Console,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResult {
    let config = legacy_token(&path, body)?;
    Ok(check_result(store::validate_provider(&state.http, &path, &config).await?))
}

/// The legacy `token` argument: OpenAI's key as a string, any other provider's config object.
fn legacy_token(provider: &str, body: web::Json<Value>) -> Result<Credentials, ApiError> {
    let (_, token) = split_arg(body, "token")?;
    match token {
        Some(Value::String(key)) if provider == "openai" => {
            let mut config = Credentials::new();
            config.insert("openai_api_key".into(), Value::String(key));
            Ok(config)
        }
        Some(Value::Object(config)) if provider != "openai" => Ok(config),
        None | Some(Value::Null) => {
            Err(ApiError::invalid_param("token", "Missing required parameter in the JSON body"))
        }
        Some(_) => Err(ApiError::invalid_param("token", "token is not valid for this provider.")),
    }
}

/// `{result:'success'}` or `{result:'error', error}` for a credential check.
fn check_result(outcome: Result<(), String>) -> HttpResponse {
    match outcome {
        Ok(()) => HttpResponse::Ok().json(json!({"result": "success"})),
        Err(error) => HttpResponse::Ok().json(json!({"result": "error", "error": error})),
    }
}

/// Takes `config` out of the body; the rest is read as reqparse arguments.
fn split_config(body: web::Json<Value>) -> Result<(JsonArgs, Option<Value>), ApiError> {
    split_arg(body, "config")
}

fn split_arg(body: web::Json<Value>, name: &str) -> Result<(JsonArgs, Option<Value>), ApiError> {
    let mut body = body.into_inner();
    let taken = body.as_object_mut().and_then(|m| m.remove(name));
    Ok((JsonArgs::new(web::Json(body))?, taken))
}

/// A required JSON-object argument (reqparse `type=dict`).
fn config_arg(value: Option<Value>, name: &str) -> Result<Credentials, ApiError> {
    match value {
        Some(Value::Object(map)) => Ok(map),
        None | Some(Value::Null) => Err(ApiError::invalid_param(name, "Missing required parameter in the JSON body")),
        Some(_) => Err(ApiError::invalid_param(name, format!("{name} must be a dict."))),
    }
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
