//! The rows a generation writes: the conversation, an empty message and its sources before
//! the first event (one transaction, committed while the model is first asked), and the
//! answer, tokens, prices and latency after, however the generation ended.

use ::apps::lookup::AppMode;
use entities::{apps, conversations, messages};
use infra::outbox::{Outbox, Staged};
use kernel::ApiError;
use kernel::jobs::Job;
use kernel::time::now_naive;
use providers::pricing::{message_price_for, price_config};
use providers::runtime::{ChatMessage, Usage, count_prompt_tokens, count_text_tokens};
use rust_decimal::Decimal;
use sea_orm::sea_query::SubQueryStatement;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait, Set};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::run::Plan;
use crate::Caller;
use crate::config::AppConfig;
use crate::engine::Engine;
use crate::models::TextModel;
use crate::template::{neutralize, render};

/// What the first write needs.
pub struct Start<'a> {
    pub app: &'a apps::Model,
    pub caller: Caller,
    pub mode: AppMode,
    pub config: &'a AppConfig,
    pub is_override: bool,
    pub conversation: Option<&'a conversations::Model>,
    pub inputs: &'a Map<String, Value>,
    pub query: &'a str,
    pub model: &'a TextModel,
}

/// The rows written.
pub struct Rows {
    pub conversation_id: Uuid,
    pub message_id: Uuid,
}

/// The conversation (when new) and the empty message, as inserts the caller commits together.
pub async fn begin(s: Start<'_>) -> (Rows, Vec<SubQueryStatement>) {
    let now = now_naive();
    let overrides = s.is_override.then(|| s.config.dict.to_string());
    let provider = s.config.provider().to_owned();
    let model_name = s.config.model_name().to_owned();
    let conversation_id = s.conversation.map_or_else(Uuid::new_v4, |c| c.id);
    let message_id = Uuid::new_v4();
    let new_conversation = match s.conversation {
        Some(_) => None,
        None => {
            let (introduction, instruction, instruction_tokens) = match s.mode {
                AppMode::Chat => {
                    let instruction = render(s.config.pre_prompt(), s.inputs);
                    let tokens = if instruction.is_empty() {
                        0
                    } else {
                        count_prompt_tokens(&s.model.model, &[ChatMessage::system(instruction.clone())]).await
                    };
                    (render(s.config.opening_statement(), s.inputs), instruction, tokens)
                }
                AppMode::Completion => (String::new(), String::new(), 0),
            };
            Some(conversations::ActiveModel {
                id: Set(conversation_id),
                app_id: Set(s.app.id),
                app_model_config_id: Set(s.config.id),
                model_provider: Set(provider.clone()),
                override_model_configs: Set(overrides.clone()),
                model_id: Set(model_name.clone()),
                mode: Set(s.mode),
                // Listed under this until the naming job replaces it (Dify names the
                // conversation before `message_end`; we never hold the stream for it).
                name: Set(match s.mode {
                    AppMode::Chat => crate::naming::FALLBACK_NAME.to_owned(),
                    AppMode::Completion => String::new(),
                }),
                summary: Set(None),
                inputs: Set(Some(Value::Object(s.inputs.clone()))),
                introduction: Set(Some(introduction)),
                system_instruction: Set(Some(instruction)),
                system_instruction_tokens: Set(i32::try_from(instruction_tokens).unwrap_or(i32::MAX)),
                status: Set(entities::kinds::RowStatus::Normal),
                from_source: Set(s.caller.from_source()),
                from_end_user_id: Set(s.caller.end_user_id()),
                from_account_id: Set(s.caller.account_id()),
                read_at: Set(None),
                read_account_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                is_deleted: Set(false),
            })
        }
    };
    let message = messages::ActiveModel {
        id: Set(message_id),
        app_id: Set(s.app.id),
        model_provider: Set(provider),
        model_id: Set(model_name),
        override_model_configs: Set(overrides),
        conversation_id: Set(conversation_id),
        inputs: Set(Some(Value::Object(s.inputs.clone()))),
        query: Set(s.query.to_owned()),
        message: Set(Value::String(String::new())),
        message_tokens: Set(0),
        message_unit_price: Set(Decimal::ZERO),
        answer: Set(String::new()),
        answer_tokens: Set(0),
        answer_unit_price: Set(Decimal::ZERO),
        provider_response_latency: Set(0.0),
        total_price: Set(Some(Decimal::ZERO)),
        currency: Set(price_config(&s.model.model.provider, s.model.model.base_model_name()).currency),
        from_source: Set(s.caller.from_source()),
        from_end_user_id: Set(s.caller.end_user_id()),
        from_account_id: Set(s.caller.account_id()),
        created_at: Set(now),
        updated_at: Set(now),
        agent_based: Set(s.config.enabled("agent_mode")),
        message_price_unit: Set(Decimal::ZERO),
        answer_price_unit: Set(Decimal::ZERO),
    };
    // Nothing is read back: the caller knows what it wrote.
    let mut unit = Vec::with_capacity(3);
    if let Some(c) = new_conversation {
        unit.push(conversations::Entity::insert(c).into_query().into());
    }
    unit.push(messages::Entity::insert(message).into_query().into());
    (Rows { conversation_id, message_id }, unit)
}

