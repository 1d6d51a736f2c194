//! Web-app authentication: `Authorization: Bearer <passport>` names one end user of one app
//! whose site is still shared under the code the passport was issued for.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use entities::{apps, end_users, sites};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use kernel::ApiError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use crate::http_error::HttpError;
use crate::state::AppState;

/// A web-app visitor: the app their passport opens and the end user it names.
#[derive(Debug, Clone)]
pub struct WebAppUser {
    pub app: apps::Model,
    pub end_user: end_users::Model,
}

impl WebAppUser {
    /// The visitor as the owner of conversations, messages, pins and saved messages.
    pub fn caller(&self) -> conversations::Caller {
        conversations::Caller::EndUser(self.end_user.id)
    }
}

/// What `GET /api/passport` signs (`iss`/`sub` are not needed to authorise).
#[derive(Debug, Deserialize)]
struct PassportClaims {
    app_id: String,
    app_code: String,
    end_user_id: String,
}

/// The passport of the request, with Dify's messages for a missing or malformed header.
fn passport(req: &HttpRequest) -> Result<&str, ApiError> {
    crate::bearer::bearer(req)?.ok_or_else(|| ApiError::unauthorized_msg("Authorization header is missing."))
}

/// Checks the signature only: passports carry no expiry (Dify 0.3.23).
fn verify(token: &str, secret: &str) -> Result<PassportClaims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<PassportClaims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map(|d| d.claims)
        .map_err(|e| {
            ApiError::unauthorized_msg(match e.kind() {
                ErrorKind::InvalidSignature => "Invalid token signature.",
                _ => "Invalid token.",
            })
        })
}

async fn authenticate(req: HttpRequest) -> Result<WebAppUser, ApiError> {
    let state = req.app_data::<web::Data<AppState>>().cloned().ok_or_else(ApiError::internal)?;
    let claims = verify(passport(&req)?, &state.config.secret_key)?;
    let parse = |s: &str| s.parse::<Uuid>().map_err(|_| ApiError::unauthorized_msg("Invalid token."));
    let (app_id, end_user_id) = (parse(&claims.app_id)?, parse(&claims.end_user_id)?);
    let db = &state.infra.db;
    let app = apps::Entity::find_by_id(app_id)
        .one(db)
        .await?
        .filter(|a| a.status == "normal")
        .ok_or_else(ApiError::route_not_found)?;
    // The passport stays good only while its code is the app's live share code: resetting
    // the code (or disabling the site row) signs every visitor of the old link out. Dify
    // re-checked only the app here.
    let site_live = sites::Entity::find()
        .filter(sites::Column::AppId.eq(app.id))
        .filter(sites::Column::Code.eq(claims.app_code.as_str()))
        .filter(sites::Column::Status.eq("normal"))
        .one(db)
        .await?
        .is_some();
    if !site_live {
        return Err(ApiError::unauthorized_msg("Site URL is no longer valid."));
    }
    if !app.enable_site {
        return Err(ApiError::unauthorized_msg("Site is disabled."));
    }
    let end_user = end_users::Entity::find_by_id(end_user_id)
        .one(db)
        .await?
        .filter(|u| u.app_id == Some(app.id))
        .ok_or_else(ApiError::route_not_found)?;
    Ok(WebAppUser { app, end_user })
}

impl FromRequest for WebAppUser {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, HttpError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(authenticate(req).await?) })
    }
}
