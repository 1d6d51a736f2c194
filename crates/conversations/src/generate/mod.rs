//! The generation pipeline shared by every surface (console debug, installed apps, web app,
//! service API): validate and prepare on the request's task, then stream the answer from a
//! task of its own that writes the message row however the generation ends.
//!
//! No database connection is held across the model call: the conversation and message rows
//! commit while the model is first asked (before any event is seen), and the final update
//! takes a connection of its own after the call.

mod context;
pub(crate) mod history;
mod persist;
mod run;

use crate::ConversationError;
use ::apps::lookup::AppMode;
use entities::{app_model_configs, apps, conversations};
use kernel::ApiError;
use providers::runtime::{ChatMessage, count_prompt_tokens};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::AbortOnDropHandle;
use uuid::Uuid;

use crate::config::AppConfig;
use crate::engine::Engine;
use crate::prompt::{PromptParts, stop_words};
use crate::template::neutralize;
use crate::{Caller, inputs, models};

/// Events a generation sends while it runs, then the channel closes.
#[derive(Debug, Clone)]
pub enum Event {
    /// The next piece of the answer.
    Text(String),
    /// The answer is complete and saved.
    End { retriever_resources: Option<Value> },
    /// The generation failed; what was answered so far is saved.
    Error(ConversationError),
}

/// What a surface asks to generate.
#[derive(Debug, Clone)]
pub struct Request {
    pub app: apps::Model,
    pub caller: Caller,
    pub inputs: Map<String, Value>,
    pub query: String,
    pub conversation_id: Option<Uuid>,
    /// Console debugging: the (validated) config to run with instead of the app's. In an
    /// existing conversation only its `model.completion_params` apply.
    pub override_config: Option<Value>,
    pub retriever_from: String,
    /// The app's current config row, when the surface keeps it (else it is read here).
    pub current_config: Option<std::sync::Arc<app_model_configs::Model>>,
}

/// A running generation.
#[derive(Debug)]
pub struct Generation {
    pub task_id: Uuid,
    pub message_id: Uuid,
    pub conversation_id: Uuid,
    pub mode: AppMode,
    pub events: mpsc::Receiver<Event>,
}

/// Events buffered between the model and a slow client before the model stream waits.
const EVENT_BUFFER: usize = 256;

/// Validates the request, writes the conversation (if new) and message rows, and starts the
/// model call. Errors here are the request's HTTP errors; later ones arrive as [`Event::Error`].
#[tracing::instrument(
    name = "generate",
    skip_all,
    fields(workspace = %req.app.tenant_id, app = %req.app.id, conversation = ?req.conversation_id)
)]
pub async fn start(engine: &Engine, req: Request) -> Result<Generation, ConversationError> {
    let mode = req.app.mode;
    let query = req.query.replace('\0', "");
    if mode == AppMode::Chat && query.is_empty() {
        return Err(ApiError::value_error("query is required").into());
    }
    let conversation = match req.conversation_id {
        Some(id) => Some(find_conversation(engine, &req.app, req.caller, id).await?),
        None => None,
    };
    let is_override = req.override_config.is_some();
    let config = match (&conversation, req.override_config) {
        (Some(c), over) => {
            let mut config = conversation_config(engine, &req.app, c).await?;
            if let Some(params) = over.as_ref().and_then(|o| o.pointer("/model/completion_params")) {
                config.set_completion_params(params.clone());
            }
            config
        }
        (None, Some(over)) => {
            AppConfig::from_json(req.app.app_model_config_id.ok_or(ConversationError::AppUnavailable)?, over)
        }
        (None, None) => match &req.current_config {
            Some(row) => AppConfig::from_row(row),
            None => AppConfig::from_row(&current_config(engine, &req.app).await?),
        },
    };
    let mut inputs = inputs::clean(config.user_input_form(), &req.inputs)?;
    if let Some(stored) = conversation.as_ref().and_then(|c| c.inputs.as_ref()).and_then(Value::as_object) {
        // A conversation keeps the inputs it started with.
        inputs = stored.clone();
    }
    let model = models::text_model(engine, req.app.tenant_id, config.provider(), config.model_name()).await?;
    let query = neutralize(&query);

    let mut params = model.rules.apply(&config.completion_params());
    params.stop = stop_words(mode);
    let max_tokens = i64::from(params.max_tokens.unwrap_or(0));
    let parts = PromptParts { mode, pre_prompt: config.pre_prompt(), inputs: &inputs, query: &query, context: None };
    let base = parts.without_history();
    let base_tokens = i64::from(count_prompt_tokens(&model.model, &[ChatMessage::user(base.clone())]).await);
    if let Some(limit) = model.context_size()
        && limit - max_tokens - base_tokens < 0
    {
        return Err(ConversationError::PromptTooLong);
    }
    // The dataset step runs before the final prompt (an agent step would run here too).
    let dataset_ids = config.dataset_ids();
    let found = if dataset_ids.is_empty() {
        context::Found::default()
    } else {
        let rest = model.context_size().map(|limit| usize::try_from(limit - max_tokens - base_tokens).unwrap_or(0));
        context::retrieve(engine, &model.model, req.app.tenant_id, req.app.id, req.caller, &dataset_ids, &query, rest)
            .await?
    };
    let context = found.context();
    let parts = PromptParts { context: context.as_deref(), ..parts };
    let prompt = match (mode, &conversation) {
        (AppMode::Chat, Some(c)) => {
            let budget = model.context_size().map_or(2000, |limit| (limit - max_tokens - base_tokens).max(0));
            let histories = history::recent(engine, &model, c.id, budget, history::MESSAGE_LIMIT).await?;
            parts.with_history(&histories)
        }
        _ => parts.without_history(),
    };
    if let Some(limit) = model.context_size() {
        // Leave the answer the room the context has left (Dify's recale_llm_max_tokens).
        let prompt_tokens = i64::from(count_prompt_tokens(&model.model, &[ChatMessage::user(prompt.clone())]).await);
        if prompt_tokens + max_tokens > limit {
            params.max_tokens = Some((limit - prompt_tokens).max(16) as u32);
        }
    }

    let canned = match config.sensitive_rule() {
        Some(rule) => crate::screening::canned_answer(engine, req.app.tenant_id, &rule, &query).await?,
        None => None,
    };
    let prepared = Prepared {
        app: &req.app,
        caller: req.caller,
        mode,
        config: &config,
        is_override,
        conversation: conversation.as_ref(),
        inputs: &inputs,
        query: &query,
        model,
        prompt,
        params,
        canned,
        sources: config.enabled("retriever_resource").then(|| (found, req.retriever_from.clone())),
    };
    Ok(launch(engine, prepared).await?)
}

