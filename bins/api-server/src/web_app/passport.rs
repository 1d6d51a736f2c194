//! `GET /api/passport`: a web-app visitor trades the site's share code (`X-App-Code`) for a
//! token naming a new anonymous end user of that app.

use actix_web::{HttpRequest, HttpResponse, web};
use entities::{apps, end_users, sites};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

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

/// Dify's passport claims (no expiry, as in Dify 0.3.23).
#[derive(Debug, Serialize)]
struct Claims {
    iss: String,
    sub: &'static str,
    app_id: String,
    app_code: String,
    end_user_id: String,
}

/// A passport (token) for a new anonymous visitor of the site whose code `X-App-Code` gives.
#[utoipa::path(get, path = "/api/passport", tag = "passport", params(("X-App-Code" = String, Header, description = "The site's share code")), responses((status = 200, description = "`{\"access_token\": ...}`")))]
async fn passport(req: HttpRequest, state: web::Data<AppState>) -> HttpResult {
    let code = req
        .headers()
        .get("X-App-Code")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::unauthorized_msg("X-App-Code header is missing."))?
        .to_string();
    let db = &state.infra.db;
    let site = sites::Entity::find()
        .filter(sites::Column::Code.eq(code.as_str()))
        .filter(sites::Column::Status.eq("normal"))
        .one(db)
        .await?
        .ok_or_else(ApiError::route_not_found)?;
    let app = apps::Entity::find_by_id(site.app_id)
        .one(db)
        .await?
        .filter(|a| a.status == "normal" && a.enable_site)
        .ok_or_else(ApiError::route_not_found)?;
    let now = now_naive();
    let end_user = end_users::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(app.tenant_id),
        app_id: Set(Some(app.id)),
        r#type: Set("browser".into()),
        external_user_id: Set(None),
        name: Set(None),
        is_anonymous: Set(true),
        session_id: Set(Uuid::new_v4().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let claims = Claims {
        iss: app.id.to_string(),
        sub: "Web API Passport",
        app_id: app.id.to_string(),
        app_code: code,
        end_user_id: end_user.id.to_string(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(state.config.secret_key.as_bytes()),
    )
    .map_err(|e| {
        tracing::error!(error = %e, "cannot sign passport");
        ApiError::internal()
    })?;
    Ok(HttpResponse::Ok().json(json!({ "access_token": token })))
}
