//! Service-API authentication: `Authorization: Bearer app-…` opens exactly one app, and
//! `Bearer ds-…` exactly one dataset.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use entities::{api_tokens, apps, datasets};
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

/// The dataset a dataset API key opens.
#[derive(Debug, Clone)]
pub struct DatasetApiKey {
    pub dataset: datasets::Model,
}

/// The request's key of type `kind` (`app` or `dataset`), its use recorded.
async fn api_token(req: &HttpRequest, kind: &str) -> Result<(web::Data<AppState>, api_tokens::Model), ApiError> {
    let state = req.app_data::<web::Data<AppState>>().cloned().ok_or_else(ApiError::internal)?;
    let token = crate::bearer::api_key(req)?;
    let db = &state.infra.db;
    // The token is the lookup key (indexed); equality in SQL compares the whole value.
    let key = api_tokens::Entity::find()
        .filter(api_tokens::Column::Token.eq(token))
        .filter(api_tokens::Column::Type.eq(kind))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::unauthorized_msg("Access token is invalid"))?;
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::LastUsedAt, Expr::value(now_naive()))
        .filter(api_tokens::Column::Id.eq(key.id))
        .exec(db)
        .await?;
    Ok((state, key))
}

async fn authenticate(req: HttpRequest) -> Result<AppApiKey, ApiError> {
    let (state, key) = api_token(&req, "app").await?;
    let db = &state.infra.db;
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

async fn authenticate_dataset(req: HttpRequest) -> Result<DatasetApiKey, ApiError> {
    let (state, key) = api_token(&req, "dataset").await?;
    let dataset = match key.dataset_id {
        Some(id) => datasets::Entity::find_by_id(id).one(&state.infra.db).await?,
        None => None,
    };
    let dataset = dataset.ok_or_else(ApiError::route_not_found)?;
    Ok(DatasetApiKey { dataset })
}

impl FromRequest for DatasetApiKey {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, HttpError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(authenticate_dataset(req).await?) })
    }
}
