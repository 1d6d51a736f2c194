//! A fake Qdrant server (Qdrant cannot run here). Every request is matched to an operation of
//! Qdrant's own published OpenAPI document (the subset kept in `tests/qdrant/`, from Qdrant
//! v1.6.1) and its body validated against that operation's schema; every answer is validated
//! against the documented 200 schema too. A request the document does not describe, or a body
//! that breaks its schema, is answered 400 as Qdrant would and recorded as a violation, so a
//! test asserts [`FakeQdrant::violations`] is empty. Behind that, collections live in memory:
//! exact cosine search, `must` filters on payload keys (`metadata.document_id`), scroll pages
//! and counts. Checks the `api-key` header when one is set.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use actix_web::dev::ServerHandle;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

const DOCUMENT: &str = include_str!("../tests/qdrant/openapi-subset.json");

/// One documented operation: its path template split on `/`, and validators for its body and
/// its 200 answer.
struct Operation {
    method: String,
    segments: Vec<String>,
    body: Option<jsonschema::Validator>,
    answer: Option<jsonschema::Validator>,
}

static OPERATIONS: LazyLock<Vec<Operation>> = LazyLock::new(|| {
    let doc: Value = serde_json::from_str(DOCUMENT).expect("the Qdrant OpenAPI subset is JSON");
    let components = json!({"schemas": json_schema(doc["components"]["schemas"].clone())});
    let validator = |schema: &Value| {
        let root = json!({"allOf": [json_schema(schema.clone())], "components": components});
        jsonschema::options().should_validate_formats(true).build(&root).expect("a valid schema")
    };
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let body = op.pointer("/requestBody/content/application~1json/schema");
            let answer = op.pointer("/responses/200/content/application~1json/schema");
            out.push(Operation {
                method: method.to_ascii_uppercase(),
                segments: path.split('/').map(str::to_owned).collect(),
                body: body.map(validator),
                answer: answer.map(validator),
            });
        }
    }
    out
});

/// OpenAPI 3.0's dialect as JSON Schema: `nullable: true` admits `null` (alone, as in
/// `anyOf [X, {nullable: true}]`, it is only `null`, not anything).
fn json_schema(mut schema: Value) -> Value {
    match &mut schema {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), json!([t, "null"]));
                    }
                    None if map.is_empty() => {
                        map.insert("type".into(), json!("null"));
                    }
                    _ => {}
                }
            }
            for v in map.values_mut() {
                *v = json_schema(v.take());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| *v = json_schema(v.take())),
        _ => {}
    }
    schema
}

#[derive(Debug, Clone)]
struct Point {
    vector: Vec<f64>,
    payload: Value,
}

#[derive(Debug, Default)]
struct Collection {
    size: usize,
    /// By id as Qdrant orders them (string ids compare as text here).
    points: BTreeMap<String, (Value, Point)>,
    indexed: Vec<String>,
}

#[derive(Default)]
struct Inner {
    collections: HashMap<String, Collection>,
    requests: usize,
    violations: Vec<String>,
}

struct State {
    api_key: Option<String>,
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake; stops when dropped.
pub struct FakeQdrant {
    base: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl std::fmt::Debug for FakeQdrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeQdrant").field("base", &self.base).finish()
    }
}

impl FakeQdrant {
    /// Starts a server that requires `api-key: <api_key>` when one is given.
    pub async fn start(api_key: Option<&str>) -> Self {
        LazyLock::force(&OPERATIONS);
        let state = Arc::new(State { api_key: api_key.map(str::to_owned), inner: Mutex::default() });
        let data = web::Data::from(Arc::clone(&state));
        let (base, handle) = crate::serve::serve("fake-qdrant", 1, move |cfg| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .default_service(web::to(handle));
        })
        .await;
        Self { base, state, handle }
    }

    /// `http://127.0.0.1:<port>`: the value for `QDRANT_URL`.
    pub fn url(&self) -> String {
        self.base.clone()
    }

    /// Points stored in a collection (0 for a missing one).
    pub fn count(&self, collection: &str) -> usize {
        self.state.lock().collections.get(collection).map_or(0, |c| c.points.len())
    }

    /// Whether the collection exists.
    pub fn has_collection(&self, collection: &str) -> bool {
        self.state.lock().collections.contains_key(collection)
    }

    /// The collection's names, sorted.
    pub fn collections(&self) -> Vec<String> {
        let mut names: Vec<String> = self.state.lock().collections.keys().cloned().collect();
        names.sort();
        names
    }

    /// Payload fields with an index in the collection.
    pub fn indexed_fields(&self, collection: &str) -> Vec<String> {
        self.state.lock().collections.get(collection).map(|c| c.indexed.clone()).unwrap_or_default()
    }

    /// The payloads of a collection's points, by id.
    pub fn payloads(&self, collection: &str) -> Vec<(String, Value)> {
        let inner = self.state.lock();
        let Some(c) = inner.collections.get(collection) else { return Vec::new() };
        c.points.iter().map(|(id, (_, p))| (id.clone(), p.payload.clone())).collect()
    }

    /// Stores points as another writer (Python Dify) would: `(id, vector, payload)`.
    pub fn insert(&self, collection: &str, size: usize, points: Vec<(Value, Vec<f64>, Value)>) {
        let mut inner = self.state.lock();
        let c =
            inner.collections.entry(collection.to_owned()).or_insert_with(|| Collection { size, ..Default::default() });
        for (id, vector, payload) in points {
            c.points.insert(key(&id), (id, Point { vector, payload }));
        }
    }

    /// Requests served so far.
    pub fn requests(&self) -> usize {
        self.state.lock().requests
    }

    /// Requests and answers that broke Qdrant's documented API, in order.
    pub fn violations(&self) -> Vec<String> {
        self.state.lock().violations.clone()
    }
}

