//! The one reader of the `Authorization: Bearer <token>` header. Each surface words its
//! refusals as Dify does: the console and the web app as `bearer`, the service API as
//! Dify's `validate_and_get_api_token`.

use actix_web::HttpRequest;
use actix_web::http::header;
use kernel::ApiError;

/// What the request's Authorization header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization<'a> {
    Missing,
    /// Not text, or no space between scheme and credentials.
    Malformed,
    /// A scheme other than Bearer.
    OtherScheme,
    /// The bearer token, trimmed (possibly empty).
    Bearer(&'a str),
}

pub fn authorization(req: &HttpRequest) -> Authorization<'_> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Authorization::Missing };
    let Some((scheme, token)) = value.to_str().ok().and_then(|v| v.split_once(' ')) else {
        return Authorization::Malformed;
    };
    if scheme.eq_ignore_ascii_case("bearer") { Authorization::Bearer(token.trim()) } else { Authorization::OtherScheme }
}

fn bad_header() -> ApiError {
    ApiError::unauthorized_msg("Invalid Authorization header format. Expected 'Bearer <api-key>' format.")
}

/// The console's and web app's reading: None when no Authorization header was sent, 401 when
/// the header is not `Bearer <token>`.
pub fn bearer(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    match authorization(req) {
        Authorization::Missing => Ok(None),
        Authorization::Bearer(token) if !token.is_empty() => Ok(Some(token)),
        Authorization::Bearer(_) | Authorization::Malformed | Authorization::OtherScheme => Err(bad_header()),
    }
}

/// The service API's reading, with Dify's messages for a missing or malformed header.
pub fn api_key(req: &HttpRequest) -> Result<&str, ApiError> {
    match authorization(req) {
        Authorization::Bearer(token) => Ok(token),
        Authorization::OtherScheme => Err(ApiError::unauthorized_msg("Authorization scheme must be 'Bearer'")),
        Authorization::Missing | Authorization::Malformed => {
            Err(ApiError::unauthorized_msg("Authorization header must be provided and start with 'Bearer'"))
        }
    }
}
