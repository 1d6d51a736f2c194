//! The 14 providers of Dify 0.3.23, in `_providers.json` order. Credential fields and secrets
//! follow each provider class's `encrypt_*_credentials`; models and display names its
//! `_get_fixed_model_list`.

use super::{
    AGENT_THOUGHT, CatalogModel, CredentialField, Flexibility, ProviderSpec, ProviderType, QuotaType, QuotaUnit,
    SystemQuota,
};
use crate::ModelType::{self, Embeddings, Moderation, Speech2Text, TextGeneration};

const CUSTOM: &[ProviderType] = &[ProviderType::Custom];
const SYSTEM_AND_CUSTOM: &[ProviderType] = &[ProviderType::System, ProviderType::Custom];
const AGENT: &[&str] = &[AGENT_THOUGHT];
const NONE: &[&str] = &[];

const fn secret(name: &'static str) -> CredentialField {
    CredentialField { name, secret: true }
}

const fn plain(name: &'static str) -> CredentialField {
    CredentialField { name, secret: false }
}

const fn model(name: &'static str, display_name: &'static str, model_type: ModelType) -> CatalogModel {
    CatalogModel { name, display_name, model_type, features: NONE, hidden_on_trial: false }
}

const fn agent(name: &'static str, model_type: ModelType) -> CatalogModel {
    CatalogModel { name, display_name: name, model_type, features: AGENT, hidden_on_trial: false }
}

/// Free third-party quotas counted in tokens (MiniMax, Spark, ZhipuAI); no limit in Dify's rules.
const FREE_TOKENS: SystemQuota =
    SystemQuota { quota_types: &[QuotaType::Free], unit: QuotaUnit::Tokens, trial_limit: None };

