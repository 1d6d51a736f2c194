//! Markdown files as header sections (Dify's `MarkdownLoader`).
//!
//! Links keep their text, `![[...]]` embeds are dropped, and the file is cut before every
//! ATX heading (`#`, `##`, ...). A section becomes `"\n\n{heading}\n{body}"`, with the `#`s
//! removed from the heading and HTML tags from the body. Two deliberate differences from Dify:
//! text before the first heading is kept (Dify loses it), and a file without headings keeps its
//! line breaks (Dify deletes every newline, gluing lines together).

use std::sync::LazyLock;

use regex::Regex;

static LINK: LazyLock<Regex> = LazyLock::new(|| compiled(r"\[(.*?)\]\((.*?)\)"));
static EMBED: LazyLock<Regex> = LazyLock::new(|| compiled(r"!\[\[(.*)\]\]"));
static HEADING: LazyLock<Regex> = LazyLock::new(|| compiled(r"^#+\s"));
static TAG: LazyLock<Regex> = LazyLock::new(|| compiled(r"<.*?>"));

fn compiled(pattern: &str) -> Regex {
    // Constant patterns, exercised by the tests.
    Regex::new(pattern).expect("constant regex")
}

/// The sections of a markdown text.
pub(super) fn sections(markdown: &str) -> Vec<String> {
    let content = LINK.replace_all(markdown, "$1");
    let content = EMBED.replace_all(&content, "");

    let mut sections: Vec<(Option<&str>, String)> = vec![(None, String::new())];
    for line in content.split('\n') {
        if HEADING.is_match(line) {
            sections.push((Some(line), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let has_headings = sections.len() > 1;
    sections
        .into_iter()
        .filter_map(|(heading, body)| match heading {
            Some(heading) => {
                let title = heading.replace('#', "");
                Some(format!("\n\n{}\n{}", title.trim(), TAG.replace_all(&body, "").trim()))
            }
            // The preamble: only worth a document when it has text.
            None if has_headings => {
                let body = TAG.replace_all(&body, "");
                (!body.trim().is_empty()).then(|| body.trim().to_owned())
            }
            None => Some(body.trim().to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_headings() {
        let md = "intro line\n# Title\nSee [the docs](http://x.y) now.\n\n## Part <b>two</b>\n<i>body</i> text\n";
        assert_eq!(sections(md), vec!["intro line", "\n\nTitle\nSee the docs now.", "\n\nPart <b>two</b>\nbody text"]);
    }

    #[test]
    fn without_headings_keeps_lines() {
        assert_eq!(sections("a\nb\n![[img.png]]\n"), vec!["a\nb"]);
        // "#tag" is not a heading: it needs a space after the hashes.
        assert_eq!(sections("#tag\ntext"), vec!["#tag\ntext"]);
    }
}
