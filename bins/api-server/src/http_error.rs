//! Rendering errors as Dify's JSON: handler errors, extractor failures, and any
//! non-JSON error response actix produces itself (unknown route, wrong method, ...).

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PayloadError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use kernel::ApiError;

/// `ApiError` as an actix response; handlers return `Result<_, HttpError>` and use `?`.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<sea_orm::DbErr> for HttpError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self(e.into())
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.0.body())
    }
}

/// Lets a handler that can only fail return the error itself.
impl actix_web::Responder for HttpError {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.error_response()
    }
}

/// Result type of every handler.
pub type HttpResult<T = HttpResponse> = Result<T, HttpError>;

pub use crate::error_table::generic;

/// Rewrites any error response that is not already JSON into Dify's error JSON,
/// keeping its status and headers (CORS included).
pub fn render_as_dify_json<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/event-stream"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let body = serde_json::to_string(&generic(res.status()).body()).unwrap_or_default();
    let (req, mut res) = res.into_parts();
    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let res = ServiceResponse::new(req, res.set_body(body))
        .map_body(|_, b| EitherBody::right(actix_web::body::BoxBody::new(b)));
    Ok(ErrorHandlerResponse::Response(res))
}

/// Default service: no route matched the path.
pub async fn route_not_found() -> HttpError {
    HttpError(ApiError::route_not_found())
}

/// Resource default: the path exists but not with this method.
pub async fn method_not_allowed() -> HttpError {
    HttpError(ApiError::method_not_allowed())
}

fn json_error(e: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &e {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            generic(StatusCode::PAYLOAD_TOO_LARGE)
        }
        JsonPayloadError::ContentType => ApiError::unsupported_media_type(
            "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.",
        ),
        JsonPayloadError::Deserialize(de) if de.is_data() => ApiError::value_error(de.to_string()),
        JsonPayloadError::Deserialize(de) => ApiError::bad_request(format!("Failed to decode JSON object: {de}")),
        JsonPayloadError::Payload(PayloadError::Overflow) => generic(StatusCode::PAYLOAD_TOO_LARGE),
        other => ApiError::bad_request(format!("Failed to read the request body: {other}")),
    };
    HttpError(api).into()
}

/// JSON bodies: size limit and Dify-shaped errors.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(json_error)
}

/// Raw bodies (`Bytes`, `String`, multipart streams read through `Payload`).
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

/// Query strings: a bad value is a 400 `invalid_param`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e: QueryPayloadError, _| {
        HttpError(ApiError::value_error(format!("Invalid query string: {e}"))).into()
    })
}

/// Path segments that fail to parse (e.g. a non-uuid id) do not name a resource: 404, as
/// Flask's typed converters answer.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| HttpError(ApiError::route_not_found()).into())
}

/// Form bodies.
pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default().limit(limit).error_handler(|e: UrlencodedError, _| {
        let api = match e {
            UrlencodedError::Overflow { .. } => generic(StatusCode::PAYLOAD_TOO_LARGE),
            UrlencodedError::ContentType => generic(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            other => ApiError::bad_request(other.to_string()),
        };
        HttpError(api).into()
    })
}
