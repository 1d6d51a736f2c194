//! Every route of the table, on all three surfaces, fed hostile values: a NUL character, a
//! 10,000-character string, i64::MAX, -1 and 0 — in each field of the bodies Python Dify was
//! recorded answering (the oracle's requests), in every field name the handlers read, and in
//! every query argument they read. Never a 5xx, never a panic; and, in the services pass,
//! the same status and code from PostgreSQL as from SQLite for every single request. Then the
//! OpenAPI documents as a source of probes: bodies that fit a route's schema and bodies that
//! break it, which must be refused; every 4xx is Dify's error JSON.

mod common;
mod history_seed;

use std::collections::HashMap;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use api_server::routes::{Surface, openapi_path};
use common::datasets::*;
use common::*;
use history_seed::*;
use serde_json::{Map, Value, json};
use test_support::fake_openai::FakeOpenAi;
use test_support::{TestEnv, services_mode};
use uuid::Uuid;

/// Field names the handlers read from bodies (and a few Dify sends that they ignore).
const FIELDS: &[&str] = &[
    "action",
    "agent_mode",
    "answer",
    "api_key",
    "app_id",
    "completion_params",
    "config",
    "content",
    "conversation_id",
    "copyright",
    "customize_domain",
    "customize_token_strategy",
    "data_source",
    "dataset_id",
    "default_language",
    "description",
    "doc_form",
    "doc_language",
    "doc_metadata",
    "doc_type",
    "email",
    "emails",
    "enable_api",
    "enable_site",
    "file_ids",
    "icon",
    "icon_background",
    "id",
    "indexing_technique",
    "info_list",
    "inputs",
    "interface_language",
    "interface_theme",
    "invitation_code",
    "keywords",
    "language",
    "limit",
    "message_id",
    "mode",
    "model",
    "model_config",
    "model_name",
    "model_type",
    "more_like_this",
    "name",
    "new_password",
    "opening_statement",
    "original_document_id",
    "page",
    "password",
    "permission",
    "pinned",
    "pre_prompt",
    "preferred_provider_type",
    "privacy_policy",
    "process_rule",
    "prompt_public",
    "provider",
    "provider_name",
    "query",
    "rating",
    "remember_me",
    "repeat_new_password",
    "response_mode",
    "retriever_from",
    "role",
    "rules",
    "sensitive_word_avoidance",
    "speech_to_text",
    "suggested_questions",
    "suggested_questions_after_answer",
    "tenant_id",
    "text",
    "timezone",
    "title",
    "token",
    "tools",
    "type",
    "upload_file_id",
    "user",
    "user_input_form",
    "variables",
    "words",
];

/// Query arguments the handlers read.
const QUERY: &[&str] = &[
    "page",
    "limit",
    "keyword",
    "user",
    "conversation_id",
    "first_id",
    "last_id",
    "start",
    "end",
    "annotation_status",
    "message_count_gte",
    "hit_count_gte",
    "enabled",
    "pinned",
    "model_type",
    "model_name",
    "current_version",
    "ids",
    "provider",
    "status",
    "category",
    "language",
];

fn hostile_values() -> Vec<(&'static str, Value)> {
    vec![
        ("nul", json!("a\u{0}b")),
        ("long", json!("x".repeat(10_000))),
        ("max", json!(i64::MAX)),
        ("negative", json!(-1)),
        ("zero", json!(0)),
    ]
}

fn query_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.replace('\0', "%00"),
        other => other.to_string(),
    }
}

/// One request of the run, the same in every layout.
struct Probe {
    label: String,
    method: Method,
    uri: String,
    body: Option<Value>,
    /// The body breaks the route's documented schema, so it must be refused (4xx).
    breaks_schema: bool,
    /// The documented schema of a 2xx JSON answer, with the document its `$ref`s point into.
    answer_schema: Option<(Value, std::sync::Arc<Value>)>,
}

/// The requests Python Dify 0.3.23 was recorded answering (the bodies of
/// `shared/reference/dify-0.3.23-responses.jsonl`), by (method, route with bare names).
fn recorded_bodies() -> HashMap<(String, String), Vec<Value>> {
    let text = include_str!("fixtures/oracle-requests.jsonl");
    let mut out: HashMap<(String, String), Vec<Value>> = HashMap::new();
    for line in text.lines() {
        let Ok(r) = serde_json::from_str::<Value>(line) else { continue };
        if let (Some(m), Some(route), Some(body)) = (r["method"].as_str(), r["route"].as_str(), r.get("request"))
            && body.is_object()
        {
            out.entry((m.to_owned(), route.to_owned())).or_default().push(body.clone());
        }
    }
    out
}

