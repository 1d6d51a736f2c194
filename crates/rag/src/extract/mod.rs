//! Text from uploaded files, by extension, as Dify's `FileExtractor` reads them.
//!
//! A file becomes a list of text documents, each split on its own later: one per PDF page, per
//! markdown section, per CSV or spreadsheet row, and a single one for the other formats.
//! Hostile bytes give an [`ExtractError`], never a panic: every parser runs behind
//! `catch_unwind`, zip entries are read with a size cap, spreadsheets are read cell by cell
//! (never as a dense grid), and servers read files through [`Extractor`], which parses in a
//! child process under memory, time and output limits.

mod docx;
mod html;
mod markdown;
mod pdf;
mod sandbox;
mod sheet;
mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use sandbox::{CHILD_ARG, Extractor, Limits, serve_if_child};

/// Extensions accepted for dataset documents (`ALLOWED_EXTENSIONS` in Dify's file service).
pub const SUPPORTED_EXTENSIONS: [&str; 9] = ["txt", "markdown", "md", "pdf", "html", "htm", "xlsx", "docx", "csv"];

/// Largest decompressed XML part read from a DOCX archive; guards against zip bombs.
const MAX_ZIP_ENTRY_BYTES: u64 = 256 * 1024 * 1024;

/// Largest declared decompressed size of a DOCX or XLSX archive.
const MAX_ARCHIVE_BYTES: u64 = 1024 * 1024 * 1024;

/// A file format we can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Text,
    Markdown,
    Pdf,
    Html,
    Docx,
    Csv,
    Xlsx,
}

impl FileKind {
    /// The kind for an extension (without the dot, any case).
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension.to_ascii_lowercase().as_str() {
            "txt" => Some(Self::Text),
            "md" | "markdown" => Some(Self::Markdown),
            "pdf" => Some(Self::Pdf),
            "html" | "htm" => Some(Self::Html),
            "docx" => Some(Self::Docx),
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The kind for a file name or storage key, by its last extension.
    pub fn from_file_name(name: &str) -> Option<Self> {
        Self::from_extension(extension_of(name))
    }

    /// A short human name, used in error messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Markdown => "Markdown",
            Self::Pdf => "PDF",
            Self::Html => "HTML",
            Self::Docx => "DOCX",
            Self::Csv => "CSV",
            Self::Xlsx => "XLSX",
        }
    }

    /// The extension this kind is read by.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Text => "txt",
            Self::Markdown => "md",
            Self::Pdf => "pdf",
            Self::Html => "html",
            Self::Docx => "docx",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// Why a file gave no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("Unsupported file type \"{0}\"; supported types are txt, markdown, md, pdf, html, htm, xlsx, docx, csv.")]
    Unsupported(String),
    #[error("The {kind} file is corrupt or could not be read: {reason}")]
    Corrupt { kind: &'static str, reason: String },
    #[error("The {kind} file is too large once decompressed.")]
    TooLarge { kind: &'static str },
    #[error("No text could be extracted from the file.")]
    Empty,
    /// A limit of the extraction process was broken, or the process failed; the message
    /// says which.
    #[error("{0}")]
    Failed(String),
    /// The extraction process could not run (not the file's fault): try again later.
    #[error("{0}")]
    Unavailable(String),
}

impl ExtractError {
    fn corrupt(kind: FileKind, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt { kind: kind.label(), reason: reason.to_string() }
    }
}

/// Extracts the text documents of a file, choosing the parser by the name's extension.
///
/// CPU-bound, blocking and unbounded in memory: servers use [`Extractor`] instead.
pub fn extract(file_name: &str, bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    let kind = FileKind::from_file_name(file_name)
        .ok_or_else(|| ExtractError::Unsupported(extension_of(file_name).to_ascii_lowercase()))?;
    extract_kind(kind, bytes)
}

/// Extracts the text documents of a file of a known kind.
pub fn extract_kind(kind: FileKind, bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    if matches!(kind, FileKind::Docx | FileKind::Xlsx) {
        check_archive_size(kind, bytes, MAX_ARCHIVE_BYTES)?;
    }
    let parsed = catch_unwind(AssertUnwindSafe(|| match kind {
        FileKind::Text => Ok(vec![text::decode(bytes)]),
        FileKind::Markdown => Ok(markdown::sections(&text::decode(bytes))),
        FileKind::Html => Ok(vec![html::text(&text::decode(bytes))]),
        FileKind::Pdf => pdf::pages(bytes),
        FileKind::Docx => docx::text(bytes).map(|t| vec![t]),
        FileKind::Csv => sheet::csv_rows(&text::decode(bytes)),
        FileKind::Xlsx => sheet::xlsx_rows(bytes),
    }));
    let docs = match parsed {
        Ok(result) => result?,
        Err(panic) => return Err(ExtractError::corrupt(kind, panic_message(panic.as_ref()))),
    };
    if docs.iter().all(|d| d.trim().is_empty()) {
        return Err(ExtractError::Empty);
    }
    Ok(docs)
}

/// The whole text of a file, documents joined by `"\n"` (Dify's `return_text=True`, for previews).
pub fn extract_text(file_name: &str, bytes: &[u8]) -> Result<String, ExtractError> {
    extract(file_name, bytes).map(|docs| docs.join("\n"))
}

/// How Dify joins PDF pages into the text it caches (and, once cached, indexes as one document).
pub const PDF_PAGE_JOINER: &str = "\n\n";

/// The storage key of Dify's cached PDF text: `upload_files/<tenant>/<file hash>.0625.plaintext`.
///
/// Dify's estimate step writes it and later loads return that single joined text instead of
/// one document per page, so a console upload is split across page boundaries while a first
/// read (the service API) is split page by page. Callers that cache choose the same way.
pub fn pdf_text_cache_key(tenant_id: &str, file_hash: &str) -> String {
    format!("upload_files/{tenant_id}/{file_hash}.0625.plaintext")
}

/// The document's `word_count`: characters of the extracted text, before sanitising (as Dify counts).
pub fn word_count(docs: &[String]) -> usize {
    docs.iter().map(|d| d.chars().count()).sum()
}

/// Entries this large that inflate more than [`BOMB_RATIO`] times are refused unread.
const BOMB_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// Office XML compresses 10–20 times; a large part far beyond that is a zip bomb.
const BOMB_RATIO: u64 = 100;

/// Rejects an archive whose entries declare more than `limit` bytes in all, or a large entry
/// that inflates like a bomb, before a parser inflates anything. Entries sized only after
/// their data escape this; docx reads are capped too, and the sandbox is the guarantee.
fn check_archive_size(kind: FileKind, bytes: &[u8], limit: u64) -> Result<(), ExtractError> {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(()); // Not a zip: the parser says so in its own words.
    };
    let too_large = || Err(ExtractError::TooLarge { kind: kind.label() });
    if archive.decompressed_size().is_some_and(|total| total > u128::from(limit)) {
        return too_large();
    }
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else { continue };
        if entry.size() > BOMB_ENTRY_BYTES && entry.size() / entry.compressed_size().max(1) > BOMB_RATIO {
            return too_large();
        }
    }
    Ok(())
}

