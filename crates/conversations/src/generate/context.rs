//! The dataset step before the final prompt (Dify's router strategy over `dataset` tools):
//! the app's usable datasets are searched with the raw query, `k` chosen from the context
//! budget left, and the hits become the prompt's context and, when the app shows them, the
//! answer's sources.

use datasets::retrieval::{self, Asker, Retrieved};
use entities::dataset_retriever_resources as resources;
use kernel::ApiError;
use kernel::time::now_naive;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

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

/// Searches the app's datasets. One dataset is searched directly (Dify's router); with
/// several, each is searched and the best `k` hits by score are kept — where Dify has the
/// model pick a single dataset first.
pub async fn retrieve(
    engine: &Engine,
    tenant_id: Uuid,
    app_id: Uuid,
    caller: Caller,
    dataset_ids: &[Uuid],
    query: &str,
    rest_tokens: Option<usize>,
) -> Result<Found, ApiError> {
    let datasets = retrieval::usable_datasets(&engine.db, tenant_id, dataset_ids).await?;
    if datasets.is_empty() || query.trim().is_empty() {
        return Ok(Found::default());
    }
    let indexer = engine.indexer();
    let asker = Asker { app_id, role: caller.role(), id: caller.id() };
    let mut hits: Vec<(Retrieved, String)> = Vec::new();
    let mut k_all = 0;
    for d in &datasets {
        let k = rag::retrieval::dynamic_k(rest_tokens, retrieval::segment_max_tokens(&engine.db, d.id).await?);
        k_all = k_all.max(k);
        for r in retrieval::retrieve(&indexer, d, query, k, asker).await? {
            hits.push((r, d.name.clone()));
        }
    }
    if datasets.len() > 1 {
        hits.sort_by(|a, b| b.0.score.unwrap_or(0.0).total_cmp(&a.0.score.unwrap_or(0.0)));
        hits.truncate(k_all);
    }
    Ok(Found { hits })
}

/// The sources Dify returns in `message_end` (`retriever_from` `dev` adds segment details),
/// saved for the message. Keyword (economy) hits are not sources, as in Dify.
pub async fn save_resources(
    db: &impl ConnectionTrait,
    message_id: Uuid,
    caller: Caller,
    retriever_from: &str,
    found: &Found,
) -> Result<Option<Value>, ApiError> {
    let scored: Vec<&(Retrieved, String)> = found.hits.iter().filter(|(r, _)| r.score.is_some()).collect();
    if scored.is_empty() {
        return Ok(None);
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
            data_source_type: Set(r.document.data_source_type.clone()),
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
    resources::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(Some(Value::Array(out)))
}