impl Drop for FakeQdrant {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)));
    }
}

fn key(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn answer(status: u16, result: Value) -> (u16, Value) {
    (status, json!({"time": 0.0001, "status": "ok", "result": result}))
}

fn failure(status: u16, message: &str) -> (u16, Value) {
    (status, json!({"time": 0.0001, "status": {"error": message}, "result": null}))
}

fn reply((status, body): (u16, Value)) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default()).json(body)
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Option<String> {
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    if let Some(key) = &state.api_key
        && req.headers().get("api-key").and_then(|v| v.to_str().ok()) != Some(key.as_str())
    {
        return reply(failure(403, "Invalid api-key"));
    }
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    let found = OPERATIONS.iter().enumerate().find(|(_, op)| {
        op.method == method
            && op.segments.len() == segments.len()
            && op.segments.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s)
    });
    let mut inner = state.lock();
    inner.requests += 1;
    let Some((index, op)) = found else {
        inner.violations.push(format!("{method} {path}: not an operation of Qdrant's API"));
        return reply(failure(404, "not found"));
    };
    let json: Value = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    if let Some(validator) = &op.body
        && let Some(e) = errors(validator, &json)
    {
        inner.violations.push(format!("{method} {path}: body {json} breaks the schema: {e}"));
        return reply(failure(400, &format!("Format error in JSON body: {e}")));
    }
    let collection = segments.get(2).copied().unwrap_or_default().to_owned();
    let (status, body) = serve(&mut inner, index, &collection, &json);
    if status == 200
        && let Some(validator) = &op.answer
        && let Some(e) = errors(validator, &body)
    {
        inner.violations.push(format!("{method} {path}: the fake's answer {body} breaks the schema: {e}"));
    }
    reply((status, body))
}