/// `<uuid:app_id>` → `<app_id>`, as the oracle's routes are written.
fn bare(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
        let inner = &rest[start + 1..end];
        out.push('<');
        out.push_str(inner.rsplit(':').next().unwrap_or(inner));
        out.push('>');
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Each leaf of `body` (to depth two) replaced by `value`.
fn leaf_variants(body: &Value, value: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let Some(map) = body.as_object() else { return out };
    for (k, v) in map {
        let mut top = map.clone();
        top.insert(k.clone(), value.clone());
        out.push((k.clone(), Value::Object(top)));
        if let Some(inner) = v.as_object() {
            for ik in inner.keys() {
                let mut nested: Map<String, Value> = inner.clone();
                nested.insert(ik.clone(), value.clone());
                let mut top = map.clone();
                top.insert(k.clone(), Value::Object(nested));
                out.push((format!("{k}.{ik}"), Value::Object(top)));
            }
        }
    }
    out
}

/// Every probe: routes in table order with DELETEs last (they may remove what others use).
fn probes() -> Vec<Probe> {
    let recorded = recorded_bodies();
    assert!(recorded.len() > 20, "the oracle's requests are readable");
    let mut routes: Vec<(String, &'static str)> = api_server::routes::table()
        .describe()
        .into_iter()
        .filter(|r| r.implemented)
        .flat_map(|r| r.methods.into_iter().map(move |m| (m.to_owned(), r.path)))
        .filter(|(m, p)| !(m == "GET" && p.ends_with("/logout")))
        .collect();
    routes.sort_by_key(|(m, _)| m == "DELETE");
    let mut out = Vec::new();
    for (method, path) in routes {
        let m = Method::from_bytes(method.as_bytes()).expect("method");
        for (name, value) in hostile_values() {
            if matches!(method.as_str(), "GET" | "DELETE") {
                // A few arguments per request: a URI holds at most 64 KB.
                for names in QUERY.chunks(5) {
                    let q: Vec<String> = names.iter().map(|k| format!("{k}={}", query_value(&value))).collect();
                    out.push(Probe {
                        label: format!("{method} {path} ?{}={name}", names.join(",")),
                        method: m.clone(),
                        uri: format!("{path}?{}", q.join("&")),
                        body: None,
                        breaks_schema: false,
                        answer_schema: None,
                    });
                }
                continue;
            }
            let all: Map<String, Value> = FIELDS.iter().map(|f| ((*f).to_owned(), value.clone())).collect();
            out.push(Probe {
                label: format!("{method} {path} {{*}}={name}"),
                method: m.clone(),
                uri: path.to_owned(),
                body: Some(Value::Object(all)),
                breaks_schema: false,
                answer_schema: None,
            });
            for body in recorded.get(&(method.clone(), bare(path))).into_iter().flatten() {
                for (field, variant) in leaf_variants(body, &value) {
                    out.push(Probe {
                        label: format!("{method} {path} {field}={name}"),
                        method: m.clone(),
                        uri: path.to_owned(),
                        body: Some(variant),
                        breaks_schema: false,
                        answer_schema: None,
                    });
                }
            }
        }
    }
    out
}

/// A workspace with a chat and a completion app, a dataset with a document, and a client
/// for each surface; path parameters name these where they can.
struct World {
    owner: Client,
    app_key: Client,
    dataset_key: Client,
    web: Client,
    ids: HashMap<&'static str, String>,
}

impl World {
    async fn new<S, B>(env: &TestEnv, svc: &S, fake: &FakeOpenAi) -> Self
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let (mut owner, tenant) = owner(env, svc, fake).await;
        let chat = seed_app(env, tenant, "chat").await;
        let completion = seed_app(env, tenant, "completion").await;
        let r = send(svc, &mut owner, Method::POST, "/console/api/datasets", Some(json!({"name": "Probe KB"}))).await;
        let dataset = r.body["id"].as_str().expect("dataset").to_owned();
        let file = upload(svc, &owner, "probe.txt", b"Probing text.").await;
        let body = automatic_documents("economy", &[file]);
        let r = send(svc, &mut owner, Method::POST, &format!("/console/api/datasets/{dataset}/documents"), Some(body))
            .await;
        let document = r.body["documents"][0]["id"].as_str().expect("document").to_owned();
        let r = send(svc, &mut owner, Method::POST, &format!("/console/api/datasets/{dataset}/api-keys"), None).await;
        let dataset_key = r.body["token"].as_str().expect("dataset key").to_owned();
        let web = passport(svc, &chat.code).await;
        let ids = HashMap::from([
            ("app_id", chat.app.id.to_string()),
            ("resource_id", chat.app.id.to_string()),
            ("dataset_id", dataset),
            ("document_id", document),
            ("provider_name", "openai".to_owned()),
            ("provider", "openai".to_owned()),
            ("model_type", "text-generation".to_owned()),
            ("action", "enable".to_owned()),
        ]);
        let _ = completion;
        Self {
            owner,
            app_key: Client { cookie: None, bearer: Some(chat.key) },
            dataset_key: Client { cookie: None, bearer: Some(dataset_key) },
            web: Client { cookie: None, bearer: Some(web) },
            ids,
        }
    }

    /// The probe's URI with this world's ids, and the client its surface signs in with.
    fn resolve(&self, uri: &str) -> (String, Client) {
        let mut out = String::new();
        let mut rest = uri;
        while let Some(start) = rest.find('<') {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
            let inner = &rest[start + 1..end];
            let (kind, name) = inner.split_once(':').unwrap_or(("string", inner));
            let value = match (self.ids.get(name), kind) {
                (Some(v), _) => v.clone(),
                (None, "uuid") => Uuid::new_v4().to_string(),
                (None, "int") => "1".to_owned(),
                _ => "x".to_owned(),
            };
            out.push_str(&value);
            rest = &rest[(end + 1).min(rest.len())..];
        }
        out.push_str(rest);
        let client = if out.starts_with("/v1/datasets") {
            self.dataset_key.clone()
        } else if out.starts_with("/v1/") {
            self.app_key.clone()
        } else if out.starts_with("/api/") {
            self.web.clone()
        } else {
            self.owner.clone()
        };
        (out, client)
    }
}

/// Runs every probe in a fresh world of `env`: `(label, status, code)` per probe.
async fn run(env: &TestEnv, probes: &[Probe]) -> Vec<(String, u16, String)> {
    let state = api_server::AppState::new(env.config.clone(), env.infra.clone());
    let fake = FakeOpenAi::start().await;
    let svc = test::init_service(app(state)).await;
    let world = World::new(env, &svc, &fake).await;
    let mut out = Vec::with_capacity(probes.len());
    for p in probes {
        let (uri, mut client) = world.resolve(&p.uri);
        let r = send(&svc, &mut client, p.method.clone(), &uri, p.body.clone()).await;
        let status = r.status.as_u16();
        assert!(status < 500, "{}: {status} {}", p.label, r.body);
        if status >= 400 {
            let shaped = r.body["code"].is_string() && r.body["message"].is_string() && r.body["status"] == status
                // Dify's OAuth routes answer `{"error": ...}` themselves.
                || (p.uri.contains("/oauth/") && r.body["error"].is_string());
            assert!(shaped, "{}: {status} is not Dify's error JSON: {}", p.label, r.body);
        }
        assert!(
            !p.breaks_schema || (400..500).contains(&status),
            "{}: a body against the documented schema was accepted ({status}): {:?}",
            p.label,
            p.body
        );
        if let (200..300, Some((schema, doc))) = (status, &p.answer_schema)
            && let Err(at) = conforms(doc, schema, &r.body, "answer")
        {
            panic!("{}: the {status} answer breaks its documented schema at {at}: {}", p.label, r.body);
        }
        // An error's code; a success's body may have a `code` of its own (a site's share code).
        let code = if status >= 400 { r.body["code"].as_str().unwrap_or_default() } else { "" };
        out.push((p.label.clone(), status, code.to_owned()));
    }
    out
}

/// The same probes against SQLite: every answer must match PostgreSQL's.
async fn answered_as_on_sqlite(probes: &[Probe], answers: &[(String, u16, String)]) {
    let embedded = TestEnv::embedded_with(&[]).await;
    let reference = run(&embedded, probes).await;
    let differ: Vec<String> = answers
        .iter()
        .zip(&reference)
        .filter(|(a, b)| (a.1, &a.2) != (b.1, &b.2))
        .map(|(a, b)| format!("{}: PostgreSQL {} {} / SQLite {} {}", a.0, a.1, a.2, b.1, b.2))
        .collect();
    assert!(differ.is_empty(), "{} answers differ:\n{}", differ.len(), differ.join("\n"));
}

/// The OpenAPI documents' request schemas, as probes: a body made to fit each schema, then for
/// each property a value of another type, `null`, and (when required) the property left out.
fn schema_probes() -> Vec<Probe> {
    let table = api_server::routes::table();
    let mut out = Vec::new();
    for surface in api_server::openapi::SURFACES {
        let doc = serde_json::to_value(api_server::openapi::document(surface, &table)).expect("document");
        let doc = std::sync::Arc::new(doc);
        for op in table.operations().into_iter().filter(|o| o.implemented && Surface::of(o.path) == surface) {
            let method = op.method.to_ascii_lowercase();
            let Some(operation) = doc["paths"][openapi_path(op.path)].get(&method) else { continue };
            let answer_schema = ["200", "201"]
                .iter()
                .find_map(|s| operation["responses"][*s]["content"]["application/json"].get("schema"))
                .map(|schema| (schema.clone(), doc.clone()));
            let Some(schema) = operation["requestBody"]["content"]["application/json"].get("schema") else {
                // No body: one plain request, for the documented answer (not logout, which
                // would sign the world's owner out for every probe after it).
                if answer_schema.is_some() && !op.path.ends_with("/logout") {
                    out.push(Probe {
                        label: format!("{} {} answer", op.method, op.path),
                        method: Method::from_bytes(op.method.as_bytes()).expect("method"),
                        uri: op.path.to_owned(),
                        body: None,
                        breaks_schema: false,
                        answer_schema,
                    });
                }
                continue;
            };
            let schema = resolve(&doc, schema);
            let Some(fitting) = sample(&doc, &schema) else { continue };
            let m = Method::from_bytes(op.method.as_bytes()).expect("method");
            let probe = |label: String, body: Value, breaks_schema: bool| Probe {
                label: format!("{} {} {label}", op.method, op.path),
                method: m.clone(),
                uri: op.path.to_owned(),
                body: Some(body),
                breaks_schema,
                answer_schema: answer_schema.clone(),
            };
            out.push(probe("fitting".into(), fitting.clone(), false));
            let required: Vec<&str> =
                schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                let property = resolve(&doc, property);
                let with = |v: Value| {
                    let mut body = fitting.clone();
                    body[name.as_str()] = v;
                    body
                };
                let needed = required.contains(&name.as_str());
                if let Some(wrong) = wrong(&property) {
                    out.push(probe(format!("{name}=wrong type"), with(wrong), true));
                }
                out.push(probe(format!("{name}=null"), with(Value::Null), needed));
                if needed {
                    let mut body = fitting.clone();
                    body.as_object_mut().expect("object").remove(name);
                    out.push(probe(format!("{name} left out"), body, true));
                }
            }
            out.push(probe("a list".into(), json!([fitting]), true));
        }
    }
    out
}

