//! Extraction in a child process under memory, time and output limits.
//!
//! Parsers of PDF, Office and HTML files can be driven by a small hostile file into
//! allocating gigabytes or looping; in a child process that costs only the child. The child
//! is the running binary started again with [`CHILD_ARG`] (every binary calls
//! [`serve_if_child`] first thing in `main`), so no other program has to be installed. It
//! sets its own rlimits before it reads a byte, gets the file on stdin and answers one framed
//! [`Reply`] on stdout (raw UTF-8 with length prefixes, so the answer is no bigger than its
//! text); the parent reads at most a bounded answer, so its own memory never grows with the
//! file beyond the text limit.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use super::{ExtractError, FileKind, extract_kind};

/// The first argument that turns a binary into an extraction child.
pub const CHILD_ARG: &str = "__extract-sandbox";

/// Stack of the child's parsing thread: parsers recurse on nesting depth.
const CHILD_STACK_BYTES: usize = 64 * 1024 * 1024;

/// What the parent keeps of the child's stderr, to tell why it died.
const STDERR_BYTES: u64 = 16 * 1024;

/// The limits one extraction runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The child's data size (heap, stacks, anonymous mappings), in MB.
    pub memory_mb: u64,
    /// Wall time (and CPU time) for one file.
    pub timeout: Duration,
    /// The most text, in bytes, one file may give.
    pub max_text_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { memory_mb: 512, timeout: Duration::from_secs(60), max_text_bytes: 64 * 1024 * 1024 }
    }
}

impl Limits {
    fn memory_message(&self) -> String {
        format!("This file needs more than {} MB to read (EXTRACT_MEMORY_LIMIT_MB).", self.memory_mb)
    }

    fn time_message(&self) -> String {
        format!("This file takes longer than {} s to read (EXTRACT_TIMEOUT_SECONDS).", self.timeout.as_secs())
    }

    fn text_message(&self) -> String {
        format!("This file gives more than {} MB of text (EXTRACT_MAX_TEXT_MB).", self.max_text_bytes / (1024 * 1024))
    }

    /// Whether extracted `docs` break the text limit: their text, or their framing (a few
    /// bytes each) past it. Held by a child's answer and by text decoded in this process.
    fn exceeded_by(&self, docs: &[String]) -> bool {
        docs.iter().map(|d| d.len() as u64).sum::<u64>() > self.max_text_bytes
            || (docs.len() as u64).saturating_mul(4) > self.max_text_bytes
    }

    /// The most bytes a well-behaved child writes: its text plus at most as much framing.
    fn reply_cap(&self) -> u64 {
        self.max_text_bytes.saturating_mul(2).saturating_add(64 * 1024)
    }
}

/// Runs extractions in child processes; cheap to clone, shared by a process's handlers.
#[derive(Debug, Clone)]
pub struct Extractor {
    program: Option<PathBuf>,
    limits: Limits,
    permits: Arc<Semaphore>,
}

impl Extractor {
    /// Children run `program` (None: the running binary) under `limits`, at most
    /// `concurrency` at once.
    pub fn new(program: Option<PathBuf>, limits: Limits, concurrency: usize) -> Self {
        let program = program.or_else(|| std::env::current_exe().ok());
        Self { program, limits, permits: Arc::new(Semaphore::new(concurrency.max(1))) }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The text documents of a file, read in a child process; see [`super::extract`].
    pub async fn extract(&self, file_name: &str, bytes: Vec<u8>) -> Result<Vec<String>, ExtractError> {
        let kind = FileKind::from_file_name(file_name)
            .ok_or_else(|| ExtractError::Unsupported(super::extension_of(file_name).to_ascii_lowercase()))?;
        if kind == FileKind::Text {
            return self.decode_text(bytes).await;
        }
        let Some(program) = &self.program else {
            return Err(unavailable("the path of this program is unknown"));
        };
        // A bounded wait for a free slot: hostile files may hold them all for a while, and a
        // caller waiting longer than one extraction may take is better told to come back.
        let _permit = match tokio::time::timeout(self.limits.timeout, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(unavailable("shutting down")),
            Err(_) => return Err(unavailable("every extraction slot is busy")),
        };

        let mut child = tokio::process::Command::new(program)
            .arg(CHILD_ARG)
            .arg(kind.extension())
            .arg(self.limits.memory_mb.to_string())
            .arg(self.limits.timeout.as_secs().max(1).to_string())
            .arg(self.limits.max_text_bytes.to_string())
            // The child needs none of the parent's secrets, and a signal to the server's process
            // group (Ctrl-C, a service manager's stop) is not one for it.
            .env_clear()
            .process_group(0)
            .env("RUST_BACKTRACE", "0")
            // One-shot: no allocator thread handing memory back (the servers' jemalloc starts
            // one), whose 8 MiB stack would count against the file's data budget.
            .env("MALLOC_CONF", "background_thread:false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                tracing::error!(error = %e, program = %program.display(), "cannot start the extraction process");
                unavailable("the extraction process could not start")
            })?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(unavailable("the extraction process has no pipes"));
        };

