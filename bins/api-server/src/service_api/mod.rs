//! The service API (`/v1`): what apps' backends call with an `app-…` key, and datasets'
//! with a `ds-…` key.

mod conversations;
mod documents;
mod generation;
pub mod guard;
mod messages;
mod parameters;

use utoipa::OpenApi;

use crate::routes::RouteTable;

/// The operations this API's handlers document, merged from each module.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApi::default();
    doc.merge(conversations::Doc::openapi());
    doc.merge(documents::Doc::openapi());
    doc.merge(generation::Doc::openapi());
    doc.merge(messages::Doc::openapi());
    doc.merge(parameters::Doc::openapi());
    doc
}

pub fn register(t: &mut RouteTable) {
    parameters::register(t);
    generation::register(t);
    conversations::register(t);
    messages::register(t);
    documents::register(t);
}
