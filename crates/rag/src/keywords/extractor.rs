//! Keyword extraction as Dify's `JiebaKeywordTableHandler` does it.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use jieba_rs::{Jieba, KeywordExtract, KeywordExtractConfig, TfIdf};
use regex::Regex;

use super::stopwords::STOPWORDS;

/// Keywords kept per segment, and extracted from a query (Dify's default and index setting).
pub const MAX_KEYWORDS_PER_CHUNK: usize = 10;

static SHARED: LazyLock<KeywordExtractor> = LazyLock::new(KeywordExtractor::new);
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").expect("constant regex"));
/// Python jieba's ASCII word characters (`re_han_default` without the Han range)...
static ASCII_RUN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[a-zA-Z0-9+#&._%-]+").expect("constant regex"));
/// ...the dictionary's only ASCII words with punctuation, which its DAG keeps whole...
static DICT_ASCII: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"AT&T|[Cc]#|[Cc]\+\+").expect("constant regex"));
/// ...and how its fallback cuts the rest (`re_skip`).
static ALNUM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[a-zA-Z0-9]+(?:\.\d+)?%?").expect("constant regex"));

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
    /// have several (`"v0.3"` adds `"v0"`), sorted and deduplicated.
    ///
    /// Matches Python jieba's `extract_tags`: ASCII runs are cut the way its HMM fallback cuts
    /// them (`gpt-4` → `gpt`, `-`, `4`; `4.3` stays whole), and equal weights keep the order of
    /// first appearance.
    pub fn extract(&self, text: &str, max_keywords: usize) -> Vec<String> {
        let text = split_ascii_runs(text);
        let mut first_seen: HashMap<&str, usize> = HashMap::new();
        for (i, word) in self.jieba.cut(&text, true).into_iter().enumerate() {
            first_seen.entry(word.word).or_insert(i);
        }
        let mut scored = self.tfidf.extract_keywords(&self.jieba, &text, usize::MAX, Vec::new());
        // Python strips before its length check; jieba-rs would keep a run of two spaces.
        scored.retain(|k| k.keyword.trim().chars().count() >= 2);
        let seen = |k: &str| first_seen.get(k).copied().unwrap_or(usize::MAX);
        scored.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| seen(&a.keyword).cmp(&seen(&b.keyword))));

        let mut out = BTreeSet::new();
        for keyword in scored.into_iter().take(max_keywords).map(|k| k.keyword) {
            let parts: Vec<&str> = WORD.find_iter(&keyword).map(|m| m.as_str()).collect();
            if parts.len() > 1 {
                out.extend(parts.into_iter().filter(|p| !self.stopwords.contains(p)).map(str::to_owned));
            }
            out.insert(keyword);
        }
        out.into_iter().collect()
    }
}

/// Puts spaces inside ASCII runs where Python jieba would cut them.
fn split_ascii_runs(text: &str) -> Cow<'_, str> {
    ASCII_RUN.replace_all(text, |run: &regex::Captures<'_>| {
        let run = &run[0];
        let mut pieces = Vec::new();
        let mut last = 0;
        for word in DICT_ASCII.find_iter(run) {
            skip_cut(&run[last..word.start()], &mut pieces);
            pieces.push(word.as_str());
            last = word.end();
        }
        skip_cut(&run[last..], &mut pieces);
        pieces.join(" ")
    })
}

/// `re_skip.split`: the alphanumeric matches and the text between them, in order.
fn skip_cut<'a>(part: &'a str, pieces: &mut Vec<&'a str>) {
    let mut last = 0;
    for m in ALNUM.find_iter(part) {
        if m.start() > last {
            pieces.push(&part[last..m.start()]);
        }
        pieces.push(m.as_str());
        last = m.end();
    }
    if last < part.len() {
        pieces.push(&part[last..]);
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
