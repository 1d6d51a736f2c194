//! CORS per surface, as Dify sets it: the console allows credentials for its own web origins;
//! the web-app API allows its configured origins; the service API is open.

use actix_cors::Cors;
use actix_web::http::header;

const METHODS: [&str; 6] = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"];

fn with_origins(mut cors: Cors, origins: &[String]) -> Cors {
    if origins.iter().any(|o| o == "*") {
        // With credentials the exact request origin is echoed, never a literal `*`.
        return cors.allow_any_origin();
    }
    for o in origins {
        cors = cors.allowed_origin(o.trim_end_matches('/'));
    }
    cors
}

fn exposed(cors: Cors) -> Cors {
    cors.expose_headers(["X-Version", "X-Env"]).max_age(3600)
}

/// `/console/api`: credentials, `Content-Type` and `Authorization` headers.
pub fn console(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(METHODS)
        .allowed_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .supports_credentials();
    exposed(with_origins(cors, origins))
}

/// `/api`: the embedded web app, which also sends `X-App-Code`.
pub fn web(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(METHODS)
        .allowed_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::HeaderName::from_static("x-app-code")])
        .supports_credentials();
    exposed(with_origins(cors, origins))
}

/// `/v1`: any origin, no credentials (API keys travel in `Authorization`).
pub fn service() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(METHODS)
        .allowed_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::HeaderName::from_static("x-app-code")])
        .max_age(3600)
}