/// A generation ready to run: its rows are not written yet.
struct Prepared<'a> {
    app: &'a apps::Model,
    caller: Caller,
    mode: AppMode,
    config: &'a AppConfig,
    is_override: bool,
    conversation: Option<&'a conversations::Model>,
    inputs: &'a Map<String, Value>,
    query: &'a str,
    model: models::TextModel,
    prompt: String,
    params: providers::runtime::CompletionParams,
    canned: Option<String>,
    /// What retrieval found, and the surface it is reported for, when the app shows sources.
    sources: Option<(context::Found, String)>,
}

/// Starts the model call on a task of its own and commits the rows meanwhile: the model's
/// first token and the commit are waited for at once, not one after the other. Nothing of
/// the generation is seen before the rows are committed (the events are read once this
/// returns, and the task writes the answer only after), and a failed commit stops the task.
async fn launch(engine: &Engine, p: Prepared<'_>) -> Result<Generation, ApiError> {
    let (rows, mut unit) = persist::begin(persist::Start {
        app: p.app,
        caller: p.caller,
        mode: p.mode,
        config: p.config,
        is_override: p.is_override,
        conversation: p.conversation,
        inputs: p.inputs,
        query: p.query,
        model: &p.model,
    })
    .await;
    let retriever_resources = p.sources.as_ref().and_then(|(found, from)| {
        let (sources, insert) = context::resources(rows.message_id, p.caller, from, found)?;
        unit.push(insert.into());
        Some(sources)
    });
    let task_id = Uuid::new_v4();
    let (tx, rx) = mpsc::channel(EVENT_BUFFER);
    let (committed, rows_committed) = oneshot::channel();
    let plan = run::Plan {
        task_id,
        message_id: rows.message_id,
        conversation_id: rows.conversation_id,
        names_conversation: (p.mode == AppMode::Chat && p.conversation.is_none()).then(|| p.query.to_owned()),
        tenant_id: p.app.tenant_id,
        caller: p.caller,
        canned: p.canned,
        prompt_json: json!([{"role": "user", "text": p.prompt}]),
        messages: vec![ChatMessage::user(p.prompt)],
        model: p.model,
        params: p.params,
        retriever_resources,
    };
    // The model call outlives this request's handler; it keeps the request's id and span.
    let task = kernel::request_id::spawn(tracing::Instrument::in_current_span(run::run(
        engine.clone(),
        plan,
        rows_committed,
        tx,
    )));
    // Until the rows commit, the task is this request's: a failed commit, or a handler
    // dropped while it waits (the client left), stops it before it writes anything.
    let task = AbortOnDropHandle::new(task);
    engine.writes.write(unit).await?;
    task.detach();
    let _ = committed.send(());
    Ok(Generation {
        task_id,
        message_id: rows.message_id,
        conversation_id: rows.conversation_id,
        mode: p.mode,
        events: rx,
    })
}

