//! The `Authorization: Bearer <token>` header as the console and the web app read it (the
//! service API words its refusals differently, as Dify's `validate_and_get_api_token` does).

use actix_web::HttpRequest;
use actix_web::http::header;
use kernel::ApiError;

fn bad_header() -> ApiError {
    ApiError::unauthorized_msg("Invalid Authorization header format. Expected 'Bearer <api-key>' format.")
}

/// The bearer token of the request; None when it sent no Authorization header, 401 when the
/// header is not `Bearer <token>`.
pub fn bearer(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| bad_header())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(bad_header)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(bad_header());
    }
    Ok(Some(token))
}