/// Operations in the order of [`OPERATIONS`], told apart by method and last segment.
fn serve(inner: &mut Inner, index: usize, name: &str, json: &Value) -> (u16, Value) {
    let op = &OPERATIONS[index];
    let tail = op.segments.last().map(String::as_str).unwrap_or_default();
    let tail = if tail.starts_with('{') { "" } else { tail };
    let missing = || failure(404, &format!("Not found: Collection `{name}` doesn't exist!"));
    match (op.method.as_str(), tail) {
        ("GET", "") => match inner.collections.get(name) {
            Some(c) => answer(200, collection_info(c)),
            None => missing(),
        },
        ("PUT", "") => {
            if inner.collections.contains_key(name) {
                return failure(400, &format!("Wrong input: Collection `{name}` already exists!"));
            }
            let size = json.pointer("/vectors/size").and_then(Value::as_u64).unwrap_or(0) as usize;
            inner.collections.insert(name.to_owned(), Collection { size, ..Default::default() });
            answer(200, json!(true))
        }
        ("DELETE", "") => answer(200, json!(inner.collections.remove(name).is_some())),
        ("PUT", "index") => {
            let Some(c) = inner.collections.get_mut(name) else { return missing() };
            c.indexed.push(json["field_name"].as_str().unwrap_or_default().to_owned());
            answer(200, json!({"operation_id": 1, "status": "completed"}))
        }
        ("PUT", "points") => {
            let Some(c) = inner.collections.get_mut(name) else { return missing() };
            let points: Vec<(Value, Point)> = json["points"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let vector = p["vector"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
                    (p["id"].clone(), Point { vector, payload: p["payload"].clone() })
                })
                .collect();
            // All or nothing, as Qdrant checks a batch before writing it.
            if let Some((_, bad)) = points.iter().find(|(_, p)| p.vector.len() != c.size) {
                let message =
                    format!("Wrong input: Vector inserting error: expected dim: {}, got {}", c.size, bad.vector.len());
                return failure(400, &message);
            }
            for (id, point) in points {
                c.points.insert(key(&id), (id, point));
            }
            answer(200, json!({"operation_id": 2, "status": "completed"}))
        }
        ("POST", "delete") => {
            let Some(c) = inner.collections.get_mut(name) else { return missing() };
            if let Some(ids) = json["points"].as_array() {
                for id in ids {
                    c.points.remove(&key(id));
                }
            } else {
                c.points.retain(|_, (_, p)| !matches(&json["filter"], &p.payload));
            }
            answer(200, json!({"operation_id": 3, "status": "completed"}))
        }
        ("POST", "search") => {
            let Some(c) = inner.collections.get(name) else { return missing() };
            let query: Vec<f64> = json["vector"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
            if query.len() != c.size {
                return failure(
                    400,
                    &format!("Wrong input: Vector dimension error: expected dim: {}, got {}", c.size, query.len()),
                );
            }
            let threshold = json["score_threshold"].as_f64();
            let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
            let mut scored: Vec<(f64, &Value, &Point)> = c
                .points
                .values()
                .filter(|(_, p)| matches(&json["filter"], &p.payload))
                .map(|(id, p)| {
                    let dot: f64 = p.vector.iter().zip(&query).map(|(a, b)| a * b).sum();
                    (dot / (norm(&p.vector) * norm(&query)), id, p)
                })
                .filter(|(score, _, _)| threshold.is_none_or(|t| *score >= t))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let limit = json["limit"].as_u64().unwrap_or(10) as usize;
            let with_payload = json["with_payload"] == json!(true);
            let hits: Vec<Value> = scored
                .into_iter()
                .take(limit)
                .map(|(score, id, p)| {
                    let payload = if with_payload { p.payload.clone() } else { Value::Null };
                    json!({"id": id, "version": 0, "score": score, "payload": payload, "vector": null})
                })
                .collect();
            answer(200, Value::Array(hits))
        }
        ("POST", "scroll") => {
            let Some(c) = inner.collections.get(name) else { return missing() };
            let limit = json["limit"].as_u64().unwrap_or(10) as usize;
            let from = if json["offset"].is_null() { None } else { Some(key(&json["offset"])) };
            let with_vector = json["with_vector"] == json!(true);
            let mut page: Vec<Value> = Vec::new();
            let mut next = Value::Null;
            let after = c.points.iter().filter(|(k, _)| from.as_ref().is_none_or(|f| *k >= f));
            for (_, (id, p)) in after.filter(|(_, (_, p))| matches(&json["filter"], &p.payload)) {
                if page.len() == limit {
                    next = id.clone();
                    break;
                }
                let vector = if with_vector { json!(p.vector) } else { Value::Null };
                page.push(json!({"id": id, "payload": p.payload, "vector": vector}));
            }
            answer(200, json!({"points": page, "next_page_offset": next}))
        }
        ("POST", "count") => {
            let Some(c) = inner.collections.get(name) else { return missing() };
            let n = c.points.values().filter(|(_, p)| matches(&json["filter"], &p.payload)).count();
            answer(200, json!({"count": n}))
        }
        _ => failure(404, "the fake does not serve this operation"),
    }
}

fn collection_info(c: &Collection) -> Value {
    let schema: Map<String, Value> =
        c.indexed.iter().map(|f| (f.clone(), json!({"data_type": "keyword", "points": c.points.len()}))).collect();
    json!({
        "status": "green",
        "optimizer_status": "ok",
        "vectors_count": c.points.len(),
        "indexed_vectors_count": 0,
        "points_count": c.points.len(),
        "segments_count": 1,
        "config": {
            "params": {"vectors": {"size": c.size, "distance": "Cosine"}, "shard_number": 1,
                       "replication_factor": 1, "write_consistency_factor": 1, "on_disk_payload": true},
            "hnsw_config": {"m": 0, "ef_construct": 100, "full_scan_threshold": 10000,
                            "max_indexing_threads": 0, "on_disk": false, "payload_m": 16},
            "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000,
                                 "default_segment_number": 0, "max_segment_size": null, "memmap_threshold": null,
                                 "indexing_threshold": 20000, "flush_interval_sec": 5,
                                 "max_optimization_threads": 1},
            "wal_config": {"wal_capacity_mb": 32, "wal_segments_ahead": 0},
            "quantization_config": null,
        },
        "payload_schema": schema,
    })
}

/// A `Filter`'s `must` (and `should`, `must_not`) of `FieldCondition`s matching a value or
/// any of several, on a dotted payload key; no filter matches everything.
fn matches(filter: &Value, payload: &Value) -> bool {
    if filter.is_null() {
        return true;
    }
    let holds = |c: &Value| {
        let mut v = payload;
        for part in c["key"].as_str().unwrap_or_default().split('.') {
            v = &v[part];
        }
        match (&c["match"]["value"], c["match"]["any"].as_array()) {
            (want, _) if !want.is_null() => v == want,
            (_, Some(any)) => any.contains(v),
            _ => false,
        }
    };
    let all = |k: &str| filter[k].as_array().is_none_or(|cs| cs.iter().all(holds));
    let any = |k: &str| filter[k].as_array().is_none_or(|cs| cs.is_empty() || cs.iter().any(holds));
    let none = |k: &str| filter[k].as_array().is_none_or(|cs| !cs.iter().any(holds));
    all("must") && any("should") && none("must_not")
}
