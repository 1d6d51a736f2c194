//! The vector store on a Weaviate server (`VECTOR_STORE=weaviate`), laid out as Dify lays it
//! out: one class per dataset (`Vector_index_<id>_Node`) with properties `text`, `doc_id`,
//! `dataset_id`, `document_id` and `doc_hash`, object ids taken from the node ids, our own
//! vectors (`vectorizer: none`), cosine distance — so classes Python Dify wrote are searched
//! here and the other way round.
//!
//! Spoken over Weaviate's REST and GraphQL API with reqwest: the `weaviate-community` crate
//! is unmaintained and pulls OpenSSL and a second HTTP stack.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{SearchQuery, VectorError, VectorHit, VectorPoint, VectorStore, normalized};

/// A Weaviate server.
#[derive(Debug, Clone)]
pub struct WeaviateVectorStore {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    batch_size: usize,
}

const PROPERTIES: [&str; 5] = ["text", "doc_id", "dataset_id", "document_id", "doc_hash"];

impl WeaviateVectorStore {
    pub fn new(http: reqwest::Client, endpoint: &str, api_key: Option<String>, batch_size: usize) -> Self {
        Self { http, endpoint: endpoint.trim_end_matches('/').to_owned(), api_key, batch_size: batch_size.max(1) }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.endpoint));
        match &self.api_key {
            Some(key) => req.bearer_auth(key),
            None => req,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(u16, Value), VectorError> {
        let resp = req.send().await.map_err(|e| VectorError::Io(format!("weaviate: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| VectorError::Io(format!("weaviate: {e}")))?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    async fn ok(&self, req: reqwest::RequestBuilder) -> Result<Value, VectorError> {
        match self.send(req).await? {
            (200..=299, body) => Ok(body),
            (status, body) => Err(VectorError::Io(format!("weaviate answered {status}: {body}"))),
        }
    }

    async fn delete_where(&self, collection: &str, filter: Value) -> Result<(), VectorError> {
        if !self.collection_exists(collection).await? {
            return Ok(());
        }
        let body = json!({"match": {"class": collection, "where": filter}, "output": "minimal"});
        self.ok(self.request(reqwest::Method::DELETE, "/v1/batch/objects").json(&body)).await.map(|_| ())
    }
}

fn check_name(collection: &str) -> Result<(), VectorError> {
    let valid = collection.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && collection.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid { Ok(()) } else { Err(VectorError::InvalidCollectionName(collection.to_owned())) }
}

fn equal(path: &str, value: &str) -> Value {
    json!({"path": [path], "operator": "Equal", "valueText": value})
}

#[async_trait]
impl VectorStore for WeaviateVectorStore {
    async fn create_collection(&self, collection: &str, _dimension: usize) -> Result<(), VectorError> {
        check_name(collection)?;
        if self.collection_exists(collection).await? {
            return Ok(());
        }
        let properties: Vec<Value> = PROPERTIES.iter().map(|p| json!({"name": p, "dataType": ["text"]})).collect();
        let class = json!({
            "class": collection,
            "properties": properties,
            "vectorizer": "none",
            "vectorIndexConfig": {"distance": "cosine"},
        });
        match self.send(self.request(reqwest::Method::POST, "/v1/schema").json(&class)).await? {
            (200..=299, _) => Ok(()),
            // Another writer made it first.
            (422, body) if body.to_string().contains("already") => Ok(()),
            (status, body) => Err(VectorError::Io(format!("weaviate answered {status}: {body}"))),
        }
    }

    async fn collection_exists(&self, collection: &str) -> Result<bool, VectorError> {
        check_name(collection)?;
        match self.send(self.request(reqwest::Method::GET, &format!("/v1/schema/{collection}"))).await? {
            (200, _) => Ok(true),
            (404, _) => Ok(false),
            (status, body) => Err(VectorError::Io(format!("weaviate answered {status}: {body}"))),
        }
    }

    async fn add(&self, collection: &str, points: Vec<VectorPoint>) -> Result<(), VectorError> {
        let Some(first) = points.first() else { return Ok(()) };
        self.create_collection(collection, first.vector.len()).await?;
        for batch in points.chunks(self.batch_size) {
            let mut objects = Vec::with_capacity(batch.len());
            for p in batch {
                let vector = normalized(&p.vector).ok_or(VectorError::InvalidVector)?;
                objects.push(json!({
                    "class": collection,
                    "id": p.node_id,
                    "properties": {
                        "text": p.text, "doc_id": p.node_id, "dataset_id": p.dataset_id,
                        "document_id": p.document_id, "doc_hash": p.doc_hash,
                    },
                    "vector": vector,
                }));
            }
            let results = self
                .ok(self.request(reqwest::Method::POST, "/v1/batch/objects").json(&json!({"objects": objects})))
                .await?;
            // A batch answers 200 with per-object errors.
            if let Some(err) = results
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|r| r.pointer("/result/errors/error/0/message").and_then(Value::as_str))
            {
                return Err(VectorError::Io(format!("weaviate refused an object: {err}")));
            }
        }
        Ok(())
    }

    async fn delete_by_document_id(&self, collection: &str, document_id: &str) -> Result<(), VectorError> {
        self.delete_where(collection, equal("document_id", document_id)).await
    }

    async fn delete_by_node_ids(&self, collection: &str, node_ids: &[String]) -> Result<(), VectorError> {
        for chunk in node_ids.chunks(self.batch_size) {
            let operands: Vec<Value> = chunk.iter().map(|id| equal("doc_id", id)).collect();
            self.delete_where(collection, json!({"operator": "Or", "operands": operands})).await?;
        }
        Ok(())
    }

    async fn delete_by_dataset_id(&self, collection: &str, dataset_id: &str) -> Result<(), VectorError> {
        self.delete_where(collection, equal("dataset_id", dataset_id)).await
    }

    async fn search(&self, collection: &str, query: &SearchQuery) -> Result<Vec<VectorHit>, VectorError> {
        if query.top_k == 0 || !self.collection_exists(collection).await? {
            return Ok(Vec::new());
        }
        let vector = normalized(&query.vector).ok_or(VectorError::InvalidVector)?;
        let vector = serde_json::to_string(&vector).map_err(|e| VectorError::Io(e.to_string()))?;
        let filter = match &query.dataset_id {
            Some(id) => format!(
                " where: {{path: [\"dataset_id\"], operator: Equal, valueText: {}}}",
                serde_json::to_string(id).unwrap_or_default()
            ),
            None => String::new(),
        };
        let gql = format!(
            "{{Get{{{collection}(nearVector: {{vector: {vector}}} limit: {}{filter}){{{} _additional{{id distance}}}}}}}}",
            query.top_k,
            PROPERTIES.join(" ")
        );
        let body = self.ok(self.request(reqwest::Method::POST, "/v1/graphql").json(&json!({"query": gql}))).await?;
        if let Some(err) = body.pointer("/errors/0/message").and_then(Value::as_str) {
            return Err(VectorError::Io(format!("weaviate search failed: {err}")));
        }
        let rows =
            body.pointer(&format!("/data/Get/{collection}")).and_then(Value::as_array).cloned().unwrap_or_default();
        let text = |row: &Value, key: &str| row.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let threshold = query.score_threshold.unwrap_or(f32::NEG_INFINITY);
        Ok(rows
            .iter()
            .map(|row| {
                let distance = row.pointer("/_additional/distance").and_then(Value::as_f64).unwrap_or(1.0);
                VectorHit {
                    node_id: text(row, "doc_id"),
                    document_id: text(row, "document_id"),
                    dataset_id: text(row, "dataset_id"),
                    doc_hash: text(row, "doc_hash"),
                    text: text(row, "text"),
                    score: (1.0 - distance) as f32,
                }
            })
            .filter(|h| h.score >= threshold)
            .collect())
    }

    async fn delete_collection(&self, collection: &str) -> Result<(), VectorError> {
        check_name(collection)?;
        match self.send(self.request(reqwest::Method::DELETE, &format!("/v1/schema/{collection}"))).await? {
            (200..=299 | 404, _) => Ok(()),
            (status, body) => Err(VectorError::Io(format!("weaviate answered {status}: {body}"))),
        }
    }
}
