//! PDF files as one text document per page (Dify: pypdfium2, page by page).

use super::{ExtractError, FileKind};

/// The text of each page.
pub(super) fn pages(bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    pdf_extract::extract_text_from_mem_by_pages(bytes).map_err(|e| ExtractError::corrupt(FileKind::Pdf, e))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal one-font PDF with one page per entry, written by hand with a correct xref table.
    pub(crate) fn minimal_pdf(pages: &[&str]) -> Vec<u8> {
        let n = pages.len();
        // Objects: 1 catalog, 2 pages tree, 3 font, then (page, content) pairs.
        let mut objects: Vec<String> = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            format!(
                "<< /Type /Pages /Kids [{}] /Count {n} >>",
                (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect::<Vec<_>>().join(" ")
            ),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
        ];
        for (i, text) in pages.iter().enumerate() {
            let stream = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            ));
            objects.push(format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()));
        }
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).into_bytes());
        }
        let xref = out.len();
        out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
        for off in offsets {
            out.extend(format!("{off:010} 00000 n \n").into_bytes());
        }
        out.extend(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).into_bytes(),
        );
        out
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
