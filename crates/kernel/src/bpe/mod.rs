//! Counting BPE tokens from a compact table. tiktoken-rs's `CoreBPE` keeps each encoding's
//! tokens three times (encoder, decoder, sorted list: about 14 MB for cl100k_base) and a
//! regex per thread slot, but a count needs only the ranks: here every token's bytes sit in
//! one buffer, indexed by rank, with a hash table of ranks beside it (under 2 MB for
//! cl100k_base). The table is read out of tiktoken-rs's own once and that is dropped.
//!
//! The count is tiktoken's `encode_ordinary(text).len()`: the text is split as the
//! encoding's pattern splits it (by a scanner, [`pieces`], in one linear pass where the
//! pattern's backtracking engine gave up on long whitespace runs and tiktoken-rs panics), a
//! piece that is a token counts one, and any other piece is merged pair by pair, the lowest
//! rank first and the leftmost among equals, as tiktoken does. A short piece is merged in an
//! array on the stack; a long one keeps a heap, so it costs O(n log n), never O(n²).
//!
//! Shared by the model runtime (prompt and answer tokens) and the splitter (segment sizes).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use hashbrown::{DefaultHashBuilder, HashTable};
use tiktoken_rs::CoreBPE;

mod pieces;

use pieces::Pattern;

/// cl100k_base (gpt-3.5, gpt-4, text-embedding-ada-002). Loads on first use (blocking).
pub fn cl100k_base() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    // Ranks end below 100,277; the special tokens (`<|endoftext|>`, the FIM and prompt
    // markers) are not ordinary tokens.
    TABLE.get_or_init(|| {
        load(tiktoken_rs::cl100k_base(), 100_277, &[100_257, 100_258, 100_259, 100_260, 100_276], Pattern::Cl100k)
    })
}

/// p50k_base (text-davinci-002/003, code models). Loads on first use (blocking).
pub fn p50k_base() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| load(tiktoken_rs::p50k_base(), 50_281, &[50_256], Pattern::Gpt2))
}

/// r50k_base (GPT-2's BPE). Loads on first use (blocking).
pub fn r50k_base() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| load(tiktoken_rs::r50k_base(), 50_257, &[50_256], Pattern::Gpt2))
}

fn load<E: std::fmt::Debug>(core: Result<CoreBPE, E>, ranks: u32, special: &[u32], pattern: Pattern) -> Table {
    Table::from_core(&core.expect("tiktoken-rs's bundled table loads"), ranks, special, pattern)
}

/// Pieces up to this many bytes are merged by scanning an array, longer ones with a heap.
const SHORT_PIECE: usize = 64;

/// An encoding's tokens and split pattern, for counting.
pub struct Table {
    /// Every token's bytes, in rank order.
    bytes: Vec<u8>,
    /// Rank `r`'s bytes are `bytes[ends[r]..ends[r + 1]]` (`ends[0]` is 0); a rank the
    /// encoding does not have is empty.
    ends: Vec<u32>,
    /// Ranks, hashed by their bytes.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    pattern: Pattern,
}

/// Rank `r`'s bytes.
fn span<'a>(bytes: &'a [u8], ends: &[u32], r: u32) -> &'a [u8] {
    &bytes[ends[r as usize] as usize..ends[r as usize + 1] as usize]
}

impl Table {
    /// The ordinary tokens of `core` (ranks below `ranks`, without `special`), split by
    /// `pattern` (the encoding's own).
    fn from_core(core: &CoreBPE, ranks: u32, special: &[u32], pattern: Pattern) -> Self {
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(ranks as usize + 1);
        ends.push(0);
        for rank in 0..ranks {
            if !special.contains(&rank)
                && let Ok(token) = core.decode_bytes(&[rank])
            {
                bytes.extend_from_slice(&token);
            }
            ends.push(u32::try_from(bytes.len()).expect("a BPE table under 4 GB"));
        }
        bytes.shrink_to_fit();
        let hasher = DefaultHashBuilder::default();
        let mut index = HashTable::with_capacity(ranks as usize);
        for rank in 0..ranks {
            let token = span(&bytes, &ends, rank);
            if !token.is_empty() {
                index.insert_unique(hasher.hash_one(token), rank, |&r| hasher.hash_one(span(&bytes, &ends, r)));
            }
        }
        Self { bytes, ends, index, hasher, pattern }
    }

