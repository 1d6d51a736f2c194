//! `/apps*`: the console's Studio — apps, their model config, site and API keys, templates.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use apps::api_keys::{self, KeyResource};
use apps::app::{self, AppEdit, NewApp};
use apps::lookup::AppMode;
use apps::site::{self, SiteEdit};
use entities::apps as app_rows;
use kernel::ApiError;
use serde_json::{Value, json};
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/apps", "console.applistapi", web::to(list));
    t.add("POST", "/console/api/apps", "console.applistapi", web::to(create));
    t.add("GET", "/console/api/app-templates", "console.apptemplateapi", web::to(templates));
    t.add("GET", "/console/api/apps/<uuid:app_id>", "console.appapi", web::to(detail));
    t.add("DELETE", "/console/api/apps/<uuid:app_id>", "console.appapi", web::to(delete));
    t.add("POST", "/console/api/apps/<uuid:app_id>/copy", "console.appcopy", web::to(copy));
    t.add("POST", "/console/api/apps/<uuid:app_id>/name", "console.appnameapi", web::to(name));
    t.add("POST", "/console/api/apps/<uuid:app_id>/icon", "console.appiconapi", web::to(icon));
    t.add("POST", "/console/api/apps/<uuid:app_id>/site-enable", "console.appsitestatus", web::to(site_enable));
    t.add("POST", "/console/api/apps/<uuid:app_id>/api-enable", "console.appapistatus", web::to(api_enable));
    t.add("POST", "/console/api/apps/<uuid:app_id>/model-config", "console.modelconfigresource", web::to(model_config));
    t.add("POST", "/console/api/apps/<uuid:app_id>/site", "console.appsite", web::to(site_update));
    t.add(
        "POST",
        "/console/api/apps/<uuid:app_id>/site/access-token-reset",
        "console.appsiteaccesstokenreset",
        web::to(site_reset),
    );
    t.add("GET", "/console/api/apps/<uuid:resource_id>/api-keys", "console.appapikeylistresource", web::to(keys_list));
    t.add(
        "POST",
        "/console/api/apps/<uuid:resource_id>/api-keys",
        "console.appapikeylistresource",
        web::to(keys_create),
    );
    t.add(
        "DELETE",
        "/console/api/apps/<uuid:resource_id>/api-keys/<uuid:api_key_id>",
        "console.appapikeyresource",
        web::to(keys_delete),
    );
}

/// The caller's app, or Dify's 404 `app_not_found`.
async fn load(state: &AppState, user: &Console, app_id: Uuid) -> Result<app_rows::Model, ApiError> {
    apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, None)
        .await
        .map_err(|e| if e.status == 404 { ApiError::new(404, "app_not_found", "App not found.") } else { e })
}

fn page_arg(query: &HashMap<String, String>, name: &str, default: u64, max: u64) -> Result<u64, ApiError> {
    match query.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid_param(
                name,
                format!("Invalid {name}: {v}. {name} must be within the range 1 - {max}"),
            )),
        },
    }
}

async fn list(state: web::Data<AppState>, user: Console, query: web::Query<HashMap<String, String>>) -> HttpResult {
    let page = page_arg(&query, "page", 1, 99_999)?;
    let limit = page_arg(&query, "limit", 20, 100)?;
    Ok(HttpResponse::Ok().json(app::list(&state.infra.db, user.tenant_id(), page, limit).await?))
}

async fn create(state: web::Data<AppState>, user: Manager, body: web::Json<Value>) -> HttpResult {
    let user = user.0;
    let Value::Object(map) = body.into_inner() else {
        return Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object").into());
    };
    let model_config = match map.get("model_config") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(ApiError::invalid_param("model_config", "model_config must be an object.").into()),
    };
    let args = JsonArgs::new(web::Json(Value::Object(map)))?;
    let name = args.required_str("name")?;
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(ApiError::invalid_param("name", "name must be 1 to 255 characters.").into());
    }
    let mode = match args.optional_str("mode")? {
        None => None,
        Some(m) => Some(
            AppMode::parse(&m).ok_or_else(|| ApiError::invalid_param("mode", format!("{m} is not a valid choice")))?,
        ),
    };
    let new = NewApp {
        name,
        mode,
        icon: args.optional_str("icon")?,
        icon_background: args.optional_str("icon_background")?,
        model_config,
    };
    let (choices, default) = super::app_models::choices(&state, user.tenant_id()).await?;
    let language = user.account.interface_language.clone().unwrap_or_else(|| "en-US".into());
    let detail = app::create(&state.infra.db, user.tenant_id(), &language, new, &choices, default.as_ref()).await?;
    Ok(HttpResponse::Created().json(detail))
}

