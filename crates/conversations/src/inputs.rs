//! An app's input form applied to the `inputs` a caller sends, as Dify's `get_cleaned_inputs`.

use kernel::ApiError;
use serde_json::{Map, Value};

/// The inputs the form declares, each checked and filled: missing optional ones get the form's
/// default (or ""), unknown keys are dropped, NUL characters are stripped.
pub fn clean(form: &[Value], inputs: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for item in form {
        let Some((kind, field)) = item.as_object().and_then(|o| o.iter().next()) else { continue };
        let Some(variable) = field.get("variable").and_then(Value::as_str) else { continue };
        let value = inputs.get(variable).filter(|v| !is_empty(v));
        let Some(value) = value else {
            if field.get("required").and_then(Value::as_bool).unwrap_or(false) {
                return Err(ApiError::value_error(format!("{variable} is required in input form")));
            }
            out.insert(variable.to_owned(), field.get("default").cloned().unwrap_or_else(|| Value::from("")));
            continue;
        };
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(ApiError::value_error(format!("{variable} in input form must be a string"))),
        };
        if kind == "select" {
            let options: Vec<&str> = field
                .get("options")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !options.contains(&text.as_str()) {
                return Err(ApiError::value_error(format!(
                    "{variable} in input form must be one of the following: {}",
                    py_list(&options)
                )));
            }
        } else if let Some(max) = field.get("max_length").and_then(Value::as_u64)
            && text.chars().count() as u64 > max
        {
            return Err(ApiError::value_error(format!("{variable} in input form must be less than {max} characters")));
        }
        out.insert(variable.to_owned(), Value::String(text.replace('\0', "")));
    }
    Ok(out)
}

/// Python's falsiness for an input value (`not value`).
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
    }
}

/// A list of strings as Python prints it: `['a', 'b']`.
fn py_list(items: &[&str]) -> String {
    let quoted: Vec<String> =
        items.iter().map(|s| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form() -> Vec<Value> {
        json!([
            {"text-input": {"label": "Name", "variable": "name", "required": true, "max_length": 5}},
            {"select": {"label": "Lang", "variable": "lang", "options": ["fr", "de"], "default": "fr"}},
            {"paragraph": {"label": "Notes", "variable": "notes"}}
        ])
        .as_array()
        .cloned()
        .unwrap_or_default()
    }

    fn inputs(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fills_defaults_drops_unknown_and_strips_nul() {
        let out = clean(&form(), &inputs(json!({"name": "A\u{0}b", "extra": "x"}))).expect("valid");
        assert_eq!(Value::Object(out), json!({"name": "Ab", "lang": "fr", "notes": ""}));
    }

    #[test]
    fn names_the_variable_that_breaks_the_form() {
        let cases = [
            (json!({}), "name is required in input form"),
            (json!({"name": ""}), "name is required in input form"),
            (json!({"name": "toolong"}), "name in input form must be less than 5 characters"),
            (json!({"name": "ok", "lang": "es"}), "lang in input form must be one of the following: ['fr', 'de']"),
            (json!({"name": {"a": 1}}), "name in input form must be a string"),
        ];
        for (given, message) in cases {
            let e = clean(&form(), &inputs(given.clone())).expect_err(&given.to_string());
            assert_eq!((e.status, e.code.as_ref(), e.message.as_str()), (400, "invalid_param", message));
        }
    }
}
