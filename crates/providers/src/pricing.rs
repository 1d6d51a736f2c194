//! Dify's price accounting for a model call, as it fills the price columns of `messages`.
//!
//! Prices come from the `price_config` of Dify's rules JSON (0.3.23): per model a unit price for
//! prompt and completion tokens, a `unit` (the price is per 1/unit tokens) and a currency.
//! Models without an entry cost zero USD with a zero unit, as in Dify.
//!
//! Rounding (half up, as Python's `ROUND_HALF_UP`):
//! - unit price (`message_unit_price`, `answer_unit_price`): 4 decimals;
//! - price unit (`message_price_unit`, `answer_price_unit`): 6 decimals;
//! - price = tokens × unit price (unrounded) × price unit (rounded), to 7 decimals;
//!   `total_price` = prompt price + answer price.
//!
//! Embeddings use the `completion` price and the unrounded unit, as Dify's `BaseEmbedding` did.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::runtime::{ModelRef, Usage};

/// `(provider, base model, prompt, completion, unit, currency)`, verbatim from Dify's rules.
/// Embedding models have no prompt price.
const PRICES: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("openai", "gpt-4", "0.03", "0.06", "0.001", "USD"),
    ("openai", "gpt-4-32k", "0.06", "0.12", "0.001", "USD"),
    ("openai", "gpt-3.5-turbo", "0.0015", "0.002", "0.001", "USD"),
    ("openai", "gpt-3.5-turbo-instruct", "0.0015", "0.002", "0.001", "USD"),
    ("openai", "gpt-3.5-turbo-16k", "0.003", "0.004", "0.001", "USD"),
    ("openai", "text-davinci-003", "0.02", "0.02", "0.001", "USD"),
    ("openai", "text-embedding-ada-002", "0", "0.0001", "0.001", "USD"),
    ("azure_openai", "gpt-4", "0.03", "0.06", "0.001", "USD"),
    ("azure_openai", "gpt-4-32k", "0.06", "0.12", "0.001", "USD"),
    ("azure_openai", "gpt-35-turbo", "0.002", "0.0015", "0.001", "USD"),
    ("azure_openai", "gpt-35-turbo-16k", "0.003", "0.004", "0.001", "USD"),
    ("azure_openai", "text-davinci-002", "0.02", "0.02", "0.001", "USD"),
    ("azure_openai", "text-davinci-003", "0.02", "0.02", "0.001", "USD"),
    ("azure_openai", "text-embedding-ada-002", "0", "0.0001", "0.001", "USD"),
    ("anthropic", "claude-instant-1", "1.63", "5.51", "0.000001", "USD"),
    ("anthropic", "claude-2", "11.02", "32.68", "0.000001", "USD"),
    // Providers the runtime does not call yet, kept so that their prices are right when it does.
    ("minimax", "abab5.5-chat", "0.015", "0.015", "0.001", "RMB"),
    ("minimax", "abab5-chat", "0.015", "0.015", "0.001", "RMB"),
    ("minimax", "embo-01", "0", "0", "0.0001", "RMB"),
    ("spark", "spark", "0.18", "0.18", "0.0001", "RMB"),
    ("spark", "spark-v2", "0.36", "0.36", "0.0001", "RMB"),
    ("wenxin", "ernie-bot", "0.012", "0.012", "0.001", "RMB"),
    ("wenxin", "ernie-bot-turbo", "0.008", "0.008", "0.001", "RMB"),
    ("wenxin", "bloomz-7b", "0.006", "0.006", "0.001", "RMB"),
    ("zhipuai", "chatglm_pro", "0.01", "0.01", "0.001", "RMB"),
    ("zhipuai", "chatglm_std", "0.005", "0.005", "0.001", "RMB"),
    ("zhipuai", "chatglm_lite", "0.002", "0.002", "0.001", "RMB"),
    ("zhipuai", "chatglm_lite_32k", "0.0004", "0.0004", "0.001", "RMB"),
    ("zhipuai", "text_embedding", "0", "0", "0.001", "RMB"),
];

/// The price rule of one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceConfig {
    /// Price of `1/unit` prompt tokens.
    pub prompt: Decimal,
    /// Price of `1/unit` completion tokens (for embeddings: of input tokens).
    pub completion: Decimal,
    pub unit: Decimal,
    pub currency: String,
}

impl PriceConfig {
    /// Dify's fallback for models without a price: zero USD, zero unit.
    pub fn free() -> Self {
        Self { prompt: Decimal::ZERO, completion: Decimal::ZERO, unit: Decimal::ZERO, currency: "USD".to_owned() }
    }
}

/// The price rule of a base model (for Azure: the `base_model_name`, not the deployment).
pub fn price_config(provider: &str, base_model: &str) -> PriceConfig {
    let parse = |s: &str| Decimal::from_str(s).unwrap_or(Decimal::ZERO);
    PRICES
        .iter()
        .find(|(p, m, ..)| *p == provider && *m == base_model)
        .map(|(_, _, prompt, completion, unit, currency)| PriceConfig {
            prompt: parse(prompt),
            completion: parse(completion),
            unit: parse(unit),
            currency: (*currency).to_owned(),
        })
        .unwrap_or_else(PriceConfig::free)
}

