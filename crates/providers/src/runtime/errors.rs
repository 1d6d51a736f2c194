//! One rule for turning vendor and transport failures into `ProviderError`, whatever the vendor.
//!
//! HTTP status decides the variant: 401/403 → `Authentication`, 429 → `RateLimited`, other
//! 4xx → `BadRequest`, 5xx → `Unavailable`; a failed connect, a timeout or a broken body →
//! `Connection`. The message is the vendor's own error message field (what Dify shows), after
//! the backend's label ("Azure ", "Anthropic: ", ...; empty for OpenAI), cut to 200
//! characters. A body without one is never quoted: the endpoint is a URL a user supplied,
//! and echoing what it answered would let anyone read any page the server can reach.

use async_openai::error::OpenAIError;
use serde_json::Value;

use crate::ProviderError;

/// Longest vendor message passed on.
const MAX_MESSAGE: usize = 200;

/// What is said of a response that carried no error message of its own.
const NO_MESSAGE: &str = "the server answered without an error message";

/// The variant for an HTTP error status.
pub(crate) fn from_status(status: u16, message: String) -> ProviderError {
    match status {
        401 | 403 => ProviderError::Authentication(message),
        429 => ProviderError::RateLimited(message),
        400..=499 => ProviderError::BadRequest(message),
        500..=599 => ProviderError::Unavailable(message),
        _ => ProviderError::Other(message),
    }
}

/// A failed HTTP exchange that produced no status (connect, timeout, broken body).
pub(crate) fn from_reqwest(label: &str, e: &reqwest::Error) -> ProviderError {
    let detail = error_chain(e);
    if e.is_timeout() {
        ProviderError::Connection(format!("{label}request timed out: {detail}"))
    } else if e.is_connect() {
        ProviderError::Connection(format!("{label}could not connect to the server: {detail}"))
    } else if e.is_body() || e.is_decode() || e.is_request() {
        ProviderError::Connection(format!("{label}the connection failed: {detail}"))
    } else {
        ProviderError::Other(format!("{label}{detail}"))
    }
}

/// An error from async-openai (OpenAI, Azure and the OpenAI-compatible servers).
pub(crate) fn from_openai(label: &str, e: OpenAIError) -> ProviderError {
    match e {
        OpenAIError::ApiError(resp) => {
            let raw = resp.api_error.message;
            // Server errors arrive as the raw body, which may still be OpenAI's error JSON;
            // anything else that looks like a document (an HTML page, other JSON) is not quoted.
            let plain = |raw: &str| {
                let raw = raw.trim();
                (!raw.is_empty() && !raw.contains('<') && !raw.starts_with(['{', '['])).then(|| truncate(raw))
            };
            let message = error_message_in(&raw).or_else(|| plain(&raw)).unwrap_or_else(|| NO_MESSAGE.to_owned());
            from_status(resp.status_code.as_u16(), format!("{label}{message}"))
        }
        OpenAIError::Reqwest(e) => from_reqwest(label, &e),
        OpenAIError::JSONDeserialize(_, content) => from_unexpected_body(label, &content),
        OpenAIError::StreamError(e) => ProviderError::Connection(format!("{label}the stream broke off: {e}")),
        OpenAIError::InvalidArgument(m) => ProviderError::BadRequest(format!("{label}{m}")),
        other => ProviderError::Other(format!("{label}{other}")),
    }
}

/// A body that was not what we expected: an error object without a usable status (mid-stream,
/// or a 4xx whose error JSON did not match OpenAI's shape), or garbage.
pub(crate) fn from_unexpected_body(label: &str, content: &str) -> ProviderError {
    let Ok(json) = serde_json::from_str::<Value>(content) else {
        return ProviderError::Other(format!("{label}unexpected response ({} bytes)", content.len()));
    };
    let Some(message) = message_of(&json).map(|m| truncate(&m)) else {
        return ProviderError::Other(format!("{label}unexpected response ({} bytes)", content.len()));
    };
    let error = json.get("error");
    let kind = error.and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or_default();
    let code = error.and_then(|e| e.get("code"));
    let status = code.and_then(|c| c.as_u64().or_else(|| c.as_str().and_then(|s| s.parse().ok())));
    let message = format!("{label}{message}");
    if let Some(status) = status.and_then(|s| u16::try_from(s).ok()).filter(|s| (400..600).contains(s)) {
        return from_status(status, message);
    }
    let code = code.and_then(Value::as_str).unwrap_or_default();
    if kind.contains("auth") || code == "invalid_api_key" {
        ProviderError::Authentication(message)
    } else if kind.contains("rate_limit") || kind == "requests" || kind == "tokens" {
        ProviderError::RateLimited(message)
    } else if kind.contains("server") || kind.contains("overloaded") || kind == "api_error" {
        ProviderError::Unavailable(message)
    } else {
        ProviderError::BadRequest(message)
    }
}

/// The human message of a vendor error body, if it is JSON with one.
pub(crate) fn error_message_in(body: &str) -> Option<String> {
    serde_json::from_str::<Value>(body).ok().as_ref().and_then(message_of).map(|m| truncate(&m))
}

/// `{"error":{"message":..}}` (OpenAI, Anthropic), `{"error":".."}`, `{"detail":..}`
/// (Xinference, FastAPI) or `{"message":..}`.
fn message_of(json: &Value) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    if let Some(error) = json.get("error") {
        return match error {
            Value::Object(_) => error.get("message").and_then(text),
            other => text(other),
        };
    }
    json.get("detail").and_then(text).or_else(|| json.get("message").and_then(text))
}

/// The message for a response body of a failed call: the vendor's message, never the body.
pub(crate) fn body_message(body: &str) -> String {
    error_message_in(body).unwrap_or_else(|| NO_MESSAGE.to_owned())
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_owned(),
    }
}

/// `e` and its sources, joined: reqwest's own message alone rarely says what went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !out.contains(&next) {
            out.push_str(": ");
            out.push_str(&next);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert!(matches!(from_status(401, "x".into()), ProviderError::Authentication(_)));
        assert!(matches!(from_status(403, "x".into()), ProviderError::Authentication(_)));
        assert!(matches!(from_status(429, "x".into()), ProviderError::RateLimited(_)));
        assert!(matches!(from_status(404, "x".into()), ProviderError::BadRequest(_)));
        assert!(matches!(from_status(422, "x".into()), ProviderError::BadRequest(_)));
        assert!(matches!(from_status(503, "x".into()), ProviderError::Unavailable(_)));
    }

    #[test]
    fn bodies() {
        let openai = r#"{"error":{"message":"Overloaded","type":"server_error","param":null,"code":null}}"#;
        assert_eq!(from_unexpected_body("", openai), ProviderError::Unavailable("Overloaded".into()));
        let localai = r#"{"error":{"code":500,"message":"model not loaded","type":""}}"#;
        assert_eq!(from_unexpected_body("", localai), ProviderError::Unavailable("model not loaded".into()));
        let detail = r#"{"detail":"Model not found in the model list, uid: x"}"#;
        assert_eq!(error_message_in(detail).as_deref(), Some("Model not found in the model list, uid: x"));
        assert!(matches!(from_unexpected_body("X: ", "<html>"), ProviderError::Other(m) if m.starts_with("X: ")));
        // A page the endpoint answered is never quoted back; a message is cut to 200 characters.
        let page = "<html><body>internal admin panel: secret</body></html>";
        assert_eq!(body_message(page), NO_MESSAGE);
        assert!(!format!("{:?}", from_unexpected_body("", page)).contains("secret"));
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(1000));
        assert_eq!(body_message(&long).chars().count(), 203, "200 and an ellipsis");
    }
}
