//! Explore: the recommended-app catalogue, listing an app there (the operators' admin routes
//! and the seed fork's owner routes), and each workspace's installed apps.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use apps::explore::{self, DEFAULT_CATEGORY, Language, Listing, Outcome};
use apps::installed;
use kernel::ApiError;
use kernel::config::Edition;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::guard::{Console, Manager};
use super::workspace::admin_required;
use crate::args::JsonArgs;
use crate::http_error::{HttpError, HttpResult};
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/explore/apps", "console.recommendedapplistapi", web::to(catalogue));
    t.add("GET", "/console/api/explore/apps/<uuid:app_id>", "console.recommendedappapi", web::to(detail));
    t.add("POST", "/console/api/explore/apps/<uuid:app_id>", "console.recommendedappapi", web::to(recommend));
    t.add("DELETE", "/console/api/explore/apps/<uuid:app_id>", "console.recommendedappapi", web::to(unlist));
    t.add("GET", "/console/api/installed-apps", "console.installedappslistapi", web::to(installed_list));
    t.add("POST", "/console/api/installed-apps", "console.installedappslistapi", web::to(install));
    t.add("PATCH", "/console/api/installed-apps/<uuid:installed_app_id>", "console.installedappapi", web::to(pin));
    t.add(
        "DELETE",
        "/console/api/installed-apps/<uuid:installed_app_id>",
        "console.installedappapi",
        web::to(uninstall),
    );
    t.add("POST", "/console/api/admin/insert-explore-apps", "console.insertexploreapplistapi", web::to(admin_insert));
    t.add(
        "DELETE",
        "/console/api/admin/insert-explore-apps/<uuid:app_id>",
        "console.insertexploreappapi",
        web::to(admin_delete),
    );
}

/// Dify's `only_edition_cloud` then `admin_required`: 404 outside the CLOUD edition, then
/// `Authorization: Bearer <ADMIN_API_KEY>`. Checked before the body is read.
#[derive(Debug)]
pub struct CloudAdmin;

impl FromRequest for CloudAdmin {
    type Error = HttpError;
    type Future = Ready<Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let check = || {
            let state = req.app_data::<web::Data<AppState>>().ok_or_else(ApiError::internal)?;
            if state.config.edition != Edition::Cloud {
                return Err(ApiError::route_not_found());
            }
            admin_required(req, state)
        };
        ready(check().map(|()| CloudAdmin).map_err(HttpError))
    }
}

fn success() -> Value {
    json!({"result": "success"})
}

/// The caller's interface language, as the catalogue is filtered by it.
fn account_language(user: &Console) -> &str {
    user.account.interface_language.as_deref().filter(|l| !l.is_empty()).unwrap_or("en-US")
}

async fn catalogue(state: web::Data<AppState>, user: Console) -> HttpResult {
    let editable = user.role().is_manager();
    let body = explore::catalogue(&state.infra.db, user.tenant_id(), account_language(&user), editable).await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn detail(state: web::Data<AppState>, _user: Console, path: web::Path<Uuid>) -> HttpResult {
    Ok(HttpResponse::Ok().json(explore::detail(&state.infra.db, path.into_inner()).await?))
}

/// The body as an object, and the `position` field read as reqparse's `type=int` reads it.
fn object(body: web::Json<Value>) -> Result<(JsonArgs, Option<i32>), ApiError> {
    let Value::Object(map) = body.into_inner() else {
        return Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object"));
    };
    let position = int_arg(&map, "position")?;
    Ok((JsonArgs::new(web::Json(Value::Object(map)))?, position))
}

fn int_arg(map: &Map<String, Value>, name: &str) -> Result<Option<i32>, ApiError> {
    let bad = || ApiError::invalid_param(name, format!("{name} must be an integer."));
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().and_then(|n| i32::try_from(n).ok()).map(Some).ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse::<i32>().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn language_arg(args: &JsonArgs) -> Result<Option<Language>, ApiError> {
    match args.optional_str("language")? {
        None => Ok(None),
        Some(l) => Language::parse(&l)
            .map(Some)
            .ok_or_else(|| ApiError::invalid_param("language", format!("{l} is not a valid language."))),
    }
}

fn missing(name: &str) -> ApiError {
    ApiError::invalid_param(name, "Missing required parameter in the JSON body")
}

/// A listing from the body; `defaults` fill in language, category and position when the
/// caller may leave them out (the owner routes), else they are required (the admin route).
fn listing(args: &JsonArgs, position: Option<i32>, defaults: Option<Language>) -> Result<Listing, ApiError> {
    let language = language_arg(args)?;
    let category = args.optional_str("category")?;
    let (language, category, position) = match defaults {
        Some(default_language) => (
            language.unwrap_or(default_language),
            category.unwrap_or_else(|| DEFAULT_CATEGORY.into()),
            position.unwrap_or(0),
        ),
        None => (
            language.ok_or_else(|| missing("language"))?,
            category.ok_or_else(|| missing("category"))?,
            position.ok_or_else(|| missing("position"))?,
        ),
    };
    Listing::new(
        args.optional_str("desc")?,
        args.optional_str("copyright")?,
        args.optional_str("privacy_policy")?,
        language,
        category,
        position,
    )
}

fn listed(outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Created => HttpResponse::Created().json(success()),
        Outcome::Updated => HttpResponse::Ok().json(success()),
    }
}

/// The manager's own app; another workspace's is 404 `app_not_found`.
async fn own_app(state: &AppState, user: &Console, app_id: Uuid) -> Result<entities::apps::Model, ApiError> {
    apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, None)
        .await
        .map_err(|e| if e.status == 404 { ApiError::new(404, "app_not_found", "App not found.") } else { e })
}

