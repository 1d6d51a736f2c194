//! The service API's hot reads, kept in each process: an app key's row and its app, an app's
//! current model config with its parameters, and service-API end users. Every request reads
//! one version in the shared cache once ([`Seen`])
//! (Redis with replicas, in-process embedded) before trusting what it kept, and every change
//! that could alter these answers bumps that version, so a change made through any replica is
//! seen by every replica's next request. Entries also expire after [`KEEP`], which bounds what
//! a writer that cannot bump (an operator's SQL, a failed bump) leaves stale.
//!
//! One version for all apps: changes to apps are rare next to reads of them, so a change
//! anywhere simply empties every process's entries.
//!
//! End users need no version: a service-API end user's row is never changed or deleted, so
//! the one found for a (workspace, `user`) stays right.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use entities::{api_tokens, app_model_configs, apps, end_users};
use infra::cache::Cache;
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
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
struct ConfigEntry {
    row: Arc<app_model_configs::Model>,
    params: Arc<AppParameters>,
    version: i64,
    at: Instant,
}

/// The apps version one request read, vouching for every kept read it makes; `None` when the
/// cache could not say (then nothing is kept or trusted).
#[derive(Clone, Copy, Debug)]
pub struct Seen(Option<i64>);

impl Seen {
    /// Whether an entry kept at `version`, `at`, may answer for this request.
    fn trusts(self, version: i64, at: Instant) -> bool {
        self.0 == Some(version) && at.elapsed() < KEEP
    }
}

/// The process's kept reads; one per process, shared by its workers.
pub struct HotApps {
    cache: Arc<dyn Cache>,
    keys: Mutex<HashMap<String, KeyEntry>>,
    configs: Mutex<HashMap<Uuid, ConfigEntry>>,
    end_users: Mutex<HashMap<(Uuid, String), end_users::Model>>,
    /// (app, share code) → the app (normal status) and whether that code is its live site.
    sites: Mutex<HashMap<(Uuid, String), SiteEntry>>,
    /// Web-app visitors by id (rows never changed or deleted, like service-API end users).
    visitors: Mutex<HashMap<Uuid, end_users::Model>>,
}

/// An app, when it exists with normal status, and whether a share code is its live site.
pub type SiteLookup = Option<(apps::Model, bool)>;

#[derive(Clone)]
struct SiteEntry {
    found: SiteLookup,
    version: i64,
    at: Instant,
}

impl std::fmt::Debug for HotApps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotApps").finish_non_exhaustive()
    }
}

impl HotApps {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self {
            cache,
            keys: Mutex::default(),
            configs: Mutex::default(),
            end_users: Mutex::default(),
            sites: Mutex::default(),
            visitors: Mutex::default(),
        }
    }

    /// Says that apps, their keys or their configs changed: every process drops what it kept.
    /// Call after the change commits.
    pub async fn changed(&self) {
        if let Err(e) = self.cache.incr(VERSION_KEY, 1, None).await {
            tracing::warn!(error = %e, "cannot bump the apps version; replicas may answer from kept rows for up to 30 s");
        }
        self.keys.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.configs.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.sites.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// The version now, read once per request before the rows it will vouch for.
    pub async fn seen(&self) -> Seen {
        Seen(match self.cache.get(VERSION_KEY).await {
            Ok(None) => Some(0),
            Ok(Some(bytes)) => std::str::from_utf8(&bytes).ok().and_then(|s| s.trim().parse().ok()),
            Err(e) => {
                tracing::debug!(error = %e, "apps version unavailable; reading the database");
                None
            }
        })
    }

    /// [`crate::api_keys::app_for_key`], from what this process kept while it is current.
    pub async fn app_for_key(&self, db: &DatabaseConnection, token: &str, seen: Seen) -> Result<apps::Model, ApiError> {
        let kept = {
            let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            keys.get(token).filter(|e| seen.trusts(e.version, e.at)).cloned()
        };
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
                let entry = KeyEntry { key, app, version: seen.0.unwrap_or(-1), at: Instant::now() };
                if seen.0.is_some() {
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

    /// [`crate::model_config::parameters`] of the app's current config, kept while current.
    pub async fn parameters(
        &self,
        db: &DatabaseConnection,
        app: &apps::Model,
        seen: Seen,
    ) -> Result<Arc<AppParameters>, crate::AppError> {
        Ok(self.config_entry(db, app, seen).await?.params)
    }

    /// The app's current config row, kept while current.
    pub async fn config(
        &self,
        db: &DatabaseConnection,
        app: &apps::Model,
        seen: Seen,
    ) -> Result<Arc<app_model_configs::Model>, crate::AppError> {
        Ok(self.config_entry(db, app, seen).await?.row)
    }

    async fn config_entry(
        &self,
        db: &DatabaseConnection,
        app: &apps::Model,
        seen: Seen,
    ) -> Result<ConfigEntry, crate::AppError> {
        let Some(config_id) = app.app_model_config_id else {
            return Err(crate::AppError::NoConfig);
        };
        let kept = {
            let configs = self.configs.lock().unwrap_or_else(PoisonError::into_inner);
            configs.get(&config_id).filter(|e| seen.trusts(e.version, e.at)).cloned()
        };
        if let Some(entry) = kept {
            return Ok(entry);
        }
        let row = app_model_configs::Entity::find_by_id(config_id)
            .filter(app_model_configs::Column::AppId.eq(app.id))
            .one(db)
            .await?
            .ok_or(crate::AppError::NoConfig)?;
        let params = Arc::new(crate::model_config::parameters_of(&row));
        let entry = ConfigEntry { row: Arc::new(row), params, version: seen.0.unwrap_or(-1), at: Instant::now() };
        if seen.0.is_some() {
            keep(&self.configs, config_id, entry.clone());
        }
        Ok(entry)
    }

    /// The service-API end user kept for (`tenant_id`, `user`), if any.
    pub fn end_user(&self, tenant_id: Uuid, user: &str) -> Option<end_users::Model> {
        self.end_users.lock().unwrap_or_else(PoisonError::into_inner).get(&(tenant_id, user.to_owned())).cloned()
    }

    /// App `app_id` and whether `code` is its live site, from what was kept while current,
    /// else from `load` (kept, a miss too, when the version is known).
    pub async fn site<E>(
        &self,
        app_id: Uuid,
        code: &str,
        seen: Seen,
        load: impl std::future::Future<Output = Result<SiteLookup, E>>,
    ) -> Result<SiteLookup, E> {
        let key = (app_id, code.to_owned());
        let kept = {
            let sites = self.sites.lock().unwrap_or_else(PoisonError::into_inner);
            sites.get(&key).filter(|e| seen.trusts(e.version, e.at)).map(|e| e.found.clone())
        };
        if let Some(found) = kept {
            return Ok(found);
        }
        let found = load.await?;
        if let Some(version) = seen.0 {
            keep(&self.sites, key, SiteEntry { found: found.clone(), version, at: Instant::now() });
        }
        Ok(found)
    }

    /// The web-app visitor kept under `id`, if any.
    pub fn visitor(&self, id: Uuid) -> Option<end_users::Model> {
        self.visitors.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned()
    }

    /// Keeps a web-app visitor's row.
    pub fn keep_visitor(&self, user: &end_users::Model) {
        keep(&self.visitors, user.id, user.clone());
    }

    /// Keeps a service-API end user found or made for its (workspace, `user`).
    pub fn keep_end_user(&self, user: &end_users::Model) {
        keep(&self.end_users, (user.tenant_id, user.session_id.clone()), user.clone());
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
