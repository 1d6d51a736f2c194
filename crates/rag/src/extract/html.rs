//! HTML files as their visible text (Dify: BeautifulSoup's `get_text()`, stripped).
//!
//! Only html5ever's tokenizer runs, not its tree builder: text is the concatenation of the
//! character tokens outside `script`, `style` and `template`, which is what `get_text()`
//! yields, in time linear in the input. (Tree building is quadratic on deeply nested markup:
//! 50,000 nested `<div>`s took minutes.)

use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

/// The visible text of an HTML document, trimmed.
pub(super) fn text(html: &str) -> String {
    let tokenizer = Tokenizer::new(TextSink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The sink never asks to pause for a script, so one feed consumes the whole input.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.out.take().trim().to_owned()
}

#[derive(Default)]
struct TextSink {
    out: RefCell<String>,
    /// Inside `<script>` or `<style>`, whose raw content is never text.
    in_raw_hidden: Cell<bool>,
    /// Open `<template>` elements.
    templates: Cell<usize>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::CharacterTokens(text) if !self.in_raw_hidden.get() && self.templates.get() == 0 => {
                self.out.borrow_mut().push_str(&text);
            }
            Token::TagToken(tag) => match (tag.kind, &*tag.name) {
                (TagKind::StartTag, "script") => {
                    self.in_raw_hidden.set(true);
                    return TokenSinkResult::RawData(RawKind::ScriptData);
                }
                (TagKind::StartTag, "style") => {
                    self.in_raw_hidden.set(true);
                    return TokenSinkResult::RawData(RawKind::Rawtext);
                }
                (TagKind::EndTag, "script" | "style") => self.in_raw_hidden.set(false),
                (TagKind::StartTag, "template") => self.templates.set(self.templates.get() + 1),
                (TagKind::EndTag, "template") => self.templates.set(self.templates.get().saturating_sub(1)),
                _ => {}
            },
            _ => {}
        }
        TokenSinkResult::Continue
    }

    // Makes the tokenizer read `<![CDATA[...]]>` as text, as Python's parser does, instead of a comment.
    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_only() {
        let html = "<html><head><title>T &lt;1&gt;</title><style>p{color:red}</style><script>if (a<b) x='</p>';</script></head>\
                    <body><!-- note --><h1>Head &amp; line</h1>\n<p>Para <b>bold</b></p><template><p>hidden</p></template>\
                    <noscript>Enable JS</noscript></body></html>";
        assert_eq!(text(html), "T <1>Head & line\nPara boldEnable JS");
    }

    #[test]
    fn broken_markup_still_gives_text() {
        assert_eq!(text("<div><p>unclosed <span>tags"), "unclosed tags");
        assert_eq!(text("<p>a < b &zzz; c &copy</p>"), "a < b &zzz; c ©");
        assert_eq!(text(&format!("{}deep{}", "<div>".repeat(200_000), "</div>".repeat(10))), "deep");
        assert_eq!(text("<script>never closed"), "");
    }

    #[test]
    fn agrees_with_beautifulsoup() {
        // Outputs of bs4 4.12.2 `BeautifulSoup(html, "html.parser").get_text().strip()`.
        let cases = [
            (
                "<table><tr><td>a</td><td>b</td></tr></table>\r\n<ul><li>one</li><li>two</li></ul><br/>x&nbsp;y",
                "ab\nonetwox\u{a0}y",
            ),
            ("<?xml version='1.0'?><p>pi</p><![CDATA[cdata]]>", "picdata"),
            ("<textarea><b>raw</b></textarea><title>x<i>y</i></title>", "rawxy"),
        ];
        for (html, expected) in cases {
            assert_eq!(text(html), expected, "{html}");
        }
    }
}
