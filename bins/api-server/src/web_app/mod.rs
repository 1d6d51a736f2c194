//! The web-app API (`/api`): what Dify's embedded web apps call.

mod conversations;
mod generation;
pub mod guard;
mod messages;
mod passport;
mod saved;
mod site;

use utoipa::OpenApi;

use crate::routes::RouteTable;

/// The operations this API's handlers document, merged from each module.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApi::default();
    doc.merge(conversations::Doc::openapi());
    doc.merge(generation::Doc::openapi());
    doc.merge(messages::Doc::openapi());
    doc.merge(passport::Doc::openapi());
    doc.merge(saved::Doc::openapi());
    doc.merge(site::Doc::openapi());
    doc
}

pub fn register(t: &mut RouteTable) {
    passport::register(t);
    site::register(t);
    conversations::register(t);
    messages::register(t);
    saved::register(t);
    generation::register(t);
}
