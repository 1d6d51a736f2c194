//! `dify-bench`: the benchmark suite. Each command starts what it measures in the mode asked
//! (the release `api-server`, an `indexer-worker` in services mode, the fake model server in a
//! process of its own), loads it from a Rust client that checks every answer, measures the fake
//! directly with the same client, and prints a Markdown table (JSON and Markdown also go to
//! `--out`, `bench/out` by default).
//!
//! `cargo build --release --bins && target/release/dify-bench stream --mode embedded`
//! (`just bench-stream embedded`; `just bench` runs them all in both modes).

mod benches;
mod index;
mod index_console;
mod load;
mod report;
mod setup;
mod stack;
mod startup;

// The servers' allocator: the indexing benchmark runs the worker's pipeline in this process,
// so it is measured as the worker runs it.
infra::jemalloc_global_allocator!();

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::benches::Ctx;
use crate::report::Report;
use crate::stack::{Fake, Mode, Stack};

#[derive(Parser, Debug)]
#[command(name = "dify-bench", about = "Benchmarks of dify-rs (release build; never part of the test suite)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Where the server keeps its state.
    #[arg(long, value_enum, default_value = "embedded")]
    mode: Mode,
    /// Seconds measured per point (after a second of warm-up).
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Words in the question; the fake echoes them, one token each.
    #[arg(long, default_value_t = 20)]
    words: usize,
    /// Milliseconds between the fake's tokens (0: as fast as it can).
    #[arg(long, default_value_t = 0)]
    token_ms: u64,
    /// Directory for the JSON and Markdown results.
    #[arg(long, default_value = "bench/out")]
    out: PathBuf,
    /// Name of the result files (default: the command's).
    #[arg(long)]
    name: Option<String>,
}

impl Common {
    fn name<'a>(&'a self, default: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(default)
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Streamed chats at each concurrency (first-event time, complete/incomplete/cut counts).
    Stream {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_delimiter = ',', default_values_t = [1, 10, 50, 200])]
        concurrency: Vec<usize>,
    },
    /// Blocking chats at each concurrency.
    Blocking {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_delimiter = ',', default_values_t = [1, 10, 50])]
        concurrency: Vec<usize>,
    },
    /// `GET /v1/parameters`, the hottest read.
    Read {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_delimiter = ',', default_values_t = [50])]
        concurrency: Vec<usize>,
    },
    /// A long conversation: listing its messages, and chats that build prompts from it.
    History {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 60)]
        turns: usize,
        #[arg(long, default_value_t = 10)]
        concurrency: usize,
    },
    /// Memory of the server idle and after streamed, blocking and read load.
    Memory {
        #[command(flatten)]
        common: Common,
    },
    /// Time from start to healthy, restarted and on an empty database.
    Startup {
        #[arg(long, value_enum, default_value = "embedded")]
        mode: Mode,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value = "bench/out")]
        out: PathBuf,
        #[arg(long, default_value = "startup")]
        name: String,
    },
    /// Indexing throughput on a fixed corpus, at growing dataset sizes.
    Index {
        #[arg(long, value_enum, default_value = "embedded")]
        mode: Mode,
        /// Documents measured at each size.
        #[arg(long, default_value_t = 40)]
        docs: usize,
        /// Paragraphs per document (about 100 bytes each).
        #[arg(long, default_value_t = 200)]
        paragraphs: usize,
        /// Latency of each embeddings request.
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        /// Index for vectors (embeddings) instead of keywords.
        #[arg(long)]
        high_quality: bool,
        /// Documents already in the dataset at each measurement.
        #[arg(long, value_delimiter = ',', default_values_t = [0])]
        at: Vec<usize>,
        #[arg(long, default_value = "bench/out")]
        out: PathBuf,
        #[arg(long, default_value = "index")]
        name: String,
    },
    /// Economy indexing through the console API (upload, `datasets/init`, status polled), of
    /// dify-rs started in the mode asked or of a running server (`--url`, e.g. Python Dify).
    IndexConsole {
        #[arg(long, value_enum, default_value = "embedded")]
        mode: Mode,
        /// A running Dify-compatible server's base URL (e.g. `http://127.0.0.1:5001`); the
        /// account is set up there if the server is new.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value = "bench@example.com")]
        email: String,
        #[arg(long, default_value = "Passw0rd123")]
        password: String,
        #[arg(long, default_value_t = 40)]
        docs: usize,
        #[arg(long, default_value_t = 200)]
        paragraphs: usize,
        #[arg(long, default_value = "bench/out")]
        out: PathBuf,
        #[arg(long, default_value = "index-console")]
        name: String,
    },
    /// The fake model server alone (used by the other commands): prints its URL, serves until killed.
    #[command(hide = true)]
    Fake {
        #[arg(long, default_value_t = 0)]
        token_ms: u64,
        #[arg(long, default_value_t = 0)]
        first_token_ms: u64,
    },
}

