//! Process rules (`dataset_process_rules.mode` / `.rules`): how a document is cleaned and split.

use serde::Deserialize;

/// Largest and smallest custom segment length Dify accepts, in tokens.
pub const MAX_SEGMENT_TOKENS: usize = 1000;
pub const MIN_SEGMENT_TOKENS: usize = 50;

/// Errors in a stored or submitted process rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("Custom segment length should be between 50 and 1000.")]
    SegmentLength,
    #[error("Process rule mode is invalid.")]
    Mode,
    #[error("Process rule is not valid JSON: {0}")]
    Json(String),
}

/// The cleaning switches (`pre_processing_rules`); `remove_stopwords` is accepted by Dify but does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PreProcessing {
    pub remove_extra_spaces: bool,
    pub remove_urls_emails: bool,
}

/// How text is cut into segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segmentation {
    /// Dify's `automatic` mode: LangChain's recursive splitter, 1000 tokens.
    Automatic,
    /// `custom` mode: cut on `separator` first, then recursively down to `max_tokens`.
    Custom { separator: String, max_tokens: usize },
}

/// A parsed process rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRule {
    pub pre_processing: PreProcessing,
    pub segmentation: Segmentation,
}

impl ProcessRule {
    /// `DatasetProcessRule.AUTOMATIC_RULES`: extra spaces removed, URLs kept, 1000 tokens.
    pub fn automatic() -> Self {
        Self {
            pre_processing: PreProcessing { remove_extra_spaces: true, remove_urls_emails: false },
            segmentation: Segmentation::Automatic,
        }
    }

    /// Parses a stored rule (`mode`, `rules` JSON text). Automatic mode ignores the JSON, as Dify does.
    pub fn from_stored(mode: &str, rules: Option<&str>) -> Result<Self, RuleError> {
        match mode {
            "automatic" => Ok(Self::automatic()),
            "custom" => {
                let raw: RawRules = match rules {
                    Some(text) if !text.trim().is_empty() => {
                        serde_json::from_str(text).map_err(|e| RuleError::Json(e.to_string()))?
                    }
                    _ => RawRules::default(),
                };
                raw.into_custom()
            }
            _ => Err(RuleError::Mode),
        }
    }

    /// Parses a custom rule given as a JSON value (the `rules` object of a request).
    pub fn custom_from_json(rules: &serde_json::Value) -> Result<Self, RuleError> {
        let raw: RawRules = serde_json::from_value(rules.clone()).map_err(|e| RuleError::Json(e.to_string()))?;
        raw.into_custom()
    }

    /// The segment length, for dynamic-k retrieval: custom max_tokens, else 1000.
    pub fn max_tokens(&self) -> usize {
        match &self.segmentation {
            Segmentation::Automatic => MAX_SEGMENT_TOKENS,
            Segmentation::Custom { max_tokens, .. } => *max_tokens,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawRules {
    #[serde(default)]
    pre_processing_rules: Vec<RawPreRule>,
    segmentation: Option<RawSegmentation>,
}

#[derive(Debug, Deserialize)]
struct RawPreRule {
    id: String,
    #[serde(default)]
    enabled: bool,
}

#[derive(Debug, Deserialize)]
struct RawSegmentation {
    #[serde(default)]
    separator: Option<String>,
    max_tokens: i64,
}

impl RawRules {
    fn into_custom(self) -> Result<ProcessRule, RuleError> {
        let mut pre = PreProcessing::default();
        for rule in &self.pre_processing_rules {
            match rule.id.as_str() {
                "remove_extra_spaces" => pre.remove_extra_spaces = rule.enabled,
                "remove_urls_emails" => pre.remove_urls_emails = rule.enabled,
                _ => {}
            }
        }
        // A custom rule without segmentation cannot be split; Dify fails with a KeyError there.
        let seg = self.segmentation.ok_or(RuleError::SegmentLength)?;
        let max_tokens = usize::try_from(seg.max_tokens).map_err(|_| RuleError::SegmentLength)?;
        if !(MIN_SEGMENT_TOKENS..=MAX_SEGMENT_TOKENS).contains(&max_tokens) {
            return Err(RuleError::SegmentLength);
        }
        // Users type "\n" as two characters in the console.
        let separator = seg.separator.unwrap_or_default().replace("\\n", "\n");
        Ok(ProcessRule { pre_processing: pre, segmentation: Segmentation::Custom { separator, max_tokens } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_ignores_rules() {
        let rule = ProcessRule::from_stored("automatic", Some("{broken")).expect("valid rule");
        assert_eq!(rule, ProcessRule::automatic());
        assert!(rule.pre_processing.remove_extra_spaces);
        assert!(!rule.pre_processing.remove_urls_emails);
        assert_eq!(rule.max_tokens(), 1000);
    }

    #[test]
    fn custom_rule_parses_and_unescapes_separator() {
        let json = r#"{"pre_processing_rules":[{"id":"remove_extra_spaces","enabled":false},
            {"id":"remove_urls_emails","enabled":true},{"id":"remove_stopwords","enabled":true}],
            "segmentation":{"separator":"\\n\\n","max_tokens":500}}"#;
        let rule = ProcessRule::from_stored("custom", Some(json)).expect("valid rule");
        assert_eq!(rule.pre_processing, PreProcessing { remove_extra_spaces: false, remove_urls_emails: true });
        assert_eq!(rule.segmentation, Segmentation::Custom { separator: "\n\n".into(), max_tokens: 500 });
        assert_eq!(rule.max_tokens(), 500);
    }

    #[test]
    fn custom_length_is_bounded() {
        for n in [0, 49, 1001, -5] {
            let v = serde_json::json!({"segmentation": {"separator": "\n", "max_tokens": n}});
            assert_eq!(ProcessRule::custom_from_json(&v), Err(RuleError::SegmentLength), "{n}");
        }
        let v = serde_json::json!({"segmentation": {"separator": "\n", "max_tokens": 50}});
        assert!(ProcessRule::custom_from_json(&v).is_ok());
        assert_eq!(RuleError::SegmentLength.to_string(), "Custom segment length should be between 50 and 1000.");
    }

    #[test]
    fn bad_mode_and_json() {
        assert_eq!(ProcessRule::from_stored("fancy", None), Err(RuleError::Mode));
        assert!(matches!(ProcessRule::from_stored("custom", Some("{")), Err(RuleError::Json(_))));
        assert_eq!(ProcessRule::from_stored("custom", None), Err(RuleError::SegmentLength));
    }
}
