//! The app-level routes outside the blueprints: `/health`, `/threads`, `/db-pool-stat`, and
//! dify-rs's readiness route `/ready`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::RouteTable;
use crate::state::AppState;

pub fn register(t: &mut RouteTable) {
    t.add("GET", "/health", "health", web::to(health));
    t.add("GET", "/ready", "ready", web::to(ready));
    t.add("GET", "/metrics", "metrics", web::to(metrics_here));
    t.add("GET", "/threads", "threads", web::to(threads));
    t.add("GET", "/db-pool-stat", "pool_stat", web::to(pool_stat));
    t.add("GET", "/static/<path:filename>", "static", web::to(no_static_files));
}

/// Flask's static folder; dify-rs ships no static files.
async fn no_static_files() -> crate::http_error::HttpError {
    crate::http_error::HttpError(kernel::ApiError::route_not_found())
}

/// Liveness, as Dify answers it.
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok", "version": kernel::DIFY_VERSION}))
}

/// Readiness (dify-rs's own): 200 when the database, the cache and the broker each answered
/// within two seconds, else 503 naming what is down. An orchestrator sends traffic by this.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let checks = infra::readiness::check(&state.infra, std::time::Duration::from_secs(2)).await;
    let down: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    if down.is_empty() {
        HttpResponse::Ok().json(json!({"status": "ready", "checks": checks}))
    } else {
        tracing::warn!(?down, "not ready");
        HttpResponse::ServiceUnavailable().json(json!({
            "code": "not_ready",
            "message": format!("Not ready: {} unavailable.", down.join(", ")),
            "status": 503,
            "checks": checks,
        }))
    }
}

/// `/metrics` on the API's address, unless `METRICS_BIND_ADDRESS` moved it.
async fn metrics_here(state: web::Data<AppState>) -> Result<HttpResponse, crate::http_error::HttpError> {
    if state.config.metrics_bind_address.is_some() {
        return Err(crate::http_error::HttpError(kernel::ApiError::route_not_found()));
    }
    Ok(metrics(&state).await)
}

/// The Prometheus scrape: what this process recorded, the database pool and the queues' depth
/// now.
pub async fn metrics(state: &AppState) -> HttpResponse {
    infra::metrics::record_pool(&state.infra.db);
    let vectors = state.indexer.vectors.clone();
    if let Ok(Some((collections, bytes))) = tokio::task::spawn_blocking(move || vectors.disk_usage()).await {
        metrics::gauge!("vector_collections").set(collections as f64);
        metrics::gauge!("vector_store_bytes").set(bytes as f64);
    }
    for queue in infra::queue::QUEUES {
        let pending = tokio::time::timeout(std::time::Duration::from_secs(1), state.infra.queue.pending(queue)).await;
        if let Ok(Ok(n)) = pending {
            metrics::gauge!("queue_depth", "queue" => queue).set(n as f64);
        }
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(infra::metrics::render())
}

/// The runtime's worker threads, in the shape of Dify's thread listing.
async fn threads() -> HttpResponse {
    let metrics = tokio::runtime::Handle::current().metrics();
    let workers = metrics.num_workers();
    let threads: Vec<_> =
        (0..workers).map(|i| json!({"name": format!("tokio-runtime-worker-{i}"), "id": i, "is_alive": true})).collect();
    HttpResponse::Ok().json(json!({"thread_num": workers, "threads": threads}))
}

/// Connection pool usage, in the shape of Dify's SQLAlchemy pool stats.
async fn pool_stat(state: web::Data<AppState>) -> HttpResponse {
    let (size, idle) = infra::metrics::pool_counts(&state.infra.db);
    HttpResponse::Ok().json(json!({
        "pool_size": state.config.database_pool_size,
        "checked_in_connections": idle,
        "checked_out_connections": size.saturating_sub(idle),
        "overflow_connections": 0,
        "connection_timeout": 5,
        "recycle_time": 3600,
    }))
}
