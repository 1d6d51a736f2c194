//! Text cleaning: the sanitising every extracted text gets, and the process rule's switches.

use std::sync::LazyLock;

use regex::Regex;

use crate::rules::PreProcessing;

static EXTRA_NEWLINES: LazyLock<Regex> = LazyLock::new(|| compiled(r"\n{3,}"));
// Tab, form feed, CR, space, NBSP and the other Unicode spaces — not newlines.
static EXTRA_SPACES: LazyLock<Regex> =
    LazyLock::new(|| compiled(r"[\t\x0C\r \u{00a0}\u{1680}\u{180e}\u{2000}-\u{200a}\u{202f}\u{205f}\u{3000}]{2,}"));
static EMAILS: LazyLock<Regex> = LazyLock::new(|| compiled(r"[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+"));
static URLS: LazyLock<Regex> = LazyLock::new(|| compiled(r"https?://\S+"));

fn compiled(pattern: &str) -> Regex {
    // The patterns are constants covered by the tests below; failing here is a programming error.
    Regex::new(pattern).expect("constant regex")
}

/// Dify's `filter_string`, applied to every extracted text before cleaning.
///
/// `<|` and `|>` are defused so no text can spell a tokenizer special token such as
/// `<|endoftext|>`; C0 controls other than tab, LF and CR, DEL and the C1 controls are dropped.
/// Dify's pattern `[\x80-\xFF]` also deletes Latin-1 letters (é, ü, ß, NBSP); we remove only the
/// C1 control range U+0080–U+009F so accented text survives.
pub fn sanitize(text: &str) -> String {
    let defused = text.replace("<|", "<").replace("|>", ">");
    defused.chars().filter(|&c| !is_invalid_char(c)).collect()
}

fn is_invalid_char(c: char) -> bool {
    matches!(c, '\u{00}'..='\u{08}' | '\u{0B}' | '\u{0C}' | '\u{0E}'..='\u{1F}' | '\u{7F}'..='\u{9F}')
}

/// Applies the process rule's pre-processing switches (`_document_clean`).
pub fn apply(text: &str, rules: &PreProcessing) -> String {
    let mut text = text.to_owned();
    if rules.remove_extra_spaces {
        text = EXTRA_NEWLINES.replace_all(&text, "\n\n").into_owned();
        text = EXTRA_SPACES.replace_all(&text, " ").into_owned();
    }
    if rules.remove_urls_emails {
        // Emails first, so the URL rule cannot leave half an address behind.
        text = EMAILS.replace_all(&text, "").into_owned();
        text = URLS.replace_all(&text, "").into_owned();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_defuses_special_tokens_and_controls() {
        assert_eq!(sanitize("a<|endoftext|>b"), "a<endoftext>b");
        assert_eq!(sanitize("x\u{0}\u{7}y\u{b}\u{c}z\u{1b}\u{7f}\u{85}!"), "xyz!");
        assert_eq!(sanitize("keep\ttabs\nand\r\nlines"), "keep\ttabs\nand\r\nlines");
        assert_eq!(sanitize("café über straße ©"), "café über straße ©");
        assert_eq!(sanitize("中文 テキスト"), "中文 テキスト");
    }

    #[test]
    fn extra_spaces() {
        let rules = PreProcessing { remove_extra_spaces: true, remove_urls_emails: false };
        assert_eq!(apply("a\n\n\n\nb\n\nc", &rules), "a\n\nb\n\nc");
        assert_eq!(apply("a  b\t\tc \u{3000}d e", &rules), "a b c d e");
        // Single spaces and newline runs of two are left alone.
        assert_eq!(apply("a b\n\nc", &rules), "a b\n\nc");
        assert_eq!(apply("a  b", &PreProcessing::default()), "a  b");
    }

    #[test]
    fn urls_and_emails() {
        let rules = PreProcessing { remove_extra_spaces: false, remove_urls_emails: true };
        assert_eq!(
            apply("mail me: jo.doe+x@example.co.uk or see https://x.org/a?b=1 and http://y.z now", &rules),
            "mail me:  or see  and  now"
        );
        assert_eq!(apply("no links here", &rules), "no links here");
    }
}
