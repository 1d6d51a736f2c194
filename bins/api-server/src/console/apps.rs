//! `/apps*`: the console's Studio — apps, their model config, site and API keys, templates.

use crate::query::QueryArgs;
use kernel::page::PageRequest;

use actix_web::{HttpRequest, HttpResponse, web};
use apps::api_keys::{self, KeyResource};
use apps::app::{self, AppEdit, NewApp};
use apps::lookup::AppMode;
use apps::site::{self, SiteEdit};
use entities::apps as app_rows;
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::guard::{Console, Manager};
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /apps`.
#[derive(Deserialize, utoipa::ToSchema)]
struct CreateApp {
    name: AppName,
    #[serde(default, deserialize_with = "crate::body::some_choice")]
    mode: Option<AppMode>,
    icon: Option<String>,
    icon_background: Option<String>,
    /// A model config to start from (Dify's `model_config` object); the default model otherwise.
    model_config: Option<Map<String, Value>>,
}

/// `POST /apps/<id>/name`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Rename {
    name: AppName,
}

/// `POST /apps/<id>/icon`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Icon {
    icon: Option<String>,
    icon_background: Option<String>,
}

/// `POST /apps/<id>/site-enable`.
#[derive(Deserialize, utoipa::ToSchema)]
struct EnableSite {
    enable_site: bool,
}

/// `POST /apps/<id>/api-enable`.
#[derive(Deserialize, utoipa::ToSchema)]
struct EnableApi {
    enable_api: bool,
}

/// An app's name: 1 to 255 characters, not only blanks.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String")]
struct AppName(String);

impl TryFrom<String> for AppName {
    type Error = &'static str;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        if name.trim().is_empty() || name.chars().count() > 255 {
            return Err("name must be 1 to 255 characters.");
        }
        Ok(Self(name))
    }
}

impl From<AppName> for String {
    fn from(name: AppName) -> Self {
        name.0
    }
}

/// This module's part of the console's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    create,
    templates,
    detail,
    delete,
    copy,
    name,
    icon,
    site_enable,
    api_enable,
    model_config,
    site_update,
    site_reset,
    keys_list,
    keys_create,
    keys_delete
))]
pub(super) struct Doc;

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
async fn load(state: &AppState, user: &Console, app_id: Uuid) -> Result<app_rows::Model, apps::AppError> {
    apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, None)
        .await
        .map_err(apps::AppError::as_app_not_found)
}

#[utoipa::path(get, path = "/console/api/apps", tag = "apps", params(("page" = Option<u64>, Query), ("limit" = Option<u64>, Query)), responses((status = 200, description = "A page of the workspace's apps", body = apps::app::AppPage)))]
async fn list(state: web::Data<AppState>, user: Console, query: QueryArgs) -> HttpResult {
    let PageRequest { page, limit } = query.page_request()?;
    Ok(HttpResponse::Ok().json(app::list(&state.infra.db, user.tenant_id(), page, limit).await?))
}

#[utoipa::path(post, path = "/console/api/apps", tag = "apps", request_body = CreateApp, responses((status = 201, description = "The new app", body = apps::app::AppDetail)))]
async fn create(state: web::Data<AppState>, user: Manager, body: Body<CreateApp>) -> HttpResult {
    let user = user.0;
    let CreateApp { name, mode, icon, icon_background, model_config } = body.read()?;
    let new = NewApp { name: name.into(), mode, icon, icon_background, model_config: model_config.map(Value::Object) };
    let (choices, default) = super::app_models::choices(&state, user.tenant_id()).await?;
    let language = user.account.interface_language.clone().unwrap_or_else(|| "en-US".into());
    let detail = app::create(&state.infra.db, user.tenant_id(), &language, new, &choices, default.as_ref()).await?;
    Ok(HttpResponse::Created().json(detail))
}

#[utoipa::path(get, path = "/console/api/app-templates", tag = "apps", responses((status = 200, description = "Demo app templates", body = apps::templates::Templates)))]
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

#[utoipa::path(get, path = "/console/api/apps/{app_id}", tag = "apps", params(("app_id" = Uuid, Path)), responses((status = 200, description = "The app with its site and model config", body = apps::app::AppDetailWithSite)))]
async fn detail(req: HttpRequest, state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user, path.into_inner()).await?;
    let (app_base, api_base) = base_urls(&req, &state);
    Ok(HttpResponse::Ok().json(app::detail_with_site(&state.infra.db, &app, &app_base, &api_base).await?))
}

#[utoipa::path(delete, path = "/console/api/apps/{app_id}", tag = "apps", params(("app_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn delete(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    app::delete(&state.infra.db, &app).await?;
    state.hot_apps.changed().await;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/copy", tag = "apps", params(("app_id" = Uuid, Path)), responses((status = 201, description = "The copy", body = apps::app::AppDetail)))]
async fn copy(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    let language = user.0.account.interface_language.clone().unwrap_or_else(|| "en-US".into());
    Ok(HttpResponse::Created().json(app::copy(&state.infra.db, &app, &language).await?))
}

async fn apply(state: &AppState, user: &Console, app_id: Uuid, edit: AppEdit) -> HttpResult {
    let app = load(state, user, app_id).await?;
    let detail = app::edit(&state.infra.db, app, edit).await?;
    state.hot_apps.changed().await;
    Ok(HttpResponse::Ok().json(detail))
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/name", tag = "apps", params(("app_id" = Uuid, Path)), request_body = Rename, responses((status = 200, description = "The app", body = apps::app::AppDetail)))]
async fn name(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>, body: Body<Rename>) -> HttpResult {
    apply(&state, &user.0, path.into_inner(), AppEdit::Name(body.read()?.name.into())).await
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/icon", tag = "apps", params(("app_id" = Uuid, Path)), request_body = Icon, responses((status = 200, description = "The app", body = apps::app::AppDetail)))]
async fn icon(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>, body: Body<Icon>) -> HttpResult {
    let Icon { icon, icon_background } = body.read()?;
    apply(&state, &user.0, path.into_inner(), AppEdit::Icon { icon, icon_background }).await
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/site-enable", tag = "apps", params(("app_id" = Uuid, Path)), request_body = EnableSite, responses((status = 200, description = "The app", body = apps::app::AppDetail)))]
async fn site_enable(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: Body<EnableSite>,
) -> HttpResult {
    apply(&state, &user.0, path.into_inner(), AppEdit::EnableSite(body.read()?.enable_site)).await
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/api-enable", tag = "apps", params(("app_id" = Uuid, Path)), request_body = EnableApi, responses((status = 200, description = "The app", body = apps::app::AppDetail)))]
async fn api_enable(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: Body<EnableApi>,
) -> HttpResult {
    apply(&state, &user.0, path.into_inner(), AppEdit::EnableApi(body.read()?.enable_api)).await
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/model-config", tag = "apps", params(("app_id" = Uuid, Path)), request_body(content = Object, description = "Dify's model config object"), responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn model_config(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: Body<Map<String, Value>>,
) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    let (choices, _) = super::app_models::choices(&state, user.0.tenant_id()).await?;
    app::set_model_config(&state.infra.db, &app, Value::Object(body.read()?), &choices).await?;
    state.hot_apps.changed().await;
    Ok(crate::answers::success())
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/site", tag = "apps", params(("app_id" = Uuid, Path)), request_body = SiteEdit, responses((status = 200, description = "The site", body = apps::site::SiteFields)))]
async fn site_update(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: Body<SiteEdit>,
) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    let edit = body.read()?;
    let site = site::update(&state.infra.db, &app, edit).await?;
    state.hot_apps.changed().await;
    Ok(HttpResponse::Ok().json(site))
}

#[utoipa::path(post, path = "/console/api/apps/{app_id}/site/access-token-reset", tag = "apps", params(("app_id" = Uuid, Path)), responses((status = 200, description = "The site with a new code", body = apps::site::SiteFields)))]
async fn site_reset(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    let site = site::reset_code(&state.infra.db, app.id).await?;
    // Passports of the old code stop working at every replica's next request.
    state.hot_apps.changed().await;
    Ok(HttpResponse::Ok().json(site))
}

#[utoipa::path(get, path = "/console/api/apps/{resource_id}/api-keys", tag = "apps", params(("resource_id" = Uuid, Path)), responses((status = 200, description = "The app's API keys", body = apps::api_keys::ApiKeyList)))]
async fn keys_list(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user, path.into_inner()).await?;
    let reveal = user.role().is_manager();
    Ok(HttpResponse::Ok().json(api_keys::list(&state.infra.db, KeyResource::App(app.id), reveal).await?))
}

#[utoipa::path(post, path = "/console/api/apps/{resource_id}/api-keys", tag = "apps", params(("resource_id" = Uuid, Path)), responses((status = 201, description = "The new key", body = apps::api_keys::ApiKeyFields)))]
async fn keys_create(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = load(&state, &user.0, path.into_inner()).await?;
    Ok(HttpResponse::Created().json(api_keys::create(&state.infra.db, KeyResource::App(app.id)).await?))
}

#[utoipa::path(delete, path = "/console/api/apps/{resource_id}/api-keys/{api_key_id}", tag = "apps", params(("resource_id" = Uuid, Path), ("api_key_id" = Uuid, Path)), responses((status = 204, description = "Deleted")))]
async fn keys_delete(state: web::Data<AppState>, user: Manager, path: web::Path<(Uuid, Uuid)>) -> HttpResult {
    let (app_id, key_id) = path.into_inner();
    let app = load(&state, &user.0, app_id).await?;
    api_keys::delete(&state.infra.db, KeyResource::App(app.id), key_id).await?;
    state.hot_apps.changed().await;
    Ok(HttpResponse::NoContent().finish())
}
