//! Readiness: whether the services this process depends on answer now. `/health` stays
//! liveness; an orchestrator routes traffic by this.

use std::time::Duration;

use crate::Infra;

/// One dependency's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Checks the database, the cache and the broker side by side, each within `deadline`. An
/// in-process cache or queue is part of the process: always ready.
pub async fn check(infra: &Infra, deadline: Duration) -> Vec<Check> {
    let db = within("database", deadline, async { infra.db.ping().await.map_err(|e| e.to_string()) });
    let cache = within("cache", deadline, async {
        infra.cache.get("readiness-probe").await.map(|_| ()).map_err(|e| e.to_string())
    });
    let broker = within("broker", deadline, async {
        infra.queue.pending(crate::queue::QUEUES[0]).await.map(|_| ()).map_err(|e| e.to_string())
    });
    let (db, cache, broker) = tokio::join!(db, cache, broker);
    vec![db, cache, broker]
}

async fn within(name: &'static str, deadline: Duration, check: impl Future<Output = Result<(), String>>) -> Check {
    let error = match tokio::time::timeout(deadline, check).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(format!("no answer within {} ms", deadline.as_millis())),
    };
    Check { name, ok: error.is_none(), error }
}
