//! What every handler can reach: the configuration and the adapters.

use std::sync::Arc;

use infra::Infra;
use kernel::Config;

/// Shared, cheaply cloned application state.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub infra: Infra,
}

impl AppState {
    pub fn new(config: Config, infra: Infra) -> Self {
        Self { config: Arc::new(config), infra }
    }
}
