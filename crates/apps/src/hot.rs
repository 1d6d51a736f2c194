//! The service API's and web app's hot reads, kept in each process under the shared version
//! `hot_apps_version` ([`infra::kept`]): an app key's row and its app, an app's current model
//! config with its parameters, and (app, share code) → site lookups. Every request reads the
//! version once ([`Seen`]) before trusting what it kept, and every change that could alter
//! these answers bumps it, so a change made through any replica is seen by every replica's
//! next request.
//!
//! One version for all apps: changes to apps are rare next to reads of them, so a change
//! anywhere simply empties every process's entries.
//!
//! End users need no version: a service-API end user's row is never changed or deleted, so
//! the one found for a (workspace, `user`) stays right.

use std::sync::Arc;

use entities::{api_tokens, app_model_configs, apps, end_users};
use infra::cache::Cache;
use infra::kept::{Immutable, KeptMap, Version};
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::api_keys::LAST_USED_GRANULARITY;
use crate::model_config::AppParameters;

pub use infra::kept::Seen;

/// The cache key of the version.
const VERSION_KEY: &str = "hot_apps_version";

#[derive(Clone)]
struct KeyEntry {
    key: api_tokens::Model,
    app: Option<apps::Model>,
}

#[derive(Clone)]
struct ConfigEntry {
    row: Arc<app_model_configs::Model>,
    params: Arc<AppParameters>,
}

/// An app, when it exists with normal status, and whether a share code is its live site.
pub type SiteLookup = Option<(apps::Model, bool)>;

/// The process's kept reads; one per process, shared by its workers.
pub struct HotApps {
    version: Version,
    keys: KeptMap<String, KeyEntry>,
    configs: KeptMap<Uuid, ConfigEntry>,
    /// (app, share code) → the app (normal status) and whether that code is its live site.
    sites: KeptMap<(Uuid, String), SiteLookup>,
    end_users: Immutable<(Uuid, String), end_users::Model>,
    /// Web-app visitors by id (rows never changed or deleted, like service-API end users).
    visitors: Immutable<Uuid, end_users::Model>,
}

impl std::fmt::Debug for HotApps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotApps").finish_non_exhaustive()
    }
}

impl HotApps {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self {
            version: Version::new(cache, VERSION_KEY),
            keys: KeptMap::default(),
            configs: KeptMap::default(),
            sites: KeptMap::default(),
            end_users: Immutable::default(),
            visitors: Immutable::default(),
        }
    }

    /// Says that apps, their keys or their configs changed: every process drops what it kept.
    /// Call after the change commits.
    pub async fn changed(&self) {
        self.version.bump().await;
        self.keys.clear();
        self.configs.clear();
        self.sites.clear();
    }

    /// The version now, read once per request before the rows it will vouch for.
    pub async fn seen(&self) -> Seen {
        self.version.seen().await
    }

    /// [`crate::api_keys::app_for_key`], from what this process kept while it is current.
    pub async fn app_for_key(&self, db: &DatabaseConnection, token: &str, seen: Seen) -> Result<apps::Model, ApiError> {
        let entry = match self.keys.get(token, seen) {
            Some(entry) => {
                // The key's use is written once a minute, as when it is read from the database.
                let now = now_naive();
                if entry.key.last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
                    crate::api_keys::record_use(db, entry.key.id, now).await?;
                    self.keys.update(token, |kept| kept.key.last_used_at = Some(now));
                }
                entry
            }
            None => {
                let (key, app) = crate::api_keys::key_and_app(db, token).await?;
                let entry = KeyEntry { key, app };
                self.keys.put(token.to_owned(), entry.clone(), seen);
                entry
            }
        };
        crate::api_keys::open_app(entry.app)
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
        if let Some(entry) = self.configs.get(&config_id, seen) {
            return Ok(entry);
        }
        let row = app_model_configs::Entity::find_by_id(config_id)
            .filter(app_model_configs::Column::AppId.eq(app.id))
            .one(db)
            .await?
            .ok_or(crate::AppError::NoConfig)?;
        let params = Arc::new(crate::model_config::parameters_of(&row));
        let entry = ConfigEntry { row: Arc::new(row), params };
        self.configs.put(config_id, entry.clone(), seen);
        Ok(entry)
    }

    /// The service-API end user kept for (`tenant_id`, `user`), if any.
    pub fn end_user(&self, tenant_id: Uuid, user: &str) -> Option<end_users::Model> {
        self.end_users.get(&(tenant_id, user.to_owned()))
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
        if let Some(found) = self.sites.get(&key, seen) {
            return Ok(found);
        }
        let found = load.await?;
        self.sites.put(key, found.clone(), seen);
        Ok(found)
    }

    /// The web-app visitor kept under `id`, if any.
    pub fn visitor(&self, id: Uuid) -> Option<end_users::Model> {
        self.visitors.get(&id)
    }

    /// Keeps a web-app visitor's row.
    pub fn keep_visitor(&self, user: &end_users::Model) {
        self.visitors.put(user.id, user.clone());
    }

    /// Keeps a service-API end user found or made for its (workspace, `user`).
    pub fn keep_end_user(&self, user: &end_users::Model) {
        self.end_users.put((user.tenant_id, user.session_id.clone()), user.clone());
    }
}
