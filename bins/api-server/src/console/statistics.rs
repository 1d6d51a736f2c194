//! An app's Overview statistics: seven daily series, readable by any member of the workspace.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, Route, web};
use apps::statistics::{self, Metric};
use uuid::Uuid;

use super::guard::Console;
use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    let routes = [
        (
            "/console/api/apps/<uuid:app_id>/statistics/daily-conversations",
            "console.dailyconversationstatistic",
            Metric::DailyConversations,
        ),
        (
            "/console/api/apps/<uuid:app_id>/statistics/daily-end-users",
            "console.dailyterminalsstatistic",
            Metric::DailyEndUsers,
        ),
        (
            "/console/api/apps/<uuid:app_id>/statistics/token-costs",
            "console.dailytokencoststatistic",
            Metric::TokenCosts,
        ),
        (
            "/console/api/apps/<uuid:app_id>/statistics/average-session-interactions",
            "console.averagesessioninteractionstatistic",
            Metric::AverageSessionInteractions,
        ),
        (
            "/console/api/apps/<uuid:app_id>/statistics/user-satisfaction-rate",
            "console.usersatisfactionratestatistic",
            Metric::UserSatisfactionRate,
        ),
        (
            "/console/api/apps/<uuid:app_id>/statistics/average-response-time",
            "console.averageresponsetimestatistic",
            Metric::AverageResponseTime,
        ),
        (
            "/console/api/apps/<uuid:app_id>/statistics/tokens-per-second",
            "console.tokenspersecondstatistic",
            Metric::TokensPerSecond,
        ),
    ];
    for (path, endpoint, metric) in routes {
        t.add("GET", path, endpoint, route(metric));
    }
}

/// The path is read first: a malformed app id is an unknown URL, whoever asks.
fn route(metric: Metric) -> Route {
    web::to(move |path: web::Path<Uuid>, user: Console, req: HttpRequest, state: web::Data<AppState>| {
        series(metric, path.into_inner(), user, req, state)
    })
}

/// `start`/`end` come from the query string, read as Werkzeug reads it (every value kept).
async fn series(
    metric: Metric,
    app_id: Uuid,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    let args: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let series =
        statistics::series(&state.infra.db, user.tenant_id(), app_id, metric, &args, user.account.timezone.as_deref())
            .await?;
    Ok(HttpResponse::Ok().insert_header(ContentType::json()).body(series.to_jsonify()))
}
