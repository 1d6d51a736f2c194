//! The OpenAPI documents of the three APIs: every mounted route is in its document and every
//! documented operation is mounted, each path variable is declared, and the served documents
//! are the generated ones.

mod common;

use std::collections::BTreeSet;

use actix_web::http::Method;
use api_server::app;
use api_server::openapi::{SURFACES, document, document_path};
use api_server::routes::{Surface, openapi_path, table};
use common::*;
use serde_json::Value;

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "options", "head"];

/// `(METHOD, path)` of every operation a document lists.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn doc_json(surface: Surface) -> Value {
    serde_json::to_value(document(surface, &table())).expect("document")
}

#[test]
fn every_mounted_route_is_documented_and_every_documented_one_mounted() {
    let ops = table().operations();
    for surface in SURFACES {
        let mounted: BTreeSet<(String, String)> = ops
            .iter()
            .filter(|o| Surface::of(o.path) == surface)
            .map(|o| (o.method.to_owned(), openapi_path(o.path)))
            .collect();
        let listed = documented(&doc_json(surface));
        let undocumented: Vec<_> = mounted.difference(&listed).collect();
        let unmounted: Vec<_> = listed.difference(&mounted).collect();
        assert!(undocumented.is_empty(), "{surface:?}: mounted but not documented: {undocumented:#?}");
        assert!(unmounted.is_empty(), "{surface:?}: documented but not mounted: {unmounted:#?}");
    }
}

#[test]
fn built_operations_declare_their_path_variables() {
    let ops = table().operations();
    for surface in SURFACES {
        let doc = doc_json(surface);
        for op in ops.iter().filter(|o| Surface::of(o.path) == surface && o.implemented) {
            let path = openapi_path(op.path);
            let operation = &doc["paths"][&path][op.method.to_ascii_lowercase()];
            let declared: BTreeSet<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let wanted: BTreeSet<&str> =
                path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
            assert_eq!(declared, wanted, "{} {path}", op.method);
        }
    }
}

/// Whether the router sent `method path` to a handler: a UUID fills every path variable (it
/// is also one segment), and the answer is neither 405 nor the router's own 404.
async fn routed<S, B>(app: &S, method: &str, path: &str) -> Result<(), String>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let uri: String = path
        .split('/')
        .map(|s| if s.starts_with('{') { "00000000-0000-0000-0000-000000000000" } else { s })
        .collect::<Vec<_>>()
        .join("/");
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let r = send(app, &mut Client::default(), method.clone(), &uri, None).await;
    let unrouted = r.status == 405
        || (r.status == 404 && r.body["message"].as_str().is_some_and(|m| m.starts_with("The requested URL")));
    if unrouted { Err(format!("{method} {uri}: the router answered {}: {}", r.status, r.body)) } else { Ok(()) }
}

#[actix_web::test]
async fn the_documents_are_served_and_every_documented_operation_is_routed() {
    let (_env, state) = state_with(&[]).await;
    let app = actix_web::test::init_service(app(state)).await;
    // Dify's CLOUD-only routes (`only_edition_cloud`) answer the router's own 404 elsewhere.
    let (_cloud_env, cloud_state) = state_with(&[("EDITION", "CLOUD")]).await;
    let cloud = actix_web::test::init_service(api_server::app(cloud_state)).await;
    let mut anonymous = Client::default();
    for surface in SURFACES {
        let served = send(&app, &mut anonymous, Method::GET, &document_path(surface), None).await;
        assert_eq!(served.status, 200, "{surface:?}");
        assert_eq!(served.body, doc_json(surface), "{surface:?}: the served document is the generated one");
        for (method, path) in documented(&served.body) {
            // Routes Dify answers 405 on (crossed methods) are documented as answering just that.
            if served.body["paths"][&path][method.to_ascii_lowercase()]["responses"].get("405").is_some() {
                continue;
            }
            if let Err(here) = routed(&app, &method, &path).await {
                let in_cloud = routed(&cloud, &method, &path).await;
                assert!(in_cloud.is_ok(), "documented but not routed: {here}; in CLOUD: {in_cloud:?}");
            }
        }
    }
}
