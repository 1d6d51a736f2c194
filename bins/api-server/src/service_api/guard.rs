//! Service-API authentication: `Authorization: Bearer app-…` opens exactly one app, and
//! `Bearer ds-…` exactly one dataset.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use entities::datasets;
use kernel::ApiError;

use crate::http_error::HttpError;
use crate::state::AppState;

/// The app an API key opens (normal status, API enabled).
#[derive(Debug, Clone)]
pub struct AppApiKey {
    pub app: entities::apps::Model,
    /// The apps version this request read, for its other kept reads.
    pub seen: apps::hot::Seen,
}

/// The dataset a dataset API key opens.
#[derive(Debug, Clone)]
pub struct DatasetApiKey {
    pub dataset: datasets::Model,
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(ApiError::internal)
}

async fn authenticate(req: HttpRequest) -> Result<AppApiKey, ApiError> {
    let state = state(&req)?;
    let seen = state.hot_apps.seen().await;
    let app = state.hot_apps.app_for_key(&state.infra.db, crate::bearer::api_key(&req)?, seen).await?;
    Ok(AppApiKey { app, seen })
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
    let state = state(&req)?;
    let dataset = apps::api_keys::dataset_for_key(&state.infra.db, crate::bearer::api_key(&req)?).await?;
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
