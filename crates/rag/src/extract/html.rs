//! HTML files as their visible text (Dify: BeautifulSoup's `get_text()`, stripped).

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose text BeautifulSoup does not count as text.
const HIDDEN: [&str; 4] = ["script", "style", "template", "noscript"];

/// The text nodes of the document in order, outside script/style/template, trimmed.
pub(super) fn text(html: &str) -> String {
    let document = Html::parse_document(html);
    let mut out = String::new();
    // Iterative walk: a deeply nested page cannot overflow the stack.
    let mut hidden_depth = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) if hidden_depth > 0 || HIDDEN.contains(&el.name()) => hidden_depth += 1,
                Node::Text(text) if hidden_depth == 0 => out.push_str(text),
                _ => {}
            },
            Edge::Close(node) => {
                if matches!(node.value(), Node::Element(_)) && hidden_depth > 0 {
                    hidden_depth -= 1;
                }
            }
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_only() {
        let html = "<html><head><title>T</title><style>p{color:red}</style><script>var x=1;</script></head>\
                    <body><!-- note --><h1>Head &amp; line</h1>\n<p>Para <b>bold</b></p></body></html>";
        assert_eq!(text(html), "THead & line\nPara bold");
    }

    #[test]
    fn broken_markup_still_gives_text() {
        assert_eq!(text("<div><p>unclosed <span>tags"), "unclosed tags");
        assert_eq!(text(&"<div>".repeat(3_000)), "");
    }
}