/// Writes the answer as far as it got, with `then` (a job that follows it) in the same
/// transaction; tokens the vendor did not report are counted here. Returns the staged job,
/// to send once the caller is ready.
pub async fn finish(
    engine: &Engine,
    plan: &Plan,
    answer: &str,
    reported: Option<Usage>,
    latency_secs: f64,
    then: Option<&Job>,
) -> Result<Option<Staged>, ApiError> {
    let model = &plan.model.model;
    let usage = match reported.filter(|u| u.prompt_tokens > 0) {
        Some(u) => u,
        None => Usage {
            prompt_tokens: count_prompt_tokens(model, &plan.messages).await,
            completion_tokens: count_text_tokens(model, answer).await,
        },
    };
    let price = message_price_for(model, usage);
    let tokens = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let row = messages::ActiveModel {
        message: Set(plan.prompt_json.clone()),
        message_tokens: Set(tokens(usage.prompt_tokens)),
        message_unit_price: Set(price.message_unit_price),
        message_price_unit: Set(price.message_price_unit),
        // A model's NUL would make PostgreSQL refuse the whole message row.
        answer: Set(neutralize(answer.trim()).replace('\0', "")),
        answer_tokens: Set(tokens(usage.completion_tokens)),
        answer_unit_price: Set(price.answer_unit_price),
        answer_price_unit: Set(price.answer_price_unit),
        provider_response_latency: Set(latency_secs),
        total_price: Set(Some(price.total_price)),
        currency: Set(price.currency),
        updated_at: Set(now_naive()),
        ..Default::default()
    };
    let update = messages::Entity::update_many().set(row).filter(messages::Column::Id.eq(plan.message_id));
    let mut statements = vec![update.into_query().into()];
    // The job commits with the answer it follows.
    let staged = then.map(|job| {
        let (staged, insert) = Outbox::staging(job);
        statements.push(insert.into());
        staged
    });
    engine.writes.write(statements).await?;
    if let Err(e) = providers::store::touch_last_used(&engine.db, plan.tenant_id, &model.provider).await {
        tracing::warn!(error = %e, "cannot record provider use");
    }
    // A hosted quota pays for calls that answered (Dify deducts after the model ran).
    if let Some(charge) = plan.model.quota.as_ref().filter(|_| !answer.trim().is_empty()) {
        let total = i64::from(usage.prompt_tokens) + i64::from(usage.completion_tokens);
        if let Err(e) = providers::store::charge_quota(&engine.db, charge, total).await {
            tracing::warn!(error = %e, "cannot charge the hosted quota");
        }
    }
    Ok(staged)
}
