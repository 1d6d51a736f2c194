//! Text from an upload, as Dify's `FileExtractor` gives it for previews and indexing.
//!
//! Text, Markdown, HTML and CSV are handled here. PDF, DOCX and XLSX need real parsers, which
//! live in the `rag` crate's extractors; until they are wired in through this function those
//! types answer Dify's 415 `unsupported_file_type`.

mod csv;
mod html;
mod markdown;

use kernel::ApiError;

use crate::upload::unsupported_file_type;

/// The text of a file with extension `ext` (lowercase), pages or rows joined by newlines.
pub fn extract_text(ext: &str, bytes: &[u8]) -> Result<String, ApiError> {
    let text = || -> Result<&str, ApiError> {
        let s = std::str::from_utf8(bytes).map_err(|_| unsupported_file_type())?;
        Ok(s.strip_prefix('\u{feff}').unwrap_or(s))
    };
    match ext {
        "txt" => Ok(text()?.to_string()),
        "md" | "markdown" => Ok(markdown::to_text(text()?)),
        "html" | "htm" => Ok(html::to_text(text()?)),
        "csv" => Ok(csv::to_text(text()?)),
        // The seam for the rag crate's PDF, DOCX and XLSX extractors.
        "pdf" | "docx" | "xlsx" => Err(unsupported_file_type()),
        _ => Err(unsupported_file_type()),
    }
}

#[cfg(test)]
mod tests {
    use super::extract_text;

    #[test]
    fn text_types_are_extracted_and_binary_types_wait_for_rag() {
        assert_eq!(extract_text("txt", "\u{feff}hello\nworld".as_bytes()).as_deref(), Ok("hello\nworld"));
        assert_eq!(extract_text("pdf", b"%PDF-1.4").map_err(|e| e.status), Err(415));
        assert_eq!(extract_text("txt", b"\xff\xfe").map_err(|e| e.status), Err(415));
    }
}
