//! Query-string arguments, read the way Flask-RESTful's reqparse reads `location='args'`.

use std::collections::HashMap;

use actix_web::web;
use kernel::ApiError;

/// A required query-string argument; empty counts as missing.
pub fn required_query(query: &web::Query<HashMap<String, String>>, name: &str) -> Result<String, ApiError> {
    query
        .get(name)
        .filter(|v| !v.is_empty())
        .cloned()
        .ok_or_else(|| ApiError::invalid_param(name, "Missing required parameter in the query string"))
}