/// `POST /explore/apps/<id>` (seed fork): an owner or admin lists their workspace's app.
async fn recommend(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let user = user.0;
    let app = own_app(&state, &user, path.into_inner()).await?;
    let (args, position) = object(body)?;
    let default_language = Language::parse(account_language(&user)).unwrap_or(Language::EnUs);
    let listing = listing(&args, position, Some(default_language))?;
    Ok(listed(explore::recommend(&state.infra.db, &app, &listing).await?))
}

/// `DELETE /explore/apps/<id>` (seed fork): unlists the app as the admin delete does.
async fn unlist(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = own_app(&state, &user.0, path.into_inner()).await?;
    explore::unlist(&state.infra.db, app.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn installed_list(state: web::Data<AppState>, user: Console) -> HttpResult {
    let body = installed::list(&state.infra.db, user.tenant_id(), user.role().is_manager()).await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn install(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let app_id = JsonArgs::new(body)?.required_str("app_id")?;
    let app_id: Uuid = app_id.trim().parse().map_err(|_| ApiError::not_found("App not found"))?;
    installed::install(&state.infra.db, user.tenant_id(), app_id).await?;
    Ok(HttpResponse::Ok().json(json!({"message": "App installed successfully"})))
}

/// reqparse's `inputs.boolean`: a JSON boolean, or "true"/"false"/"1"/"0" in any case.
fn boolean_arg(map: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    let bad = |v: &Value| ApiError::invalid_param(name, format!("Invalid literal for boolean(): {v}"));
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v @ Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(bad(v)),
        },
        Some(v) => Err(bad(v)),
    }
}

async fn pin(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, body: web::Json<Value>) -> HttpResult {
    let Value::Object(map) = body.into_inner() else {
        return Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object").into());
    };
    let db = &state.infra.db;
    let entry = installed::for_tenant(db, user.tenant_id(), path.into_inner()).await?;
    // Leaving is_pinned out changes nothing (Dify would try to store NULL and fail).
    if let Some(pinned) = boolean_arg(&map, "is_pinned")? {
        installed::set_pinned(db, &entry, pinned).await?;
    }
    Ok(HttpResponse::Ok().json(json!({"result": "success", "message": "App info updated successfully"})))
}

async fn uninstall(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let entry = installed::for_tenant(db, user.tenant_id(), path.into_inner()).await?;
    installed::uninstall(db, user.tenant_id(), &entry).await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success", "message": "App uninstalled successfully"})))
}

/// `POST /admin/insert-explore-apps`: lists any app; 201 when new, 200 when updated.
async fn admin_insert(_: CloudAdmin, state: web::Data<AppState>, body: web::Json<Value>) -> HttpResult {
    let (args, position) = object(body)?;
    let app_id = args.required_str("app_id")?;
    let listing = listing(&args, position, None)?;
    let id: Uuid = app_id.trim().parse().map_err(|_| ApiError::not_found(format!("App '{app_id}' is not found")))?;
    let app = explore::app_by_id(&state.infra.db, id).await?;
    Ok(listed(explore::recommend(&state.infra.db, &app, &listing).await?))
}

/// `DELETE /admin/insert-explore-apps/<id>`: 204 whether or not the app was listed.
async fn admin_delete(_: CloudAdmin, state: web::Data<AppState>, path: web::Path<Uuid>) -> HttpResult {
    explore::unlist(&state.infra.db, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
