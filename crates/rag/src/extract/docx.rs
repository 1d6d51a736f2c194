//! Word (.docx) files as text, the way `docx2txt` reads them.
//!
//! Headers, then the body, then footers; each paragraph starts with a blank line, `w:tab` is a
//! tab and `w:br`/`w:cr` a line break; the result is trimmed.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use zip::ZipArchive;

use super::{ExtractError, FileKind, MAX_ZIP_ENTRY_BYTES};

const BODY: &str = "word/document.xml";

/// The text of a .docx file.
pub(super) fn text(bytes: &[u8]) -> Result<String, ExtractError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(format!("not a zip archive ({e})")))?;
    // Parts in archive order, as docx2txt reads them.
    let ordered: Vec<(usize, String)> = (0..archive.len())
        .filter_map(|i| match archive.name_for_index(i) {
            Some(Ok(name)) => Some((i, name.into_owned())),
            _ => None,
        })
        .collect();
    if !ordered.iter().any(|(_, n)| n == BODY) {
        return Err(corrupt(format!("{BODY} is missing")));
    }
    let part = |prefix: &str, name: &str| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(".xml"))
            .is_some_and(|digits| digits.chars().all(|c| c.is_ascii_digit()))
    };
    let mut parts: Vec<usize> = ordered.iter().filter(|(_, n)| part("word/header", n)).map(|(i, _)| *i).collect();
    parts.extend(ordered.iter().filter(|(_, n)| n == BODY).map(|(i, _)| *i));
    parts.extend(ordered.iter().filter(|(_, n)| part("word/footer", n)).map(|(i, _)| *i));

    let mut out = String::new();
    for index in parts {
        let xml = read_entry(&mut archive, index)?;
        xml_text(&xml, &mut out)?;
    }
    Ok(out.trim().to_owned())
}

fn read_entry(archive: &mut ZipArchive<Cursor<&[u8]>>, index: usize) -> Result<String, ExtractError> {
    let entry = archive.by_index(index).map_err(|e| corrupt(format!("unreadable part ({e})")))?;
    let mut buf = Vec::new();
    entry.take(MAX_ZIP_ENTRY_BYTES + 1).read_to_end(&mut buf).map_err(|e| match e.kind() {
        // The reader's buffer could not grow under the sandbox's memory limit.
        std::io::ErrorKind::OutOfMemory => ExtractError::TooLarge { kind: FileKind::Docx.label() },
        _ => corrupt(format!("unreadable part ({e})")),
    })?;
    if buf.len() as u64 > MAX_ZIP_ENTRY_BYTES {
        return Err(ExtractError::TooLarge { kind: FileKind::Docx.label() });
    }
    String::from_utf8(buf).map_err(|_| corrupt("a part is not UTF-8 XML"))
}

/// Appends the text of one WordprocessingML part.
fn xml_text(xml: &str, out: &mut String) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut in_text = false;
    loop {
        match reader.read_event().map_err(|e| corrupt(format!("bad XML ({e})")))? {
            Event::Start(e) => match e.name().as_ref() {
                "w:t" => in_text = true,
                other => structural(other, out),
            },
            Event::Empty(e) => structural(e.name().as_ref(), out),
            Event::End(e) if e.name().as_ref() == "w:t" => in_text = false,
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else if let Some(s) = resolve_predefined_entity(&r.xml10_content()) {
                    out.push_str(s);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn structural(name: &str, out: &mut String) {
    match name {
        "w:p" => out.push_str("\n\n"),
        "w:tab" => out.push('\t'),
        "w:br" | "w:cr" => out.push('\n'),
        _ => {}
    }
}

fn corrupt(reason: impl std::fmt::Display) -> ExtractError {
    ExtractError::corrupt(FileKind::Docx, reason)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    /// A .docx with the given parts (name, XML), deflate-compressed.
    pub(crate) fn zip_of(parts: &[(&str, String)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            zip.start_file(*name, options).expect("start");
            zip.write_all(body.as_bytes()).expect("write");
        }
        zip.finish().expect("finish").into_inner()
    }

    fn paragraphs(ps: &[&str]) -> String {
        let body: String =
            ps.iter().map(|p| format!("<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>")).collect();
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document {W}><w:body>{body}</w:body></w:document>")
    }

    #[test]
    fn paragraphs_tabs_breaks_and_entities() {
        let doc = format!(
            "<w:document {W}><w:body><w:p><w:r><w:t>Fish &amp; chips</w:t><w:tab/><w:t>&#169;</w:t></w:r></w:p>\
             <w:p/><w:p><w:r><w:t>line</w:t><w:br/><w:t>next</w:t></w:r></w:p></w:body></w:document>"
        );
        let bytes = zip_of(&[("[Content_Types].xml", "<Types/>".into()), (BODY, doc)]);
        assert_eq!(text(&bytes).expect("docx"), "Fish & chips\t©\n\n\n\nline\nnext");
    }

    #[test]
    fn headers_body_footers_in_order() {
        let bytes = zip_of(&[
            ("word/footer1.xml", paragraphs(&["Footer"])),
            (BODY, paragraphs(&["Body one", "Body two"])),
            ("word/header1.xml", paragraphs(&["Header"])),
            ("word/headerless.xml", paragraphs(&["ignored"])),
        ]);
        assert_eq!(text(&bytes).expect("docx"), "Header\n\nBody one\n\nBody two\n\nFooter");
    }

    #[test]
    fn not_a_word_file() {
        let bytes = zip_of(&[("hello.txt", "hi".into())]);
        assert!(matches!(text(&bytes), Err(ExtractError::Corrupt { .. })));
        let bad_xml = zip_of(&[(BODY, "<w:document><w:body><w:p></w:body>".into())]);
        assert!(matches!(text(&bad_xml), Err(ExtractError::Corrupt { .. })));
    }
}