    fn rank(&self, piece: &[u8]) -> Option<u32> {
        self.index.find(self.hasher.hash_one(piece), |&r| span(&self.bytes, &self.ends, r) == piece).copied()
    }

    /// Tokens in `text` (special-token text counts as ordinary text).
    pub fn count(&self, text: &str) -> usize {
        pieces::pieces(text, self.pattern).map(|piece| self.count_piece(piece.as_bytes())).sum()
    }

    /// [`count_piece`](Self::count_piece) for a piece of at most [`SHORT_PIECE`] bytes: the
    /// parts' starts and their pair's rank in one array on the stack, scanned for the lowest
    /// rank at each merge (tiktoken's own loop). Quadratic, but on a few dozen bytes cheaper
    /// than the heap's allocations, and most pieces of prose are this short.
    fn count_short(&self, piece: &[u8]) -> usize {
        let n = piece.len();
        // parts[i] = (start of part i, rank of part i joined with part i + 1); the last two
        // entries are the end markers.
        let mut parts = [(0u32, u32::MAX); SHORT_PIECE + 1];
        let mut len = n + 1;
        for (i, part) in parts.iter_mut().enumerate().take(len) {
            part.0 = i as u32;
            if i + 2 <= n {
                part.1 = self.rank(&piece[i..i + 2]).unwrap_or(u32::MAX);
            }
        }
        // The rank of parts `i` to `i + 2` as one token: the pair they make once the merge at
        // hand has joined two of them.
        let joined = |parts: &[(u32, u32)], len: usize, i: usize| match i + 3 < len {
            true => self.rank(&piece[parts[i].0 as usize..parts[i + 3].0 as usize]).unwrap_or(u32::MAX),
            false => u32::MAX,
        };
        loop {
            let (i, rank) = parts[..len - 1]
                .iter()
                .enumerate()
                .fold((0, u32::MAX), |best, (i, p)| if p.1 < best.1 { (i, p.1) } else { best });
            if rank == u32::MAX {
                break;
            }
            parts[i].1 = joined(&parts, len, i);
            if i > 0 {
                parts[i - 1].1 = joined(&parts, len, i - 1);
            }
            parts.copy_within(i + 2..len, i + 1);
            len -= 1;
        }
        len - 1
    }

