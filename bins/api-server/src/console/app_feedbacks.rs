//! `POST /apps/<id>/feedbacks`: a workspace member rates an answer of the app (admin side),
//! from the console's logs.

use actix_web::web;
use serde_json::Value;
use uuid::Uuid;

use super::guard::Console;
use crate::args::JsonArgs;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(feedback))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("POST", "/console/api/apps/<uuid:app_id>/feedbacks", "console.messagefeedbackapi", web::to(feedback));
}

// Still read with `JsonArgs`: `history::rate_as_admin` (shared with the other surfaces' ratings)
// takes them; it moves to a typed body with `history.rs`.
#[utoipa::path(post, path = "/console/api/apps/{app_id}/feedbacks", tag = "feedbacks", params(("app_id" = Uuid, Path)), request_body(content = Object, description = "`{message_id, rating}`: `rating` is `like`, `dislike` or null (taken back)"), responses((status = 200, description = "`{\"result\": \"success\"}`")))]
async fn feedback(
    state: web::Data<AppState>,
    user: Console,
    app_id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> HttpResult {
    let db = &state.infra.db;
    let app = apps::lookup::app_for_tenant(db, user.tenant_id(), *app_id, None).await?;
    crate::history::rate_as_admin(db, &app, user.account.id, &JsonArgs::new(body)?).await
}
