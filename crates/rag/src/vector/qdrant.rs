//! The vector store on a Qdrant server (`VECTOR_STORE=qdrant`), laid out as Dify 0.3.23 lays it
//! out, so collections Python Dify wrote are searched here and the other way round:
//! - point ids are the node ids (UUIDs), vectors are compared by cosine;
//! - the payload is `{page_content, metadata: {doc_id, doc_hash, document_id, dataset_id},
//!   group_id}`, `group_id` being the dataset's id, indexed as a keyword;
//! - a collection may be shared by the datasets of one embedding model (Dify's collection
//!   bindings, which `normalization-collections` moves old datasets into), so searches and
//!   dataset deletes filter by `group_id`.
//!
//! Spoken over Qdrant's REST API with reqwest: the official client speaks gRPC only and would
//! pull a second HTTP stack and protobuf code for nine calls.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{SearchQuery, VectorError, VectorHit, VectorPoint, VectorStore, normalized};

/// A Qdrant server.
#[derive(Debug, Clone)]
pub struct QdrantVectorStore {
    http: reqwest::Client,
    url: String,
    api_key: Option<String>,
}

/// Points per upsert, as Dify's client batches them.
const BATCH: usize = 64;
/// Points per page when a collection is read whole (moving datasets between collections).
pub const SCROLL_PAGE: usize = 256;

