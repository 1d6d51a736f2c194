//! Request arguments, read the way Flask-RESTful's reqparse reads them: a missing required
//! argument or a wrong type is a 400 `invalid_param` naming the argument.

use actix_web::web;
use kernel::ApiError;
use serde_json::{Map, Value};

/// The fields of a JSON object body.
#[derive(Debug, Default)]
pub struct JsonArgs(Map<String, Value>);

const MISSING: &str = "Missing required parameter in the JSON body";

impl JsonArgs {
    /// Takes a parsed JSON body; anything but an object is refused.
    pub fn new(body: web::Json<Value>) -> Result<Self, ApiError> {
        match body.into_inner() {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(ApiError::bad_request("Failed to decode JSON object: expected a JSON object")),
        }
    }

    /// True when the argument was sent and is not null.
    pub fn has(&self, name: &str) -> bool {
        self.present(name).is_some()
    }

    /// The raw value of an argument that was sent and is not null.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.present(name)
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A required string.
    pub fn required_str(&self, name: &str) -> Result<String, ApiError> {
        self.optional_str(name)?.ok_or_else(|| ApiError::invalid_param(name, MISSING))
    }

    /// An optional string (absent or null is None).
    pub fn optional_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::invalid_param(name, format!("{name} must be a string."))),
        }
    }

    /// A required JSON object.
    pub fn required_object(&self, name: &str) -> Result<Map<String, Value>, ApiError> {
        self.optional_object(name)?.ok_or_else(|| ApiError::invalid_param(name, MISSING))
    }

    /// An optional JSON object (absent or null is None).
    pub fn optional_object(&self, name: &str) -> Result<Option<Map<String, Value>>, ApiError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(_) => Err(ApiError::invalid_param(name, format!("{name} must be an object."))),
        }
    }

    /// An optional boolean with a default.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.present(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ApiError::invalid_param(name, format!("{name} must be a boolean."))),
        }
    }

    /// A required list of strings (a single string counts as a list of one, as reqparse's
    /// `action='append'` takes it).
    pub fn required_str_list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        match self.present(name) {
            None => Err(ApiError::invalid_param(name, MISSING)),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiError::invalid_param(name, format!("{name} must be a list of strings."))),
            Some(_) => Err(ApiError::invalid_param(name, format!("{name} must be a list of strings."))),
        }
    }
}

/// A required query-string argument.
pub fn required_query(
    query: &web::Query<std::collections::HashMap<String, String>>,
    name: &str,
) -> Result<String, ApiError> {
    query
        .get(name)
        .filter(|v| !v.is_empty())
        .cloned()
        .ok_or_else(|| ApiError::invalid_param(name, "Missing required parameter in the query string"))
}
