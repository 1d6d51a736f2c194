//! Hosted (system) model providers: the operator's own OpenAI and Anthropic keys, which a
//! CLOUD workspace may use on a quota (Dify's `hosted_model_providers`). On SELF_HOSTED, as in
//! Dify, they are never offered to workspaces.

use kernel::config::{Config, Edition, HostedProvider, HostedProviders};
use serde_json::{Map, Value};

use crate::credentials::Credentials;

/// Which hosted providers workspaces may use, and with what keys.
#[derive(Debug, Clone, Default)]
pub struct Hosting {
    cloud: bool,
    providers: HostedProviders,
}

impl Hosting {
    pub fn new(edition: Edition, providers: HostedProviders) -> Self {
        Self { cloud: edition == Edition::Cloud, providers }
    }

    pub fn from_config(config: &Config) -> Self {
        Self::new(config.edition, config.hosted.clone())
    }

    /// The operator's configuration of a hosted provider, whatever the edition.
    pub fn configured(&self, provider: &str) -> Option<&HostedProvider> {
        match provider {
            "openai" => self.providers.openai.as_ref(),
            "anthropic" => self.providers.anthropic.as_ref(),
            _ => None,
        }
    }

    /// Whether workspaces may use the provider's `system` type (Dify's
    /// `is_provider_type_system_supported`).
    pub fn system_supported(&self, provider: &str) -> bool {
        self.cloud && self.configured(provider).is_some()
    }

    /// Whether calls count against the workspace's quota (the operator set a limit).
    pub fn counts_quota(&self, provider: &str) -> bool {
        self.configured(provider).is_some_and(|h| h.quota_limit > 0)
    }

    /// The hosted key as the runtime reads a provider config.
    pub fn credentials(&self, provider: &str) -> Option<Credentials> {
        if !self.system_supported(provider) {
            return None;
        }
        let hosted = self.configured(provider)?;
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        let mut config = Map::new();
        match provider {
            "openai" => {
                config.insert("openai_api_key".into(), Value::String(hosted.api_key.clone()));
                config.insert("openai_api_base".into(), text(&hosted.api_base));
                config.insert("openai_organization".into(), text(&hosted.organization));
            }
            "anthropic" => {
                config.insert("anthropic_api_key".into(), Value::String(hosted.api_key.clone()));
                config.insert("anthropic_api_url".into(), text(&hosted.api_base));
            }
            _ => return None,
        }
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openai(limit: i64) -> HostedProviders {
        HostedProviders {
            openai: Some(HostedProvider {
                api_key: "sk-op".into(),
                api_base: None,
                organization: Some("org".into()),
                quota_limit: limit,
            }),
            anthropic: None,
        }
    }

    #[test]
    fn only_cloud_offers_hosted_keys() {
        let self_hosted = Hosting::new(Edition::SelfHosted, openai(200));
        assert!(!self_hosted.system_supported("openai") && self_hosted.credentials("openai").is_none());
        assert!(self_hosted.configured("openai").is_some(), "operators' commands still see it");
        let cloud = Hosting::new(Edition::Cloud, openai(0));
        assert!(cloud.system_supported("openai") && !cloud.system_supported("anthropic"));
        assert!(!cloud.counts_quota("openai"));
        let creds = cloud.credentials("openai").expect("creds");
        assert_eq!(creds["openai_api_key"], "sk-op");
        assert_eq!(creds["openai_organization"], "org");
    }
}