        let cap = self.limits.reply_cap();
        let finished = {
            let feed = async move {
                // A child that stops reading (it failed early) closes the pipe: not our error.
                let _ = stdin.write_all(&bytes).await;
                drop(stdin);
            };
            let answer = async move {
                let mut out = Vec::new();
                let _ = stdout.take(cap + 1).read_to_end(&mut out).await;
                out
            };
            let diagnostics = async move {
                let mut err = Vec::new();
                let _ = stderr.take(STDERR_BYTES).read_to_end(&mut err).await;
                err
            };
            let run = async {
                let ((), out, err) = tokio::join!(feed, answer, diagnostics);
                if out.len() as u64 > cap {
                    let _ = child.start_kill();
                }
                let status = child.wait().await;
                (out, err, status)
            };
            tokio::time::timeout(self.limits.timeout, run).await
        };
        let Ok((out, err, status)) = finished else {
            let _ = child.kill().await;
            return Err(ExtractError::Failed(self.limits.time_message()));
        };
        if out.len() as u64 > cap {
            return Err(ExtractError::Failed(self.limits.text_message()));
        }
        match status {
            Ok(status) if status.success() => match Reply::decode(&out) {
                Some(reply) => reply.into_result(),
                None => {
                    tracing::error!("the extraction process answered something unreadable");
                    Err(unavailable("the extraction process answered something unreadable"))
                }
            },
            Ok(status) => Err(self.why_it_died(status, &String::from_utf8_lossy(&err))),
            Err(e) => {
                tracing::error!(error = %e, "cannot wait for the extraction process");
                Err(unavailable("the extraction process was lost"))
            }
        }
    }

    /// A plain-text file, decoded in this process on the blocking pool: decoding is linear in
    /// the file (which the caller already holds, within the upload limit), its text at most
    /// three times the file's bytes, with no parser for a file to drive; starting a child cost
    /// more than the decode. The text limit holds as for a child's answer.
    async fn decode_text(&self, bytes: Vec<u8>) -> Result<Vec<String>, ExtractError> {
        let docs = tokio::task::spawn_blocking(move || extract_kind(FileKind::Text, &bytes))
            .await
            .map_err(|_| ExtractError::Failed("The file could not be read.".into()))??;
        match self.limits.exceeded_by(&docs) {
            true => Err(ExtractError::Failed(self.limits.text_message())),
            false => Ok(docs),
        }
    }

    /// The limit a child broke, told from how it ended.
    fn why_it_died(&self, status: ExitStatus, stderr: &str) -> ExtractError {
        use std::os::unix::process::ExitStatusExt;
        const SIGKILL: i32 = 9;
        const SIGXCPU: i32 = 24;
        if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
            return ExtractError::Failed(self.limits.memory_message());
        }
        if stderr.contains("overflowed its stack") {
            return ExtractError::Failed("This file is nested too deeply to read.".into());
        }
        const SIGINT: i32 = 2;
        const SIGTERM: i32 = 15;
        match status.signal() {
            Some(SIGXCPU) => ExtractError::Failed(self.limits.time_message()),
            // Our own timeout returns before this; a SIGKILL from outside is the kernel's
            // out-of-memory killer (a container cap below the child's limit).
            Some(SIGKILL) => ExtractError::Failed(self.limits.memory_message()),
            // Stopped with the machine or the service, not by the file.
            Some(SIGINT) | Some(SIGTERM) => unavailable("the extraction process was stopped"),
            // A failed thread or mapping under the data limit ends the same way as a failed allocation.
            Some(_) if stderr.contains("failed to spawn") || stderr.contains("Cannot allocate memory") => {
                ExtractError::Failed(self.limits.memory_message())
            }
            _ => {
                let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
                tracing::warn!(%status, stderr = %last, "the extraction process failed");
                ExtractError::Failed(format!("The file could not be read: the extraction process failed ({status})."))
            }
        }
    }
}

