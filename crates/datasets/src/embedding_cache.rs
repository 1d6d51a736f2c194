//! Embeddings through the `embeddings` table, so a text is paid for once per model (Dify's
//! `CacheEmbedding`): rows are keyed by model name and Dify's text hash and hold the
//! L2-normalised vector. On PostgreSQL it is a pickled Python list of floats, the form Python
//! Dify reads and writes, so a database shared with it keeps its cache. On SQLite, which
//! Python Dify never used, it is [`COMPACT`]: little-endian f32s, under half the bytes of the
//! pickle's f64s, which the single writer commits and checkpoints for every segment indexed.
//! Both forms are read on both.

use std::collections::HashMap;

use entities::embeddings;
use kernel::time::now_naive;
use providers::ProviderError;
use providers::runtime::{self, ModelRef};
use rag::split::text_hash;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait, Set};
use uuid::Uuid;

/// Rows looked up per query (keeps the `IN` list well under every backend's limit).
const LOOKUP_CHUNK: usize = 500;

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("embedding cache: {0}")]
    Db(#[from] DbErr),
}

impl From<EmbedError> for crate::DatasetError {
    fn from(e: EmbedError) -> Self {
        match e {
            EmbedError::Provider(e) => e.into(),
            EmbedError::Db(e) => e.into(),
        }
    }
}

/// Vectors in the order of the texts, and the tokens the vendor billed for the misses.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    pub billed_tokens: u32,
    /// How many texts had to be sent to the vendor.
    pub misses: usize,
}

/// Embeds `texts` with `model`, sending only those not cached (each distinct text once) and
/// caching what comes back. The vendor is called in the runtime's batches.
pub async fn embed_documents(
    db: &impl ConnectionTrait,
    http: &reqwest::Client,
    model: &ModelRef,
    texts: &[String],
) -> Result<Embedded, EmbedError> {
    let (embedded, to_cache) = embed_uncommitted(db, http, model, texts, None).await?;
    for insert in to_cache {
        db.execute(&insert).await?;
    }
    Ok(embedded)
}

/// [`embed_documents`], leaving the caching to the caller: the inserts of what the vendor
/// sent, for the caller to commit with its own writes (indexing commits them in the batch's
/// unit with its keyword rows and completion). The vendor's call, and only it, takes a permit
/// of `calls` when given: the cache lookup before it and the rows built after it keep no
/// other caller's call waiting. (A closed semaphore would limit nothing; none is closed.)
pub async fn embed_uncommitted(
    db: &impl ConnectionTrait,
    http: &reqwest::Client,
    model: &ModelRef,
    texts: &[String],
    calls: Option<&tokio::sync::Semaphore>,
) -> Result<(Embedded, Vec<InsertStatement>), EmbedError> {
    let compact = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let hashes: Vec<String> = texts.iter().map(|t| text_hash(t)).collect();
    let mut known = cached(db, &model.model, &hashes).await?;
    let mut missing: Vec<(String, String)> = Vec::new();
    for (text, hash) in texts.iter().zip(&hashes) {
        if !known.contains_key(hash) && !missing.iter().any(|(h, _)| h == hash) {
            missing.push((hash.clone(), text.clone()));
        }
    }
    let mut billed_tokens = 0;
    let mut to_cache = Vec::new();
    if !missing.is_empty() {
        let to_send: Vec<String> = missing.iter().map(|(_, t)| t.clone()).collect();
        let turn = match calls {
            Some(calls) => calls.acquire().await.ok(),
            None => None,
        };
        let result = runtime::embed(http, model, &to_send).await;
        drop(turn);
        let result = result?;
        billed_tokens = result.total_tokens;
        let mut rows = Vec::with_capacity(missing.len());
        for ((hash, _), vector) in missing.iter().zip(result.vectors) {
            let vector = normalized(vector);
            rows.push(embeddings::ActiveModel {
                id: Set(Uuid::new_v4()),
                hash: Set(hash.clone()),
                embedding: Set(if compact { to_compact(&vector) } else { to_pickle(&vector) }),
                created_at: Set(now_naive()),
                model_name: Set(model.model.clone()),
            });
            known.insert(hash.clone(), vector);
        }
        for chunk in rows.chunks(LOOKUP_CHUNK) {
            // Another worker may have cached the same text meanwhile: its row stands.
            let insert = embeddings::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing_on([embeddings::Column::ModelName, embeddings::Column::Hash]);
            to_cache.push(insert.into_query());
        }
    }
    let vectors = hashes.iter().map(|h| known.get(h).cloned().unwrap_or_default()).collect();
    Ok((Embedded { vectors, billed_tokens, misses: missing.len() }, to_cache))
}