async fn templates(user: Console) -> HttpResult {
    let language = user.account.interface_language.as_deref().unwrap_or("en-US");
    Ok(HttpResponse::Ok().json(apps::templates::demo_templates(language)))
}

/// Where the web app and the service API are reached: the configured URLs, else this host.
fn base_urls(req: &HttpRequest, state: &AppState) -> (String, String) {
    let info = req.connection_info();
    let here = format!("{}://{}", info.scheme(), info.host());
    let pick = |configured: &str| {
        if configured.is_empty() { here.clone() } else { configured.trim_end_matches('/').to_string() }
    };
    (pick(&state.config.app_web_url), pick(&state.config.service_api_url))
}

async fn detail(req: HttpRequest, state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user, path.into_inner()).await?;
    let (app_base, api_base) = base_urls(&req, &state);
    Ok(HttpResponse::Ok().json(app::detail_with_site(&state.infra.db, &app, &app_base, &api_base).await?))
}

async fn delete(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    app::delete(&state.infra.db, &app).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn copy(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    let language = user.0.account.interface_language.clone().unwrap_or_else(|| "en-US".into());
    Ok(HttpResponse::Created().json(app::copy(&state.infra.db, &app, &language).await?))
}

async fn apply(state: &AppState, user: &Console, app_id: Uuid, edit: AppEdit) -> HttpResult {
    let app = load(state, user, app_id).await?;
    Ok(HttpResponse::Ok().json(app::edit(&state.infra.db, app, edit).await?))
}

async fn name(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>, body: web::Json<Value>) -> HttpResult {
    let name = JsonArgs::new(body)?.required_str("name")?;
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(ApiError::invalid_param("name", "name must be 1 to 255 characters.").into());
    }
    apply(&state, &user.0, path.into_inner(), AppEdit::Name(name)).await
}

async fn icon(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>, body: web::Json<Value>) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let edit =
        AppEdit::Icon { icon: args.optional_str("icon")?, icon_background: args.optional_str("icon_background")? };
    apply(&state, &user.0, path.into_inner(), edit).await
}

fn required_bool(args: &JsonArgs, name: &str) -> Result<bool, ApiError> {
    if !args.has(name) {
        return Err(ApiError::invalid_param(name, "Missing required parameter in the JSON body"));
    }
    args.bool_or(name, false)
}

async fn site_enable(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let v = required_bool(&JsonArgs::new(body)?, "enable_site")?;
    apply(&state, &user.0, path.into_inner(), AppEdit::EnableSite(v)).await
}

async fn api_enable(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let v = required_bool(&JsonArgs::new(body)?, "enable_api")?;
    apply(&state, &user.0, path.into_inner(), AppEdit::EnableApi(v)).await
}

async fn model_config(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    let (choices, _) = super::app_models::choices(&state, user.0.tenant_id()).await?;
    app::set_model_config(&state.infra.db, &app, body.into_inner(), &choices).await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}

async fn site_update(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    let args = JsonArgs::new(body)?;
    let edit = SiteEdit {
        title: args.optional_str("title")?,
        icon: args.optional_str("icon")?,
        icon_background: args.optional_str("icon_background")?,
        description: args.optional_str("description")?,
        default_language: args.optional_str("default_language")?,
        customize_domain: args.optional_str("customize_domain")?,
        copyright: args.optional_str("copyright")?,
        privacy_policy: args.optional_str("privacy_policy")?,
        customize_token_strategy: args.optional_str("customize_token_strategy")?,
        prompt_public: if args.has("prompt_public") { Some(args.bool_or("prompt_public", false)?) } else { None },
    };
    Ok(HttpResponse::Ok().json(site::update(&state.infra.db, &app, edit).await?))
}

async fn site_reset(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(site::reset_code(&state.infra.db, app.id).await?))
}

async fn keys_list(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user, path.into_inner()).await?;
    let reveal = user.role().is_manager();
    Ok(HttpResponse::Ok().json(api_keys::list(&state.infra.db, KeyResource::App(app.id), reveal).await?))
}

async fn keys_create(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    Ok(HttpResponse::Created().json(api_keys::create(&state.infra.db, KeyResource::App(app.id)).await?))
}

async fn keys_delete(state: web::Data<AppState>, user: Manager, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, key_id) = path.into_inner();
    let app = load(&state, &user.0, app_id).await?;
    api_keys::delete(&state.infra.db, KeyResource::App(app.id), key_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
