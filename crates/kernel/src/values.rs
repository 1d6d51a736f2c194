//! One rule for text on both databases.
//!
//! PostgreSQL refuses NUL characters in text and jsonb and values longer than their
//! `varchar(n)`; SQLite takes both. Writes are checked before they reach either (the
//! entities' save hook), and a value refused that way becomes a 400 naming the field.

use sea_orm::DbErr;

/// Marks a [`DbErr::Custom`] as a refused value rather than a database failure.
const MARKER: &str = "dify-rs refused value\u{1f}";

/// The error a save hook returns for a value the database must not get.
pub fn refused(field: &str, message: &str) -> DbErr {
    DbErr::Custom(format!("{MARKER}{field}\u{1f}{message}"))
}

/// `(field, message)` of an error made by [`refused`].
pub fn as_refused(e: &DbErr) -> Option<(&str, &str)> {
    let DbErr::Custom(text) = e else { return None };
    text.strip_prefix(MARKER)?.split_once('\u{1f}')
}

/// PostgreSQL's own refusals of a value (for writes that bypass the save hook): the message
/// a client should see, or None for any other error.
pub fn postgres_refusal(e: &DbErr) -> Option<&'static str> {
    let text = e.to_string();
    if text.contains("value too long for type character varying") {
        Some("A value is longer than its field allows.")
    } else if text.contains("invalid byte sequence for encoding")
        || text.contains("unsupported Unicode escape sequence")
        || text.contains("cannot be converted to text")
    {
        Some("Text must not contain NUL characters.")
    } else {
        None
    }
}

/// Whether any string of a JSON value (keys included) holds a NUL character.
pub fn json_has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(json_has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_round_trip() {
        let e = refused("name", "must be at most 255 characters");
        assert_eq!(as_refused(&e), Some(("name", "must be at most 255 characters")));
        assert_eq!(as_refused(&DbErr::Custom("other".into())), None);
        assert!(json_has_nul(&serde_json::json!({"a": [1, {"b\u{0}": 2}]})));
        assert!(!json_has_nul(&serde_json::json!({"a": ["x"]})));
    }
}