/// One query's vector (hit testing, retrieval), through the same cache.
pub async fn embed_query(
    db: &impl ConnectionTrait,
    http: &reqwest::Client,
    model: &ModelRef,
    text: &str,
) -> Result<Vec<f32>, EmbedError> {
    let mut out = embed_documents(db, http, model, &[text.to_owned()]).await?;
    Ok(out.vectors.pop().unwrap_or_default())
}

async fn cached(
    db: &impl ConnectionTrait,
    model_name: &str,
    hashes: &[String],
) -> Result<HashMap<String, Vec<f32>>, DbErr> {
    let mut out = HashMap::new();
    for chunk in hashes.chunks(LOOKUP_CHUNK) {
        let rows = embeddings::Entity::find()
            .filter(embeddings::Column::ModelName.eq(model_name))
            .filter(embeddings::Column::Hash.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        for row in rows {
            match from_stored(&row.embedding) {
                Some(v) => {
                    out.insert(row.hash, v);
                }
                // An unreadable row is embedded again (its replacement is not stored).
                None => tracing::warn!(hash = %row.hash, "unreadable cached embedding"),
            }
        }
    }
    Ok(out)
}

fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x = (f64::from(*x) / norm) as f32;
        }
    }
    v
}

/// The first bytes of a vector stored as little-endian f32s (no pickle starts with them: a
/// pickle of protocol 2 or later starts with 0x80).
pub const COMPACT: &[u8; 4] = b"f32:";

/// A vector as [`COMPACT`] f32s.
pub fn to_compact(v: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(COMPACT.len() + v.len() * 4);
    out.extend_from_slice(COMPACT);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// A stored vector in either form; None if it is neither.
pub fn from_stored(bytes: &[u8]) -> Option<Vec<f32>> {
    match bytes.strip_prefix(COMPACT) {
        Some(floats) if floats.len() % 4 == 0 => {
            Some(floats.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap_or_default())).collect())
        }
        Some(_) => None,
        None => from_pickle(bytes),
    }
}

/// A vector as Python's `pickle.dumps(list_of_floats)` writes it.
pub fn to_pickle(v: &[f32]) -> Vec<u8> {
    let floats: Vec<f64> = v.iter().map(|x| f64::from(*x)).collect();
    serde_pickle::to_vec(&floats, serde_pickle::SerOptions::new()).unwrap_or_default()
}

/// A pickled list of floats (or ints), as Dify stores embeddings; None if it is anything else.
pub fn from_pickle(bytes: &[u8]) -> Option<Vec<f32>> {
    let floats: Vec<f64> = serde_pickle::from_slice(bytes, serde_pickle::DeOptions::new()).ok()?;
    Some(floats.into_iter().map(|x| x as f32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_python_pickles_and_writes_what_it_reads() {
        // pickle.dumps([0.6, 0.8, -1.0], protocol=5), as Python Dify stores an embedding.
        let python: [u8; 43] = [
            128, 5, 149, 32, 0, 0, 0, 0, 0, 0, 0, 93, 148, 40, 71, 63, 227, 51, 51, 51, 51, 51, 51, 71, 63, 233, 153,
            153, 153, 153, 153, 154, 71, 191, 240, 0, 0, 0, 0, 0, 0, 101, 46,
        ];
        assert_eq!(from_pickle(&python), Some(vec![0.6, 0.8, -1.0]));
        let ours = to_pickle(&[0.25, -0.5]);
        assert_eq!(from_pickle(&ours), Some(vec![0.25, -0.5]));
        assert_eq!(from_pickle(b"not a pickle"), None);
    }

    #[test]
    fn reads_both_forms_and_nothing_else() {
        let v = vec![0.6, -0.8, 1.0e-7];
        assert_eq!(from_stored(&to_compact(&v)), Some(v.clone()));
        assert_eq!(to_compact(&v).len(), 4 + 12);
        assert_eq!(from_stored(&to_pickle(&v)), Some(v));
        assert_eq!(from_stored(b"f32:abc"), None);
        assert_eq!(from_stored(b"not a pickle"), None);
    }

    #[test]
    fn vectors_are_unit_length() {
        let v = normalized(vec![3.0, 4.0]);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert_eq!(normalized(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }
}
