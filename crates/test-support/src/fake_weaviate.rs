//! A fake Weaviate server (Weaviate cannot run here): the REST schema and batch endpoints and
//! the GraphQL `Get … nearVector` search the vector store sends, over real HTTP, with exact
//! cosine distance in memory. Checks the API key when one is set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actix_web::dev::ServerHandle;
use actix_web::{HttpRequest, HttpResponse, web};
use regex::Regex;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
struct Object {
    id: String,
    properties: Map<String, Value>,
    vector: Vec<f64>,
}

#[derive(Default)]
struct Inner {
    classes: HashMap<String, Vec<Object>>,
    requests: usize,
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
pub struct FakeWeaviate {
    base: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl std::fmt::Debug for FakeWeaviate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWeaviate").field("base", &self.base).finish()
    }
}

impl FakeWeaviate {
    /// Starts a server that requires `Authorization: Bearer <api_key>` when one is given.
    pub async fn start(api_key: Option<&str>) -> Self {
        let state = Arc::new(State { api_key: api_key.map(str::to_owned), inner: Mutex::default() });
        let data = web::Data::from(Arc::clone(&state));
        let (base, handle) = crate::serve::serve("fake-weaviate", 1, move |cfg| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .default_service(web::to(handle));
        })
        .await;
        Self { base, state, handle }
    }

    /// `http://127.0.0.1:<port>`: the value for `WEAVIATE_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        self.base.clone()
    }

    /// Objects stored in a class (0 for a missing class).
    pub fn count(&self, class: &str) -> usize {
        self.state.lock().classes.get(class).map_or(0, Vec::len)
    }

    /// Whether the class exists.
    pub fn has_class(&self, class: &str) -> bool {
        self.state.lock().classes.contains_key(class)
    }

    /// Requests served so far.
    pub fn requests(&self) -> usize {
        self.state.lock().requests
    }
}

impl Drop for FakeWeaviate {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)));
    }
}

fn error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default())
        .json(json!({"error": [{"message": message}]}))
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    if let Some(key) = &state.api_key {
        let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if auth != format!("Bearer {key}") {
            return error(401, "anonymous access not enabled");
        }
    }
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut inner = state.lock();
    inner.requests += 1;
    let path = req.path().to_owned();
    let method = req.method().as_str().to_owned();
    match (method.as_str(), path.as_str()) {
        ("POST", "/v1/schema") => {
            let class = json["class"].as_str().unwrap_or_default().to_owned();
            if inner.classes.contains_key(&class) {
                return error(422, &format!("class name {class:?} already exists"));
            }
            inner.classes.insert(class, Vec::new());
            HttpResponse::Ok().json(json)
        }
        ("GET", p) if p.starts_with("/v1/schema/") => match inner.classes.contains_key(&p["/v1/schema/".len()..]) {
            true => HttpResponse::Ok().json(json!({"class": &p["/v1/schema/".len()..]})),
            false => HttpResponse::NotFound().finish(),
        },
        ("DELETE", p) if p.starts_with("/v1/schema/") => {
            inner.classes.remove(&p["/v1/schema/".len()..]);
            HttpResponse::Ok().finish()
        }
        ("POST", "/v1/batch/objects") => {
            let mut results = Vec::new();
            for o in json["objects"].as_array().into_iter().flatten() {
                let class = o["class"].as_str().unwrap_or_default();
                let id = o["id"].as_str().unwrap_or_default().to_owned();
                let Some(objects) = inner.classes.get_mut(class) else {
                    results.push(json!({"id": id, "result": {"errors": {"error": [{"message": "class not found"}]}}}));
                    continue;
                };
                let object = Object {
                    id: id.clone(),
                    properties: o["properties"].as_object().cloned().unwrap_or_default(),
                    vector: o["vector"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect(),
                };
                objects.retain(|x| x.id != id);
                objects.push(object);
                results.push(json!({"id": id, "result": {}}));
            }
            HttpResponse::Ok().json(results)
        }
        ("DELETE", "/v1/batch/objects") => {
            let class = json.pointer("/match/class").and_then(Value::as_str).unwrap_or_default();
            let filter = json.pointer("/match/where").cloned().unwrap_or(Value::Null);
            let Some(objects) = inner.classes.get_mut(class) else { return error(422, "class not found") };
            let before = objects.len();
            objects.retain(|o| !matches(&filter, &o.properties));
            let matched = before - objects.len();
            HttpResponse::Ok().json(json!({"results": {"matches": matched, "successful": matched}}))
        }
        ("POST", "/v1/graphql") => graphql(&inner, json["query"].as_str().unwrap_or_default()),
        _ => error(404, "no such endpoint in the fake"),
    }
}

/// Weaviate's `where` filter: `Equal` on a text property, and `Or`/`And` of operands.
fn matches(filter: &Value, props: &Map<String, Value>) -> bool {
    match filter["operator"].as_str() {
        Some("Equal") => {
            let path = filter.pointer("/path/0").and_then(Value::as_str).unwrap_or_default();
            props.get(path).and_then(Value::as_str) == filter["valueText"].as_str()
        }
        Some("Or") => filter["operands"].as_array().into_iter().flatten().any(|f| matches(f, props)),
        Some("And") => filter["operands"].as_array().into_iter().flatten().all(|f| matches(f, props)),
        _ => false,
    }
}

fn graphql(inner: &Inner, query: &str) -> HttpResponse {
    let parsed = Regex::new(
        r#"Get\{(\w+)\(nearVector: \{vector: (\[[^\]]*\])\} limit: (\d+)(?: where: \{path: \["(\w+)"\], operator: Equal, valueText: "([^"]*)"\})?\)"#,
    )
    .ok()
    .and_then(|re| re.captures(query).map(|c| {
        let get = |i: usize| c.get(i).map(|m| m.as_str().to_owned());
        (get(1), get(2), get(3), get(4), get(5))
    }));
    let Some((Some(class), Some(vector), Some(limit), path, value)) = parsed else {
        return HttpResponse::Ok().json(json!({"errors": [{"message": format!("the fake cannot parse {query}")}]}));
    };
    let vector: Vec<f64> = serde_json::from_str(&vector).unwrap_or_default();
    let limit: usize = limit.parse().unwrap_or(0);
    let Some(objects) = inner.classes.get(&class) else {
        return HttpResponse::Ok().json(json!({"errors": [{"message": format!("class {class} not found")}]}));
    };
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    let mut scored: Vec<(f64, &Object)> = objects
        .iter()
        .filter(|o| match (&path, &value) {
            (Some(p), Some(v)) => o.properties.get(p).and_then(Value::as_str) == Some(v.as_str()),
            _ => true,
        })
        .map(|o| {
            let dot: f64 = o.vector.iter().zip(&vector).map(|(a, b)| a * b).sum();
            (1.0 - dot / (norm(&o.vector) * norm(&vector)), o)
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let rows: Vec<Value> = scored
        .into_iter()
        .take(limit)
        .map(|(distance, o)| {
            let mut row = o.properties.clone();
            row.insert("_additional".into(), json!({"id": o.id, "distance": distance}));
            Value::Object(row)
        })
        .collect();
    HttpResponse::Ok().json(json!({"data": {"Get": {class: rows}}}))
}
