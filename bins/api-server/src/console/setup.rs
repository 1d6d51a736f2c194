//! `GET/POST /setup`: first-run installation.

use actix_web::{HttpResponse, web};
use kernel::ApiError;
use kernel::config::Edition;
use serde::Deserialize;

use super::account::{AccountName, AccountPassword, EmailAddress};
use super::login::start_session;
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /setup`: the first account, owner of the first workspace.
#[derive(Deserialize, utoipa::ToSchema)]
struct Setup {
    email: EmailAddress,
    name: AccountName,
    password: AccountPassword,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(status, setup))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/setup", "console.setupapi", web::to(status));
    t.add("POST", "/console/api/setup", "console.setupapi", web::to(setup));
}

/// `GET /setup`: whether the instance is installed, and when.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SetupStatus {
    /// `not_start` or `finished`.
    pub step: &'static str,
    /// ISO 8601, only once installed (self-hosted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_at: Option<String>,
}

#[utoipa::path(get, path = "/console/api/setup", tag = "setup", responses((status = 200, description = "`step` (`not_start` or `finished`) and `setup_at`", body = SetupStatus)))]
async fn status(state: web::Data<AppState>) -> HttpResult {
    if state.config.edition != Edition::SelfHosted {
        return Ok(HttpResponse::Ok().json(SetupStatus { step: "finished", setup_at: None }));
    }
    Ok(HttpResponse::Ok().json(match accounts::setup::status(&state.infra.db).await? {
        Some(done) => {
            SetupStatus { step: "finished", setup_at: Some(done.setup_at.format("%Y-%m-%dT%H:%M:%S%.f").to_string()) }
        }
        None => SetupStatus { step: "not_start", setup_at: None },
    }))
}

/// Installs the instance. As in Dify, the edition and setup state are checked before any
/// argument is read.
#[utoipa::path(post, path = "/console/api/setup", tag = "setup", request_body = Setup, responses((status = 201, description = "`{\"result\": \"success\"}`; the owner is signed in")))]
async fn setup(state: web::Data<AppState>, body: Body<Setup>) -> HttpResult {
    if state.config.edition != Edition::SelfHosted {
        return Err(ApiError::route_not_found().into());
    }
    let db = &state.infra.db;
    if state.is_setup().await? || accounts::tenant::count(db).await? > 0 {
        return Err(accounts::AccountError::AlreadySetup.into());
    }
    let Setup { email: EmailAddress(email), name: AccountName(name), password: AccountPassword(password) } =
        body.read()?;
    let account = accounts::setup::run(db, state.infra.storage.as_ref(), &email, &name, &password).await?;
    let mut resp = HttpResponse::Created();
    start_session(&state, &account, false, &mut resp).await?;
    Ok(resp.json(crate::answers::SUCCESS))
}
