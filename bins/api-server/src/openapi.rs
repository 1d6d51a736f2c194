//! OpenAPI documents for the three APIs, generated from the handlers' `#[utoipa::path]`
//! annotations and their request types; the contract's routes not built yet are listed as
//! answering 501. Served at `<prefix>/openapi.json` and written by `admin openapi`.

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    Components, ContentBuilder, InfoBuilder, OpenApi, PathItem, Ref, RefOr, ResponsesBuilder, Schema,
};

use crate::routes::{RouteTable, Surface, openapi_path};

/// The three documented APIs.
pub const SURFACES: [Surface; 3] = [Surface::Console, Surface::Service, Surface::Web];

/// Where each API's document is served.
pub fn document_path(surface: Surface) -> String {
    format!("{}/openapi.json", surface.prefix())
}

/// The name `admin openapi` writes a surface's document under.
pub fn file_name(surface: Surface) -> &'static str {
    match surface {
        Surface::Console => "console-api.json",
        Surface::Service => "service-api.json",
        Surface::Web => "web-api.json",
        Surface::Root => "root.json",
    }
}

fn title(surface: Surface) -> &'static str {
    match surface {
        Surface::Console => "Dify console API (/console/api), as served by dify-rs",
        Surface::Service => "Dify service API (/v1), as served by dify-rs",
        Surface::Web => "Dify web-app API (/api), as served by dify-rs",
        Surface::Root => "dify-rs system routes",
    }
}

/// The document of one API, for the routes in `table`.
pub fn document(surface: Surface, table: &RouteTable) -> OpenApi {
    let mut doc = match surface {
        Surface::Console => crate::console::openapi(),
        Surface::Service => crate::service_api::openapi(),
        Surface::Web => crate::web_app::openapi(),
        Surface::Root => OpenApi::default(),
    };
    doc.info = InfoBuilder::new()
        .title(title(surface))
        .version(kernel::DIFY_VERSION)
        .description(Some("Errors answer Dify's JSON `{code, message, status}` (with `params` naming a bad argument)."))
        .build();
    let mut ids = std::collections::BTreeSet::new();
    for op in table.operations() {
        if Surface::of(op.path) != surface {
            continue;
        }
        // Handlers' names repeat across modules; Flask's endpoint and the method do not.
        let mut id = format!("{}_{}", op.endpoint, op.method.to_ascii_lowercase());
        while !ids.insert(id.clone()) {
            id.push('_');
        }
        let Some(method) = http_method(op.method) else { continue };
        if op.implemented {
            if let Some(documented) =
                doc.paths.paths.get_mut(&openapi_path(op.path)).and_then(|i| operation_mut(i, op.method))
            {
                documented.operation_id = Some(id);
            }
            continue;
        }
        let operation = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(format!("{} (not built yet)", op.endpoint)))
            .responses(ResponsesBuilder::new().response("501", ResponseBuilder::new().description("Not built yet")))
            .build();
        doc.paths.add_path_operation(openapi_path(op.path), vec![method], operation);
    }
    let this = OperationBuilder::new()
        .operation_id(Some(format!("openapi_{}", file_name(surface).trim_end_matches(".json").replace('-', "_"))))
        .summary(Some("This document".to_owned()))
        .responses(ResponsesBuilder::new().response("200", ResponseBuilder::new().description("The OpenAPI document")))
        .build();
    doc.paths.add_path_operation(document_path(surface), vec![HttpMethod::Get], this);
    with_error_answers(&mut doc);
    doc
}

fn http_method(method: &str) -> Option<HttpMethod> {
    Some(match method {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        "OPTIONS" => HttpMethod::Options,
        "HEAD" => HttpMethod::Head,
        _ => return None,
    })
}

/// Every operation may answer Dify's error JSON; it is one shared schema.
fn with_error_answers(doc: &mut OpenApi) {
    let error = ObjectBuilder::new()
        .property("code", ObjectBuilder::new().schema_type(Type::String))
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("params", ObjectBuilder::new().schema_type(Type::String))
        .required("code")
        .required("message")
        .required("status")
        .build();
    doc.components.get_or_insert_with(Components::new).schemas.insert("Error".into(), RefOr::T(Schema::Object(error)));
    let answer = ResponseBuilder::new()
        .description("Dify's error JSON")
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build())
        .build();
    for item in doc.paths.paths.values_mut() {
        for op in operations_mut(item) {
            op.responses.responses.entry("default".into()).or_insert_with(|| RefOr::T(answer.clone()));
        }
    }
}

fn operation_mut<'a>(item: &'a mut PathItem, method: &str) -> Option<&'a mut utoipa::openapi::path::Operation> {
    match method {
        "GET" => item.get.as_mut(),
        "POST" => item.post.as_mut(),
        "PUT" => item.put.as_mut(),
        "PATCH" => item.patch.as_mut(),
        "DELETE" => item.delete.as_mut(),
        "OPTIONS" => item.options.as_mut(),
        "HEAD" => item.head.as_mut(),
        _ => None,
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete, &mut item.options, &mut item.head]
        .into_iter()
        .filter_map(Option::as_mut)
}

/// Each document rendered once per process.
fn rendered(surface: Surface) -> &'static str {
    static DOCS: [OnceLock<String>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = SURFACES.iter().position(|s| *s == surface).unwrap_or(0);
    DOCS[slot].get_or_init(|| document(surface, &crate::routes::table()).to_json().unwrap_or_default())
}

/// Mounts `<prefix>/openapi.json` for each API.
pub fn register(t: &mut RouteTable) {
    t.add("GET", "/console/api/openapi.json", "openapi.console", web::to(|| serve(Surface::Console)));
    t.add("GET", "/v1/openapi.json", "openapi.service_api", web::to(|| serve(Surface::Service)));
    t.add("GET", "/api/openapi.json", "openapi.web", web::to(|| serve(Surface::Web)));
}

async fn serve(surface: Surface) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(rendered(surface))
}
