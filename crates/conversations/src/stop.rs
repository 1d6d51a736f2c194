//! Stopping a generation from any replica: a flag in the shared cache, keyed by the caller
//! and the task id (Dify's `generate_result_stopped:<user>-<task_id>`), so nobody else can
//! stop someone's task.

use std::time::Duration;

use infra::cache::Cache;
use kernel::ApiError;

use crate::Caller;

/// How long a stop flag lives (a generation never runs longer).
pub const STOP_TTL: Duration = Duration::from_secs(600);

pub fn stop_key(caller: Caller, task_id: &str) -> String {
    format!("generate_result_stopped:{}-{task_id}", caller.task_key())
}

/// Asks the caller's task `task_id` to stop; unknown tasks are accepted silently, as in Dify.
pub async fn request_stop(cache: &dyn Cache, caller: Caller, task_id: &str) -> Result<(), ApiError> {
    cache.set(&stop_key(caller, task_id), b"1", Some(STOP_TTL)).await.map_err(|e| {
        tracing::error!(error = %e, "cannot set a stop flag");
        ApiError::unavailable("The cache is unavailable, please try again later.")
    })
}

/// Whether a stop was asked for (a cache failure counts as "not stopped").
pub async fn is_stopped(cache: &dyn Cache, key: &str) -> bool {
    matches!(cache.get(key).await, Ok(Some(_)))
}
