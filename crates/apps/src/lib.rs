//! Apps, model configs, sites, API keys, templates, explore and installed apps, statistics.

pub mod api_keys;
pub mod app;
pub mod datasets;
pub mod error;
pub mod explore;
pub mod hot;
pub mod installed;
pub mod lookup;
pub mod model_config;
pub mod paragraph_migration;
pub mod site;
pub mod statistics;
pub mod templates;

pub use error::AppError;
