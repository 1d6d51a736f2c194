//! The model providers Dify 0.3.23 knows, in the order of its `rules/_providers.json`: how each
//! is configured (credentials once per workspace, or per model), which credential fields are
//! secret, its hosted-quota rules, its fixed models and its parameter ranges.
//!
//! The data is Dify's (`core/model_providers/rules/*.json` and the provider classes),
//! re-expressed as Rust constants in [`specs`](self) and [`parameters`](self). `runtime_supported`
//! says whether dify-rs can call the provider; the others are listed as Dify lists them, and
//! their credential checks answer that dify-rs does not support them yet.

mod parameters;
mod specs;

pub use entities::providers::{ProviderType, QuotaType};
pub use parameters::{ParameterRule, ParameterRules, RuleValue, parameter_rules};
pub use specs::PROVIDERS;

use crate::ModelType;

/// The feature Dify marks models with that can drive an agent.
pub const AGENT_THOUGHT: &str = "agent_thought";

/// Whether credentials are set once per workspace (`fixed`: the model list is hard-coded) or
/// per model (`configurable`: the models are the ones the workspace added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flexibility {
    Fixed,
    Configurable,
}

impl Flexibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Flexibility::Fixed => "fixed",
            Flexibility::Configurable => "configurable",
        }
    }
}

/// What a hosted quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaUnit {
    /// One per call.
    Times,
    /// Total tokens of each call.
    Tokens,
}

impl QuotaUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaUnit::Times => "times",
            QuotaUnit::Tokens => "tokens",
        }
    }
}

/// A provider's hosted-quota rules (`system_config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemQuota {
    pub quota_types: &'static [QuotaType],
    pub unit: QuotaUnit,
    /// The trial quota's limit, where the provider has a trial.
    pub trial_limit: Option<i64>,
}

/// One credential field of a provider's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialField {
    pub name: &'static str,
    /// Stored encrypted with the workspace key and only ever shown obfuscated.
    pub secret: bool,
}

/// A model of a fixed provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogModel {
    pub name: &'static str,
    pub display_name: &'static str,
    pub model_type: ModelType,
    /// Dify's model features (e.g. [`AGENT_THOUGHT`]).
    pub features: &'static [&'static str],
    /// Not offered on a hosted trial quota (GPT-4 on OpenAI's trial).
    pub hidden_on_trial: bool,
}

/// One provider as Dify 0.3.23 defines it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProviderSpec {
    /// Dify's name (`openai`, `azure_openai`, ...).
    pub name: &'static str,
    /// `support_provider_types`, in Dify's order.
    pub provider_types: &'static [ProviderType],
    pub flexibility: Flexibility,
    /// Hosted-quota rules, for providers that support `system`.
    pub system: Option<SystemQuota>,
    /// The config's fields (per model for configurable providers); secret ones are encrypted.
    pub credentials: &'static [CredentialField],
    /// The model kinds the provider offers.
    pub model_types: &'static [ModelType],
    /// The hard-coded models of a fixed provider (empty for configurable ones).
    pub models: &'static [CatalogModel],
    /// Whether dify-rs's runtime can call this provider.
    pub runtime_supported: bool,
}

impl ProviderSpec {
    pub fn supports(&self, provider_type: ProviderType) -> bool {
        self.provider_types.contains(&provider_type)
    }

    pub fn is_fixed(&self) -> bool {
        self.flexibility == Flexibility::Fixed
    }

    /// Whether `field` is stored encrypted.
    pub fn is_secret(&self, field: &str) -> bool {
        self.credentials.iter().any(|f| f.secret && f.name == field)
    }

    /// The names of the secret fields.
    pub fn secret_fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.credentials.iter().filter(|f| f.secret).map(|f| f.name)
    }

    /// Whether the provider has a hosted trial quota (Dify resolves these when listing).
    pub fn has_trial(&self) -> bool {
        self.supports(ProviderType::System) && self.system.is_some_and(|s| s.quota_types.contains(&QuotaType::Trial))
    }

    /// The fixed models of one kind, in Dify's order.
    pub fn fixed_models(&self, model_type: ModelType) -> impl Iterator<Item = &'static CatalogModel> + '_ {
        self.models.iter().filter(move |m| m.model_type == model_type)
    }
}

/// A provider by Dify's name.
pub fn get(name: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// Every provider name, in Dify's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    PROVIDERS.iter().map(|p| p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dify_order_and_runtime_support_agree_with_the_runtime() {
        let names: Vec<_> = names().collect();
        assert_eq!(
            names,
            [
                "openai",
                "azure_openai",
                "anthropic",
                "minimax",
                "tongyi",
                "spark",
                "wenxin",
                "zhipuai",
                "chatglm",
                "replicate",
                "huggingface_hub",
                "xinference",
                "openllm",
                "localai"
            ]
        );
        for p in PROVIDERS.iter() {
            assert_eq!(p.runtime_supported, crate::runtime::is_supported(p.name), "{}", p.name);
            assert!(p.supports(ProviderType::Custom), "{}", p.name);
            assert_eq!(p.supports(ProviderType::System), p.system.is_some(), "{}", p.name);
            assert_eq!(p.is_fixed(), !p.models.is_empty(), "{}", p.name);
            for m in p.models {
                assert!(p.model_types.contains(&m.model_type), "{} {}", p.name, m.name);
            }
        }
    }

    #[test]
    fn secrets_are_the_fields_dify_encrypts() {
        let secrets = |n: &str| get(n).map(|p| p.secret_fields().collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(secrets("openai"), ["openai_api_key"]);
        assert_eq!(secrets("azure_openai"), ["openai_api_key"]);
        assert_eq!(secrets("anthropic"), ["anthropic_api_key"]);
        assert_eq!(secrets("minimax"), ["minimax_api_key"]);
        assert_eq!(secrets("tongyi"), ["dashscope_api_key"]);
        assert_eq!(secrets("spark"), ["api_key", "api_secret"]);
        assert_eq!(secrets("wenxin"), ["api_key", "secret_key"]);
        assert_eq!(secrets("zhipuai"), ["api_key"]);
        assert_eq!(secrets("chatglm"), ["api_base"]);
        assert_eq!(secrets("replicate"), ["replicate_api_token"]);
        assert_eq!(secrets("huggingface_hub"), ["huggingfacehub_api_token"]);
        for p in ["xinference", "openllm", "localai"] {
            assert_eq!(secrets(p), ["server_url"], "{p}");
        }
    }

    #[test]
    fn quotas() {
        let openai = get("openai").and_then(|p| p.system).expect("openai system");
        assert_eq!(
            (openai.quota_types, openai.unit, openai.trial_limit),
            (&[QuotaType::Trial][..], QuotaUnit::Times, Some(200))
        );
        let anthropic = get("anthropic").and_then(|p| p.system).expect("anthropic system");
        assert_eq!(anthropic.quota_types, [QuotaType::Paid, QuotaType::Trial]);
        assert_eq!(anthropic.trial_limit, Some(600_000));
        let trial: Vec<_> = PROVIDERS.iter().filter(|p| p.has_trial()).map(|p| p.name).collect();
        assert_eq!(trial, ["openai", "anthropic"]);
    }
}
