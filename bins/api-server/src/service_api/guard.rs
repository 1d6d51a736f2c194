//! Service-API authentication: `Authorization: Bearer app-…` opens exactly one app.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use entities::{api_tokens, apps};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::http_error::HttpError;
use crate::state::AppState;

/// The app an API key opens (normal status, API enabled).
#[derive(Debug, Clone)]
pub struct AppApiKey {
    pub app: apps::Model,
}

/// The key of the request, with Dify's messages for a malformed header.
fn token(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some((scheme, token)) = header.and_then(|h| h.split_once(' ')) else {
        return Err(ApiError::unauthorized_msg("Authorization header must be provided and start with 'Bearer'"));
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized_msg("Authorization scheme must be 'Bearer'"));
    }
    Ok(token.trim().to_string())
}

async fn authenticate(req: HttpRequest) -> Result<AppApiKey, ApiError> {
    let state = req.app_data::<web::Data<AppState>>().cloned().ok_or_else(ApiError::internal)?;
    let token = token(&req)?;
    let db = &state.infra.db;
    // The token is the lookup key (indexed); equality in SQL compares the whole value.
    let key = api_tokens::Entity::find()
        .filter(api_tokens::Column::Token.eq(token.as_str()))
        .filter(api_tokens::Column::Type.eq("app"))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::unauthorized_msg("Access token is invalid"))?;
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now_naive()))
        .filter(api_tokens::Column::Id.eq(key.id))
        .exec(db)
        .await?;
    let app = match key.app_id {
        Some(id) => apps::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let app = app.filter(|a| a.status == "normal" && a.enable_api).ok_or_else(ApiError::route_not_found)?;
    Ok(AppApiKey { app })
}

impl FromRequest for AppApiKey {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, HttpError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(authenticate(req).await?) })
    }
}
