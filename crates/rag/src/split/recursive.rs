//! The two character splitters Dify uses, measured by a caller-supplied length (tokens).
//!
//! - `recursive`: LangChain 0.0.250's `RecursiveCharacterTextSplitter` as Dify builds it
//!   (`keep_separator=True`): split on the first separator present, keeping the separator at the
//!   head of the following piece, merge pieces up to the chunk size, recurse into pieces that
//!   are still too long with the remaining separators.
//! - `fixed`: Dify's `FixedRecursiveCharacterTextSplitter` for custom rules: cut on the user's
//!   separator and keep each piece as its own chunk when it fits; only pieces that are too long
//!   are split further, on the first separator present, with the separator dropped between
//!   pieces and put back when they are merged.
//!
//! LangChain 0.0.250 read separators as regular expressions, so Dify's `"."` matched any
//! character: a paragraph over the limit without `"。"` was cut into runs of single characters
//! and packed to the limit, mid-word. We treat separators literally, as LangChain did from
//! 0.0.26x on; `tests/splitter_golden.rs` checks both splitters against the Python classes
//! (with `.` escaped) on random texts.
//!
//! As in LangChain, a merged chunk's size is the sum of its pieces' sizes (plus separators),
//! not the size of the joined text, and every merged chunk is trimmed.

use std::collections::VecDeque;

/// Dify's separators for both modes, most to least preferred; `""` means single characters.
pub const SEPARATORS: [&str; 5] = ["\n\n", "。", ".", " ", ""];

/// A splitter with a chunk size and overlap counted by `len`.
pub struct Splitter<'a> {
    chunk_size: usize,
    overlap: usize,
    len: &'a dyn Fn(&str) -> usize,
}

impl<'a> Splitter<'a> {
    /// A splitter of `chunk_size` (and `overlap`, 0 in Dify) as measured by `len`.
    pub fn new(chunk_size: usize, overlap: usize, len: &'a dyn Fn(&str) -> usize) -> Self {
        Self { chunk_size, overlap: overlap.min(chunk_size), len }
    }

    /// LangChain's recursive splitter over [`SEPARATORS`].
    pub fn recursive(&self, text: &str) -> Vec<String> {
        self.recursive_keeping(text, &SEPARATORS)
    }

    fn recursive_keeping(&self, text: &str, separators: &[&str]) -> Vec<String> {
        let (separator, rest) = match separators.iter().position(|s| s.is_empty() || text.contains(s)) {
            Some(i) if !separators[i].is_empty() => (separators[i], &separators[i + 1..]),
            _ => ("", &[][..]),
        };
        let mut chunks = Vec::new();
        let mut good: Vec<&str> = Vec::new();
        for piece in split_keeping(text, separator) {
            if (self.len)(piece) < self.chunk_size {
                good.push(piece);
                continue;
            }
            if !good.is_empty() {
                chunks.extend(self.merge(&good, ""));
                good.clear();
            }
            if rest.is_empty() {
                chunks.push(piece.to_owned());
            } else {
                chunks.extend(self.recursive_keeping(piece, rest));
            }
        }
        if !good.is_empty() {
            chunks.extend(self.merge(&good, ""));
        }
        chunks
    }

    /// Dify's fixed-separator splitter; an empty `fixed` separator skips the first cut.
    pub fn fixed(&self, text: &str, fixed: &str) -> Vec<String> {
        if fixed.is_empty() {
            return self.recursive_dropping(text);
        }
        let mut chunks = Vec::new();
        for piece in text.split(fixed) {
            if (self.len)(piece) > self.chunk_size {
                chunks.extend(self.recursive_dropping(piece));
            } else {
                chunks.push(piece.to_owned());
            }
        }
        chunks
    }

    fn recursive_dropping(&self, text: &str) -> Vec<String> {
        let separator = SEPARATORS.iter().copied().find(|s| s.is_empty() || text.contains(s)).unwrap_or("");
        let pieces: Vec<&str> =
            if separator.is_empty() { chars(text).collect() } else { text.split(separator).collect() };
        let mut chunks = Vec::new();
        let mut good: Vec<&str> = Vec::new();
        for piece in pieces {
            if (self.len)(piece) < self.chunk_size {
                good.push(piece);
                continue;
            }
            if !good.is_empty() {
                chunks.extend(self.merge(&good, separator));
                good.clear();
            }
            if separator.is_empty() {
                // One character over the limit: nothing left to split on (Dify would recurse forever).
                chunks.push(piece.to_owned());
            } else {
                chunks.extend(self.recursive_dropping(piece));
            }
        }
        if !good.is_empty() {
            chunks.extend(self.merge(&good, separator));
        }
        chunks
    }

