//! `GET /activate/check` and `POST /activate`: an invited member sets up their account.

use std::collections::HashMap;

use accounts::invitation::{self, Activation};
use accounts::validate;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::args::{JsonArgs, required_query};
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/activate/check", "console.activatecheckapi", web::to(check));
    t.add("POST", "/console/api/activate", "console.activateapi", web::to(activate));
}

async fn check(state: web::Data<AppState>, query: web::Query<HashMap<String, String>>) -> HttpResult {
    let token = required_query(&query, "token")?;
    let workspace_id = query.get("workspace_id").filter(|v| !v.is_empty());
    let email = match query.get("email").filter(|v| !v.is_empty()) {
        Some(e) => Some(validate::email("email", e)?),
        None => None,
    };
    let found = invitation::find(
        &state.infra.db,
        state.infra.cache.as_ref(),
        workspace_id.map(String::as_str),
        email.as_deref(),
        &token,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "is_valid": found.is_some(),
        "workspace_name": found.map(|i| i.tenant.name),
    })))
}

async fn activate(state: web::Data<AppState>, body: web::Json<serde_json::Value>) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let workspace_id = args.optional_str("workspace_id")?;
    let email = match args.optional_str("email")? {
        Some(e) => Some(validate::email("email", &e)?),
        None => None,
    };
    let token = args.required_str("token")?;
    let activation = Activation {
        name: validate::max_len("name", &args.required_str("name")?, 30)?,
        password: validate::password("password", &args.required_str("password")?)?,
        interface_language: validate::language("interface_language", &args.required_str("interface_language")?)?,
        timezone: validate::timezone("timezone", &args.required_str("timezone")?)?,
    };
    invitation::activate(
        &state.infra.db,
        state.infra.cache.as_ref(),
        workspace_id.as_deref(),
        email.as_deref(),
        &token,
        activation,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({"result": "success"})))
}
