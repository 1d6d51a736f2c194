//! The entry names of a zip archive, read from its central directory only: enough to tell a
//! DOCX from an XLSX from any other zip without unpacking anything.

const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const CENTRAL_SIG: &[u8; 4] = b"PK\x01\x02";
/// The end record is 22 bytes plus a comment of at most 65 535.
const EOCD_MAX_SEARCH: usize = 22 + 65_535;
/// More entries than any office document has; a larger count is refused, not walked.
const MAX_ENTRIES: usize = 100_000;

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2).map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4).and_then(|s| usize::try_from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok())
}

/// The names in the archive's central directory, or `None` when `bytes` is not a readable
/// zip (no end record, a directory outside the file, a truncated entry).
pub fn entry_names(bytes: &[u8]) -> Option<Vec<String>> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let search_from = bytes.len().saturating_sub(EOCD_MAX_SEARCH);
    let eocd = (search_from..bytes.len().saturating_sub(21)).rev().find(|&i| bytes[i..].starts_with(EOCD_SIG))?;
    let count = u16_at(bytes, eocd + 10)?;
    let dir_offset = u32_at(bytes, eocd + 16)?;
    if count > MAX_ENTRIES {
        return None;
    }
    let mut names = Vec::with_capacity(count);
    let mut at = dir_offset;
    for _ in 0..count {
        if !bytes.get(at..)?.starts_with(CENTRAL_SIG) {
            return None;
        }
        let name_len = u16_at(bytes, at + 28)?;
        let extra_len = u16_at(bytes, at + 30)?;
        let comment_len = u16_at(bytes, at + 32)?;
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::entry_names;

    /// A stored (uncompressed) zip holding `entries`, as a test fixture.
    pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            let header = |sig: &[u8; 4], central: bool| {
                let mut h = sig.to_vec();
                if central {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                h.extend_from_slice(&20u16.to_le_bytes()); // version needed
                h.extend_from_slice(&0u16.to_le_bytes()); // flags
                h.extend_from_slice(&0u16.to_le_bytes()); // stored
                h.extend_from_slice(&0u32.to_le_bytes()); // time, date
                h.extend_from_slice(&0u32.to_le_bytes()); // crc (not checked here)
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes()); // extra
                if central {
                    h.extend_from_slice(&0u16.to_le_bytes()); // comment
                    h.extend_from_slice(&0u16.to_le_bytes()); // disk
                    h.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
                    h.extend_from_slice(&0u32.to_le_bytes()); // external attrs
                    h.extend_from_slice(&offset.to_le_bytes());
                }
                h.extend_from_slice(name.as_bytes());
                h
            };
            out.extend(header(b"PK\x03\x04", false));
            out.extend_from_slice(data);
            central.extend(header(b"PK\x01\x02", true));
        }
        let dir_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&dir_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn names_come_from_the_central_directory() {
        let zip = zip_of(&[("[Content_Types].xml", b"<x/>"), ("word/document.xml", b"<w/>")]);
        assert_eq!(entry_names(&zip), Some(vec!["[Content_Types].xml".to_string(), "word/document.xml".to_string()]));
    }

    #[test]
    fn broken_archives_are_not_zips() {
        let zip = zip_of(&[("a.txt", b"hello")]);
        assert_eq!(entry_names(b"PK\x03\x04 not really"), None);
        assert_eq!(entry_names(&zip[..zip.len() - 10]), None, "truncated end record");
        let mut bad = zip.clone();
        let n = bad.len();
        bad[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(entry_names(&bad), None, "directory offset outside the file");
        assert_eq!(entry_names(b"MZ\x90\x00"), None);
    }
}
