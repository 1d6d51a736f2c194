//! Markdown as Dify's `MarkdownLoader` reads it: links reduced to their text, then one section
//! per heading (`\n\n<heading>\n<text>`), inline HTML tags dropped.

use std::sync::LazyLock;

use regex::Regex;

static LINK: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\[(.*?)\]\((.*?)\)").ok());
static WIKI_IMAGE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"!\[\[(.*)\]\]").ok());
static TAG: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"<.*?>").ok());

fn replace(re: &LazyLock<Option<Regex>>, text: &str, with: &str) -> String {
    match re.as_ref() {
        Some(re) => re.replace_all(text, with).into_owned(),
        None => text.to_string(),
    }
}

fn is_heading(line: &str) -> bool {
    let hashes = line.len() - line.trim_start_matches('#').len();
    hashes > 0 && line[hashes..].starts_with(char::is_whitespace)
}

/// The text of a Markdown document. Unlike Dify, text before the first heading is kept and a
/// document without headings keeps its line breaks (Dify dropped the one and joined the other).
pub fn to_text(md: &str) -> String {
    let md = replace(&WIKI_IMAGE, &replace(&LINK, md, "$1"), "");
    let mut sections: Vec<(Option<String>, String)> = Vec::new();
    let mut heading: Option<String> = None;
    let mut body = String::new();
    for line in md.split('\n') {
        if is_heading(line) {
            if heading.is_some() || !body.trim().is_empty() {
                sections.push((heading.take(), std::mem::take(&mut body)));
            }
            heading = Some(line.replace('#', "").trim().to_string());
            body.clear();
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    sections.push((heading, body));
    let has_headings = sections.iter().any(|(h, _)| h.is_some());
    sections
        .into_iter()
        .map(|(h, body)| {
            let body = if has_headings { replace(&TAG, &body, "") } else { body };
            match h {
                Some(h) => format!("\n\n{h}\n{}", body.trim()),
                None => body.trim().to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn sections_per_heading_links_as_text() {
        let md = "intro\n# Title\nSee [the docs](http://x.y) <b>now</b>.\n## Next\nmore\n";
        assert_eq!(to_text(md), "intro\n\n\nTitle\nSee the docs now.\n\n\nNext\nmore");
        assert_eq!(to_text("plain\ntext\n"), "plain\ntext");
        assert_eq!(to_text("#hashtag is not a heading"), "#hashtag is not a heading");
    }
}
