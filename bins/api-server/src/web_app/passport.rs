//! `GET /api/passport`: a web-app visitor trades the site's share code (`X-App-Code`) for a
//! token naming a new anonymous end user of that app.

use actix_web::{HttpRequest, HttpResponse, web};
use kernel::ApiError;

use crate::http_error::HttpResult;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(passport))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/api/passport", "web.passportresource", web::to(passport));
}

/// A passport (token) for a new anonymous visitor of the site whose code `X-App-Code` gives.
#[utoipa::path(get, path = "/api/passport", tag = "passport", params(("X-App-Code" = String, Header, description = "The site's share code")), responses((status = 200, description = "`{\"access_token\": ...}`", body = crate::answers::AccessToken)))]
async fn passport(req: HttpRequest, state: web::Data<AppState>) -> HttpResult {
    let code = req
        .headers()
        .get("X-App-Code")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::unauthorized_msg("X-App-Code header is missing."))?;
    let token = conversations::passport::issue(&state.infra.db, &state.config.secret_key, code).await?;
    Ok(HttpResponse::Ok().json(crate::answers::AccessToken { access_token: token }))
}
