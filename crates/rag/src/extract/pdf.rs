//! PDF files as one text document per page (Dify: pypdfium2, page by page).

use super::{ExtractError, FileKind};

/// The text of each page.
pub(super) fn pages(bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    pdf_extract::extract_text_from_mem_by_pages(bytes).map_err(|e| ExtractError::corrupt(FileKind::Pdf, e))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal one-font PDF with one page per entry.
    pub(crate) fn minimal_pdf(pages: &[&str]) -> Vec<u8> {
        test_support::files::pdf(pages)
    }

    #[test]
    fn reads_each_page() {
        let pdf = minimal_pdf(&["Hello PDF world", "Second page here"]);
        let pages = pages(&pdf).expect("valid pdf");
        assert_eq!(pages.len(), 2);
        assert!(pages[0].contains("Hello PDF world"), "{pages:?}");
        assert!(pages[1].contains("Second page here"), "{pages:?}");
    }

    #[test]
    fn through_the_dispatcher() {
        let docs = crate::extract::extract("doc.pdf", &minimal_pdf(&["Only page"])).expect("valid pdf");
        assert!(docs[0].contains("Only page"));
    }
}
