//! What a model call resolves from the database, kept in each process: a workspace's own
//! (custom) credentials for a model, and its usable default model. Every lookup reads one
//! version in the shared cache (Redis with replicas, in-process embedded) and trusts a kept
//! answer only while that version is unchanged and for at most [`KEEP`]; every change to
//! providers, provider models or default models bumps the version, so all processes see it
//! at their next call.
//!
//! Answers that depend on a hosted quota are never kept: the quota moves with every call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use infra::cache::Cache;
use uuid::Uuid;

use crate::ModelType;
use crate::store::{CallCredentials, DefaultModel};

/// The cache key of the version.
const VERSION_KEY: &str = "providers_version";

/// How long an answer is trusted at most, version or not (bounds what a writer that cannot
/// bump, such as an operator's SQL, leaves stale).
pub const KEEP: Duration = Duration::from_secs(30);

/// Answers kept per map; beyond, the map starts over.
const MAX_ENTRIES: usize = 10_000;

type CallKey = (Uuid, String, String, ModelType);

struct Entry<T> {
    value: T,
    version: i64,
    at: Instant,
}

/// The version one lookup read; `None` when the cache could not say (then nothing is kept).
#[derive(Clone, Copy, Debug)]
pub struct Seen(Option<i64>);

impl Seen {
    /// For answers that are never kept.
    pub(crate) const NONE: Seen = Seen(None);
}

/// The kept answers of one process; shared by its clones of the credential cache.
#[derive(Default)]
pub struct Kept {
    shared: Option<Arc<dyn Cache>>,
    calls: Mutex<HashMap<CallKey, Entry<CallCredentials>>>,
    defaults: Mutex<HashMap<(Uuid, ModelType), Entry<DefaultModel>>>,
}

impl Kept {
    /// Kept answers checked against the version in `shared`; without one nothing is kept.
    pub fn new(shared: Arc<dyn Cache>) -> Self {
        Self { shared: Some(shared), ..Self::default() }
    }

    /// The version now, read before the rows it will vouch for.
    pub async fn seen(&self) -> Seen {
        let Some(shared) = &self.shared else { return Seen(None) };
        Seen(match shared.get(VERSION_KEY).await {
            Ok(None) => Some(0),
            Ok(Some(bytes)) => std::str::from_utf8(&bytes).ok().and_then(|s| s.trim().parse().ok()),
            Err(e) => {
                tracing::debug!(error = %e, "providers version unavailable; reading the database");
                None
            }
        })
    }

    /// Says that providers, provider models or default models changed: every process drops
    /// what it kept. Call after the change commits.
    pub async fn changed(&self) {
        if let Some(shared) = &self.shared
            && let Err(e) = shared.incr(VERSION_KEY, 1, None).await
        {
            tracing::warn!(error = %e, "cannot bump the providers version; replicas may use kept credentials for up to 30 s");
        }
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.defaults.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    pub(crate) fn call(&self, key: &CallKey, seen: Seen) -> Option<CallCredentials> {
        get(&self.calls, key, seen)
    }

    pub(crate) fn keep_call(&self, key: CallKey, value: &CallCredentials, seen: Seen) {
        if value.quota.is_none() {
            put(&self.calls, key, value.clone(), seen);
        }
    }

    pub(crate) fn default_model(&self, tenant_id: Uuid, model_type: ModelType, seen: Seen) -> Option<DefaultModel> {
        get(&self.defaults, &(tenant_id, model_type), seen)
    }

    pub(crate) fn keep_default_model(&self, tenant_id: Uuid, value: &DefaultModel, seen: Seen) {
        put(&self.defaults, (tenant_id, value.model_type), value.clone(), seen);
    }
}

fn get<K: std::hash::Hash + Eq, T: Clone>(map: &Mutex<HashMap<K, Entry<T>>>, key: &K, seen: Seen) -> Option<T> {
    let version = seen.0?;
    let map = map.lock().unwrap_or_else(PoisonError::into_inner);
    map.get(key).filter(|e| e.version == version && e.at.elapsed() < KEEP).map(|e| e.value.clone())
}

fn put<K: std::hash::Hash + Eq, T>(map: &Mutex<HashMap<K, Entry<T>>>, key: K, value: T, seen: Seen) {
    let Some(version) = seen.0 else { return };
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key, Entry { value, version, at: Instant::now() });
}
