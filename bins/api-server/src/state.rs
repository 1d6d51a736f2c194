//! What every handler can reach: the configuration and the adapters.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use infra::Infra;
use kernel::Config;

/// Shared, cheaply cloned application state.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub infra: Infra,
    /// Outgoing HTTP (update checks, credential checks), guarded, with connection reuse.
    pub http: reqwest::Client,
    /// Workspace private keys and decrypted provider secrets, kept briefly in memory.
    pub provider_credentials: providers::credentials::CredentialCache,
    /// Handles for generations (model calls, stop flags, message rows).
    pub engine: conversations::Engine,
    /// Handles for datasets: storage, embeddings, the vector store.
    pub indexer: datasets::indexing::Indexer,
    /// App keys, apps and their parameters kept for the service API (`apps::hot`).
    pub hot_apps: Arc<apps::hot::HotApps>,
    /// Once set up, an instance stays set up: remembered so requests skip the query.
    setup_done: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(config: Config, infra: Infra) -> Self {
        infra::metrics::install();
        // Every server-side fetch goes through the guarded client (`infra::outbound`).
        let http = infra::outbound::client_builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .user_agent(concat!("dify-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        // Model calls get their own pool with the runtime's longer connect timeout.
        let models_http = providers::runtime::http_client().unwrap_or_else(|_| http.clone());
        let ctx = datasets::Ctx::new(&infra, &config, models_http);
        let provider_credentials = ctx.credentials.clone();
        let engine = conversations::Engine(ctx);
        let indexer = engine.indexer();
        let hot_apps = Arc::new(apps::hot::HotApps::new(infra.cache.clone()));
        Self {
            config: Arc::new(config),
            infra,
            http,
            provider_credentials,
            hot_apps,
            engine,
            indexer,
            setup_done: Arc::default(),
        }
    }

    /// True once setup has finished (checked in the database until it has).
    pub async fn is_setup(&self) -> Result<bool, kernel::ApiError> {
        if self.setup_done.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let done = accounts::setup::is_done(&self.infra.db).await?;
        self.setup_done.store(done, Ordering::Relaxed);
        Ok(done)
    }
}