    /// LangChain's `_merge_splits`: greedily packs pieces into chunks of at most `chunk_size`,
    /// carrying up to `overlap` of the previous chunk's tail into the next.
    fn merge(&self, pieces: &[&str], separator: &str) -> Vec<String> {
        let sep_len = (self.len)(separator);
        let mut chunks = Vec::new();
        let mut current: VecDeque<(&str, usize)> = VecDeque::new();
        let mut total = 0usize;
        for &piece in pieces {
            let piece_len = (self.len)(piece);
            let joined_len =
                |total: usize, current: &VecDeque<_>| total + piece_len + if current.is_empty() { 0 } else { sep_len };
            if joined_len(total, &current) > self.chunk_size && !current.is_empty() {
                if let Some(chunk) = join(&current, separator) {
                    chunks.push(chunk);
                }
                while total > self.overlap || (joined_len(total, &current) > self.chunk_size && total > 0) {
                    let Some((_, first_len)) = current.pop_front() else { break };
                    total = total.saturating_sub(first_len + if current.is_empty() { 0 } else { sep_len });
                }
            }
            current.push_back((piece, piece_len));
            total += piece_len + if current.len() > 1 { sep_len } else { 0 };
        }
        if let Some(chunk) = join(&current, separator) {
            chunks.push(chunk);
        }
        chunks
    }
}

fn join(pieces: &VecDeque<(&str, usize)>, separator: &str) -> Option<String> {
    let text = pieces.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(separator);
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn chars(text: &str) -> impl Iterator<Item = &str> {
    text.char_indices().map(move |(i, c)| &text[i..i + c.len_utf8()])
}

/// Splits on `separator`, which stays at the head of the piece after it; empty pieces dropped.
fn split_keeping<'t>(text: &'t str, separator: &str) -> Vec<&'t str> {
    if separator.is_empty() {
        return chars(text).collect();
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices(separator) {
        pieces.push(&text[start..at]);
        start = at;
    }
    pieces.push(&text[start..]);
    pieces.retain(|p| !p.is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn char_len(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn split_keeping_puts_separator_on_the_next_piece() {
        assert_eq!(split_keeping("a. b. c", "."), vec!["a", ". b", ". c"]);
        assert_eq!(split_keeping(".a.", "."), vec![".a", "."]);
        assert_eq!(split_keeping("ab", ""), vec!["a", "b"]);
    }

    #[test]
    fn recursive_merges_up_to_the_chunk_size() {
        let len = char_len;
        let s = Splitter::new(10, 0, &len);
        // Paragraphs fit and are merged while they fit; separators stay with the next paragraph.
        assert_eq!(s.recursive("aaa\n\nbbb\n\ncccc"), vec!["aaa\n\nbbb", "cccc"]);
        // A long paragraph falls back to sentences, then words.
        assert_eq!(s.recursive("one two three four five"), vec!["one two", "three", "four five"]);
        // No separator at all: characters.
        assert_eq!(s.recursive("abcdefghijklmnop"), vec!["abcdefghij", "klmnop"]);
    }

    #[test]
    fn recursive_handles_cjk_full_stops() {
        let len = char_len;
        let s = Splitter::new(6, 0, &len);
        assert_eq!(s.recursive("你好世界。今天很好。明天也好"), vec!["你好世界", "。今天很好", "。明天也好"]);
    }

    #[test]
    fn fixed_keeps_each_fitting_piece_as_is() {
        let len = char_len;
        let s = Splitter::new(10, 0, &len);
        // Short lines are not merged together, and keep their surrounding spaces.
        assert_eq!(s.fixed("a\n b \nc", "\n"), vec!["a", " b ", "c"]);
        // A long line is split again, separator dropped and re-inserted when merging.
        assert_eq!(s.fixed("short\nalpha beta gamma delta", "\n"), vec!["short", "alpha beta", "gamma", "delta"]);
        assert_eq!(s.fixed("x y", ""), vec!["x y"]);
    }

    #[test]
    fn overlap_carries_the_tail_over() {
        let len = char_len;
        let s = Splitter::new(7, 3, &len);
        assert_eq!(s.merge(&["aa", "bb", "cc", "dd"], " "), vec!["aa bb", "bb cc", "cc dd"]);
    }

    #[test]
    fn oversized_single_pieces_survive() {
        let len = |s: &str| s.chars().map(|c| if c == 'X' { 100 } else { 1 }).sum::<usize>();
        let s = Splitter::new(5, 0, &len);
        assert_eq!(s.recursive("abXcd"), vec!["ab", "X", "cd"]);
        assert_eq!(s.fixed("abXcd", "|"), vec!["ab", "X", "cd"]);
    }
}
