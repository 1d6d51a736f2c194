//! Vector stores: one trait for every backend, and the embedded on-disk store.
//!
//! A collection holds the index nodes of one dataset (or, for a shared Qdrant-style collection,
//! of several datasets told apart by `dataset_id`). A point's key is the segment's
//! `index_node_id` (Dify's `doc_id`), so re-adding a segment replaces its vector.

mod ann;
mod embedded;
mod log;
mod qdrant;
mod weaviate;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use embedded::{ANN_MIN_POINTS, EmbeddedVectorStore};
pub use qdrant::QdrantVectorStore;
pub use weaviate::WeaviateVectorStore;

/// One vector with the metadata Dify stores beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorPoint {
    /// The segment's `index_node_id`; unique within a collection.
    pub node_id: String,
    pub document_id: String,
    pub dataset_id: String,
    pub doc_hash: String,
    pub text: String,
    pub vector: Vec<f32>,
}

/// A search result, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorHit {
    pub node_id: String,
    pub document_id: String,
    pub dataset_id: String,
    pub doc_hash: String,
    pub text: String,
    /// Cosine similarity to the query, in [-1, 1].
    pub score: f32,
}

/// A nearest-neighbour query.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub vector: Vec<f32>,
    pub top_k: usize,
    /// Hits scoring below this are dropped (Dify retrieves with 0.0).
    pub score_threshold: Option<f32>,
    /// Only points of this dataset, for collections shared between datasets.
    pub dataset_id: Option<String>,
}

/// Why a vector operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VectorError {
    #[error("invalid collection name {0:?}: use letters, digits, '_' and '-'")]
    InvalidCollectionName(String),
    #[error("vector has {got} dimensions, the collection has {expected}")]
    DimensionMismatch { expected: usize, got: usize },
    #[error("vector is empty, zero or not finite")]
    InvalidVector,
    #[error("vector store I/O failed: {0}")]
    Io(String),
    #[error("vector collection file is corrupt: {0}")]
    Corrupt(String),
}

impl From<std::io::Error> for VectorError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

/// The operations the indexing pipeline and retrieval need from a vector backend.
#[async_trait]
pub trait VectorStore: Send + Sync {
    /// Creates an empty collection; a no-op when it exists with the same dimension.
    async fn create_collection(&self, collection: &str, dimension: usize) -> Result<(), VectorError>;

    /// Whether the collection exists.
    async fn collection_exists(&self, collection: &str) -> Result<bool, VectorError>;

    /// Upserts points by `node_id`, creating the collection on first write.
    async fn add(&self, collection: &str, points: Vec<VectorPoint>) -> Result<(), VectorError>;

    /// Removes every point of a document.
    async fn delete_by_document_id(&self, collection: &str, document_id: &str) -> Result<(), VectorError>;

    /// Removes points by node id (segment deletion, disabling, re-indexing).
    async fn delete_by_node_ids(&self, collection: &str, node_ids: &[String]) -> Result<(), VectorError>;

    /// Removes every point of a dataset from a shared collection.
    async fn delete_by_dataset_id(&self, collection: &str, dataset_id: &str) -> Result<(), VectorError>;

    /// The `top_k` points most similar to the query by cosine; empty for a missing collection.
    async fn search(&self, collection: &str, query: &SearchQuery) -> Result<Vec<VectorHit>, VectorError>;

    /// Drops the collection and its data; a no-op when it does not exist.
    async fn delete_collection(&self, collection: &str) -> Result<(), VectorError>;
}

/// Dify's collection (Weaviate class) name for a dataset: `Vector_index_<id with _>_Node`.
pub fn collection_name_for_dataset(dataset_id: &str) -> String {
    format!("Vector_index_{}_Node", dataset_id.replace('-', "_"))
}

/// The vector scaled to unit length, or `None` when that is impossible.
pub fn normalized(vector: &[f32]) -> Option<Vec<f32>> {
    let norm = vector.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
    if vector.is_empty() || !norm.is_finite() || norm == 0.0 {
        return None;
    }
    Some(vector.iter().map(|x| (f64::from(*x) / norm) as f32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_normalisation() {
        assert_eq!(collection_name_for_dataset("0b1f-22aa"), "Vector_index_0b1f_22aa_Node");
        let v = normalized(&[3.0, 4.0]).expect("nonzero");
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert_eq!(normalized(&[0.0, 0.0]), None);
        assert_eq!(normalized(&[]), None);
        assert_eq!(normalized(&[f32::NAN, 1.0]), None);
    }
}