/// Dify's "more like this": a new completion in a new conversation, asking the model to
/// rephrase the caller's earlier answer `message_id` under the same prompt.
pub async fn more_like_this(
    engine: &Engine,
    app: &apps::Model,
    caller: Caller,
    message_id: Uuid,
) -> Result<Generation, ConversationError> {
    let message = crate::lookup::caller_message(&engine.db, app, caller, message_id).await?;
    if !AppConfig::from_row(&current_config(engine, app).await?).enabled("more_like_this") {
        return Err(ConversationError::MoreLikeThisDisabled);
    }
    let conversation = conversations::Entity::find_by_id(message.conversation_id)
        .one(&engine.db)
        .await?
        .ok_or_else(|| ApiError::not_found("Message Not Exists."))?;
    let config = match message.override_model_configs.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        Some(dict) => AppConfig::from_json(conversation.app_model_config_id, dict),
        None => conversation_config(engine, app, &conversation).await?,
    };
    let inputs = message.inputs.as_ref().and_then(Value::as_object).cloned().unwrap_or_default();
    let model = models::text_model(engine, app.tenant_id, config.provider(), config.model_name()).await?;
    let original = PromptParts {
        mode: AppMode::Completion,
        pre_prompt: config.pre_prompt(),
        inputs: &inputs,
        query: &message.query,
        context: None,
    }
    .without_history();
    let prompt = crate::template::render(
        MORE_LIKE_THIS_PROMPT,
        &[
            ("prompt".to_owned(), Value::from(original)),
            ("original_completion".to_owned(), Value::from(message.answer.trim())),
        ]
        .into_iter()
        .collect(),
    );
    let mut params = model.rules.apply(&config.completion_params());
    if let Some(limit) = model.context_size() {
        let prompt_tokens = i64::from(count_prompt_tokens(&model.model, &[ChatMessage::user(prompt.clone())]).await);
        let max_tokens = i64::from(params.max_tokens.unwrap_or(0));
        if prompt_tokens + max_tokens > limit {
            params.max_tokens = Some((limit - prompt_tokens).max(16) as u32);
        }
    }
    let prepared = Prepared {
        app,
        caller,
        mode: AppMode::Completion,
        config: &config,
        is_override: message.override_model_configs.is_some(),
        conversation: None,
        inputs: &inputs,
        query: &message.query,
        model,
        prompt,
        params,
        canned: None,
        sources: None,
    };
    Ok(launch(engine, prepared).await?)
}

/// The prompt "more like this" wraps the original prompt and answer in.
const MORE_LIKE_THIS_PROMPT: &str = "-----\n{{original_completion}}\n-----\n\nPlease use the above content as a sample for generating the result, and include key information points related to the original sample in the result. Try to rephrase this information in different ways and predict according to the rules below.\n\n-----\n{{prompt}}\n";

/// The caller's open conversation `id` of this app, or Dify's 404.
async fn find_conversation(
    engine: &Engine,
    app: &apps::Model,
    caller: Caller,
    id: Uuid,
) -> Result<conversations::Model, ConversationError> {
    let mut q = conversations::Entity::find_by_id(id)
        .filter(conversations::Column::AppId.eq(app.id))
        .filter(conversations::Column::IsDeleted.eq(false));
    q = match caller {
        Caller::Account(a) => q.filter(conversations::Column::FromAccountId.eq(a)),
        Caller::EndUser(u) => q.filter(conversations::Column::FromEndUserId.eq(u)),
    };
    let c = q.one(&engine.db).await?.ok_or_else(|| ApiError::not_found("Conversation Not Exists."))?;
    if c.status != entities::kinds::RowStatus::Normal {
        return Err(ConversationError::ConversationCompleted);
    }
    Ok(c)
}

/// The config a conversation was started with: its override, or its config row.
pub(crate) async fn conversation_config(
    engine: &Engine,
    app: &apps::Model,
    c: &conversations::Model,
) -> Result<AppConfig, ConversationError> {
    if let Some(dict) = c.override_model_configs.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        return Ok(AppConfig::from_json(c.app_model_config_id, dict));
    }
    let row = app_model_configs::Entity::find_by_id(c.app_model_config_id)
        .filter(app_model_configs::Column::AppId.eq(app.id))
        .one(&engine.db)
        .await?
        .ok_or(ConversationError::AppUnavailable)?;
    Ok(AppConfig::from_row(&row))
}

/// The app's current config row.
pub async fn current_config(engine: &Engine, app: &apps::Model) -> Result<app_model_configs::Model, ConversationError> {
    let id = app.app_model_config_id.ok_or(ConversationError::AppUnavailable)?;
    app_model_configs::Entity::find_by_id(id)
        .filter(app_model_configs::Column::AppId.eq(app.id))
        .one(&engine.db)
        .await?
        .ok_or(ConversationError::AppUnavailable)
}