    /// Tokens of one piece of the split: one if it is a token, else what merging leaves.
    fn count_piece(&self, piece: &[u8]) -> usize {
        if piece.len() < 2 || self.rank(piece).is_some() {
            return piece.len().min(1);
        }
        if piece.len() <= SHORT_PIECE {
            return self.count_short(piece);
        }
        let n = piece.len();
        // Parts as a linked list over byte offsets: the part starting at `i` ends at `next[i]`.
        let mut next: Vec<usize> = (1..=n).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut alive = vec![true; n];
        // Candidate merges (rank, left part's start, right part's end); stale once either
        // part has changed.
        let mut heap = BinaryHeap::with_capacity(n);
        let candidate = |heap: &mut BinaryHeap<Reverse<(u32, usize, usize)>>, start: usize, end: usize| {
            if let Some(rank) = self.rank(&piece[start..end]) {
                heap.push(Reverse((rank, start, end)));
            }
        };
        for i in 0..n - 1 {
            candidate(&mut heap, i, i + 2);
        }
        let mut parts = n;
        while let Some(Reverse((_, start, end))) = heap.pop() {
            let right = next[start];
            if !alive[start] || right >= n || next[right] != end {
                continue;
            }
            // The right part joins the left.
            alive[right] = false;
            next[start] = end;
            if end < n {
                prev[end] = start;
            }
            parts -= 1;
            if start > 0 {
                candidate(&mut heap, prev[start], end);
            }
            if end < n {
                candidate(&mut heap, start, next[end]);
            }
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    /// Texts that reach every branch: words found whole, words merged, long runs, digits,
    /// whitespace runs, CJK, emoji, contractions, special-token text and invalid-looking mixes.
    fn corpus() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            "a",
            "Hello, world! How are you doing today?",
            "I'm sure they'll say we've done it; you're right, isn't it?",
            "   leading and trailing spaces   ",
            "tabs\tand\nnew\r\nlines\n\n\n  indented",
            "1234567890 3.14159 1e10 0xdeadbeef",
            "你好，世界！今天天气怎么样？我们去公园散步吧。",
            "こんにちは世界 안녕하세요 Привет мир مرحبا",
            "emoji 🤖🎉👍🏽 and 👨‍👩‍👧‍👦 family",
            "<|endoftext|> is text here, so is <|fim_prefix|>",
            "supercalifragilisticexpialidocious antidisestablishmentarianism",
            "def f(x):\n    return {'a': [1, 2, 3]}  # comment\n",
            "Dify's prompt: {{name}} asks about {{topic}}.",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        texts.push("ab".repeat(3000));
        texts.push("x".repeat(5000));
        texts.push("The quick brown fox ".repeat(200));
        texts.push("zqxj".repeat(700) + "ü" + &" ".repeat(300) + "end");
        // A fixed pseudo-random mix of letters, digits, punctuation and wide characters.
        let alphabet: Vec<char> = "aeiou bcdfg XYZ 0123 .,;!? \n é ß 中 文 🙂 '".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in [10, 100, 1000, 4000] {
            texts.push(random_text(&alphabet, len, &mut state));
        }
        texts
    }

    /// `len` characters of `alphabet`, drawn by a xorshift generator from `state`: the same
    /// texts on every run.
    pub(super) fn random_text(alphabet: &[char], len: usize, state: &mut u64) -> String {
        (0..len)
            .map(|_| {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                alphabet[(*state % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    #[test]
    fn counts_as_tiktoken_encodes() {
        let encodings = [
            ("cl100k_base", super::cl100k_base(), tiktoken_rs::cl100k_base()),
            ("p50k_base", super::p50k_base(), tiktoken_rs::p50k_base()),
            ("r50k_base", super::r50k_base(), tiktoken_rs::r50k_base()),
        ];
        for (name, table, core) in encodings {
            let core = core.expect("tiktoken table");
            for text in corpus() {
                let expected = core.encode_ordinary(&text).len();
                assert_eq!(table.count(&text), expected, "{name} on {:?}", &text[..text.len().min(60)]);
            }
        }
    }

    /// One 1 MB run of letters is one piece of the split: merged with the heap it counts as
    /// tiktoken does (a quadratic merge would not finish within the test run).
    #[test]
    fn a_long_piece_is_merged_whole() {
        let text = "abcdefghij".repeat(100_000);
        let core = tiktoken_rs::cl100k_base().expect("tiktoken table");
        assert_eq!(super::cl100k_base().count(&text), core.encode_ordinary(&text).len());
    }

    /// A megabyte of spaces (or tabs) between two letters, beyond the pattern's backtracking
    /// limit (tiktoken-rs panics on it), is split as the pattern means in one pass: the letter,
    /// the run but its last character, and that character with the letter after it.
    #[test]
    fn a_whitespace_run_beyond_the_patterns_backtracking_limit_is_counted_exactly() {
        for (table, space) in [(super::cl100k_base(), " "), (super::r50k_base(), "\t")] {
            let run = space.repeat(1_000_000 - 1);
            let text = format!("a{run}{space}b");
            let last = format!("{space}b");
            assert_eq!(table.count(&text), table.count("a") + table.count(&run) + table.count(&last));
            assert!(table.count(&run) > 1000, "a run of a million is many tokens");
        }
    }
}
