//! Question/answer segments (`doc_form = qa_model`): parsing the LLM's "Q1: … A1: …" output.

use std::sync::LazyLock;

use regex::Regex;

static QUESTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"Q\d+:").expect("constant regex"));
static ANSWER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"A\d+:").expect("constant regex"));
static LINE_BREAK_INDENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n\s*").expect("constant regex"));

/// One generated pair: the question becomes the segment content, the answer its `answer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QaPair {
    pub question: String,
    pub answer: String,
}

/// The pairs in an LLM reply, in order; pairs missing either side are skipped.
///
/// Dify's regex ends an answer at the first capital `Q` or line end, so "We use SQL" became
/// "We use S" and only an answer's first line survived. We end an answer at the next `Qn:`
/// marker instead, and, like Dify, fold line breaks and the indentation after them to `"\n"`.
pub fn parse_qa_pairs(text: &str) -> Vec<QaPair> {
    let starts: Vec<(usize, usize)> = QUESTION.find_iter(text).map(|m| (m.start(), m.end())).collect();
    let mut pairs = Vec::new();
    for (i, &(_, body_start)) in starts.iter().enumerate() {
        let body_end = starts.get(i + 1).map_or(text.len(), |&(next, _)| next);
        let block = &text[body_start..body_end];
        let Some(marker) = ANSWER.find(block) else { continue };
        let question = block[..marker.start()].trim();
        let answer = block[marker.end()..].trim();
        if !question.is_empty() && !answer.is_empty() {
            pairs.push(QaPair {
                question: question.to_owned(),
                answer: LINE_BREAK_INDENT.replace_all(answer, "\n").into_owned(),
            });
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbered_pairs() {
        let reply = "Q1: What is Dify?\nA1: An LLM app platform.\n\nQ2: Which SQL database?\nA2: PostgreSQL,\n   or SQLite.\nQ3: No answer here\nQ4:\nA4: no question";
        assert_eq!(
            parse_qa_pairs(reply),
            vec![
                QaPair { question: "What is Dify?".into(), answer: "An LLM app platform.".into() },
                QaPair { question: "Which SQL database?".into(), answer: "PostgreSQL,\nor SQLite.".into() },
            ]
        );
        assert!(parse_qa_pairs("no pairs at all").is_empty());
        assert_eq!(parse_qa_pairs("Q1: a? A1: b").len(), 1);
    }
}
