//! Hostile files for extraction tests, built byte by byte (no binary fixtures): each one is small
//! on disk but asks a naive reader for a huge amount of memory, time or stack.
//!
//! Bombs are deflated once per repeated chunk and the compressed chunk is then copied, so even a
//! 300 MB inflated body is neither built in memory nor compressed byte by byte.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

use crate::files::{RawEntry, zip_raw, zip_stored};

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const SML_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
/// The least length of the chunk whose compressed form is repeated. It must be at least the 32 KiB
/// deflate window (see `deflate_repeated`); longer chunks spread each block's header over more
/// data.
const CHUNK_BYTES: usize = 1 << 18;

/// An XLSX whose sheet declares the whole grid (`A1:XFD1048576`) but holds two cells, `A1` =
/// "Name" and `XFD1048576` = "corner": a reader that allocates a dense range from the dimension
/// or from the cells' extent asks for 16384 × 1048576 cells.
pub fn sparse_corner_xlsx() -> Vec<u8> {
    let rows = concat!(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>"#,
        r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>corner</t></is></c></row>"#,
    );
    xlsx_of(&sheet_xml(r#"<dimension ref="A1:XFD1048576"/>"#, rows), None)
}

/// A one-page PDF whose content stream is `/FlateDecode`d and inflates to about
/// `inflated_bytes` of `0 0 m 1 1 l S` lines (a drawn line: valid content with no text), while
/// the file stays about 1/500 of that size (30 MB gives ~64 KB).
pub fn flate_bomb_pdf(inflated_bytes: usize) -> Vec<u8> {
    const OP: &[u8] = b"0 0 m 1 1 l S\n";
    let (deflated, adler) = deflate_repeated::<Adler32>(b"", OP, units(inflated_bytes, 0, OP.len()), b"");
    // FlateDecode is the zlib format (RFC 1950): a header (deflate, 32 KiB window, best level),
    // the raw deflate, then the big-endian Adler-32 of the inflated bytes.
    let mut compressed = vec![0x78, 0xDA];
    compressed.extend_from_slice(&deflated);
    compressed.extend_from_slice(&adler.sum().to_be_bytes());
    let mut stream = format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", compressed.len()).into_bytes();
    stream.extend_from_slice(&compressed);
    stream.extend_from_slice(b"\nendstream");
    pdf_of(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << >> /Contents 4 0 R >>".to_vec(),
        stream,
    ])
}

/// A DOCX whose `word/document.xml` is deflated (zip method 8) and inflates to about
/// `inflated_bytes` of well-formed paragraphs of `a`s. The local and central headers declare the
/// true sizes and CRC, so this tests a reader's own cap rather than a lying header. Sizes are
/// 32-bit (no zip64): keep `inflated_bytes` under 4 GiB.
pub fn docx_zip_bomb(inflated_bytes: usize) -> Vec<u8> {
    let (head, paragraph, tail) = docx_bomb_parts();
    let count = units(inflated_bytes, head.len() + tail.len(), paragraph.len());
    let (deflated, crc) = deflate_repeated::<Crc>(head.as_bytes(), paragraph.as_bytes(), count, tail.as_bytes());
    let size = head.len() + count * paragraph.len() + tail.len();
    zip_raw(&[
        stored("[Content_Types].xml", DOCX_CONTENT_TYPES.as_bytes()),
        RawEntry { name: "word/document.xml", method: 8, crc: crc.sum(), size, data: &deflated },
    ])
}

/// The bomb's `word/document.xml` as (head, repeated paragraph, tail).
fn docx_bomb_parts() -> (String, String, &'static str) {
    let head = format!(r#"{XML_DECL}<w:document xmlns:w="{W_NS}"><w:body>"#);
    let paragraph = format!("<w:p><w:r><w:t>{}</w:t></w:r></w:p>", "a".repeat(1000));
    (head, paragraph, "</w:body></w:document>")
}

/// An XLSX whose shared strings start with the "billion laughs" DTD (`lol` .. `lol9`, each ten
/// of the previous) and whose only string, used by cell A1, is `&lol9;`: about 3 GB once a
/// reader expands entities.
pub fn billion_laughs_xlsx() -> Vec<u8> {
    let nested: String = (1..=9)
        .map(|level| {
            let previous = if level == 1 { "lol".to_owned() } else { format!("lol{}", level - 1) };
            format!(r#"<!ENTITY lol{level} "{}">"#, format!("&{previous};").repeat(10))
        })
        .collect();
    let dtd = format!(r#"<!ENTITY lol "lol">{nested}"#);
    let sst = format!(
        r#"{XML_DECL}<!DOCTYPE sst [{dtd}]><sst xmlns="{SML_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>"#
    );
    let sheet = sheet_xml("", r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#);
    xlsx_of(&sheet, Some(&sst))
}

/// A DOCX whose body nests `depth` block-level content controls (`<w:sdt><w:sdtContent>`, which
/// may legally contain each other) around one paragraph reading "deep": recursive readers run
/// out of stack.
pub fn deeply_nested_docx(depth: usize) -> Vec<u8> {
    let body = format!(
        "{}<w:p><w:r><w:t>deep</w:t></w:r></w:p>{}",
        "<w:sdt><w:sdtContent>".repeat(depth),
        "</w:sdtContent></w:sdt>".repeat(depth)
    );
    let document = format!(r#"{XML_DECL}<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>"#);
    zip_stored(&[("[Content_Types].xml", DOCX_CONTENT_TYPES.as_bytes()), ("word/document.xml", document.as_bytes())])
}

/// An HTML page with `depth` nested `<div>`s around the text "deep": recursive tree walkers run
/// out of stack.
pub fn deeply_nested_html(depth: usize) -> Vec<u8> {
    format!("<!DOCTYPE html><html><body>{}deep{}</body></html>", "<div>".repeat(depth), "</div>".repeat(depth))
        .into_bytes()
}

const DOCX_CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

/// How many `unit`-byte repeats fill `total` bytes beside `fixed` bytes of framing; at least one,
/// so the file stays well-formed however small the request.
fn units(total: usize, fixed: usize, unit: usize) -> usize {
    (total.saturating_sub(fixed) / unit.max(1)).max(1)
}

/// Raw deflate (RFC 1951) of `head`, `unit` × `count` then `tail`, with the checksum of those
/// bytes, in time and memory for a few chunks however large `count` is.
///
/// The encoder sync-flushes after `head` and the first chunk, and again after the second chunk:
/// the second chunk's output is then whole blocks, starting on a byte boundary, whose matches
/// reach at most 32 KiB back. A chunk is whole units and longer than that, so those 32 KiB are the
/// end of an earlier chunk wherever the output is placed after the first chunk, and copies of it
/// stand for the remaining chunks. The encoder's window (the end of a chunk) is then the one the
/// decoder has too, so it goes on with the leftover units and `tail`.
fn deflate_repeated<C: Checksum>(head: &[u8], unit: &[u8], count: usize, tail: &[u8]) -> (Vec<u8>, C) {
    let per_chunk = CHUNK_BYTES.div_ceil(unit.len().max(1));
    // With fewer than two chunks there is nothing to copy: all of it is deflated below.
    let chunks = match count / per_chunk {
        n if n >= 2 => n,
        _ => 0,
    };
    let mut encoder = Compress::new(Compression::best(), false);
    let mut out = Vec::new();
    let mut sum = C::default();
    sum.update(head);
    let mut rest = Vec::new();
    if chunks == 0 {
        rest.extend_from_slice(head);
    } else {
        let chunk = unit.repeat(per_chunk);
        deflate(&mut encoder, &[head, &chunk].concat(), FlushCompress::Sync, &mut out);
        let start = out.len();
        deflate(&mut encoder, &chunk, FlushCompress::Sync, &mut out);
        let copy = out[start..].to_vec();
        out.reserve(copy.len() * (chunks - 2));
        for _ in 2..chunks {
            out.extend_from_slice(&copy);
        }
        let mut one = C::default();
        one.update(&chunk);
        sum.combine(&repeated(&one, chunks));
    }
    let last = [unit.repeat(count - chunks * per_chunk).as_slice(), tail].concat();
    sum.update(&last);
    rest.extend_from_slice(&last);
    deflate(&mut encoder, &rest, FlushCompress::Finish, &mut out);
    (out, sum)
}

/// Feeds all of `input` to `encoder` with `flush`, appending to `out` until the flush is complete
/// (for `Finish`, until the stream has ended).
fn deflate(encoder: &mut Compress, input: &[u8], flush: FlushCompress, out: &mut Vec<u8>) {
    let mut done = 0;
    loop {
        out.reserve(input.len() / 4 + 1024);
        let before = encoder.total_in();
        let status = encoder.compress_vec(&input[done..], out, flush).expect("deflate takes any input");
        done += usize::try_from(encoder.total_in() - before).expect("no more than the input is consumed");
        // As in zlib, a flush that leaves output room unused is complete.
        let flushed = done == input.len() && out.len() < out.capacity();
        if status == Status::StreamEnd || (flush != FlushCompress::Finish && flushed) {
            return;
        }
    }
}

/// A checksum that can be extended by the checksum of the data that follows, so a chunk repeated
/// many times is read once.
trait Checksum: Default {
    fn update(&mut self, data: &[u8]);
    /// Appends `next`, the checksum of the data after this one's. Into an empty checksum that
    /// copies `next`.
    fn combine(&mut self, next: &Self);
}

impl Checksum for Crc {
    fn update(&mut self, data: &[u8]) {
        Crc::update(self, data);
    }

    fn combine(&mut self, next: &Self) {
        Crc::combine(self, next);
    }
}

/// Adler-32 (RFC 1950), the zlib trailer, with the length so that checksums of consecutive data
/// combine (as zlib's `adler32_combine`).
struct Adler32 {
    a: u64,
    b: u64,
    len: u64,
}

const ADLER_MOD: u64 = 65_521;

impl Default for Adler32 {
    fn default() -> Self {
        Self { a: 1, b: 0, len: 0 }
    }
}

impl Adler32 {
    fn sum(&self) -> u32 {
        u32::try_from((self.b << 16) | self.a).expect("both sums are below 65521")
    }
}

impl Checksum for Adler32 {
    fn update(&mut self, data: &[u8]) {
        for &byte in data {
            self.a = (self.a + u64::from(byte)) % ADLER_MOD;
            self.b = (self.b + self.a) % ADLER_MOD;
        }
        self.len += data.len() as u64;
    }

    fn combine(&mut self, next: &Self) {
        // Every running sum `a` within `next` is larger by this one's `a - 1`, and `b` adds them.
        let shift = next.len % ADLER_MOD * ((self.a + ADLER_MOD - 1) % ADLER_MOD);
        self.b = (self.b + next.b + shift) % ADLER_MOD;
        self.a = (self.a + next.a + ADLER_MOD - 1) % ADLER_MOD;
        self.len += next.len;
    }
}

/// The checksum of `count` copies of the data `one` sums, by doubling: about 2·log2(`count`)
/// combines rather than a pass over every copy.
fn repeated<C: Checksum>(one: &C, count: usize) -> C {
    let mut total = C::default();
    let mut power = C::default();
    power.combine(one);
    let mut left = count;
    while left > 0 {
        if left & 1 == 1 {
            total.combine(&power);
        }
        let mut doubled = C::default();
        doubled.combine(&power);
        doubled.combine(&power);
        power = doubled;
        left >>= 1;
    }
    total
}

/// A stored (uncompressed) zip entry with its CRC, for the small parts beside a compressed one.
fn stored<'a>(name: &'a str, data: &'a [u8]) -> RawEntry<'a> {
    let mut crc = Crc::new();
    crc.update(data);
    RawEntry { name, method: 0, crc: crc.sum(), size: data.len(), data }
}

/// A worksheet part: `before` goes ahead of `<sheetData>` (e.g. a `<dimension>`), `rows` inside.
fn sheet_xml(before: &str, rows: &str) -> String {
    format!(r#"{XML_DECL}<worksheet xmlns="{SML_NS}">{before}<sheetData>{rows}</sheetData></worksheet>"#)
}

/// The parts of a one-sheet XLSX as in `files::xlsx`, plus a shared strings part (with its
/// relationship and content type) when one is given.
fn xlsx_of(sheet: &str, shared_strings: Option<&str>) -> Vec<u8> {
    let sst_type = shared_strings.map_or("", |_| {
        r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#
    });
    let sst_rel = shared_strings.map_or("", |_| {
        r#"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#
    });
    let ct = format!(
        r#"{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{sst_type}</Types>"#
    );
    let rels = format!(
        r#"{XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let wb = format!(
        r#"{XML_DECL}<workbook xmlns="{SML_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let wb_rels = format!(
        r#"{XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>{sst_rel}</Relationships>"#
    );
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", ct.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", wb.as_bytes()),
        ("xl/_rels/workbook.xml.rels", wb_rels.as_bytes()),
    ];
    if let Some(sst) = shared_strings {
        parts.push(("xl/sharedStrings.xml", sst.as_bytes()));
    }
    parts.push(("xl/worksheets/sheet1.xml", sheet.as_bytes()));
    zip_stored(&parts)
}

/// A PDF of the given object bodies (numbered from 1; object 1 is the catalog) with a correct
/// xref table, as `files::pdf` writes it but with byte bodies, since streams may be binary.
fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    // High bytes on the second line mark the file as binary, as PDF writers do.
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read};

    use flate2::CrcWriter;
    use flate2::read::{DeflateDecoder, ZlibDecoder};

    use super::*;

    const MB: usize = 1 << 20;

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    fn u16_at(bytes: &[u8], at: usize) -> usize {
        usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]))
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
    }

    /// The bytes of the PDF's only stream, checked against its `/Length`.
    fn pdf_stream(pdf: &[u8]) -> &[u8] {
        let at = find(pdf, b"/Length ").expect("a /Length") + b"/Length ".len();
        let digits: String = pdf[at..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| char::from(b)).collect();
        let length: usize = digits.parse().expect("a length");
        let start = find(pdf, b"stream\n").expect("a stream") + b"stream\n".len();
        assert_eq!(&pdf[start + length..start + length + 10], b"\nendstream");
        &pdf[start..start + length]
    }

    /// The entry `name` of a zip as (method, CRC, declared size, stored bytes), from its local header.
    fn zip_entry<'a>(zip: &'a [u8], name: &str) -> (usize, u32, usize, &'a [u8]) {
        // Walk the local headers: another part may mention the name.
        let mut header = 0;
        loop {
            assert_eq!(&zip[header..header + 4], b"PK\x03\x04");
            let name_len = u16_at(zip, header + 26);
            let data = header + 30 + name_len + u16_at(zip, header + 28);
            let compressed = usize::try_from(u32_at(zip, header + 18)).expect("fits");
            if zip.get(header + 30..header + 30 + name_len) == Some(name.as_bytes()) {
                let declared = usize::try_from(u32_at(zip, header + 22)).expect("fits");
                return (u16_at(zip, header + 8), u32_at(zip, header + 14), declared, &zip[data..data + compressed]);
            }
            header = data + compressed;
        }
    }

    fn inflate(mut decoder: impl Read) -> Vec<u8> {
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).expect("a valid stream with a matching checksum");
        out
    }

    #[test]
    fn flate_bomb_is_small_and_inflates_to_the_request() {
        let pdf = flate_bomb_pdf(MB);
        assert!(pdf.len() < 20_000, "{} bytes", pdf.len());
        assert!(find(&pdf, b"/FlateDecode").is_some());
        let inflated = io::copy(&mut ZlibDecoder::new(pdf_stream(&pdf)), &mut io::sink()).expect("zlib");
        let inflated = usize::try_from(inflated).expect("fits");
        assert!(inflated <= MB && inflated > MB - 14, "{inflated}");
    }

    #[test]
    fn docx_bomb_inflates_to_its_declared_size_and_crc() {
        let zip = docx_zip_bomb(MB);
        assert!(zip.len() < 20_000, "{} bytes", zip.len());
        let (method, crc, declared, data) = zip_entry(&zip, "word/document.xml");
        assert_eq!(method, 8, "deflated");
        let mut out = CrcWriter::new(io::sink());
        let inflated = io::copy(&mut DeflateDecoder::new(data), &mut out).expect("deflate");
        assert_eq!(usize::try_from(inflated).expect("fits"), declared);
        assert_eq!(out.crc().sum(), crc);
        assert!(declared <= MB && declared > MB - 2_000, "{declared}");
    }

    // The sizes below cover the plain path (under two chunks), exactly two chunks with nothing
    // left over, and copied chunks with leftover units.

    #[test]
    fn flate_bomb_inflates_to_exactly_its_lines() {
        const OP: &[u8] = b"0 0 m 1 1 l S\n";
        let two_chunks = 2 * CHUNK_BYTES.div_ceil(OP.len()) * OP.len();
        for size in [0, 100, MB, two_chunks, two_chunks + 100, 4 * MB] {
            let pdf = flate_bomb_pdf(size);
            // ZlibDecoder also checks the Adler-32 trailer.
            let inflated = inflate(ZlibDecoder::new(pdf_stream(&pdf)));
            assert!(inflated == OP.repeat(units(size, 0, OP.len())), "{size}: {} bytes", inflated.len());
        }
        assert!(flate_bomb_pdf(4 * MB).len() < 4 * MB / 400);
    }

    #[test]
    fn docx_bomb_inflates_to_exactly_its_paragraphs() {
        let (head, paragraph, tail) = docx_bomb_parts();
        let two_chunks = head.len() + 2 * CHUNK_BYTES.div_ceil(paragraph.len()) * paragraph.len() + tail.len();
        for size in [0, MB, two_chunks, two_chunks + 5_000, 4 * MB] {
            let zip = docx_zip_bomb(size);
            let (_, crc, declared, data) = zip_entry(&zip, "word/document.xml");
            let count = units(size, head.len() + tail.len(), paragraph.len());
            let expected = [head.as_bytes(), paragraph.repeat(count).as_bytes(), tail.as_bytes()].concat();
            let inflated = inflate(DeflateDecoder::new(data));
            assert!(inflated == expected, "{size}: {} bytes", inflated.len());
            assert_eq!(declared, expected.len());
            let mut direct = Crc::new();
            direct.update(&expected);
            assert_eq!(crc, direct.sum(), "{size}");
        }
        assert!(docx_zip_bomb(4 * MB).len() < 4 * MB / 100);
    }

    #[test]
    fn adler32_matches_the_reference_and_combines() {
        let adler = |data: &[u8]| {
            let mut sum = Adler32::default();
            sum.update(data);
            sum
        };
        assert_eq!(adler(b"Wikipedia").sum(), 0x11E6_0398);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut parts = adler(&data[..3]);
        parts.combine(&repeated(&adler(&data), 5));
        assert_eq!(parts.sum(), adler(&[&data[..3], data.repeat(5).as_slice()].concat()).sum());
    }

    #[test]
    fn sparse_corner_names_the_far_corner() {
        let xlsx = sparse_corner_xlsx();
        assert!(find(&xlsx, b"XFD1048576").is_some());
        assert!(xlsx.len() < 4_000, "{} bytes", xlsx.len());
    }

    #[test]
    fn billion_laughs_defines_and_uses_the_entities() {
        let xlsx = billion_laughs_xlsx();
        assert!(find(&xlsx, br#"<!ENTITY lol9 "&lol8;&lol8;"#).is_some());
        assert!(find(&xlsx, b"<t>&lol9;</t>").is_some());
        assert!(find(&xlsx, b"xl/sharedStrings.xml").is_some());
    }

    #[test]
    fn nesting_has_the_requested_depth() {
        let html = String::from_utf8(deeply_nested_html(50)).expect("utf-8");
        assert_eq!(html.matches("<div>").count(), 50);
        assert_eq!(html.matches("</div>").count(), 50);
        let docx = deeply_nested_docx(50);
        let docx = String::from_utf8_lossy(&docx);
        assert_eq!(docx.matches("<w:sdtContent>").count(), 50);
        assert_eq!(docx.matches("</w:sdt>").count(), 50);
    }
}
