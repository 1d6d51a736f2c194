//! The small part of Jinja that Dify's prompts use: `{{ variable }}` substitution.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

static VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\s*(\w+)\s*\}\}").unwrap_or_else(|e| panic!("variable regex: {e}")));
static BRACED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{(\w+)\}\}").unwrap_or_else(|e| panic!("braced regex: {e}")));
static SPECIAL_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<\|.*?\|>").unwrap_or_else(|e| panic!("special token regex: {e}")));

/// Renders `template` with `vars`; a variable that is not given renders empty, as in Jinja.
pub fn render(template: &str, vars: &Map<String, Value>) -> String {
    VARIABLE
        .replace_all(template, |caps: &regex::Captures<'_>| match vars.get(&caps[1]) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        })
        .into_owned()
}

/// Renders a template with one variable.
pub fn render_one(template: &str, name: &str, value: &str) -> String {
    let mut vars = Map::new();
    vars.insert(name.to_owned(), Value::from(value));
    render(template, &vars)
}

/// Dify's `PromptBuilder.process_template`: `{{x}}` in user text becomes `{x}`, so a query or
/// an answer can never be read as a template variable later.
pub fn neutralize(text: &str) -> String {
    BRACED.replace_all(text, "{$1}").into_owned()
}

/// Removes `<|...|>` control sequences (model special tokens) from a prompt.
pub fn strip_special_tokens(prompt: &str) -> String {
    SPECIAL_TOKEN.replace_all(prompt, "").into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renders_given_variables_and_blanks_the_rest() {
        let vars = json!({"a": "x", "n": 3}).as_object().cloned().unwrap_or_default();
        assert_eq!(render("{{a}}-{{ n }}-{{missing}}-{a}", &vars), "x-3--{a}");
    }

    #[test]
    fn neutralizes_and_strips() {
        assert_eq!(neutralize("say {{name}} and {{ spaced }}"), "say {name} and {{ spaced }}");
        assert_eq!(strip_special_tokens("a<|endoftext|>b<|im_start|>"), "ab");
    }
}
