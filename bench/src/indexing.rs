//! Indexing throughput: documents per minute and segments per second for a fixed corpus,
//! with the embedding server's latency fixed, through the same pipeline the worker runs.
//!
//! `cargo run --release -p bench --bin indexing -- --docs 40 --latency-ms 50`
//! (`DIFY_TEST_BACKEND=services` runs it on PostgreSQL).

use std::time::{Duration, Instant};

use clap::Parser;
use datasets::indexing::{DocumentOutcome, Indexer, index_documents};
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;

#[derive(Parser, Debug)]
struct Args {
    /// Documents in the corpus.
    #[arg(long, default_value_t = 40)]
    docs: usize,
    /// Paragraphs per document (each about 60 tokens).
    #[arg(long, default_value_t = 200)]
    paragraphs: usize,
    /// Latency of each embeddings request of the fake vendor.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
}

const RULES: &str = r#"{"pre_processing_rules":[{"id":"remove_extra_spaces","enabled":true}],"segmentation":{"separator":"\n\n","max_tokens":200}}"#;

/// A deterministic document: numbered paragraphs of varied words.
fn document(n: usize, paragraphs: usize) -> String {
    const WORDS: [&str; 16] = [
        "tea",
        "garden",
        "river",
        "harvest",
        "leaf",
        "steam",
        "oxidation",
        "valley",
        "terrace",
        "monsoon",
        "picker",
        "factory",
        "aroma",
        "blend",
        "export",
        "auction",
    ];
    (0..paragraphs)
        .map(|p| {
            let words: Vec<&str> = (0..40).map(|w| WORDS[(n * 7 + p * 13 + w * 3) % WORDS.len()]).collect();
            format!("Document {n}, paragraph {p}: {}.\n\n", words.join(" "))
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    // Documents are read by this binary started again as the extraction child.
    datasets::extract::serve_if_child();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    fake.set_embedding_latency(Duration::from_millis(args.latency_ms));
    let corpus: Vec<(String, String)> =
        (0..args.docs).map(|n| (format!("doc-{n}.txt"), document(n, args.paragraphs))).collect();
    let named: Vec<(&str, String)> = corpus.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let seeded = test_support::seed::high_quality_dataset(&env, &fake, RULES, &named).await;
    let indexer = Indexer(datasets::Ctx::new(&env.infra, &env.config, providers::runtime::http_client()?));

    let started = Instant::now();
    let outcomes = index_documents(&indexer, seeded.dataset_id, &seeded.document_ids).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let mut segments = 0;
    for (id, outcome) in &outcomes {
        match outcome {
            DocumentOutcome::Completed { segments: n, .. } => segments += n,
            other => anyhow::bail!("document {id} did not complete: {other:?}"),
        }
    }
    let embedding_calls = fake.requests().iter().filter(|r| r.path.ends_with("/embeddings")).count();
    println!("backend            {}", if test_support::services_mode() { "services" } else { "embedded" });
    println!("documents          {}", outcomes.len());
    println!("segments           {segments}");
    println!("embedding requests {embedding_calls} ({} ms each)", args.latency_ms);
    println!("elapsed            {elapsed:.2} s");
    println!("documents/minute   {:.1}", outcomes.len() as f64 / elapsed * 60.0);
    println!("segments/second    {:.1}", segments as f64 / elapsed);
    Ok(())
}
