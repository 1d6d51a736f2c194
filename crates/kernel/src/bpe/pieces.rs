//! The encodings' split patterns as scanners. tiktoken splits a text with a regular
//! expression before merging; its patterns need a look-ahead (`\s+(?!\S)`), so they ran on
//! `fancy_regex`'s backtracking engine, which took a scratch space from a pool shared by every
//! thread for each piece: splitting cost more than merging. The same pieces come out of one
//! pass over the characters here, with each alternative of the pattern tried in its order at
//! each position (the test compares both on random texts).
//!
//! The patterns, as tiktoken-rs writes them:
//! - GPT-2's (r50k_base, p50k_base):
//!   `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
//! - cl100k_base's: `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
//!   ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`

use unicode_general_category::{GeneralCategory as G, get_general_category};

/// Which encoding's split pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Gpt2,
    Cl100k,
}

/// The classes the patterns tell apart: `\p{L}`, `\p{N}`, `\s`, and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Space,
    Other,
}

fn class(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' | 'A'..='Z' => Class::Letter,
            '0'..='9' => Class::Number,
            '\t'..='\r' | ' ' => Class::Space,
            _ => Class::Other,
        };
    }
    // `\s` is Unicode's White_Space, as `char::is_whitespace`; no such character is a
    // letter or a number.
    if c.is_whitespace() {
        return Class::Space;
    }
    match get_general_category(c) {
        G::UppercaseLetter | G::LowercaseLetter | G::TitlecaseLetter | G::ModifierLetter | G::OtherLetter => {
            Class::Letter
        }
        G::DecimalNumber | G::LetterNumber | G::OtherNumber => Class::Number,
        _ => Class::Other,
    }
}

/// The pieces of `text` under `pattern`, in order; together they are the whole text.
pub fn pieces(text: &str, pattern: Pattern) -> impl Iterator<Item = &str> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let c = text[at..].chars().next()?;
        let end = match pattern {
            Pattern::Gpt2 => gpt2_end(text, at, c),
            Pattern::Cl100k => cl100k_end(text, at, c),
        };
        let piece = &text[at..end];
        at = end;
        Some(piece)
    })
}

fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|rest| rest.chars().next())
}

/// The end of the longest run of characters of `class` starting at `at`.
fn run_of(text: &str, at: usize, class_: Class) -> usize {
    run_while(text, at, |c| class(c) == class_)
}

fn run_while(text: &str, at: usize, mut keep: impl FnMut(char) -> bool) -> usize {
    text[at..].char_indices().find(|&(_, c)| !keep(c)).map_or(text.len(), |(i, _)| at + i)
}

/// `'s`, `'d`, `'m`, `'t`, `'ll`, `'ve`, `'re` at `at` (an apostrophe): the contraction's end.
fn contraction_end(text: &str, at: usize, any_case: bool) -> Option<usize> {
    let rest = &text[at + 1..];
    let fold = |c: char| match (any_case, c) {
        // Unicode's simple case folding, as `(?i)` applies it: ſ is an s.
        (true, 'ſ') => 's',
        (true, c) => c.to_ascii_lowercase(),
        (false, c) => c,
    };
    let mut letters = rest.chars();
    let first = letters.next()?;
    if matches!(fold(first), 's' | 'd' | 'm' | 't') {
        return Some(at + 1 + first.len_utf8());
    }
    let second = letters.next()?;
    // Both ASCII when they match (only an s folds from a wider character).
    matches!((fold(first), fold(second)), ('l', 'l') | ('v', 'e') | ('r', 'e')).then_some(at + 3)
}

/// GPT-2's pattern at `at`, whose character is `c`.
fn gpt2_end(text: &str, at: usize, c: char) -> usize {
    if c == '\''
        && let Some(end) = contraction_end(text, at, false)
    {
        return end;
    }
    // ` ?\p{L}++`, ` ?\p{N}++`, ` ?[^\s\p{L}\p{N}]++`: a space joins the run after it.
    let after = at + c.len_utf8();
    let (start, kind) = match char_at(text, after).map(class) {
        Some(next) if c == ' ' && next != Class::Space => (after, next),
        _ => (at, class(c)),
    };
    match kind {
        Class::Space => whitespace_end(text, at, false),
        kind => run_of(text, start, kind),
    }
}

