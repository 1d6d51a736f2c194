//! `/rule-generate` and `/introduction-generate`: the console's "Prompt generator" and
//! opening-statement helpers, answered by the workspace's default model.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::guard::Console;
use crate::body::Body;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// `POST /rule-generate`.
#[derive(Deserialize, utoipa::ToSchema)]
struct RuleGenerate {
    /// Who the app is for.
    audiences: String,
    /// What the app should help them with.
    hoping_to_solve: String,
}

/// `POST /introduction-generate`.
#[derive(Deserialize, utoipa::ToSchema)]
struct IntroductionGenerate {
    /// The app's prompt, which the opening statement introduces.
    prompt_template: String,
}

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(rule_generate, introduction))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/console/api/rule-generate", "console.rulegenerateapi", web::to(rule_generate));
    t.add("POST", "/console/api/introduction-generate", "console.introductiongenerateapi", web::to(introduction));
}

#[utoipa::path(post, path = "/console/api/rule-generate", tag = "prompts", request_body = RuleGenerate, responses((status = 200, description = "A prompt, its variables and an opening statement")))]
async fn rule_generate(state: web::Data<AppState>, user: Console, body: Body<RuleGenerate>) -> HttpResult {
    let RuleGenerate { audiences, hoping_to_solve } = body.read()?;
    let rules =
        conversations::assist::rule_config(&state.engine, user.tenant_id(), &audiences, &hoping_to_solve).await?;
    Ok(HttpResponse::Ok().json(rules))
}

#[utoipa::path(post, path = "/console/api/introduction-generate", tag = "prompts", request_body = IntroductionGenerate, responses((status = 200, description = "`{\"introduction\": ...}`", body = crate::answers::Introduction)))]
async fn introduction(state: web::Data<AppState>, user: Console, body: Body<IntroductionGenerate>) -> HttpResult {
    let prompt_template = body.read()?.prompt_template;
    let text = conversations::assist::introduction(&state.engine, user.tenant_id(), &prompt_template).await?;
    Ok(HttpResponse::Ok().json(crate::answers::Introduction { introduction: text }))
}