#[actix_web::test]
async fn an_answer_is_checked_against_its_schema() {
    let doc = json!({"components": {"schemas": {"Site": {
        "type": "object", "required": ["title", "icon"],
        "properties": {"title": {"type": "string"}, "icon": {"type": ["string", "null"]},
                       "tags": {"type": "array", "items": {"type": "integer"}}}
    }}}});
    let schema = json!({"$ref": "#/components/schemas/Site"});
    assert_eq!(conforms(&doc, &schema, &json!({"title": "t", "icon": null, "tags": [1]}), "a"), Ok(()));
    assert_eq!(conforms(&doc, &schema, &json!({"title": "t"}), "a"), Err("a.icon (required, missing)".into()));
    assert!(conforms(&doc, &schema, &json!({"title": 1, "icon": null}), "a").is_err());
    assert!(conforms(&doc, &schema, &json!({"title": "t", "icon": null, "tags": ["x"]}), "a").is_err());
    // An enum's value must be one of its values.
    let mode = json!({"type": "string", "enum": ["chat", "completion"]});
    assert_eq!(conforms(&doc, &mode, &json!("chat"), "m"), Ok(()));
    assert!(conforms(&doc, &mode, &json!("agent"), "m").is_err());
    // A flattened struct conforms to each of its parts.
    let flat = json!({"allOf": [{"$ref": "#/components/schemas/Site"},
                                {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}]});
    assert_eq!(conforms(&doc, &flat, &json!({"title": "t", "icon": null, "code": "c"}), "a"), Ok(()));
    assert_eq!(
        conforms(&doc, &flat, &json!({"title": "t", "icon": null}), "a"),
        Err("a.code (required, missing)".into())
    );
}

