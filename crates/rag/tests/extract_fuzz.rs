//! Fuzz-style runs of every extractor on stable Rust: random bytes and mutations of a small
//! seed corpus (valid files of each kind, and the hostile ones), for a bounded time per
//! extractor (`DIFY_FUZZ_SECONDS`, default 10). Each input must give text or an error — no
//! panic escaping, no abort (which would end this process), no input taking more than a few
//! seconds or giving more text than the sandbox allows. Deterministic: a failure prints the
//! seed and iteration to replay. Runs once, in the embedded pass (it needs no services).

use std::time::{Duration, Instant};

use rag::extract::{ExtractError, extract};
use test_support::{files, hostile, services_mode};

/// Text the extraction sandbox would accept by default.
const MAX_TEXT: usize = 64 * 1024 * 1024;

/// Slowest acceptable single input (debug build, loaded machine).
const MAX_ONE: Duration = Duration::from_secs(10);

/// xorshift64*: reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const INTERESTING: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"<",
    b">",
    b"&",
    b"\"",
    b"<w:p>",
    b"</w:t>",
    b"<c r=\"XFD1048576\">",
    b"&lol;",
    b"obj",
    b"endobj",
    b"stream",
    b"/FlateDecode",
    b"9999999999",
    b"-1",
    b"\n\n",
    b",",
    b"\"\"",
    b"# ",
    b"<div>",
    b"<script>",
    b"PK\x03\x04",
];

/// One random change: flip bits, overwrite, insert, delete, duplicate or truncate.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = INTERESTING[rng.below(INTERESTING.len())];
                out.splice(at..at, token.iter().copied());
            }
            2 if at < out.len() => {
                let end = (at + rng.below(64) + 1).min(out.len());
                out.drain(at..end);
            }
            3 if at < out.len() => {
                let end = (at + rng.below(256) + 1).min(out.len());
                let copy = out[at..end].to_vec();
                for _ in 0..=rng.below(8) {
                    out.splice(at..at, copy.iter().copied());
                }
            }
            4 => out.truncate(at),
            _ => {
                let token = INTERESTING[rng.below(INTERESTING.len())];
                let end = (at + token.len()).min(out.len());
                out.splice(at..end, token.iter().copied());
            }
        }
    }
    out
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    (0..rng.below(4096)).map(|_| rng.next() as u8).collect()
}

/// Markup for text inside a container (paragraphs, cells): XML metacharacters included.
fn random_markup(rng: &mut Rng) -> String {
    (0..rng.below(12))
        .map(|_| match rng.below(4) {
            0 => String::from_utf8_lossy(INTERESTING[rng.below(INTERESTING.len())]).into_owned(),
            1 => "tea ".repeat(rng.below(20)),
            2 => char::from_u32(rng.next() as u32 % 0x11_0000).map(String::from).unwrap_or_default(),
            _ => rng.below(1_000_000).to_string(),
        })
        .collect()
}

fn fuzz(name: &str, seeds: &[Vec<u8>], structured: impl Fn(&mut Rng) -> Vec<u8>) {
    if services_mode() {
        return; // Pure code: the embedded pass covers it.
    }
    let budget =
        Duration::from_secs(std::env::var("DIFY_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10));
    let seed = 0x5EED_0000 ^ name.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        let input = match rng.below(4) {
            0 => random_bytes(&mut rng),
            1 => structured(&mut rng),
            _ => {
                let seed = rng.below(seeds.len());
                mutate(&mut rng, &seeds[seed])
            }
        };
        let one = Instant::now();
        let result = extract(name, &input);
        let took = one.elapsed();
        assert!(took < MAX_ONE, "{name} seed {seed:#x} run {runs}: {took:?} on {} bytes", input.len());
        match result {
            Ok(docs) => {
                let text: usize = docs.iter().map(String::len).sum();
                assert!(text <= MAX_TEXT, "{name} seed {seed:#x} run {runs}: {text} bytes of text");
            }
            Err(ExtractError::Failed(m)) => panic!("{name} seed {seed:#x} run {runs}: in-process extraction said {m}"),
            Err(_) => {}
        }
        runs += 1;
    }
    eprintln!("{name}: {runs} inputs in {:?}", started.elapsed());
    assert!(runs > 50, "{name}: only {runs} inputs ran");
}

#[test]
fn pdf() {
    let seeds =
        vec![files::pdf(&["Hello PDF world", "Second page"]), files::pdf(&[]), hostile::flate_bomb_pdf(64 * 1024)];
    fuzz("f.pdf", &seeds, |rng| {
        let pages: Vec<String> = (0..rng.below(4)).map(|_| random_markup(rng).replace(['(', ')', '\\'], "")).collect();
        files::pdf(&pages.iter().map(String::as_str).collect::<Vec<_>>())
    });
}

#[test]
fn docx() {
    let seeds = vec![
        files::docx(&["Field notes", "from the river"]),
        hostile::deeply_nested_docx(50),
        hostile::docx_zip_bomb(256 * 1024),
    ];
    fuzz("f.docx", &seeds, |rng| {
        let paragraphs: Vec<String> = (0..rng.below(6)).map(|_| random_markup(rng)).collect();
        files::docx(&paragraphs.iter().map(String::as_str).collect::<Vec<_>>())
    });
}

#[test]
fn xlsx() {
    let seeds = vec![
        files::xlsx(&[&["Name", "Score"], &["Ann", "12"], &["Ben", "7"]]),
        hostile::sparse_corner_xlsx(),
        hostile::billion_laughs_xlsx(),
    ];
    fuzz("f.xlsx", &seeds, |rng| {
        let rows: Vec<Vec<String>> =
            (0..rng.below(6)).map(|_| (0..rng.below(5)).map(|_| random_markup(rng)).collect()).collect();
        let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        files::xlsx(&rows.iter().map(Vec::as_slice).collect::<Vec<_>>())
    });
}

#[test]
fn html() {
    let seeds =
        vec![b"<html><body><p>Tea</p><script>x()</script></body></html>".to_vec(), hostile::deeply_nested_html(500)];
    fuzz("f.html", &seeds, |rng| {
        let mut page = String::new();
        for _ in 0..rng.below(40) {
            page.push_str(&random_markup(rng));
        }
        page.into_bytes()
    });
}

#[test]
fn markdown() {
    let seeds = vec![b"# Brewing\n\nUse water.\n\n## Storing\n\nKeep dry.\n".to_vec()];
    fuzz("f.md", &seeds, |rng| random_markup(rng).into_bytes());
}

#[test]
fn csv() {
    let seeds = vec![b"name,origin\nDarjeeling,India\n\"Multi\nline\",x\n".to_vec()];
    fuzz("f.csv", &seeds, |rng| {
        let cols = rng.below(30) + 1;
        let mut out = String::new();
        for _ in 0..rng.below(50) {
            let row: Vec<String> = (0..cols).map(|_| random_markup(rng)).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out.into_bytes()
    });
}

#[test]
fn text() {
    let seeds = vec!["Plain text, héllo wörld, 中文.".as_bytes().to_vec(), b"\xff\xfe\x00t\x00e\x00a".to_vec()];
    fuzz("f.txt", &seeds, random_bytes);
}
