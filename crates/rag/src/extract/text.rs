//! Bytes to text: BOM, then UTF-8, then a detected legacy encoding (Dify's `autodetect_encoding`).

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::Encoding;

/// Decodes a text file; never fails (undecodable bytes become U+FFFD).
pub(super) fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_len..]).0.into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, Utf8Detection::Allow);
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("plain ✓".as_bytes()), "plain ✓");
        assert_eq!(decode(b"\xEF\xBB\xBFbom"), "bom");
    }

    #[test]
    fn utf16_by_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("hi é".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&bytes), "hi é");
    }

    #[test]
    fn legacy_encodings_are_detected() {
        let (gbk, _, _) = encoding_rs::GBK.encode("这是一个中文文档，用来测试编码检测是否正确。");
        assert_eq!(decode(&gbk), "这是一个中文文档，用来测试编码检测是否正确。");
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode("Café crème brûlée à la française");
        assert_eq!(decode(&latin), "Café crème brûlée à la française");
    }
}