/// Whether `value` is what `schema` documents: types (a `null` only where allowed), required
/// properties, and each property and item in turn. `Err` names where it breaks.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    // A flattened struct: the value is every part at once.
    if let Some(parts) = schema["allOf"].as_array() {
        return parts.iter().try_for_each(|part| conforms(doc, part, value, at));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema[key].as_array() {
            return if alternatives.iter().any(|a| conforms(doc, a, value, at).is_ok()) {
                Ok(())
            } else {
                Err(format!("{at} (none of {key})"))
            };
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at} (not one of {allowed:?})"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    let fits = |t: &str| match t {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    };
    if !types.iter().any(|t| fits(t)) {
        return Err(format!("{at} (expected {types:?})"));
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(format!("{at}.{name} (required, missing)"));
            }
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(v) = object.get(name) {
                conforms(doc, property, v, &format!("{at}.{name}"))?;
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// `$ref`s followed, and `Option`'s `oneOf [null, T]` or `type: [T, "null"]` read as `T`.
fn resolve(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema[key].as_array() {
            let real: Vec<&Value> = alternatives.iter().filter(|a| a["type"] != "null").collect();
            if let [one] = real.as_slice() {
                return resolve(doc, one);
            }
        }
    }
    if let Some(types) = schema["type"].as_array() {
        let real: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
        if let [one] = real.as_slice() {
            let mut s = schema.clone();
            s["type"] = (*one).clone();
            return s;
        }
    }
    schema.clone()
}

fn kind(schema: &Value) -> &str {
    schema["type"].as_str().unwrap_or_default()
}

/// A value that fits `schema`; None for a free-form value.
fn sample(doc: &Value, schema: &Value) -> Option<Value> {
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return Some(first.clone());
    }
    Some(match kind(schema) {
        "string" if schema["format"] == "uuid" => json!(Uuid::nil().to_string()),
        "string" => json!("x"),
        "boolean" => json!(true),
        "integer" | "number" => json!(1),
        "array" => json!([]),
        "object" => {
            let mut out = Map::new();
            let required: Vec<&str> =
                schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                let property = resolve(doc, property);
                match sample(doc, &property) {
                    Some(v) => {
                        out.insert(name.clone(), v);
                    }
                    None if required.contains(&name.as_str()) => {
                        out.insert(name.clone(), json!({}));
                    }
                    None => {}
                }
            }
            Value::Object(out)
        }
        _ => return None,
    })
}