fn main() -> anyhow::Result<()> {
    // The indexing benchmark reads documents through this binary started as the extraction child.
    datasets::extract::serve_if_child();
    let cli = Cli::parse();
    // Every connection of the load is a file descriptor here and in the servers started.
    let _ = rlimit::increase_nofile_limit(65_536);
    let workers = if matches!(cli.command, Command::Fake { .. }) { 1 } else { 2 };
    tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?.block_on(run(cli.command))
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::IndexConsole { mode, url, email, password, docs, paragraphs, out, name } => {
            let args = index_console::Args { mode, url, email, password, docs, paragraphs };
            let section = index_console::index_console(&args).await?;
            report(&out, &name, index_console::label(&args), vec![section])
        }
        Command::Fake { token_ms, first_token_ms } => fake(token_ms, first_token_ms).await,
        Command::Stream { common, concurrency } => {
            let ctx = ctx(&common).await?;
            let section = benches::stream(&ctx, &concurrency).await;
            emit(&common.out, common.name("stream"), common.mode, vec![section])
        }
        Command::Blocking { common, concurrency } => {
            let ctx = ctx(&common).await?;
            let section = benches::blocking(&ctx, &concurrency).await;
            emit(&common.out, common.name("blocking"), common.mode, vec![section])
        }
        Command::Read { common, concurrency } => {
            let ctx = ctx(&common).await?;
            let section = benches::read(&ctx, &concurrency).await;
            emit(&common.out, common.name("read"), common.mode, vec![section])
        }
        Command::History { common, turns, concurrency } => {
            let ctx = ctx(&common).await?;
            let section = benches::history(&ctx, turns, concurrency).await?;
            emit(&common.out, common.name("history"), common.mode, vec![section])
        }
        Command::Memory { common } => {
            let ctx = ctx(&common).await?;
            let mut points = vec![("start and set-up".to_owned(), ctx.memory())];
            let mut sections = vec![benches::stream(&ctx, &[50]).await];
            points.push(("50 concurrent streams".into(), ctx.memory()));
            sections.push(benches::blocking(&ctx, &[50]).await);
            points.push(("50 concurrent blocking chats".into(), ctx.memory()));
            sections.push(benches::read(&ctx, &[50]).await);
            points.push(("50 concurrent reads".into(), ctx.memory()));
            tokio::time::sleep(Duration::from_secs(2)).await;
            points.push(("2 s idle".into(), ctx.memory()));
            sections.insert(0, benches::memory(&points));
            emit(&common.out, common.name("memory"), common.mode, sections)
        }
        Command::Startup { mode, runs, out, name } => {
            let section = startup::startup(mode, runs).await?;
            emit(&out, &name, mode, vec![section])
        }
        Command::Index { mode, docs, paragraphs, latency_ms, high_quality, mut at, out, name } => {
            at.sort_unstable();
            let args = index::Args { mode, docs, paragraphs, latency_ms, high_quality, at };
            let section = index::index(&args).await?;
            emit(&out, &name, mode, vec![section])
        }
    }
}

async fn ctx(common: &Common) -> anyhow::Result<Ctx> {
    let fake = Fake::start(common.token_ms, 0)?;
    let stack = Stack::start(common.mode).await?;
    Ctx::new(stack, fake, common.words, Duration::from_secs(1), Duration::from_secs_f64(common.seconds)).await
}

fn emit(out: &std::path::Path, bench: &str, mode: Mode, sections: Vec<report::Section>) -> anyhow::Result<()> {
    report(out, bench, mode.name(), sections)
}

fn report(out: &std::path::Path, bench: &str, mode: &str, sections: Vec<report::Section>) -> anyhow::Result<()> {
    Report {
        bench: bench.into(),
        mode: mode.into(),
        machine: stack::machine(),
        version: env!("CARGO_PKG_VERSION").into(),
        sections,
    }
    .emit(out)
}

async fn fake(token_ms: u64, first_token_ms: u64) -> anyhow::Result<()> {
    use test_support::fake_openai::{FakeOpenAi, FakeOpenAiConfig};
    let fake = FakeOpenAi::start_with(FakeOpenAiConfig {
        tokens_per_second: (token_ms > 0).then(|| 1000.0 / token_ms as f64),
        first_token_latency: Duration::from_millis(first_token_ms),
        record: false,
        workers: 2,
        ..FakeOpenAiConfig::default()
    })
    .await;
    println!("{}", fake.base_url());
    std::future::pending::<()>().await;
    drop(fake);
    Ok(())
}
