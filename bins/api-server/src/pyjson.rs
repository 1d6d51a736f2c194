//! JSON as Python's `json.dumps` writes it by default — `", "` and `": "` separators and
//! non-ASCII escaped as `\uXXXX` — for the bodies Dify builds with it (SSE events, blocking
//! answers), so byte-level clients see what Dify sends.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

#[derive(Debug, Default)]
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            w.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// `value` as `json.dumps(value)` would write it.
pub fn dumps<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    if let Err(e) = value.serialize(&mut ser) {
        // Our event types always serialise; log rather than panic if one ever does not.
        tracing::error!(error = %e, "cannot serialise a response");
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::dumps;

    #[test]
    fn writes_like_python() {
        let v = json!({"a": [1, "é😀"], "b": {"c": null}});
        assert_eq!(String::from_utf8_lossy(&dumps(&v)), r#"{"a": [1, "\u00e9\ud83d\ude00"], "b": {"c": null}}"#);
        assert_eq!(String::from_utf8_lossy(&dumps(&json!("q\"\n"))), r#""q\"\n""#);
    }
}
