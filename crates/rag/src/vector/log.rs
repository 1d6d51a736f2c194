//! The on-disk format of an embedded collection: a header, then an append-only log of records.
//!
//! ```text
//! header  "DIFYVEC2" | dimension u32
//! record  tag u8 | payload length u32 | CRC-32 of the payload u32 | payload
//! ```
//! All integers and floats are little-endian. Files of the first format (`"DIFYVEC1"`, whose
//! records carry a 32-bit FNV-1a instead) are read, and appended to, in their own format until
//! a compaction rewrites them in the current one: FNV-1a goes a byte at a time, and was the
//! costliest step of appending vectors. Replaying the log in order rebuilds the
//! collection; a torn or corrupt tail (a crash mid-write) ends the replay and is cut off.

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

/// The current format's header.
pub(super) const MAGIC: &[u8; 8] = b"DIFYVEC2";
/// The first format's header.
const MAGIC_V1: &[u8; 8] = b"DIFYVEC1";
pub(super) const HEADER_LEN: u64 = 12;
/// Largest payload accepted on replay, so a corrupt length cannot ask for gigabytes.
const MAX_PAYLOAD: usize = 512 * 1024 * 1024;

/// The metadata stored with each vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PointMeta {
    pub node_id: String,
    pub document_id: String,
    pub dataset_id: String,
    pub doc_hash: String,
    pub text: String,
}

/// One log entry.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Record {
    Upsert { meta: PointMeta, vector: Vec<f32> },
    DeleteNodes(Vec<String>),
    DeleteDocument(String),
    DeleteDataset(String),
}

const UPSERT: u8 = 1;
const DELETE_NODES: u8 = 2;
const DELETE_DOCUMENT: u8 = 3;
const DELETE_DATASET: u8 = 4;

/// How a file's records are checksummed, by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Checksum {
    /// `"DIFYVEC1"` files.
    Fnv1a,
    /// The current format.
    Crc32,
}

impl Checksum {
    /// What new files, and files a compaction rewrites, use: the one [`header`] announces.
    pub(super) const CURRENT: Self = Self::Crc32;

    fn of(self, bytes: &[u8]) -> u32 {
        match self {
            Self::Fnv1a => fnv1a(bytes),
            Self::Crc32 => crc32fast::hash(bytes),
        }
    }
}

/// The header of a new file, in the current format ([`Checksum::CURRENT`]).
pub(super) fn header(dimension: usize) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend((dimension as u32).to_le_bytes());
    out
}

/// Reads the header, returning the dimension and how the file's records are checksummed.
pub(super) fn read_header(reader: &mut impl Read) -> io::Result<(usize, Checksum)> {
    let mut buf = [0u8; HEADER_LEN as usize];
    reader.read_exact(&mut buf)?;
    let checksum = match &buf[..8] {
        m if m == MAGIC => Checksum::CURRENT,
        m if m == MAGIC_V1 => Checksum::Fnv1a,
        _ => return Err(io::Error::new(io::ErrorKind::InvalidData, "not a vector collection file")),
    };
    Ok((u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]) as usize, checksum))
}

/// Appends the encoding of `record` to `out`, for a file checksummed with `checksum`.
pub(super) fn encode(record: &Record, checksum: Checksum, out: &mut Vec<u8>) -> io::Result<()> {
    let (tag, payload) = match record {
        Record::Upsert { meta, vector } => {
            let meta = serde_json::to_vec(meta).map_err(io::Error::other)?;
            let mut payload = Vec::with_capacity(4 + meta.len() + vector.len() * 4);
            payload.extend((meta.len() as u32).to_le_bytes());
            payload.extend(meta);
            for x in vector {
                payload.extend(x.to_le_bytes());
            }
            (UPSERT, payload)
        }
        Record::DeleteNodes(ids) => (DELETE_NODES, serde_json::to_vec(ids).map_err(io::Error::other)?),
        Record::DeleteDocument(id) => (DELETE_DOCUMENT, id.as_bytes().to_vec()),
        Record::DeleteDataset(id) => (DELETE_DATASET, id.as_bytes().to_vec()),
    };
    out.push(tag);
    out.extend((payload.len() as u32).to_le_bytes());
    out.extend(checksum.of(&payload).to_le_bytes());
    out.extend(payload);
    Ok(())
}

