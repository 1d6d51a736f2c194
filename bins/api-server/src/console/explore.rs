//! Explore: the recommended-app catalogue, listing an app there (the operators' admin routes
//! and the seed fork's owner routes), and each workspace's installed apps.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use apps::explore::{self, DEFAULT_CATEGORY, Language, Listing, Outcome};
use apps::installed;
use kernel::ApiError;
use kernel::config::Edition;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use uuid::Uuid;

use super::guard::{Console, Manager};
use super::workspace::admin_required;
use crate::body::Body;
use crate::http_error::{HttpError, HttpResult};
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /explore/apps/<id>` (seed fork): the owner's listing; what is left out takes the
/// caller's language, the category `Other` and position 0.
#[derive(Deserialize, utoipa::ToSchema)]
struct Recommend {
    desc: Option<String>,
    copyright: Option<String>,
    privacy_policy: Option<String>,
    language: Option<Language>,
    category: Option<String>,
    /// An integer, or a string holding one.
    #[serde(default, deserialize_with = "some_int")]
    #[schema(value_type = Option<i32>)]
    position: Option<i32>,
}

/// `POST /admin/insert-explore-apps`: the operators list any app.
#[derive(Deserialize, utoipa::ToSchema)]
struct AdminInsert {
    app_id: String,
    desc: Option<String>,
    copyright: Option<String>,
    privacy_policy: Option<String>,
    language: Language,
    category: String,
    /// An integer, or a string holding one.
    #[serde(deserialize_with = "int")]
    #[schema(value_type = i32)]
    position: i32,
}

/// `POST /installed-apps`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Install {
    app_id: String,
}

/// `PATCH /installed-apps/<id>`.
#[derive(Deserialize, utoipa::ToSchema)]
struct Pin {
    /// A boolean, or "true"/"false"/"1"/"0" in any case; left out, nothing changes.
    #[serde(default, deserialize_with = "boolean")]
    #[schema(value_type = Option<bool>)]
    is_pinned: Option<bool>,
}

/// reqparse's `type=int`: a JSON integer (of `i32`) or a string holding one.
fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let bad = || serde::de::Error::invalid_type(serde::de::Unexpected::Other("value"), &"an integer");
    match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(bad),
        Value::String(s) => s.trim().parse::<i32>().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn some_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    int(d).map(Some)
}

/// reqparse's `inputs.boolean`: a JSON boolean, or "true"/"false"/"1"/"0" in any case.
fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Bool(b) => return Ok(Some(*b)),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => return Ok(Some(true)),
            "false" | "0" => return Ok(Some(false)),
            _ => {}
        },
        _ => {}
    }
    Err(serde::de::Error::custom(format!("Invalid literal for boolean(): {v}")))
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    catalogue,
    detail,
    recommend,
    unlist,
    installed_list,
    install,
    pin,
    uninstall,
    admin_insert,
    admin_delete
))]
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

/// The caller's interface language, as the catalogue is filtered by it.
fn account_language(user: &Console) -> &str {
    user.account.interface_language.as_deref().filter(|l| !l.is_empty()).unwrap_or("en-US")
}

/// The recommended apps in the caller's language, with the workspace's installs marked.
#[utoipa::path(get, path = "/console/api/explore/apps", tag = "explore", responses((status = 200, description = "The catalogue and its categories", body = apps::explore::Catalogue)))]
async fn catalogue(state: web::Data<AppState>, user: Console) -> HttpResult {
    let editable = user.role().is_manager();
    let body = explore::catalogue(&state.infra.db, user.tenant_id(), account_language(&user), editable).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A listed app's public detail and model config.
#[utoipa::path(get, path = "/console/api/explore/apps/{app_id}", tag = "explore", params(("app_id" = Uuid, Path)), responses((status = 200, description = "The app's detail", body = apps::explore::ExploreAppDetail)))]
async fn detail(state: web::Data<AppState>, _user: Console, path: web::Path<Uuid>) -> HttpResult {
    Ok(HttpResponse::Ok().json(explore::detail(&state.infra.db, path.into_inner()).await?))
}

fn listed(outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Created => HttpResponse::Created().json(crate::answers::SUCCESS),
        Outcome::Updated => HttpResponse::Ok().json(crate::answers::SUCCESS),
    }
}

/// The manager's own app; another workspace's is 404 `app_not_found`.
async fn own_app(state: &AppState, user: &Console, app_id: Uuid) -> Result<entities::apps::Model, apps::AppError> {
    apps::lookup::app_for_tenant(&state.infra.db, user.tenant_id(), app_id, None)
        .await
        .map_err(apps::AppError::as_app_not_found)
}

/// `POST /explore/apps/<id>` (seed fork): an owner or admin lists their workspace's app.
#[utoipa::path(post, path = "/console/api/explore/apps/{app_id}", tag = "explore", params(("app_id" = Uuid, Path)), request_body = Recommend, responses((status = 201, description = "`{\"result\": \"success\"}`: listed"), (status = 200, description = "`{\"result\": \"success\"}`: the listing updated")))]
async fn recommend(
    state: web::Data<AppState>,
    user: Manager,
    path: web::Path<Uuid>,
    body: Body<Recommend>,
) -> HttpResult {
    let user = user.0;
    let app = own_app(&state, &user, path.into_inner()).await?;
    let Recommend { desc, copyright, privacy_policy, language, category, position } = body.read()?;
    let language = language.unwrap_or_else(|| Language::parse(account_language(&user)).unwrap_or(Language::EnUs));
    let listing = Listing::new(
        desc,
        copyright,
        privacy_policy,
        language,
        category.unwrap_or_else(|| DEFAULT_CATEGORY.into()),
        position.unwrap_or(0),
    )?;
    Ok(listed(explore::recommend(&state.infra.db, &app, &listing).await?))
}

