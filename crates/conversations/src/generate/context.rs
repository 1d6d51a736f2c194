//! The dataset step before the final prompt (Dify's router strategy over `dataset` tools):
//! the app's usable datasets are searched with the raw query, `k` chosen from the context
//! budget left, and the hits become the prompt's context and, when the app shows them, the
//! answer's sources.

use crate::ConversationError;
use datasets::retrieval::{self, Asker, Retrieved};
use entities::dataset_retriever_resources as resources;
use kernel::time::now_naive;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{EntityTrait, QueryTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use entities::datasets as datasets_model;
use providers::runtime::{ChatMessage, CompletionParams, ModelRef};

use crate::Caller;
use crate::engine::Engine;

/// What retrieval found for one query.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub hits: Vec<(Retrieved, String)>,
}

impl Found {
    pub fn context(&self) -> Option<String> {
        let hits: Vec<Retrieved> = self.hits.iter().map(|(r, _)| r.clone()).collect();
        (!hits.is_empty()).then(|| retrieval::context_of(&hits))
    }
}

/// Searches the app's datasets with the raw query, as Dify's router does: one dataset
/// directly; with several, the app's model first picks the one that fits the question (none
/// fitting means no context).
#[allow(clippy::too_many_arguments)]
pub async fn retrieve(
    engine: &Engine,
    model: &ModelRef,
    tenant_id: Uuid,
    app_id: Uuid,
    caller: Caller,
    dataset_ids: &[Uuid],
    query: &str,
    rest_tokens: Option<usize>,
) -> Result<Found, ConversationError> {
    let mut datasets = retrieval::usable_datasets(&engine.db, tenant_id, dataset_ids).await?;
    if datasets.is_empty() || query.trim().is_empty() {
        return Ok(Found::default());
    }
    if datasets.len() > 1 {
        match pick(engine, model, &datasets, query).await {
            Some(i) => datasets = vec![datasets.swap_remove(i)],
            None => return Ok(Found::default()),
        }
    }
    let indexer = engine.indexer();
    let asker = Asker { app_id, role: caller.role(), id: caller.id() };
    let d = &datasets[0];
    let k = rag::retrieval::dynamic_k(rest_tokens, retrieval::segment_max_tokens(&engine.db, d.id).await?);
    let hits =
        retrieval::retrieve(&indexer, d, query, k, asker).await?.into_iter().map(|r| (r, d.name.clone())).collect();
    Ok(Found { hits })
}

/// Asks the model which dataset answers `query` (Dify's router, in the ReAct-style form it
/// uses for models without function calls): the index of the pick, or None.
async fn pick(engine: &Engine, model: &ModelRef, datasets: &[datasets_model::Model], query: &str) -> Option<usize> {
    let tools: String = datasets
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let about = d
                .description
                .clone()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| format!("useful for when you want to answer queries about the {}", d.name));
            format!("{}. {}: {about}\n", i + 1, d.name)
        })
        .collect();
    let prompt = format!("{ROUTER_PROMPT}\n{tools}\nQuestion: {query}\nNumber:");
    let params = CompletionParams { max_tokens: Some(8), temperature: Some(0.0), ..CompletionParams::default() };
    let reply = match providers::runtime::generate(&engine.http, model, &[ChatMessage::user(prompt)], &params).await {
        Ok(r) => r.text,
        Err(e) => {
            // As Dify: a router that fails adds no context rather than failing the answer.
            tracing::warn!(error = %e, "dataset router call failed");
            return None;
        }
    };
    let n: usize = reply.trim().split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty())?.parse().ok()?;
    (1..=datasets.len()).contains(&n).then(|| n - 1)
}

/// How the router asks the model to choose.
const ROUTER_PROMPT: &str = "You are choosing the knowledge base that can answer a question. \
Reply with only the number of the best one below, or 0 if none of them fits.\n";

/// The sources Dify returns in `message_end` (`retriever_from` `dev` adds segment details),
/// and their rows for the message, which the caller commits with it. Keyword (economy) hits
/// are not sources, as in Dify.
pub fn resources(
    message_id: Uuid,
    caller: Caller,
    retriever_from: &str,
    found: &Found,
) -> Option<(Value, InsertStatement)> {
    let scored: Vec<&(Retrieved, String)> = found.hits.iter().filter(|(r, _)| r.score.is_some()).collect();
    if scored.is_empty() {
        return None;
    }
    let now = now_naive();
    let mut rows = Vec::with_capacity(scored.len());
    let mut out = Vec::with_capacity(scored.len());
    for (i, (r, dataset_name)) in scored.iter().enumerate() {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let content = match r.segment.answer.as_deref().filter(|a| !a.is_empty()) {
            Some(answer) => format!("question:{} \nanswer:{answer}", r.segment.content),
            None => r.segment.content.clone(),
        };
        let score = r.score.map(f64::from);
        let mut source = json!({
            "position": position,
            "dataset_id": r.segment.dataset_id,
            "dataset_name": dataset_name,
            "document_id": r.document.id,
            "document_name": r.document.name,
            "data_source_type": r.document.data_source_type,
            "segment_id": r.segment.id,
            "retriever_from": retriever_from,
            "score": score,
            "content": content,
        });
        if retriever_from == "dev" {
            source["hit_count"] = json!(r.segment.hit_count);
            source["word_count"] = json!(r.segment.word_count);
            source["segment_position"] = json!(r.segment.position);
            source["index_node_hash"] = json!(r.segment.index_node_hash);
        }
        out.push(source);
        rows.push(resources::ActiveModel {
            id: Set(Uuid::new_v4()),
            message_id: Set(message_id),
            position: Set(position),
            dataset_id: Set(r.segment.dataset_id),
            dataset_name: Set(dataset_name.clone()),
            document_id: Set(r.document.id),
            document_name: Set(r.document.name.clone()),
            data_source_type: Set(r.document.data_source_type),
            segment_id: Set(r.segment.id),
            score: Set(score),
            content: Set(content),
            hit_count: Set(Some(r.segment.hit_count)),
            word_count: Set(Some(r.segment.word_count)),
            segment_position: Set(Some(r.segment.position)),
            index_node_hash: Set(r.segment.index_node_hash.clone()),
            retriever_from: Set(retriever_from.to_owned()),
            created_by: Set(caller.id()),
            created_at: Set(now),
        });
    }
    Some((Value::Array(out), resources::Entity::insert_many(rows).into_query()))
}
