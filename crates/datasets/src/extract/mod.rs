//! Text from an upload, as Dify's `FileExtractor` gives it for previews: the `rag` crate's
//! extractors (the indexing worker's), documents joined by newlines.

use kernel::{ApiError, Config};
pub use rag::extract::serve_if_child;
use rag::extract::{ExtractError, Extractor, Limits};

use crate::DatasetError;

/// The extraction sandbox as configured (`EXTRACT_*`).
pub fn extractor(config: &Config) -> Extractor {
    let settings = &config.extract;
    let limits = Limits {
        memory_mb: settings.memory_limit_mb,
        timeout: settings.timeout,
        max_text_bytes: settings.max_text_mb.saturating_mul(1024 * 1024),
    };
    Extractor::new(settings.program.clone(), limits, settings.concurrency)
}

/// The text of a file with extension `ext`, pages, sections or rows joined by newlines, read
/// in-process (tests and trusted bytes only: servers use [`extract_text_sandboxed`]).
///
/// A file without text is empty, an unknown type is 415, and a file its parser cannot read
/// is 400 with the parser's reason.
pub fn extract_text(ext: &str, bytes: &[u8]) -> Result<String, DatasetError> {
    answer(rag::extract::extract(&format!("file.{ext}"), bytes))
}

/// [`extract_text`] in the extraction sandbox: a file that breaks a limit is 400 naming it.
pub async fn extract_text_sandboxed(extractor: &Extractor, ext: &str, bytes: Vec<u8>) -> Result<String, DatasetError> {
    answer(extractor.extract(&format!("file.{ext}"), bytes).await)
}

fn answer(docs: Result<Vec<String>, ExtractError>) -> Result<String, DatasetError> {
    match docs {
        Ok(docs) => Ok(docs.join("\n")),
        Err(ExtractError::Empty) => Ok(String::new()),
        Err(ExtractError::Unsupported(_)) => Err(DatasetError::UnsupportedFileType),
        Err(ExtractError::Unavailable(message)) => Err(ApiError::unavailable(message).into()),
        Err(e) => Err(ApiError::value_error(e.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::extract_text;
    use crate::DatasetError;

    #[test]
    fn every_upload_type_goes_through_rag() {
        assert_eq!(extract_text("txt", "hello\nworld".as_bytes()).as_deref(), Ok("hello\nworld"));
        assert_eq!(extract_text("csv", b"name,city\nAda,London\n").as_deref(), Ok("name: Ada\ncity: London"));
        assert_eq!(extract_text("txt", b"  ").as_deref(), Ok(""));
        assert_eq!(extract_text("exe", b"MZ"), Err(DatasetError::UnsupportedFileType));
        assert!(matches!(extract_text("pdf", b"%PDF-1.4 broken"), Err(DatasetError::Common(e)) if e.status == 400));
    }
}
