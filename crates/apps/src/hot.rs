//! The service API's hot reads, kept in each process: an app key's row and its app, and the
//! parameters of an app's model config. Every request checks one version in the shared cache
//! (Redis with replicas, in-process embedded) before trusting what it kept, and every change
//! that could alter these answers bumps that version, so a change made through any replica is
//! seen by every replica's next request. Entries also expire after [`KEEP`], which bounds what
//! a writer that cannot bump (an operator's SQL, a failed bump) leaves stale.
//!
//! One version for all apps: changes to apps are rare next to reads of them, so a change
//! anywhere simply empties every process's entries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use entities::{api_tokens, app_model_configs, apps};
use infra::cache::Cache;
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::api_keys::LAST_USED_GRANULARITY;
use crate::model_config::AppParameters;

/// The cache key of the version.
const VERSION_KEY: &str = "hot_apps_version";

/// How long an entry is trusted at most, version or not.
pub const KEEP: Duration = Duration::from_secs(30);

/// Entries kept per map; beyond, the map starts over (keys in use come back in one read).
const MAX_ENTRIES: usize = 10_000;

#[derive(Clone)]
struct KeyEntry {
    key: api_tokens::Model,
    app: Option<apps::Model>,
    version: i64,
    at: Instant,
}

#[derive(Clone)]
struct ParamsEntry {
    params: Arc<AppParameters>,
    version: i64,
    at: Instant,
}

/// The process's kept reads; one per process, shared by its workers.
pub struct HotApps {
    cache: Arc<dyn Cache>,
    keys: Mutex<HashMap<String, KeyEntry>>,
    params: Mutex<HashMap<Uuid, ParamsEntry>>,
}

impl std::fmt::Debug for HotApps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotApps").finish_non_exhaustive()
    }
}

impl HotApps {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache, keys: Mutex::default(), params: Mutex::default() }
    }

    /// Says that apps, their keys or their configs changed: every process drops what it kept.
    /// Call after the change commits.
    pub async fn changed(&self) {
        if let Err(e) = self.cache.incr(VERSION_KEY, 1, None).await {
            tracing::warn!(error = %e, "cannot bump the apps version; replicas may answer from kept rows for up to 30 s");
        }
        self.keys.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.params.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// The version now, read before the rows it will vouch for; `None` when the cache cannot
    /// say (then nothing is kept or trusted).
    async fn version(&self) -> Option<i64> {
        match self.cache.get(VERSION_KEY).await {
            Ok(None) => Some(0),
            Ok(Some(bytes)) => std::str::from_utf8(&bytes).ok().and_then(|s| s.trim().parse().ok()),
            Err(e) => {
                tracing::debug!(error = %e, "apps version unavailable; reading the database");
                None
            }
        }
    }

    /// [`crate::api_keys::app_for_key`], from what this process kept while it is current.
    pub async fn app_for_key(&self, db: &DatabaseConnection, token: &str) -> Result<apps::Model, ApiError> {
        let version = self.version().await;
        let kept = version.and_then(|v| {
            let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            keys.get(token).filter(|e| e.version == v && e.at.elapsed() < KEEP).cloned()
        });
        let entry = match kept {
            Some(mut entry) => {
                // The key's use is written once a minute, as when it is read from the database.
                let now = now_naive();
                if entry.key.last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
                    crate::api_keys::record_use(db, entry.key.id, now).await?;
                    entry.key.last_used_at = Some(now);
                    self.keep_key(token, entry.clone());
                }
                entry
            }
            None => {
                let (key, app) = crate::api_keys::key_and_app(db, token).await?;
                let entry = KeyEntry { key, app, version: version.unwrap_or(-1), at: Instant::now() };
                if version.is_some() {
                    self.keep_key(token, entry.clone());
                }
                entry
            }
        };
        crate::api_keys::open_app(entry.app)
    }

    fn keep_key(&self, token: &str, entry: KeyEntry) {
        keep(&self.keys, token.to_owned(), entry);
    }

    /// [`crate::model_config::parameters`], kept per config row while current.
    pub async fn parameters(
        &self,
        db: &DatabaseConnection,
        app: &apps::Model,
    ) -> Result<Arc<AppParameters>, crate::AppError> {
        let Some(config_id) = app.app_model_config_id else {
            return Err(crate::AppError::NoConfig);
        };
        let version = self.version().await;
        let kept = version.and_then(|v| {
            let params = self.params.lock().unwrap_or_else(PoisonError::into_inner);
            params.get(&config_id).filter(|e| e.version == v && e.at.elapsed() < KEEP).map(|e| e.params.clone())
        });
        if let Some(params) = kept {
            return Ok(params);
        }
        let config = app_model_configs::Entity::find_by_id(config_id).one(db).await?;
        let params = Arc::new(crate::model_config::parameters_of(&config.ok_or(crate::AppError::NoConfig)?));
        if let Some(version) = version {
            keep(&self.params, config_id, ParamsEntry { params: params.clone(), version, at: Instant::now() });
        }
        Ok(params)
    }
}

/// Keeps `value`; a full map starts over (entries in use come back in one read each).
fn keep<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key, value);
}
