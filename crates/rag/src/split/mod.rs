//! Cleaning and splitting extracted documents into segments (`IndexingRunner._split_to_documents`).

mod recursive;

use sha2::{Digest, Sha256};

pub use recursive::{SEPARATORS, Splitter};

use crate::clean;
use crate::rules::{MAX_SEGMENT_TOKENS, ProcessRule, Segmentation};

/// One segment-to-be: what becomes a `document_segments` row and an index node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The index node id (`document_segments.index_node_id`), a fresh UUID v4.
    pub doc_id: String,
    pub content: String,
    /// Characters in `content`: Dify's `word_count` is Python's `len()`.
    pub word_count: usize,
    /// Tokens as the dataset's embedding model counts them; 0 for economy datasets.
    pub tokens: usize,
    /// [`text_hash`] of `content` (`index_node_hash`).
    pub doc_hash: String,
}

/// Dify's `helper.generate_text_hash`: hex SHA-256 of the text followed by `"None"`.
///
/// Also the key of the embeddings cache.
pub fn text_hash(text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    hasher.update(b"None");
    hex::encode(hasher.finalize())
}

/// Tokens as the splitter measures them: GPT-2's BPE (r50k_base), LangChain's
/// `from_tiktoken_encoder` default, counted from the compact table (`kernel::bpe`), which
/// counts in linear time a text where tiktoken-rs's pattern gave up and it panicked. Loads the
/// table on first use (blocking).
pub fn splitter_tokens(text: &str) -> usize {
    if text.is_empty() {
        return 0;
    }
    kernel::bpe::r50k_base().count(text)
}

/// Splits one cleaned text by the rule's segmentation; chunks may be blank (callers drop them).
pub fn split_text(text: &str, segmentation: &Segmentation) -> Vec<String> {
    let len = splitter_tokens;
    match segmentation {
        Segmentation::Automatic => Splitter::new(MAX_SEGMENT_TOKENS, 0, &len).recursive(text),
        Segmentation::Custom { separator, max_tokens } => Splitter::new(*max_tokens, 0, &len).fixed(text, separator),
    }
}

/// Cleans each document with the rule, splits it, and turns the non-blank pieces into chunks.
///
/// `docs` are the extracted texts after [`clean::sanitize`]; each is split on its own, so a
/// chunk never spans two PDF pages or two spreadsheet rows. `count_tokens` is the embedding
/// model's counter (pass `|_| 0` for economy datasets). CPU-bound: run it off the async threads.
pub fn split_documents(docs: &[String], rule: &ProcessRule, count_tokens: &dyn Fn(&str) -> usize) -> Vec<Chunk> {
    docs.iter()
        .flat_map(|doc| {
            let cleaned = clean::apply(doc, &rule.pre_processing);
            split_text(&cleaned, &rule.segmentation)
        })
        .filter(|content| !content.trim().is_empty())
        .map(|content| Chunk {
            // Time-ordered (v7), so a batch's rows land together at the end of the indexes
            // keyed by node id (keywords, segments) instead of on pages all over them.
            doc_id: uuid::Uuid::now_v7().to_string(),
            word_count: content.chars().count(),
            tokens: count_tokens(&content),
            doc_hash: text_hash(&content),
            content,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::PreProcessing;

    #[test]
    fn hash_matches_dify() {
        // hashlib.sha256(("hello" + "None").encode()).hexdigest()
        assert_eq!(text_hash("hello"), "c0a2ae6e305366764fa6ba9ff8811afa22429dff0be3e5ad30e2ee9e738efcee");
        assert_eq!(text_hash(""), hex::encode(Sha256::digest(b"None")));
        assert_eq!(text_hash("hello"), hex::encode(Sha256::digest(b"helloNone")));
    }

    #[test]
    fn gpt2_token_counts() {
        assert_eq!(splitter_tokens(""), 0);
        assert_eq!(splitter_tokens("hello world"), 2);
        // Special-token text is ordinary text, never an error.
        assert!(splitter_tokens("<|endoftext|>") > 1);
    }

    #[test]
    fn automatic_mode_keeps_small_documents_whole_and_cleans_them() {
        let docs = vec!["Title\n\n\n\nFirst   paragraph.\n\nSecond paragraph.".to_owned(), "  \n ".to_owned()];
        let chunks = split_documents(&docs, &ProcessRule::automatic(), &|s: &str| s.len());
        assert_eq!(chunks.len(), 1);
        let c = &chunks[0];
        assert_eq!(c.content, "Title\n\nFirst paragraph.\n\nSecond paragraph.");
        assert_eq!(c.word_count, c.content.chars().count());
        assert_eq!(c.tokens, c.content.len());
        assert_eq!(c.doc_hash, text_hash(&c.content));
        assert!(uuid::Uuid::parse_str(&c.doc_id).is_ok());
    }

    #[test]
    fn automatic_mode_cuts_at_1000_tokens() {
        let sentence = "The quick brown fox jumps over the lazy dog. ";
        let text = sentence.repeat(400); // ~4000 tokens
        let chunks = split_documents(&[text], &ProcessRule::automatic(), &|_| 0);
        assert!(chunks.len() >= 4, "{}", chunks.len());
        for c in &chunks {
            assert!(splitter_tokens(&c.content) <= 1000 + 10, "{}", splitter_tokens(&c.content));
            assert_eq!(c.content.trim(), c.content);
        }
    }

    #[test]
    fn custom_mode_cuts_on_the_separator_each_piece_alone() {
        let rule = ProcessRule {
            pre_processing: PreProcessing { remove_extra_spaces: false, remove_urls_emails: true },
            segmentation: Segmentation::Custom { separator: "\n".into(), max_tokens: 50 },
        };
        let long_line = "word ".repeat(120);
        let text = format!("first line see https://example.com\n\nsecond line\n{long_line}");
        let chunks = split_documents(&[text], &rule, &|_| 0);
        assert_eq!(chunks[0].content, "first line see ");
        assert_eq!(chunks[1].content, "second line");
        // The 120-word line becomes ~50-token chunks; the blank line between is dropped.
        assert!(chunks.len() >= 4);
        assert!(chunks[2..].iter().all(|c| splitter_tokens(&c.content) <= 50));
        let ids: std::collections::HashSet<_> = chunks.iter().map(|c| &c.doc_id).collect();
        assert_eq!(ids.len(), chunks.len());
    }
}