impl QdrantVectorStore {
    pub fn new(http: reqwest::Client, url: &str, api_key: Option<String>) -> Self {
        Self { http, url: url.trim_end_matches('/').to_owned(), api_key: api_key.filter(|k| !k.is_empty()) }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.url));
        match &self.api_key {
            Some(key) => req.header("api-key", key),
            None => req,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(u16, Value), VectorError> {
        let resp = req.send().await.map_err(|e| VectorError::Io(format!("qdrant: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| VectorError::Io(format!("qdrant: {e}")))?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    /// The `result` of a 2xx answer.
    async fn ok(&self, req: reqwest::RequestBuilder) -> Result<Value, VectorError> {
        match self.send(req).await? {
            (200..=299, mut body) => Ok(body["result"].take()),
            (status, body) => Err(refused(status, &body)),
        }
    }

    fn collection_path(collection: &str, tail: &str) -> Result<String, VectorError> {
        check_name(collection)?;
        Ok(format!("/collections/{collection}{tail}"))
    }

    async fn delete_where(&self, collection: &str, filter: Value) -> Result<(), VectorError> {
        if !self.collection_exists(collection).await? {
            return Ok(());
        }
        let path = Self::collection_path(collection, "/points/delete?wait=true")?;
        self.ok(self.request(reqwest::Method::POST, &path).json(&json!({"filter": filter}))).await.map(|_| ())
    }

    /// One page of a collection's points with their vectors, from `offset`; the next page's
    /// offset is `None` after the last. Used to move a dataset between collections.
    pub async fn scroll(
        &self,
        collection: &str,
        group_id: Option<&str>,
        offset: Option<Value>,
    ) -> Result<(Vec<VectorPoint>, Option<Value>), VectorError> {
        let mut body = json!({"limit": SCROLL_PAGE, "with_payload": true, "with_vector": true});
        if let Some(group) = group_id {
            body["filter"] = must("group_id", group);
        }
        if let Some(offset) = offset {
            body["offset"] = offset;
        }
        let path = Self::collection_path(collection, "/points/scroll")?;
        let result = self.ok(self.request(reqwest::Method::POST, &path).json(&body)).await?;
        let points = result["points"].as_array().into_iter().flatten().map(point_of).collect::<Result<_, _>>()?;
        let next = Some(result["next_page_offset"].clone()).filter(|v| !v.is_null());
        Ok((points, next))
    }

    /// Whether a node's point is in the collection (as Dify's `text_exists`).
    pub async fn contains(&self, collection: &str, node_id: &str) -> Result<bool, VectorError> {
        Ok(self.count_where(collection, Some(must("metadata.doc_id", node_id))).await? > 0)
    }

    /// Points in a collection (of one group when given).
    pub async fn count(&self, collection: &str, group_id: Option<&str>) -> Result<usize, VectorError> {
        self.count_where(collection, group_id.map(|group| must("group_id", group))).await
    }

    /// Points matching `filter` (all without one); 0 for a missing collection.
    async fn count_where(&self, collection: &str, filter: Option<Value>) -> Result<usize, VectorError> {
        if !self.collection_exists(collection).await? {
            return Ok(0);
        }
        let mut body = json!({"exact": true});
        if let Some(filter) = filter {
            body["filter"] = filter;
        }
        let path = Self::collection_path(collection, "/points/count")?;
        let result = self.ok(self.request(reqwest::Method::POST, &path).json(&body)).await?;
        Ok(result["count"].as_u64().unwrap_or(0) as usize)
    }
}

fn refused(status: u16, body: &Value) -> VectorError {
    let message = body.pointer("/status/error").and_then(Value::as_str).map_or_else(|| body.to_string(), str::to_owned);
    VectorError::Io(format!("qdrant answered {status}: {message}"))
}

/// Qdrant takes any name in a URL path segment; ours are Dify's `Vector_index_<id>_Node`.
fn check_name(collection: &str) -> Result<(), VectorError> {
    let valid = !collection.is_empty()
        && collection.len() <= 255
        && collection.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid { Ok(()) } else { Err(VectorError::InvalidCollectionName(collection.to_owned())) }
}

/// `{must: [{key, match: {value}}]}`.
fn must(key: &str, value: &str) -> Value {
    json!({"must": [{"key": key, "match": {"value": value}}]})
}

/// What a point's payload says, as Dify writes it; a point id Dify did not write as a UUID
/// string (an integer) keeps its digits.
struct Fields {
    node_id: String,
    document_id: String,
    dataset_id: String,
    doc_hash: String,
    text: String,
}

fn fields(record: &Value) -> Fields {
    let payload = &record["payload"];
    let meta = &payload["metadata"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let id = match &record["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Fields {
        node_id: meta.get("doc_id").and_then(Value::as_str).map_or(id, str::to_owned),
        document_id: text(&meta["document_id"]),
        dataset_id: meta
            .get("dataset_id")
            .and_then(Value::as_str)
            .map_or_else(|| text(&payload["group_id"]), str::to_owned),
        doc_hash: text(&meta["doc_hash"]),
        text: text(&payload["page_content"]),
    }
}

fn point_of(record: &Value) -> Result<VectorPoint, VectorError> {
    let vector: Vec<f32> =
        record["vector"].as_array().into_iter().flatten().filter_map(Value::as_f64).map(|x| x as f32).collect();
    let f = fields(record);
    if vector.is_empty() {
        return Err(VectorError::Corrupt(format!("qdrant point {} has no vector", f.node_id)));
    }
    Ok(VectorPoint {
        node_id: f.node_id,
        document_id: f.document_id,
        dataset_id: f.dataset_id,
        doc_hash: f.doc_hash,
        text: f.text,
        vector,
    })
}

fn hit_of(scored: &Value) -> VectorHit {
    let f = fields(scored);
    VectorHit {
        node_id: f.node_id,
        document_id: f.document_id,
        dataset_id: f.dataset_id,
        doc_hash: f.doc_hash,
        text: f.text,
        score: scored["score"].as_f64().unwrap_or(0.0) as f32,
    }
}

#[async_trait]
impl VectorStore for QdrantVectorStore {
    async fn create_collection(&self, collection: &str, dimension: usize) -> Result<(), VectorError> {
        if self.collection_exists(collection).await? {
            return Ok(());
        }
        // Dify's layout: no global HNSW graph (m = 0), one per group_id (payload_m = 16).
        let body = json!({
            "vectors": {"size": dimension, "distance": "Cosine"},
            "hnsw_config": {"m": 0, "payload_m": 16, "ef_construct": 100, "full_scan_threshold": 10000,
                            "max_indexing_threads": 0, "on_disk": false},
        });
        let path = Self::collection_path(collection, "")?;
        match self.send(self.request(reqwest::Method::PUT, &path).json(&body)).await? {
            (200..=299, _) => {}
            // Another writer made it first.
            (400 | 409, body) if body.to_string().contains("already exists") => return Ok(()),
            (status, body) => return Err(refused(status, &body)),
        }
        let index = json!({"field_name": "group_id", "field_schema": "keyword"});
        let path = Self::collection_path(collection, "/index?wait=true")?;
        self.ok(self.request(reqwest::Method::PUT, &path).json(&index)).await.map(|_| ())
    }

    async fn collection_exists(&self, collection: &str) -> Result<bool, VectorError> {
        let path = Self::collection_path(collection, "")?;
        match self.send(self.request(reqwest::Method::GET, &path)).await? {
            (200, _) => Ok(true),
            (404, _) => Ok(false),
            (status, body) => Err(refused(status, &body)),
        }
    }

    async fn add(&self, collection: &str, points: Vec<VectorPoint>) -> Result<(), VectorError> {
        let Some(first) = points.first() else { return Ok(()) };
        self.create_collection(collection, first.vector.len()).await?;
        let path = Self::collection_path(collection, "/points?wait=true")?;
        for batch in points.chunks(BATCH) {
            let mut out = Vec::with_capacity(batch.len());
            for p in batch {
                if p.vector.len() != first.vector.len() {
                    return Err(VectorError::DimensionMismatch { expected: first.vector.len(), got: p.vector.len() });
                }
                let vector = normalized(&p.vector).ok_or(VectorError::InvalidVector)?;
                out.push(json!({
                    "id": p.node_id,
                    "vector": vector,
                    "payload": {
                        "page_content": p.text,
                        "metadata": {"doc_id": p.node_id, "doc_hash": p.doc_hash,
                                     "document_id": p.document_id, "dataset_id": p.dataset_id},
                        "group_id": p.dataset_id,
                    },
                }));
            }
            self.ok(self.request(reqwest::Method::PUT, &path).json(&json!({"points": out}))).await?;
        }
        Ok(())
    }

    async fn delete_by_document_id(&self, collection: &str, document_id: &str) -> Result<(), VectorError> {
        self.delete_where(collection, must("metadata.document_id", document_id)).await
    }

    async fn delete_by_node_ids(&self, collection: &str, node_ids: &[String]) -> Result<(), VectorError> {
        for chunk in node_ids.chunks(BATCH) {
            let filter = json!({"must": [{"key": "metadata.doc_id", "match": {"any": chunk}}]});
            self.delete_where(collection, filter).await?;
        }
        Ok(())
    }

    async fn delete_by_dataset_id(&self, collection: &str, dataset_id: &str) -> Result<(), VectorError> {
        self.delete_where(collection, must("group_id", dataset_id)).await
    }

    async fn search(&self, collection: &str, query: &SearchQuery) -> Result<Vec<VectorHit>, VectorError> {
        if query.top_k == 0 || !self.collection_exists(collection).await? {
            return Ok(Vec::new());
        }
        let vector = normalized(&query.vector).ok_or(VectorError::InvalidVector)?;
        let mut body = json!({"vector": vector, "limit": query.top_k, "with_payload": true});
        if let Some(dataset) = &query.dataset_id {
            body["filter"] = must("group_id", dataset);
        }
        if let Some(threshold) = query.score_threshold {
            body["score_threshold"] = json!(threshold);
        }
        let path = Self::collection_path(collection, "/points/search")?;
        let result = self.ok(self.request(reqwest::Method::POST, &path).json(&body)).await?;
        let threshold = query.score_threshold.unwrap_or(f32::NEG_INFINITY);
        Ok(result.as_array().into_iter().flatten().map(hit_of).filter(|h| h.score >= threshold).collect())
    }

    async fn delete_collection(&self, collection: &str) -> Result<(), VectorError> {
        let path = Self::collection_path(collection, "")?;
        match self.send(self.request(reqwest::Method::DELETE, &path)).await? {
            (200..=299 | 404, _) => Ok(()),
            (status, body) => Err(refused(status, &body)),
        }
    }
}
