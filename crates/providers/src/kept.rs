//! What a model call resolves from the database, kept in each process: a workspace's own
//! (custom) credentials for a model, and its usable default model, under the shared version
//! `providers_version` ([`infra::kept`]). Every change to providers, provider models or
//! default models bumps it, so all processes see the change at their next call.
//!
//! Answers that depend on a hosted quota are never kept: the quota moves with every call.

use std::sync::Arc;

use infra::cache::Cache;
use infra::kept::{KeptMap, Version};
use uuid::Uuid;

use crate::ModelType;
use crate::store::{CallCredentials, DefaultModel};

pub use infra::kept::Seen;

/// The cache key of the version.
const VERSION_KEY: &str = "providers_version";

type CallKey = (Uuid, String, String, ModelType);

/// The kept answers of one process; shared by its clones of the credential cache.
pub struct Kept {
    version: Version,
    calls: KeptMap<CallKey, CallCredentials>,
    defaults: KeptMap<(Uuid, ModelType), DefaultModel>,
}

impl Default for Kept {
    /// Keeps nothing: no shared version backs it.
    fn default() -> Self {
        Self { version: Version::absent(VERSION_KEY), calls: KeptMap::default(), defaults: KeptMap::default() }
    }
}

impl Kept {
    /// Kept answers checked against the version in `shared`.
    pub fn new(shared: Arc<dyn Cache>) -> Self {
        Self { version: Version::new(shared, VERSION_KEY), ..Self::default() }
    }

    /// The version now, read before the rows it will vouch for.
    pub async fn seen(&self) -> Seen {
        self.version.seen().await
    }

    /// Says that providers, provider models or default models changed: every process drops
    /// what it kept. Call after the change commits.
    pub async fn changed(&self) {
        self.version.bump().await;
        self.calls.clear();
        self.defaults.clear();
    }

    pub(crate) fn call(&self, key: &CallKey, seen: Seen) -> Option<CallCredentials> {
        self.calls.get(key, seen)
    }

    pub(crate) fn keep_call(&self, key: CallKey, value: &CallCredentials, seen: Seen) {
        if value.quota.is_none() {
            self.calls.put(key, value.clone(), seen);
        }
    }

    pub(crate) fn default_model(&self, tenant_id: Uuid, model_type: ModelType, seen: Seen) -> Option<DefaultModel> {
        self.defaults.get(&(tenant_id, model_type), seen)
    }

    pub(crate) fn keep_default_model(&self, tenant_id: Uuid, value: &DefaultModel, seen: Seen) {
        self.defaults.put((tenant_id, value.model_type), value.clone(), seen);
    }
}