/// cl100k_base's pattern at `at`, whose character is `c`.
fn cl100k_end(text: &str, at: usize, c: char) -> usize {
    if c == '\''
        && let Some(end) = contraction_end(text, at, true)
    {
        return end;
    }
    let kind = class(c);
    let after = at + c.len_utf8();
    let next = char_at(text, after).map(class);
    // `[^\r\n\p{L}\p{N}]?+\p{L}++`: letters, with one character before them that is none of those.
    if kind == Class::Letter {
        return run_of(text, at, Class::Letter);
    }
    if kind != Class::Number && c != '\r' && c != '\n' && next == Some(Class::Letter) {
        return run_of(text, after, Class::Letter);
    }
    // `\p{N}{1,3}+`
    if kind == Class::Number {
        let mut digits = 0;
        return run_while(text, at, |c| {
            digits += 1;
            digits <= 3 && class(c) == Class::Number
        });
    }
    // ` ?[^\s\p{L}\p{N}]++[\r\n]*+`
    let start = match (kind, next) {
        (Class::Other, _) => Some(at),
        (_, Some(Class::Other)) if c == ' ' => Some(after),
        _ => None,
    };
    if let Some(start) = start {
        let end = run_of(text, start, Class::Other);
        return run_while(text, end, |c| c == '\r' || c == '\n');
    }
    whitespace_end(text, at, true)
}

/// The patterns' tail at a whitespace character: `\s++$`, then (cl100k_base's)
/// `\s*[\r\n]`, then `\s+(?!\S)`, then `\s`.
fn whitespace_end(text: &str, at: usize, line_breaks: bool) -> usize {
    let end = run_of(text, at, Class::Space);
    if end == text.len() {
        return end;
    }
    let run = &text[at..end];
    if line_breaks && let Some(last) = run.rfind(['\r', '\n']) {
        return at + last + 1;
    }
    // All but the last: the look-ahead leaves it to the piece after it (a run of one is `\s`).
    let last = run.chars().next_back().map_or(0, char::len_utf8);
    if end - last > at { end - last } else { end }
}

#[cfg(test)]
mod tests {
    use super::{Pattern, pieces};
    use crate::bpe::tests::random_text;

    /// tiktoken-rs's patterns, run by `fancy_regex`: what the scanners must agree with.
    const CL100K: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";
    const GPT2: &str = r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s";

    fn by_regex<'t>(re: &fancy_regex::Regex, text: &'t str) -> Vec<&'t str> {
        re.find_iter(text).map(|m| m.expect("within the backtracking limit").as_str()).collect()
    }

    /// Characters of every class and every edge of the patterns: letters of several scripts
    /// (and a combining mark, which is not one), numbers of each kind, each kind of
    /// whitespace, the contractions' letters in both cases and the long s, punctuation,
    /// symbols and joiners.
    const ALPHABET: &str =
        "aZsStTdDmMlLvVeErRſ'’ 0٣Ⅻ²\t\n\r\u{0b}\u{0c}\u{85}\u{a0}\u{2028}\u{3000} é中ßЖ\u{301}.,!?-_()🙂\u{200d}$";

    /// A few characters of each class, for long runs and every pair of neighbours.
    const DENSE: &str = "a1 '\n\r.sL\t٣";

    #[test]
    fn the_scanners_split_as_the_patterns_do() {
        compare(ALPHABET, 24, 40_000);
        compare(DENSE, 40, 20_000);
    }

    /// `count` texts of up to `longest` characters drawn from `alphabet` by a fixed generator.
    fn compare(alphabet: &str, longest: usize, count: usize) {
        let alphabet: Vec<char> = alphabet.chars().collect();
        let patterns =
            [(Pattern::Cl100k, fancy_regex::Regex::new(CL100K)), (Pattern::Gpt2, fancy_regex::Regex::new(GPT2))];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for n in 0..count {
            let len = n % longest;
            let text = random_text(&alphabet, len, &mut state);
            for (pattern, re) in &patterns {
                let re = re.as_ref().expect("the pattern compiles");
                let ours: Vec<&str> = pieces(&text, *pattern).collect();
                assert_eq!(ours, by_regex(re, &text), "{pattern:?} on {text:?}");
            }
        }
    }

    #[test]
    fn prose_code_and_runs_split_as_the_patterns_do() {
        let texts = [
            "I'm sure they'll say we've done it; you're right, isn't it? 'TIS 'Ll",
            "   leading and trailing spaces   ",
            "tabs\tand\nnew\r\nlines\n\n\n  indented \n \r\n x",
            "1234567890 3.14159 1e10 0xdeadbeef",
            "def f(x):\n    return {'a': [1, 2, 3]}  # comment\n",
            "你好，世界！こんにちは 안녕하세요 Привет мир مرحبا",
            "emoji 🤖🎉👍🏽 and 👨‍👩‍👧‍👦 family",
        ];
        for (pattern, source) in [(Pattern::Cl100k, CL100K), (Pattern::Gpt2, GPT2)] {
            let re = fancy_regex::Regex::new(source).expect("the pattern compiles");
            for text in texts {
                assert_eq!(pieces(text, pattern).collect::<Vec<_>>(), by_regex(&re, text), "{pattern:?} on {text:?}");
            }
        }
    }
}