/// A value of another JSON type than `schema` allows; None when anything goes.
fn wrong(schema: &Value) -> Option<Value> {
    if schema["enum"].is_array() {
        return Some(json!("not-one-of-the-choices"));
    }
    match kind(schema) {
        "string" | "array" => Some(json!(12345)),
        "boolean" | "integer" | "number" | "object" => Some(json!("x")),
        _ => None,
    }
}

#[actix_web::test]
async fn bodies_made_from_the_openapi_documents_are_answered_as_documented() {
    let probes = schema_probes();
    assert!(probes.len() > 20, "{} probes", probes.len());
    let here = TestEnv::new().await;
    let answers = run(&here, &probes).await;
    let accepted = answers.iter().filter(|(l, s, _)| l.ends_with(" fitting") && *s < 300).count();
    let answered = answers.iter().filter(|(l, s, _)| l.ends_with(" answer") && *s < 300).count();
    eprintln!(
        "{} schema probes; {accepted} fitting bodies accepted; {answered} documented answers checked",
        answers.len()
    );
    // A floor, so a world that lost its sign-in (a probe logging the owner out) or its ids
    // cannot quietly check almost nothing.
    assert!(answered >= 40, "only {answered} documented answers were checked against a real answer");
    if services_mode() {
        answered_as_on_sqlite(&probes, &answers).await;
    }
}

#[actix_web::test]
async fn hostile_values_in_every_field_of_every_route_are_never_a_5xx() {
    let probes = probes();
    assert!(probes.len() > 1000, "{} probes", probes.len());
    let here = TestEnv::new().await;
    let answers = run(&here, &probes).await;
    let mut by_status: std::collections::BTreeMap<u16, usize> = std::collections::BTreeMap::new();
    for (_, status, _) in &answers {
        *by_status.entry(*status).or_default() += 1;
    }
    eprintln!("{} probes: {by_status:?}", answers.len());
    // Most probes must get past authentication to test anything.
    let unauthorized = by_status.get(&401).copied().unwrap_or(0);
    assert!(unauthorized * 10 < answers.len(), "{unauthorized} of {} answered 401", answers.len());
    if services_mode() {
        answered_as_on_sqlite(&probes, &answers).await;
    }
}
