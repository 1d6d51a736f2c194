//! `GET/POST /setup`: first-run installation.

use actix_web::{HttpResponse, web};
use kernel::ApiError;
use kernel::config::Edition;
use serde_json::json;

use super::login::start_session;
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/setup", "console.setupapi", web::to(status));
    t.add("POST", "/console/api/setup", "console.setupapi", web::to(setup));
}

async fn status(state: web::Data<AppState>) -> HttpResult {
    if state.config.edition != Edition::SelfHosted {
        return Ok(HttpResponse::Ok().json(json!({"step": "finished"})));
    }
    Ok(HttpResponse::Ok().json(match accounts::setup::status(&state.infra.db).await? {
        Some(done) => json!({"step": "finished", "setup_at": done.setup_at.format("%Y-%m-%dT%H:%M:%S%.f").to_string()}),
        None => json!({"step": "not_start"}),
    }))
}

async fn setup(state: web::Data<AppState>, body: web::Json<serde_json::Value>) -> HttpResult {
    if state.config.edition != Edition::SelfHosted {
        return Err(ApiError::route_not_found().into());
    }
    let db = &state.infra.db;
    if state.is_setup().await? || accounts::tenant::count(db).await? > 0 {
        return Err(accounts::setup::already_setup().into());
    }
    let args = JsonArgs::new(body)?;
    let email = accounts::validate::email("email", &args.required_str("email")?)?;
    let name = accounts::validate::max_len("name", &args.required_str("name")?, 30)?;
    let password = accounts::validate::password("password", &args.required_str("password")?)?;
    let account = accounts::setup::run(db, state.infra.storage.as_ref(), &email, &name, &password).await?;
    let mut resp = HttpResponse::Created();
    start_session(&state, &account, false, &mut resp).await?;
    Ok(resp.json(json!({"result": "success"})))
}
