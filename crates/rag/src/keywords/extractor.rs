//! Keyword extraction as Dify's `JiebaKeywordTableHandler` does it.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use jieba_rs::{Jieba, KeywordExtract, KeywordExtractConfig, TfIdf};
use regex::Regex;

use super::stopwords::STOPWORDS;

/// Keywords kept per segment, and extracted from a query (Dify's default and index setting).
pub const MAX_KEYWORDS_PER_CHUNK: usize = 10;

static SHARED: LazyLock<KeywordExtractor> = LazyLock::new(KeywordExtractor::new);
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").expect("constant regex"));

/// jieba with its bundled dictionary and IDF table, and Dify's stop words.
pub struct KeywordExtractor {
    jieba: Jieba,
    tfidf: TfIdf,
    stopwords: HashSet<&'static str>,
}

impl std::fmt::Debug for KeywordExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordExtractor").finish_non_exhaustive()
    }
}

impl Default for KeywordExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl KeywordExtractor {
    /// Loads the dictionaries (about a second in debug builds); prefer [`KeywordExtractor::shared`].
    pub fn new() -> Self {
        let config = KeywordExtractConfig::builder()
            .set_stop_words(STOPWORDS.iter().map(|w| (*w).to_owned()).collect())
            // Python jieba's `extract_tags` segments with the HMM for unknown words.
            .use_hmm(true)
            .build();
        let mut tfidf = TfIdf::default();
        *tfidf.config_mut() = config;
        Self { jieba: Jieba::new(), tfidf, stopwords: STOPWORDS.iter().copied().collect() }
    }

    /// One process-wide extractor, loaded on first use (blocking).
    pub fn shared() -> &'static Self {
        &SHARED
    }

    /// The top `max_keywords` TF-IDF keywords of `text`, plus the word parts of keywords that
    /// have several (`"gpt-4"` adds `"gpt"` and `"4"`), sorted and deduplicated.
    pub fn extract(&self, text: &str, max_keywords: usize) -> Vec<String> {
        // A few spare candidates cover the whitespace tokens jieba-rs counts and Python drops.
        let candidates = self.tfidf.extract_keywords(&self.jieba, text, max_keywords + 5, Vec::new());
        let keywords =
            candidates.into_iter().map(|k| k.keyword).filter(|k| k.trim().chars().count() >= 2).take(max_keywords);
        let mut out = BTreeSet::new();
        for keyword in keywords {
            let parts: Vec<&str> = WORD.find_iter(&keyword).map(|m| m.as_str()).collect();
            if parts.len() > 1 {
                out.extend(parts.into_iter().filter(|p| !self.stopwords.contains(p)).map(str::to_owned));
            }
            out.insert(keyword);
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_keywords() {
        let text = "今天纽约的天气真好啊，京华大酒店的张尧经理吃了一只北京烤鸭。后天纽约的天气不好，昨天纽约的天气也不好，北京烤鸭真好吃";
        let keywords = KeywordExtractor::shared().extract(text, 3);
        assert_eq!(keywords, vec!["北京烤鸭", "天气", "纽约"]);
    }

    #[test]
    fn english_keywords_skip_stop_words_and_expand_parts() {
        let text = "The retrieval pipeline embeds every segment. The retrieval pipeline uses gpt-4 and gpt-4 again.";
        let keywords = KeywordExtractor::shared().extract(text, 10);
        assert!(keywords.contains(&"retrieval".to_owned()), "{keywords:?}");
        assert!(keywords.contains(&"pipeline".to_owned()), "{keywords:?}");
        for stop in ["the", "The", "and", "again", "4"] {
            assert!(!keywords.contains(&stop.to_owned()), "{stop} in {keywords:?}");
        }
        assert!(keywords.contains(&"gpt".to_owned()), "{keywords:?}");
        assert!(KeywordExtractor::shared().extract("", 10).is_empty());
        assert!(KeywordExtractor::shared().extract(text, 2).len() <= 2 + 4);
    }
}