/// A failure of the machinery, not of the file: worth trying again later.
fn unavailable(why: &str) -> ExtractError {
    ExtractError::Unavailable(format!("Files cannot be read right now: {why}."))
}

/// The child's one answer.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Docs(Vec<String>),
    Empty,
    Unsupported(String),
    Failed(String),
}

impl Reply {
    /// A tag byte, then for documents `u32` little-endian lengths each followed by the text,
    /// else the message.
    fn encode(&self) -> Vec<u8> {
        let (tag, message) = match self {
            Self::Docs(docs) => {
                let mut out = Vec::with_capacity(1 + docs.iter().map(|d| d.len() + 4).sum::<usize>());
                out.push(b'D');
                for doc in docs {
                    out.extend_from_slice(&u32::try_from(doc.len()).unwrap_or(u32::MAX).to_le_bytes());
                    out.extend_from_slice(doc.as_bytes());
                }
                return out;
            }
            Self::Empty => (b'E', ""),
            Self::Unsupported(ext) => (b'U', ext.as_str()),
            Self::Failed(message) => (b'F', message.as_str()),
        };
        let mut out = vec![tag];
        out.extend_from_slice(message.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (tag, mut rest) = bytes.split_first()?;
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
        match tag {
            b'D' => {
                let mut docs = Vec::new();
                while !rest.is_empty() {
                    let (len, tail) = rest.split_first_chunk::<4>()?;
                    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
                    let doc = tail.get(..len)?;
                    docs.push(text(doc)?);
                    rest = &tail[len..];
                }
                Some(Self::Docs(docs))
            }
            b'E' => Some(Self::Empty),
            b'U' => text(rest).map(Self::Unsupported),
            b'F' => text(rest).map(Self::Failed),
            _ => None,
        }
    }

    fn into_result(self) -> Result<Vec<String>, ExtractError> {
        match self {
            Self::Docs(docs) => Ok(docs),
            Self::Empty => Err(ExtractError::Empty),
            Self::Unsupported(ext) => Err(ExtractError::Unsupported(ext)),
            Self::Failed(message) => Err(ExtractError::Failed(message)),
        }
    }
}

/// If this process was started as an extraction child, does the extraction and exits;
/// otherwise returns at once. Call it first in `main`, before any runtime starts.
pub fn serve_if_child() {
    let mut args = std::env::args_os();
    args.next();
    if args.next().as_deref() != Some(std::ffi::OsStr::new(CHILD_ARG)) {
        return;
    }
    let code = match child(args.collect()) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "extraction child: {e}");
            2
        }
    };
    std::process::exit(code);
}

