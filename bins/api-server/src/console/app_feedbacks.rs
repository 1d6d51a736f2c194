//! `POST /apps/<id>/feedbacks`: a workspace member rates an answer of the app (admin side),
//! from the console's logs.

use actix_web::web;
use uuid::Uuid;

use super::guard::Console;
use crate::body::Body;
use crate::history::AdminFeedback;
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

/// Rates a message of the app as a workspace member (or takes the rating back).
#[utoipa::path(post, path = "/console/api/apps/{app_id}/feedbacks", tag = "feedbacks", params(("app_id" = Uuid, Path)), request_body = AdminFeedback, responses((status = 200, description = "`{\"result\": \"success\"}`", body = crate::answers::Success)))]
async fn feedback(
    state: web::Data<AppState>,
    user: Console,
    app_id: web::Path<Uuid>,
    body: Body<AdminFeedback>,
) -> HttpResult {
    let db = &state.infra.db;
    // The app is found before the body is read, as Dify does.
    let app = apps::lookup::app_for_tenant(db, user.tenant_id(), *app_id, None).await?;
    crate::history::rate_as_admin(db, &app, user.account.id, body.read()?).await
}