/// The price columns of a message (or an agent thought) for one generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePrice {
    /// Prompt price per `1/message_price_unit` tokens, 4 dp.
    pub message_unit_price: Decimal,
    /// 6 dp.
    pub message_price_unit: Decimal,
    /// Price of the prompt tokens, 7 dp.
    pub message_price: Decimal,
    /// Completion price per `1/answer_price_unit` tokens, 4 dp.
    pub answer_unit_price: Decimal,
    /// 6 dp.
    pub answer_price_unit: Decimal,
    /// Price of the answer tokens, 7 dp.
    pub answer_price: Decimal,
    /// `message_price + answer_price`, 7 dp.
    pub total_price: Decimal,
    pub currency: String,
}

/// Prices a generation of `base_model` by Dify's formula.
pub fn message_price(provider: &str, base_model: &str, prompt_tokens: u32, answer_tokens: u32) -> MessagePrice {
    let config = price_config(provider, base_model);
    let price_unit = round(config.unit, 6);
    let message_price = round(Decimal::from(prompt_tokens) * config.prompt * price_unit, 7);
    let answer_price = round(Decimal::from(answer_tokens) * config.completion * price_unit, 7);
    MessagePrice {
        message_unit_price: round(config.prompt, 4),
        message_price_unit: price_unit,
        message_price,
        answer_unit_price: round(config.completion, 4),
        answer_price_unit: price_unit,
        answer_price,
        total_price: message_price + answer_price,
        currency: config.currency,
    }
}

/// `message_price` for a model reference and the usage of a call.
pub fn message_price_for(model: &ModelRef, usage: Usage) -> MessagePrice {
    message_price(&model.provider, model.base_model_name(), usage.prompt_tokens, usage.completion_tokens)
}

/// The price of embedding `tokens` tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingPrice {
    /// 4 dp.
    pub unit_price: Decimal,
    /// 7 dp.
    pub total_price: Decimal,
    pub currency: String,
}

/// Prices an embedding call by Dify's `BaseEmbedding.calc_tokens_price`.
pub fn embedding_price(provider: &str, base_model: &str, tokens: u32) -> EmbeddingPrice {
    let config = price_config(provider, base_model);
    EmbeddingPrice {
        unit_price: round(config.completion, 4),
        total_price: round(Decimal::from(tokens) * config.completion * config.unit, 7),
        currency: config.currency,
    }
}

/// Python's `quantize(Decimal(10) ** -dp, ROUND_HALF_UP)`: rounded, and with exactly `dp` decimals.
fn round(value: Decimal, dp: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(dp);
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses() {
        for (_, _, prompt, completion, unit, _) in PRICES {
            for s in [prompt, completion, unit] {
                assert!(Decimal::from_str(s).is_ok(), "{s}");
            }
        }
    }

    #[test]
    fn gpt_35_turbo() {
        let p = message_price("openai", "gpt-3.5-turbo", 1000, 1000);
        assert_eq!(p.message_unit_price.to_string(), "0.0015");
        assert_eq!(p.answer_unit_price.to_string(), "0.0020");
        assert_eq!(p.message_price_unit.to_string(), "0.001000");
        assert_eq!(p.message_price.to_string(), "0.0015000");
        assert_eq!(p.answer_price.to_string(), "0.0020000");
        assert_eq!(p.total_price.to_string(), "0.0035000");
        assert_eq!(p.currency, "USD");
    }

    #[test]
    fn rounding_half_up() {
        // 7 × 0.0015 × 0.001 = 0.0000105 exactly; 3 × 0.0015 × 0.001 = 0.0000045.
        assert_eq!(message_price("openai", "gpt-3.5-turbo", 7, 3).message_price.to_string(), "0.0000105");
        // claude-2: 1 × 11.02 × 0.000001 = 0.00001102 → 0.0000110.
        assert_eq!(message_price("anthropic", "claude-2", 1, 0).message_price.to_string(), "0.0000110");
        // 5 × 32.68 × 0.000001 = 0.0001634.
        assert_eq!(message_price("anthropic", "claude-2", 0, 5).answer_price.to_string(), "0.0001634");
        assert_eq!(message_price("anthropic", "claude-2", 0, 0).answer_unit_price.to_string(), "32.6800");
    }

    #[test]
    fn unknown_models_are_free() {
        let p = message_price("localai", "llama", 1000, 1000);
        assert_eq!(p.total_price, Decimal::ZERO);
        assert_eq!(p.message_price_unit.to_string(), "0.000000");
        assert_eq!(p.currency, "USD");
        let e = embedding_price("openai", "text-embedding-ada-002", 10_000);
        assert_eq!(e.total_price.to_string(), "0.0010000");
        assert_eq!(e.unit_price.to_string(), "0.0001");
    }
}