/// The child: limits first, then the file from stdin, then one [`Reply`] on stdout.
fn child(args: Vec<OsString>) -> Result<(), String> {
    let arg = |i: usize| args.get(i).and_then(|a| a.to_str()).ok_or_else(|| format!("argument {i} is missing"));
    let number = |i: usize| arg(i)?.parse::<u64>().map_err(|e| format!("argument {i}: {e}"));
    let kind = FileKind::from_extension(arg(0)?).ok_or("unknown file kind")?;
    let limits = Limits { memory_mb: number(1)?, timeout: Duration::from_secs(number(2)?), max_text_bytes: number(3)? };
    apply_limits(&limits).map_err(|e| format!("cannot set resource limits: {e}"))?;

    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("cannot read the file: {e}"))?;
    let worker = std::thread::Builder::new()
        .name("extract".into())
        .stack_size(CHILD_STACK_BYTES)
        .spawn(move || extract_kind(kind, &bytes))
        .map_err(|e| format!("failed to spawn the parser thread: {e}"))?;
    let result = worker.join().map_err(|_| "the parser thread failed".to_string())?;
    let reply = match result {
        // Text and framing each within the limit keep the answer within the parent's cap.
        Ok(docs) if limits.exceeded_by(&docs) => Reply::Failed(limits.text_message()),
        Ok(docs) => Reply::Docs(docs),
        Err(ExtractError::Empty) => Reply::Empty,
        Err(ExtractError::Unsupported(ext)) => Reply::Unsupported(ext),
        Err(e) => Reply::Failed(e.to_string()),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&reply.encode()).map_err(|e| format!("cannot write the answer: {e}"))?;
    out.flush().map_err(|e| format!("cannot write the answer: {e}"))
}

/// Data size, CPU time, no files written, no core dumps, few descriptors.
fn apply_limits(limits: &Limits) -> std::io::Result<()> {
    use rlimit::Resource;
    // The parser thread's stack is a private mapping too: not the file's budget.
    let data = limits.memory_mb.saturating_mul(1024 * 1024).saturating_add(CHILD_STACK_BYTES as u64);
    Resource::DATA.set(data, data)?;
    let cpu = limits.timeout.as_secs().max(1);
    Resource::CPU.set(cpu, cpu.saturating_add(1))?;
    Resource::FSIZE.set(0, 0)?;
    Resource::CORE.set(0, 0)?;
    Resource::NOFILE.set(16, 16)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unsupported_files_never_start_a_child() {
        let extractor = Extractor::new(Some("/nonexistent/program".into()), Limits::default(), 1);
        assert_eq!(extractor.extract("a.exe", vec![1]).await, Err(ExtractError::Unsupported("exe".into())));
    }

    #[tokio::test]
    async fn a_missing_program_is_an_error_not_a_panic() {
        let extractor = Extractor::new(Some("/nonexistent/program".into()), Limits::default(), 1);
        let err = extractor.extract("a.html", b"<p>hello</p>".to_vec()).await.expect_err("no program");
        assert!(err.to_string().contains("could not start"), "{err}");
    }

    /// Plain text needs no child (the program here does not exist), and keeps the text limit.
    #[tokio::test]
    async fn plain_text_is_decoded_here_within_the_text_limit() {
        let limits = Limits { max_text_bytes: 12, ..Limits::default() };
        let extractor = Extractor::new(Some("/nonexistent/program".into()), limits.clone(), 1);
        assert_eq!(extractor.extract("a.txt", b"hello".to_vec()).await, Ok(vec!["hello".to_owned()]));
        // Latin-1 bytes decode to more UTF-8 bytes than the file has: the limit is on the text.
        assert_eq!(
            extractor.extract("a.TXT", b"\xe9t\xe9 \xe0 c\xf4t\xe9".to_vec()).await,
            Err(ExtractError::Failed(limits.text_message()))
        );
        assert_eq!(extractor.extract("blank.txt", b" \n ".to_vec()).await, Err(ExtractError::Empty));
    }

    #[test]
    fn replies_round_trip() {
        for reply in [
            Reply::Docs(vec!["a\u{0}b".into(), String::new(), "中文".into()]),
            Reply::Docs(Vec::new()),
            Reply::Empty,
            Reply::Unsupported("exe".into()),
            Reply::Failed("too big".into()),
        ] {
            assert_eq!(Reply::decode(&reply.encode()).as_ref(), Some(&reply));
        }
        assert_eq!(Reply::decode(b"D\x05\0\0\0ab"), None, "a length past the end");
        assert_eq!(Reply::decode(b""), None);
        let docs = Reply::Docs(vec!["x\u{1}".repeat(1000)]);
        assert_eq!(docs.encode().len(), 1 + 4 + 2000, "no escaping: the answer is as big as its text");
        let messages = Limits::default();
        assert!(messages.memory_message().contains("512 MB"));
        assert!(messages.time_message().contains("60 s"));
        assert!(messages.text_message().contains("64 MB"));
    }
}
