//! `GET /version`: the newest release, from `CHECK_UPDATE_URL` (Dify's update service).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::http_error::HttpResult;
use crate::query::QueryArgs;
use crate::routes::RouteTable;
use crate::state::AppState;

/// This module's part of its API's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(version))]
pub(super) struct Doc;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/version", "console.versionapi", web::to(version));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Release {
    version: String,
    release_date: String,
    release_notes: String,
    can_auto_update: bool,
}

/// `GET /version`: the newest release.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VersionInfo {
    pub version: String,
    pub release_date: String,
    pub release_notes: String,
    pub can_auto_update: bool,
}

impl VersionInfo {
    /// What answers when no newer release is known: the running one.
    fn running(version: String) -> Self {
        Self { version, release_date: String::new(), release_notes: String::new(), can_auto_update: false }
    }
}

#[utoipa::path(get, path = "/console/api/version", tag = "version", params(("current_version" = String, Query)), responses((status = 200, description = "The newest release (the running one when offline)", body = VersionInfo)))]
async fn version(state: web::Data<AppState>, query: QueryArgs) -> HttpResult {
    let current = query.required("current_version")?.to_owned();
    let url = state.config.check_update_url.trim();
    if url.is_empty() {
        return Ok(HttpResponse::Ok().json(VersionInfo::running("0.0.0".into())));
    }
    let fetched = async {
        let mut url = url::Url::parse(url).map_err(|e| e.to_string())?;
        url.query_pairs_mut().append_pair("current_version", &current);
        let resp = state.http.get(url).timeout(Duration::from_secs(5)).send().await.map_err(|e| e.to_string())?;
        let resp = resp.error_for_status().map_err(|e| e.to_string())?;
        resp.json::<Release>().await.map_err(|e| e.to_string())
    }
    .await;
    Ok(HttpResponse::Ok().json(match fetched {
        Ok(r) => VersionInfo {
            version: r.version,
            release_date: r.release_date,
            release_notes: r.release_notes,
            can_auto_update: r.can_auto_update,
        },
        Err(e) => {
            // Offline instances are normal: answer with what is running.
            tracing::warn!(error = %e, "check update version error");
            VersionInfo::running(current)
        }
    }))
}
