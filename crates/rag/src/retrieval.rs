//! Pure parts of dataset retrieval: how many segments to fetch, and how they reach the prompt.

use crate::rules::MAX_SEGMENT_TOKENS;

/// Segments fetched when nothing better is known.
pub const DEFAULT_K: usize = 2;
/// Most segments ever fetched for one query.
pub const MAX_K: usize = 10;
/// Segments returned by hit testing.
pub const HIT_TESTING_K: usize = 10;
/// Share of the remaining context window dataset context may take.
const CONTEXT_SHARE: f64 = 0.3;

/// Dify's dynamic k (`_dynamic_calc_retrieve_k`).
///
/// `rest_tokens` is the model's context size minus `max_tokens` and the prompt without context
/// (`None` for a model without a known limit); `segment_max_tokens` is the dataset's latest
/// process rule's segment length (see [`segment_max_tokens`]), `None` without a rule.
pub fn dynamic_k(rest_tokens: Option<usize>, segment_max_tokens: Option<usize>) -> usize {
    let (Some(rest), Some(segment)) = (rest_tokens, segment_max_tokens) else { return DEFAULT_K };
    let segment = segment.max(1);
    if rest < segment * DEFAULT_K {
        return rest / segment;
    }
    let context_limit = (rest as f64 * CONTEXT_SHARE).floor() as usize;
    if context_limit <= segment * DEFAULT_K {
        return DEFAULT_K;
    }
    (context_limit / segment).min(MAX_K)
}

/// The segment length of a stored process rule, read as loosely as Dify reads it: automatic is
/// 1000, custom is whatever `segmentation.max_tokens` says; `None` when that cannot be read.
pub fn segment_max_tokens(mode: &str, rules: Option<&str>) -> Option<usize> {
    if mode != "custom" {
        return Some(MAX_SEGMENT_TOKENS);
    }
    let rules: serde_json::Value = serde_json::from_str(rules?).ok()?;
    rules.get("segmentation")?.get("max_tokens")?.as_u64().map(|n| n as usize)
}

/// The dataset tool's output: segments in retrieval order joined by `"\n"`, QA segments as
/// `question:<q> answer:<a>`.
pub fn render_context<'a>(segments: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    segments
        .into_iter()
        .map(|(content, answer)| match answer {
            Some(answer) if !answer.is_empty() => format!("question:{content} answer:{answer}"),
            _ => content.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_k_follows_dify() {
        assert_eq!(dynamic_k(None, Some(1000)), DEFAULT_K);
        assert_eq!(dynamic_k(Some(5000), None), DEFAULT_K);
        // Less room than two segments: as many as fit, possibly none.
        assert_eq!(dynamic_k(Some(1500), Some(1000)), 1);
        assert_eq!(dynamic_k(Some(999), Some(1000)), 0);
        // 30% of the room is at most two segments.
        assert_eq!(dynamic_k(Some(6000), Some(1000)), DEFAULT_K);
        // Room to spare: more, capped at ten.
        assert_eq!(dynamic_k(Some(12_000), Some(1000)), 3);
        assert_eq!(dynamic_k(Some(120_000), Some(500)), MAX_K);
    }

    #[test]
    fn segment_lengths_from_stored_rules() {
        assert_eq!(segment_max_tokens("automatic", None), Some(1000));
        let rules = r#"{"segmentation":{"separator":"\n","max_tokens":300}}"#;
        assert_eq!(segment_max_tokens("custom", Some(rules)), Some(300));
        assert_eq!(segment_max_tokens("custom", None), None);
        assert_eq!(segment_max_tokens("custom", Some("{}")), None);
    }

    #[test]
    fn context_rendering() {
        let rendered = render_context([("plain", None), ("Why?", Some("Because.")), ("empty answer", Some(""))]);
        assert_eq!(rendered, "plain\nquestion:Why? answer:Because.\nempty answer");
    }
}
