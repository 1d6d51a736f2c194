//! An app's Overview statistics: seven daily series, readable by any member of the workspace.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use apps::statistics::{self, Metric, Window};
use uuid::Uuid;

use super::guard::Console;
use crate::http_error::HttpResult;
use crate::query::QueryArgs;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    daily_conversations,
    daily_end_users,
    token_costs,
    average_session_interactions,
    user_satisfaction_rate,
    average_response_time,
    tokens_per_second
))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/statistics/daily-conversations",
        "console.dailyconversationstatistic",
        web::to(daily_conversations),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/statistics/daily-end-users",
        "console.dailyterminalsstatistic",
        web::to(daily_end_users),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/statistics/token-costs",
        "console.dailytokencoststatistic",
        web::to(token_costs),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/statistics/average-session-interactions",
        "console.averagesessioninteractionstatistic",
        web::to(average_session_interactions),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/statistics/user-satisfaction-rate",
        "console.usersatisfactionratestatistic",
        web::to(user_satisfaction_rate),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/statistics/average-response-time",
        "console.averageresponsetimestatistic",
        web::to(average_response_time),
    );
    t.add(
        "GET",
        "/console/api/apps/<uuid:app_id>/statistics/tokens-per-second",
        "console.tokenspersecondstatistic",
        web::to(tokens_per_second),
    );
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/statistics/daily-conversations", tag = "statistics", params(("app_id" = Uuid, Path), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone")), responses((status = 200, description = "Daily conversations", body = statistics::SeriesAnswer)))]
async fn daily_conversations(
    path: web::Path<Uuid>,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    series(Metric::DailyConversations, path.into_inner(), user, req, state).await
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/statistics/daily-end-users", tag = "statistics", params(("app_id" = Uuid, Path), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone")), responses((status = 200, description = "Daily end users", body = statistics::SeriesAnswer)))]
async fn daily_end_users(
    path: web::Path<Uuid>,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    series(Metric::DailyEndUsers, path.into_inner(), user, req, state).await
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/statistics/token-costs", tag = "statistics", params(("app_id" = Uuid, Path), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone")), responses((status = 200, description = "Daily tokens and their price", body = statistics::SeriesAnswer)))]
async fn token_costs(path: web::Path<Uuid>, user: Console, req: HttpRequest, state: web::Data<AppState>) -> HttpResult {
    series(Metric::TokenCosts, path.into_inner(), user, req, state).await
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/statistics/average-session-interactions", tag = "statistics", params(("app_id" = Uuid, Path), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone")), responses((status = 200, description = "Daily average interactions per conversation", body = statistics::SeriesAnswer)))]
async fn average_session_interactions(
    path: web::Path<Uuid>,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    series(Metric::AverageSessionInteractions, path.into_inner(), user, req, state).await
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/statistics/user-satisfaction-rate", tag = "statistics", params(("app_id" = Uuid, Path), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone")), responses((status = 200, description = "Daily user satisfaction rate", body = statistics::SeriesAnswer)))]
async fn user_satisfaction_rate(
    path: web::Path<Uuid>,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    series(Metric::UserSatisfactionRate, path.into_inner(), user, req, state).await
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/statistics/average-response-time", tag = "statistics", params(("app_id" = Uuid, Path), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone")), responses((status = 200, description = "Daily average response time", body = statistics::SeriesAnswer)))]
async fn average_response_time(
    path: web::Path<Uuid>,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    series(Metric::AverageResponseTime, path.into_inner(), user, req, state).await
}

#[utoipa::path(get, path = "/console/api/apps/{app_id}/statistics/tokens-per-second", tag = "statistics", params(("app_id" = Uuid, Path), ("start" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone"), ("end" = Option<String>, Query, description = "`YYYY-MM-DD HH:MM` in the caller's timezone")), responses((status = 200, description = "Daily tokens per second", body = statistics::SeriesAnswer)))]
async fn tokens_per_second(
    path: web::Path<Uuid>,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    series(Metric::TokensPerSecond, path.into_inner(), user, req, state).await
}

/// `start`/`end` come from the query string as reqparse reads them (every value must parse,
/// the first counts), local to the account's zone. Each handler reads its path first: a
/// malformed app id is an unknown URL, whoever asks.
async fn series(
    metric: Metric,
    app_id: Uuid,
    user: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResult {
    let args = QueryArgs::parse(req.query_string());
    let zone = user.account.timezone.as_deref();
    let window = (|| Ok(Window { start: args.minute("start", zone, 0)?, end: args.minute("end", zone, 0)? }))();
    let series = statistics::series(&state.infra.db, user.tenant_id(), app_id, metric, window, zone).await?;
    Ok(HttpResponse::Ok().insert_header(ContentType::json()).body(series.to_jsonify()))
}
