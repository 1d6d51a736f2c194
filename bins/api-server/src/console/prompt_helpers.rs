//! `/rule-generate` and `/introduction-generate`: the console's "Prompt generator" and
//! opening-statement helpers, answered by the workspace's default model.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::guard::Console;
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/console/api/rule-generate", "console.rulegenerateapi", web::to(rule_generate));
    t.add("POST", "/console/api/introduction-generate", "console.introductiongenerateapi", web::to(introduction));
}

async fn rule_generate(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let args = JsonArgs::new(body)?;
    let audiences = args.required_str("audiences")?;
    let hoping_to_solve = args.required_str("hoping_to_solve")?;
    let rules =
        conversations::assist::rule_config(&state.engine, user.tenant_id(), &audiences, &hoping_to_solve).await?;
    Ok(HttpResponse::Ok().json(rules))
}

async fn introduction(state: web::Data<AppState>, user: Console, body: web::Json<Value>) -> HttpResult {
    let prompt_template = JsonArgs::new(body)?.required_str("prompt_template")?;
    let text = conversations::assist::introduction(&state.engine, user.tenant_id(), &prompt_template).await?;
    Ok(HttpResponse::Ok().json(json!({"introduction": text})))
}
