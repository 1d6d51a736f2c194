//! One span and one log line per request, under the request's id: a client's `X-Request-Id`
//! when it is plain, else a fresh one, sent back in the answer and carried into every job the
//! request queues (see `kernel::request_id`).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware: scopes, span, answer header and the log line.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(kernel::request_id::accept)
        .map_or_else(kernel::request_id::fresh, Into::into);
    let method = req.method().clone();
    let path = req.path().to_owned();
    // The route's template, not the path: ids must not make every request a series of its own.
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();
    // With spans exported, jobs the request queues join its trace.
    let traceparent = infra::telemetry::traceparent(&span);
    // Versions of kept rows are read once per request, together (`infra::kept`).
    let work = infra::kept::per_request(next.call(req));
    let mut res = kernel::request_id::scope_traced(id.clone(), traceparent, work).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    let ms = elapsed * 1000.0;
    let labels = [
        ("surface", surface(&path).to_owned()),
        ("route", route),
        ("method", method_label(&method).to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..3]).record(elapsed);
    span.in_scope(|| match res.response().error() {
        Some(e) if status >= 500 => tracing::error!(status, ms, error = %e, "request failed"),
        Some(e) => tracing::info!(status, ms, error = %e, "request refused"),
        None => tracing::info!(status, ms, "request answered"),
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    Ok(res)
}

/// Which API a path belongs to.
fn surface(path: &str) -> &'static str {
    if path.starts_with("/console/api") {
        "console"
    } else if path.starts_with("/v1") {
        "service"
    } else if path.starts_with("/api") {
        "web"
    } else {
        "system"
    }
}

/// The method as a label: HTTP allows any token as a method, so a client could otherwise
/// make a new series per request.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method as M;
    match *method {
        M::GET => "GET",
        M::POST => "POST",
        M::PUT => "PUT",
        M::PATCH => "PATCH",
        M::DELETE => "DELETE",
        M::HEAD => "HEAD",
        M::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