/// `DELETE /explore/apps/<id>` (seed fork): unlists the app as the admin delete does.
#[utoipa::path(delete, path = "/console/api/explore/apps/{app_id}", tag = "explore", params(("app_id" = Uuid, Path)), responses((status = 204, description = "Unlisted")))]
async fn unlist(state: web::Data<AppState>, user: Manager, path: web::Path<Uuid>) -> HttpResult {
    let app = own_app(&state, &user.0, path.into_inner()).await?;
    explore::unlist(&state.infra.db, app.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The workspace's installed apps.
#[utoipa::path(get, path = "/console/api/installed-apps", tag = "explore", responses((status = 200, description = "`{\"installed_apps\": [...]}`", body = apps::installed::InstalledApps)))]
async fn installed_list(state: web::Data<AppState>, user: Console) -> HttpResult {
    let body = installed::list(&state.infra.db, user.tenant_id(), user.role().is_manager()).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Installs a listed app in the workspace.
#[utoipa::path(post, path = "/console/api/installed-apps", tag = "explore", request_body = Install, responses((status = 200, description = "`{\"message\": \"App installed successfully\"}`", body = crate::answers::Message)))]
async fn install(state: web::Data<AppState>, user: Console, body: Body<Install>) -> HttpResult {
    let Install { app_id } = body.read()?;
    let app_id: Uuid = app_id.trim().parse().map_err(|_| ApiError::not_found("App not found"))?;
    installed::install(&state.infra.db, user.tenant_id(), app_id).await?;
    Ok(HttpResponse::Ok().json(crate::answers::Message { message: "App installed successfully" }))
}

/// Pins or unpins an installed app.
#[utoipa::path(patch, path = "/console/api/installed-apps/{installed_app_id}", tag = "explore", params(("installed_app_id" = Uuid, Path)), request_body = Pin, responses((status = 200, description = "`{\"result\": \"success\", ...}`", body = crate::answers::SuccessMessage)))]
async fn pin(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>, body: Body<Pin>) -> HttpResult {
    let db = &state.infra.db;
    // The installed app is found before the body is read, as Dify does.
    let entry = installed::for_tenant(db, user.tenant_id(), path.into_inner()).await?;
    // Leaving is_pinned out changes nothing (Dify would try to store NULL and fail).
    if let Some(pinned) = body.read()?.is_pinned {
        installed::set_pinned(db, &entry, pinned).await?;
    }
    Ok(HttpResponse::Ok().json(crate::answers::SuccessMessage::new("App info updated successfully")))
}

/// Uninstalls an app from the workspace.
#[utoipa::path(delete, path = "/console/api/installed-apps/{installed_app_id}", tag = "explore", params(("installed_app_id" = Uuid, Path)), responses((status = 200, description = "`{\"result\": \"success\", ...}`", body = crate::answers::SuccessMessage)))]
async fn uninstall(state: web::Data<AppState>, user: Console, path: web::Path<Uuid>) -> HttpResult {
    let db = &state.infra.db;
    let entry = installed::for_tenant(db, user.tenant_id(), path.into_inner()).await?;
    installed::uninstall(db, user.tenant_id(), &entry).await?;
    Ok(HttpResponse::Ok().json(crate::answers::SuccessMessage::new("App uninstalled successfully")))
}

/// `POST /admin/insert-explore-apps`: lists any app; 201 when new, 200 when updated.
#[utoipa::path(post, path = "/console/api/admin/insert-explore-apps", tag = "explore", request_body = AdminInsert, responses((status = 201, description = "`{\"result\": \"success\"}`: listed"), (status = 200, description = "`{\"result\": \"success\"}`: the listing updated")))]
async fn admin_insert(_: CloudAdmin, state: web::Data<AppState>, body: Body<AdminInsert>) -> HttpResult {
    let AdminInsert { app_id, desc, copyright, privacy_policy, language, category, position } = body.read()?;
    let listing = Listing::new(desc, copyright, privacy_policy, language, category, position)?;
    let id: Uuid = app_id.trim().parse().map_err(|_| ApiError::not_found(format!("App '{app_id}' is not found")))?;
    let app = explore::app_by_id(&state.infra.db, id).await?;
    Ok(listed(explore::recommend(&state.infra.db, &app, &listing).await?))
}

/// `DELETE /admin/insert-explore-apps/<id>`: 204 whether or not the app was listed.
#[utoipa::path(delete, path = "/console/api/admin/insert-explore-apps/{app_id}", tag = "explore", params(("app_id" = Uuid, Path)), responses((status = 204, description = "Unlisted")))]
async fn admin_delete(_: CloudAdmin, state: web::Data<AppState>, path: web::Path<Uuid>) -> HttpResult {
    explore::unlist(&state.infra.db, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
