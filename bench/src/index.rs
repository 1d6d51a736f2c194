//! Indexing throughput: documents per minute and segments per second for a fixed corpus, with
//! the embedding server's latency fixed, through the pipeline the worker runs (in this process,
//! on the mode's database, cache and queue). With `--at 0,4000`, the same number of documents
//! is indexed into a dataset that already holds 0, then 4,000 documents, so the table shows
//! whether the cost of a document grows with its dataset. High quality also measures the
//! embedding server direct after each batch: the same segments, sent by the same client in
//! the same batches and as many at a time as the pipeline can have in flight, with nothing
//! else done; the ratio is the share of the embedder's own rate the pipeline keeps.

use std::time::{Duration, Instant};

use anyhow::bail;
use datasets::indexing::{DocumentOutcome, Indexer, index_documents};
use serde_json::json;
use test_support::TestEnv;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi, FakeOpenAiConfig};
use uuid::Uuid;

use crate::report::{Section, num};
use crate::stack::Mode;

/// Dify's custom rule the corpus is split with: a segment per paragraph.
pub const RULES: &str = r#"{"pre_processing_rules":[{"id":"remove_extra_spaces","enabled":true}],"segmentation":{"separator":"\n\n","max_tokens":200}}"#;

/// A deterministic document of about `paragraphs` × 100 bytes: numbered paragraphs of varied
/// words (the corpus the issue's figures, Python Dify's included, were measured on).
pub fn document(n: usize, paragraphs: usize) -> String {
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

pub struct Args {
    pub mode: Mode,
    pub docs: usize,
    pub paragraphs: usize,
    pub latency_ms: u64,
    pub high_quality: bool,
    /// Dataset sizes to measure at, ascending.
    pub at: Vec<usize>,
}

pub async fn index(args: &Args) -> anyhow::Result<Section> {
    let env = TestEnv::for_backend(args.mode == Mode::Services, &[]).await;
    let fake = FakeOpenAi::start_with(FakeOpenAiConfig {
        embedding_latency: Duration::from_millis(args.latency_ms),
        record: false,
        ..FakeOpenAiConfig::default()
    })
    .await;
    let technique = if args.high_quality { "high quality" } else { "economy" };
    let mut s = Section::new(
        format!(
            "Indexing, {technique} ({} paragraphs per document, embeddings at {} ms)",
            args.paragraphs, args.latency_ms
        ),
        &[
            "documents already in the dataset",
            "documents",
            "segments",
            "seconds",
            "documents/min",
            "segments/s",
            "embedder direct segments/s",
            "ratio",
        ],
    );
    // One dataset: the measured batches and the filler between them all go into it.
    let total = args.at.last().copied().unwrap_or(0) + args.docs * args.at.len();
    let corpus: Vec<(String, String)> =
        (0..total).map(|n| (format!("doc-{n}.txt"), document(n, args.paragraphs))).collect();
    let named: Vec<(&str, String)> = corpus.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let seeded = test_support::seed::dataset(&env, &fake.base_url(), args.high_quality, RULES, &named).await;
    drop(corpus);
    // A worker loads these once, on its first document; this process is new for each run.
    tokio::task::spawn_blocking(datasets::indexing::load_tables).await?;
    let indexer = Indexer(datasets::Ctx::new(&env.infra, &env.config, providers::runtime::http_client()?));
    let mut next = 0;
    let mut indexed = 0;
    for &at in &args.at {
        if at > indexed {
            eprintln!("filling the dataset to {at} documents…");
            let fill = &seeded.document_ids[next..next + (at - indexed)];
            for chunk in fill.chunks(200) {
                check(index_documents(&indexer, seeded.dataset_id, chunk).await?)?;
            }
            next += fill.len();
            indexed = at;
        }
        let batch = &seeded.document_ids[next..next + args.docs];
        let started = Instant::now();
        let segments = check(index_documents(&indexer, seeded.dataset_id, batch).await?)?;
        let seconds = started.elapsed().as_secs_f64();
        next += batch.len();
        indexed += batch.len();
        let rate = segments as f64 / seconds;
        let direct = match args.high_quality {
            true => Some(embedder_direct(&env, &fake.base_url(), batch).await?),
            false => None,
        };
        s.row(
            vec![
                at.to_string(),
                batch.len().to_string(),
                segments.to_string(),
                format!("{seconds:.2}"),
                num(batch.len() as f64 / seconds * 60.0),
                num(rate),
                direct.map_or("—".into(), num),
                direct.map_or("—".into(), |d| format!("{:.2}", rate / d)),
            ],
            json!({"at": at, "documents": batch.len(), "segments": segments, "seconds": seconds,
                   "embedder_direct_segments_per_s": direct}),
        );
    }
    Ok(s)
}

fn check(outcomes: Vec<(Uuid, DocumentOutcome)>) -> anyhow::Result<usize> {
    let mut segments = 0;
    for (id, outcome) in &outcomes {
        match outcome {
            DocumentOutcome::Completed { segments: n, .. } => segments += n,
            other => bail!("document {id} did not complete: {other:?}"),
        }
    }
    Ok(segments)
}

/// Segments per second the embedding server gives the pipeline's own client for `documents`'
/// segments with nothing else done: each document's segments in the pipeline's batches, as
/// many calls at a time as the pipeline lets one job have in flight.
async fn embedder_direct(env: &TestEnv, fake_base: &str, documents: &[Uuid]) -> anyhow::Result<f64> {
    use datasets::indexing::{BATCH, CONCURRENT_EMBEDDINGS};
    use futures::StreamExt;

    let mut texts: Vec<Vec<String>> = Vec::with_capacity(documents.len());
    for id in documents {
        let segments = datasets::indexing::document_segments(&env.infra.db, *id).await?;
        texts.push(segments.into_iter().map(|s| s.content).collect());
    }
    let mut credentials = providers::runtime::Credentials::new();
    credentials.insert("openai_api_key".into(), FAKE_API_KEY.into());
    credentials.insert("openai_api_base".into(), fake_base.into());
    let model = providers::runtime::ModelRef::new("openai", "text-embedding-ada-002", credentials);
    let http = providers::runtime::http_client()?;
    let segments: usize = texts.iter().map(Vec::len).sum();
    let started = Instant::now();
    let runs: Vec<anyhow::Result<()>> = futures::stream::iter(&texts)
        .map(|document| async {
            for chunk in document.chunks(BATCH) {
                let embedded = providers::runtime::embed(&http, &model, chunk).await?;
                anyhow::ensure!(embedded.vectors.len() == chunk.len(), "the embedder answered short");
            }
            Ok(())
        })
        .buffer_unordered(CONCURRENT_EMBEDDINGS)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    runs.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(segments as f64 / seconds)
}
