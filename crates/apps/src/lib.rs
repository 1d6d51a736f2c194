//! Apps, model configs, sites, API keys, templates, explore and installed apps, statistics.

pub mod lookup;
