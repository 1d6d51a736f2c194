//! The HTTP server: Dify's console (`/console/api`), service (`/v1`) and web-app (`/api`) APIs.

mod answers;
mod audio;
mod bearer;
pub mod body;
pub mod console;
pub mod contract;
mod cors;
pub(crate) mod error_table;
pub mod generation;
mod history;
pub mod http_error;
pub mod net;
pub mod openapi;
mod pyjson;
mod query;
pub mod request_log;
pub mod routes;
pub mod service_api;
pub mod state;
mod text_guard;
pub mod web_app;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{DefaultHeaders, ErrorHandlers};
use actix_web::{App, web};

pub use routes::RouteTable;
pub use state::AppState;

/// The whole application: routes, extractor limits, Dify headers, CORS per surface and
/// error bodies in Dify's JSON. Used by `main` and by the tests alike.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    app_with(state, |_| {})
}

/// `app` with `extra` routes mounted first; tests use it to exercise the shared middleware.
pub fn app_with(
    state: AppState,
    extra: impl FnOnce(&mut web::ServiceConfig),
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let config = state.config.clone();
    let table = routes::table();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(http_error::json_config(config.max_request_body))
        .app_data(http_error::payload_config(config.max_request_body))
        .app_data(http_error::query_config())
        .app_data(http_error::path_config())
        .app_data(http_error::form_config(config.max_request_body))
        .configure(extra)
        .configure(|cfg| table.mount(cfg, &config))
        .default_service(web::to(http_error::route_not_found))
        .wrap(ErrorHandlers::new().default_handler(http_error::render_as_dify_json))
        .wrap(DefaultHeaders::new().add(("X-Version", kernel::DIFY_VERSION)).add(("X-Env", config.deploy_env.clone())))
        .wrap(actix_web::middleware::from_fn(request_log::request_log))
}