/// Every provider, in Dify's order.
pub static PROVIDERS: [ProviderSpec; 14] = [
    ProviderSpec {
        name: "openai",
        provider_types: SYSTEM_AND_CUSTOM,
        flexibility: Flexibility::Fixed,
        system: Some(SystemQuota { quota_types: &[QuotaType::Trial], unit: QuotaUnit::Times, trial_limit: Some(200) }),
        credentials: &[secret("openai_api_key"), plain("openai_api_base"), plain("openai_organization")],
        model_types: &[TextGeneration, Embeddings, Speech2Text, Moderation],
        models: &[
            agent("gpt-3.5-turbo", TextGeneration),
            model("gpt-3.5-turbo-instruct", "GPT-3.5-Turbo-Instruct", TextGeneration),
            agent("gpt-3.5-turbo-16k", TextGeneration),
            CatalogModel { hidden_on_trial: true, ..agent("gpt-4", TextGeneration) },
            CatalogModel { hidden_on_trial: true, ..agent("gpt-4-32k", TextGeneration) },
            model("text-davinci-003", "text-davinci-003", TextGeneration),
            model("text-embedding-ada-002", "text-embedding-ada-002", Embeddings),
            model("whisper-1", "whisper-1", Speech2Text),
            model("text-moderation-stable", "text-moderation-stable", Moderation),
        ],
        runtime_supported: true,
    },
    ProviderSpec {
        name: "azure_openai",
        provider_types: CUSTOM,
        flexibility: Flexibility::Configurable,
        system: None,
        credentials: &[plain("openai_api_base"), secret("openai_api_key"), plain("base_model_name")],
        model_types: &[TextGeneration, Embeddings],
        models: &[],
        runtime_supported: true,
    },
    ProviderSpec {
        name: "anthropic",
        provider_types: SYSTEM_AND_CUSTOM,
        flexibility: Flexibility::Fixed,
        system: Some(SystemQuota {
            quota_types: &[QuotaType::Paid, QuotaType::Trial],
            unit: QuotaUnit::Tokens,
            trial_limit: Some(600_000),
        }),
        credentials: &[secret("anthropic_api_key"), plain("anthropic_api_url")],
        model_types: &[TextGeneration],
        models: &[model("claude-instant-1", "claude-instant-1", TextGeneration), agent("claude-2", TextGeneration)],
        runtime_supported: true,
    },
    ProviderSpec {
        name: "minimax",
        provider_types: SYSTEM_AND_CUSTOM,
        flexibility: Flexibility::Fixed,
        system: Some(FREE_TOKENS),
        credentials: &[plain("minimax_group_id"), secret("minimax_api_key")],
        model_types: &[TextGeneration, Embeddings],
        models: &[
            model("abab5.5-chat", "abab5.5-chat", TextGeneration),
            model("abab5-chat", "abab5-chat", TextGeneration),
            model("embo-01", "embo-01", Embeddings),
        ],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "tongyi",
        provider_types: CUSTOM,
        flexibility: Flexibility::Fixed,
        system: None,
        credentials: &[secret("dashscope_api_key")],
        model_types: &[TextGeneration],
        models: &[model("qwen-v1", "qwen-v1", TextGeneration), model("qwen-plus-v1", "qwen-plus-v1", TextGeneration)],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "spark",
        provider_types: SYSTEM_AND_CUSTOM,
        flexibility: Flexibility::Fixed,
        system: Some(FREE_TOKENS),
        credentials: &[plain("app_id"), secret("api_key"), secret("api_secret")],
        model_types: &[TextGeneration],
        models: &[model("spark", "Spark V1.5", TextGeneration), model("spark-v2", "Spark V2.0", TextGeneration)],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "wenxin",
        provider_types: CUSTOM,
        flexibility: Flexibility::Fixed,
        system: None,
        credentials: &[secret("api_key"), secret("secret_key")],
        model_types: &[TextGeneration],
        models: &[
            model("ernie-bot", "ERNIE-Bot", TextGeneration),
            model("ernie-bot-turbo", "ERNIE-Bot-turbo", TextGeneration),
            model("bloomz-7b", "BLOOMZ-7B", TextGeneration),
        ],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "zhipuai",
        provider_types: SYSTEM_AND_CUSTOM,
        flexibility: Flexibility::Fixed,
        system: Some(FREE_TOKENS),
        credentials: &[secret("api_key")],
        model_types: &[TextGeneration, Embeddings],
        models: &[
            model("chatglm_pro", "chatglm_pro", TextGeneration),
            model("chatglm_std", "chatglm_std", TextGeneration),
            model("chatglm_lite", "chatglm_lite", TextGeneration),
            model("chatglm_lite_32k", "chatglm_lite_32k", TextGeneration),
            model("text_embedding", "text_embedding", Embeddings),
        ],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "chatglm",
        provider_types: CUSTOM,
        flexibility: Flexibility::Fixed,
        system: None,
        // Dify encrypts the endpoint URL itself.
        credentials: &[secret("api_base")],
        model_types: &[TextGeneration],
        models: &[
            model("chatglm2-6b", "ChatGLM2-6B", TextGeneration),
            model("chatglm-6b", "ChatGLM-6B", TextGeneration),
        ],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "replicate",
        provider_types: CUSTOM,
        flexibility: Flexibility::Configurable,
        system: None,
        credentials: &[secret("replicate_api_token"), plain("model_version")],
        model_types: &[TextGeneration, Embeddings],
        models: &[],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "huggingface_hub",
        provider_types: CUSTOM,
        flexibility: Flexibility::Configurable,
        system: None,
        credentials: &[
            plain("huggingfacehub_api_type"),
            secret("huggingfacehub_api_token"),
            plain("huggingfacehub_endpoint_url"),
            plain("task_type"),
        ],
        model_types: &[TextGeneration],
        models: &[],
        runtime_supported: false,
    },
    ProviderSpec {
        name: "xinference",
        provider_types: CUSTOM,
        flexibility: Flexibility::Configurable,
        system: None,
        // Dify encrypts the server URL; `model_format` and `model_handle_type` are read from
        // the server when a text-generation model is saved.
        credentials: &[secret("server_url"), plain("model_uid"), plain("model_format"), plain("model_handle_type")],
        model_types: &[TextGeneration, Embeddings],
        models: &[],
        runtime_supported: true,
    },
    ProviderSpec {
        name: "openllm",
        provider_types: CUSTOM,
        flexibility: Flexibility::Configurable,
        system: None,
        credentials: &[secret("server_url")],
        model_types: &[TextGeneration],
        models: &[],
        runtime_supported: true,
    },
    ProviderSpec {
        name: "localai",
        provider_types: CUSTOM,
        flexibility: Flexibility::Configurable,
        system: None,
        credentials: &[secret("server_url"), plain("completion_type")],
        model_types: &[TextGeneration, Embeddings],
        models: &[],
        runtime_supported: true,
    },
];
