//! The console API (`/console/api`): what Dify's web console calls.

mod account;
mod activate;
mod app_feedbacks;
mod app_generation;
mod app_logs;
mod app_models;
mod apps;
mod data_sources;
mod dataset_keys;
mod datasets;
mod document_admin;
mod documents;
mod estimate;
mod explore;
mod files;
pub mod guard;
mod installed_app_history;
mod installed_generation;
mod login;
mod members;
mod model_providers;
mod prompt_helpers;
mod segment_import;
mod setup;
mod statistics;
mod version;
mod webhook;
mod workspace;

pub use app_generation::wrong_mode;

use utoipa::OpenApi;

use crate::routes::RouteTable;

/// The operations this API's handlers document, merged from each module.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApi::default();
    doc.merge(account::Doc::openapi());
    doc.merge(activate::Doc::openapi());
    doc.merge(app_feedbacks::Doc::openapi());
    doc.merge(app_generation::Doc::openapi());
    doc.merge(app_logs::Doc::openapi());
    doc.merge(apps::Doc::openapi());
    doc.merge(data_sources::Doc::openapi());
    doc.merge(dataset_keys::Doc::openapi());
    doc.merge(datasets::Doc::openapi());
    doc.merge(document_admin::Doc::openapi());
    doc.merge(documents::Doc::openapi());
    doc.merge(estimate::Doc::openapi());
    doc.merge(explore::Doc::openapi());
    doc.merge(files::Doc::openapi());
    doc.merge(installed_app_history::Doc::openapi());
    doc.merge(installed_generation::Doc::openapi());
    doc.merge(login::Doc::openapi());
    doc.merge(members::Doc::openapi());
    doc.merge(model_providers::Doc::openapi());
    doc.merge(prompt_helpers::Doc::openapi());
    doc.merge(segment_import::Doc::openapi());
    doc.merge(setup::Doc::openapi());
    doc.merge(statistics::Doc::openapi());
    doc.merge(version::Doc::openapi());
    doc.merge(webhook::Doc::openapi());
    doc.merge(workspace::Doc::openapi());
    doc
}

pub fn register(t: &mut RouteTable) {
    setup::register(t);
    login::register(t);
    activate::register(t);
    account::register(t);
    workspace::register(t);
    members::register(t);
    apps::register(t);
    app_generation::register(t);
    installed_generation::register(t);
    data_sources::register(t);
    dataset_keys::register(t);
    datasets::register(t);
    documents::register(t);
    document_admin::register(t);
    estimate::register(t);
    files::register(t);
    segment_import::register(t);
    model_providers::register(t);
    prompt_helpers::register(t);
    explore::register(t);
    installed_app_history::register(t);
    app_feedbacks::register(t);
    statistics::register(t);
    app_logs::register(t);
    version::register(t);
    webhook::register(t);
}