fn extension_of(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rfind('.') {
        Some(i) if i + 1 < base.len() => &base[i + 1..],
        _ => "",
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown error".into());
    format!("parser failed ({detail})")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
    pub(crate) fn noise(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn kinds_by_extension() {
        assert_eq!(FileKind::from_file_name("a/b/Report.PDF"), Some(FileKind::Pdf));
        assert_eq!(FileKind::from_file_name("notes.markdown"), Some(FileKind::Markdown));
        assert_eq!(FileKind::from_file_name("x.tar.htm"), Some(FileKind::Html));
        assert_eq!(FileKind::from_file_name("README"), None);
        for ext in SUPPORTED_EXTENSIONS {
            assert!(FileKind::from_extension(ext).is_some(), "{ext}");
        }
    }

    #[test]
    fn unsupported_and_empty() {
        assert_eq!(extract("virus.exe", b"MZ"), Err(ExtractError::Unsupported("exe".into())));
        assert_eq!(extract("noext", b"hi"), Err(ExtractError::Unsupported(String::new())));
        assert_eq!(extract("blank.txt", b"  \n\t "), Err(ExtractError::Empty));
        assert!(ExtractError::Unsupported("exe".into()).to_string().contains("\"exe\""));
    }

    #[test]
    fn text_files() {
        assert_eq!(extract("a.txt", "héllo\nwörld".as_bytes()), Ok(vec!["héllo\nwörld".to_owned()]));
        assert_eq!(extract_text("a.txt", b"one"), Ok("one".to_owned()));
        assert_eq!(pdf_text_cache_key("t", "h"), "upload_files/t/h.0625.plaintext");
        assert_eq!(word_count(&["héllo".to_owned(), "中文".to_owned()]), 7);
    }

    #[test]
    fn hostile_bytes_are_errors_not_panics() {
        for (i, name) in ["x.pdf", "x.docx", "x.xlsx"].into_iter().enumerate() {
            for seed in 1..6u64 {
                let bytes = noise(4096, seed * 7919 + i as u64);
                let result = extract(name, &bytes);
                assert!(
                    matches!(result, Err(ExtractError::Corrupt { .. }) | Err(ExtractError::Empty)),
                    "{name}: {result:?}"
                );
            }
            // Truncated or empty files too.
            assert!(extract(name, b"").is_err());
            assert!(extract(name, b"PK\x03\x04garbage").is_err());
            assert!(extract(name, b"%PDF-1.4\n1 0 obj <<").is_err());
        }
    }

    #[test]
    fn archives_declaring_too_much_are_refused() {
        let bytes = docx::tests::zip_of(&[("word/document.xml", "x".repeat(10_000))]);
        assert_eq!(check_archive_size(FileKind::Docx, &bytes, 9_999), Err(ExtractError::TooLarge { kind: "DOCX" }));
        assert_eq!(check_archive_size(FileKind::Docx, &bytes, 10_000), Ok(()));
        assert_eq!(check_archive_size(FileKind::Xlsx, b"not a zip", 1), Ok(()));
        // A 200 MB part that deflates to half a megabyte: refused before anything inflates it.
        let bomb = test_support::hostile::docx_zip_bomb(200 << 20);
        assert_eq!(
            check_archive_size(FileKind::Docx, &bomb, MAX_ARCHIVE_BYTES),
            Err(ExtractError::TooLarge { kind: "DOCX" })
        );
    }
}