/// Reads the next record: `Ok(None)` at a clean end, `Err` on a torn or corrupt record.
pub(super) fn decode(
    reader: &mut impl Read,
    dimension: usize,
    checksum: Checksum,
) -> io::Result<Option<(Record, u64)>> {
    let mut head = [0u8; 9];
    match read_full(reader, &mut head)? {
        0 => return Ok(None),
        9 => {}
        _ => return Err(invalid("torn record header")),
    }
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let sum = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
    if len > MAX_PAYLOAD {
        return Err(invalid("record too large"));
    }
    let mut payload = vec![0u8; len];
    if read_full(reader, &mut payload)? != len {
        return Err(invalid("torn record"));
    }
    if checksum.of(&payload) != sum {
        return Err(invalid("checksum mismatch"));
    }
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|_| invalid("id is not UTF-8"));
    let record = match head[0] {
        UPSERT => {
            let meta_len = payload.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            let meta_len = meta_len.ok_or_else(|| invalid("short upsert"))?;
            let floats = payload.get(4 + meta_len..).ok_or_else(|| invalid("short upsert"))?;
            if floats.len() != dimension * 4 {
                return Err(invalid("vector length does not match the collection"));
            }
            let meta: PointMeta =
                serde_json::from_slice(&payload[4..4 + meta_len]).map_err(|_| invalid("bad metadata"))?;
            let vector = floats.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            Record::Upsert { meta, vector }
        }
        DELETE_NODES => Record::DeleteNodes(serde_json::from_slice(&payload).map_err(|_| invalid("bad id list"))?),
        DELETE_DOCUMENT => Record::DeleteDocument(text(payload)?),
        DELETE_DATASET => Record::DeleteDataset(text(payload)?),
        _ => return Err(invalid("unknown record type")),
    };
    Ok(Some((record, 9 + len as u64)))
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// 32-bit FNV-1a: enough to tell a torn write from a whole one.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str) -> PointMeta {
        PointMeta {
            node_id: id.into(),
            document_id: "doc".into(),
            dataset_id: "ds".into(),
            doc_hash: "h".into(),
            text: "héllo".into(),
        }
    }

    #[test]
    fn round_trip_and_torn_tail() {
        let records = vec![
            Record::Upsert { meta: meta("a"), vector: vec![0.5, -1.0] },
            Record::DeleteNodes(vec!["a".into(), "b".into()]),
            Record::DeleteDocument("doc".into()),
            Record::DeleteDataset("ds".into()),
        ];
        for (checksum, magic) in [(Checksum::Crc32, MAGIC), (Checksum::Fnv1a, MAGIC_V1)] {
            let mut bytes = header(2);
            bytes[..8].copy_from_slice(magic);
            for r in &records {
                encode(r, checksum, &mut bytes).expect("encode");
            }
            let mut reader = &bytes[..];
            assert_eq!(read_header(&mut reader).expect("header"), (2, checksum));
            for r in &records {
                assert_eq!(&decode(&mut reader, 2, checksum).expect("ok").expect("record").0, r);
            }
            assert!(decode(&mut reader, 2, checksum).expect("end").is_none());

            // Cut the last record short: replay must report it, not panic.
            let cut = &bytes[..bytes.len() - 1];
            let mut reader = &cut[HEADER_LEN as usize..];
            for _ in 0..3 {
                decode(&mut reader, 2, checksum).expect("whole records").expect("record");
            }
            assert!(decode(&mut reader, 2, checksum).is_err());

            // A flipped byte fails the checksum.
            let mut flipped = bytes.clone();
            let last = flipped.len() - 1;
            flipped[last] ^= 0xFF;
            let mut reader = &flipped[HEADER_LEN as usize..];
            for _ in 0..3 {
                decode(&mut reader, 2, checksum).expect("whole records");
            }
            assert!(decode(&mut reader, 2, checksum).is_err());
        }
        assert!(read_header(&mut &b"NOTAVEC1\0\0\0\0"[..]).is_err());
    }

    /// The first format's records, as dify-rs wrote them before CRC-32: one upsert's bytes.
    #[test]
    fn reads_the_first_format() {
        let mut v1 = b"DIFYVEC1\x02\0\0\0".to_vec();
        let payload = {
            let meta = br#"{"node_id":"a","document_id":"doc","dataset_id":"ds","doc_hash":"h","text":"h\u00e9llo"}"#;
            let mut p = (meta.len() as u32).to_le_bytes().to_vec();
            p.extend_from_slice(meta);
            p.extend(0.5f32.to_le_bytes());
            p.extend((-1.0f32).to_le_bytes());
            p
        };
        v1.push(UPSERT);
        v1.extend((payload.len() as u32).to_le_bytes());
        // 32-bit FNV-1a, written out here rather than by the code under test.
        let sum = payload.iter().fold(2_166_136_261u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(16_777_619));
        v1.extend(sum.to_le_bytes());
        v1.extend(&payload);
        let mut reader = &v1[..];
        let (dimension, checksum) = read_header(&mut reader).expect("header");
        assert_eq!((dimension, checksum), (2, Checksum::Fnv1a));
        let (record, _) = decode(&mut reader, 2, checksum).expect("ok").expect("record");
        assert_eq!(record, Record::Upsert { meta: meta("a"), vector: vec![0.5, -1.0] });
        // Read as the current format, the same record fails its checksum.
        assert!(decode(&mut &v1[HEADER_LEN as usize..], 2, Checksum::Crc32).is_err());
    }
}
