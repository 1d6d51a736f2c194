//! `recreate-all-dataset-indexes`, `clean-unused-dataset-indexes` and the Qdrant commands
//! (`create-qdrant-indexes`, `update-qdrant-indexes`, `normalization-collections`): the
//! operators' vector index commands, with Dify's selection and wording. Each dataset is one step, reported on
//! its own line as `[n/total]`; a failed step is reported and the command goes on. Every step
//! is idempotent, so a command cut short is resumed by running it again.

use anyhow::Context;
use datasets::indexing::{Indexer, Rebuild, rebuild_vectors};
use kernel::Config;

async fn indexer(config: &Config) -> anyhow::Result<Indexer> {
    let infra = crate::connect::infra(config).await?;
    let http = providers::runtime::http_client().context("cannot build the model HTTP client")?;
    Ok(Indexer(datasets::Ctx::new(&infra, config, http)))
}

pub async fn recreate_all(config: &Config) -> anyhow::Result<()> {
    println!("Start recreate all dataset indexes.");
    let indexer = indexer(config).await?;
    let targets =
        datasets::maintenance::high_quality_datasets(&indexer.db).await.context("cannot list the datasets")?;
    let (total, mut recreated, mut failed) = (targets.len(), 0, 0);
    for (n, d) in targets.iter().enumerate() {
        match rebuild_vectors(&indexer, d).await {
            Ok(segments) => {
                recreated += 1;
                println!("[{}/{total}] Recreated dataset index: {} ({segments} segments)", n + 1, d.id);
            }
            Err(Rebuild::Database(e)) => return Err(e).context("the database failed; run the command again"),
            Err(Rebuild::Failed(e)) => {
                failed += 1;
                eprintln!("[{}/{total}] Recreate dataset index error: {} {e}", n + 1, d.id);
            }
        }
    }
    println!("Congratulations! Recreate {recreated} dataset indexes ({failed} failed).");
    Ok(())
}

pub async fn clean_unused(config: &Config) -> anyhow::Result<()> {
    println!("Start clean unused dataset indexes.");
    let started = std::time::Instant::now();
    let indexer = indexer(config).await?;
    let cutoff = kernel::time::now_naive() - chrono::Duration::days(i64::from(config.clean_day_setting));
    let targets =
        datasets::maintenance::unused_datasets(&indexer.db, cutoff).await.context("cannot list the datasets")?;
    let (total, mut cleaned, mut failed) = (targets.len(), 0, 0);
    for (n, d) in targets.iter().enumerate() {
        match datasets::maintenance::clean_dataset(&indexer, d).await {
            Ok(()) => {
                cleaned += 1;
                println!("[{}/{total}] Cleaned unused dataset {} from db success!", n + 1, d.id);
            }
            Err(e) => {
                failed += 1;
                eprintln!("[{}/{total}] clean dataset index error: {} {e}", n + 1, d.id);
            }
        }
    }
    println!(
        "Cleaned {cleaned} unused datasets ({failed} failed, idle for {} days) in {:.2} s.",
        config.clean_day_setting,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The Qdrant store the Qdrant commands write to; they refuse any other configuration.
fn qdrant(config: &Config) -> anyhow::Result<rag::vector::QdrantVectorStore> {
    datasets::vectors::qdrant(&config.vector_store)
        .context("cannot build the Qdrant client")?
        .context("set VECTOR_STORE=qdrant and QDRANT_URL (and QDRANT_API_KEY) to run the Qdrant commands")
}

/// One command's tally: each dataset a step on its own line, then the summary.
struct Tally {
    total: usize,
    done: usize,
    failed: usize,
}

impl Tally {
    fn new(total: usize) -> Self {
        Self { total, done: 0, failed: 0 }
    }

    /// Reports a step; a database failure stops the command (run it again to resume).
    fn step<T>(
        &mut self,
        n: usize,
        d: &entities::datasets::Model,
        outcome: Result<T, Rebuild>,
        ok: impl FnOnce(T) -> Option<String>,
    ) -> anyhow::Result<()> {
        match outcome {
            Ok(v) => match ok(v) {
                Some(line) => {
                    self.done += 1;
                    println!("[{}/{}] {line}", n + 1, self.total);
                }
                None => println!("[{}/{}] passed: {}", n + 1, self.total, d.id),
            },
            Err(Rebuild::Database(e)) => return Err(e).context("the database failed; run the command again"),
            Err(Rebuild::Failed(e)) => {
                self.failed += 1;
                eprintln!("[{}/{}] Create dataset index error: {} {e}", n + 1, self.total, d.id);
            }
        }
        Ok(())
    }
}

pub async fn create_qdrant(config: &Config) -> anyhow::Result<()> {
    println!("Start create qdrant indexes.");
    qdrant(config)?;
    let indexer = indexer(config).await?;
    let targets = datasets::qdrant_moves::not_on_qdrant(&indexer.db).await.context("cannot list the datasets")?;
    let mut tally = Tally::new(targets.len());
    for (n, d) in targets.iter().enumerate() {
        let outcome = datasets::qdrant_moves::create_index(&indexer, d).await;
        tally.step(n, d, outcome, |segments| {
            Some(format!("Create dataset qdrant index: {} ({segments} segments)", d.id))
        })?;
    }
    println!("Congratulations! Create {} dataset indexes ({} failed).", tally.done, tally.failed);
    Ok(())
}

pub async fn update_qdrant(config: &Config) -> anyhow::Result<()> {
    println!("Start Update qdrant indexes.");
    let store = qdrant(config)?;
    let indexer = indexer(config).await?;
    let targets = datasets::qdrant_moves::not_on_qdrant(&indexer.db).await.context("cannot list the datasets")?;
    let mut tally = Tally::new(targets.len());
    for (n, d) in targets.iter().enumerate() {
        let outcome = datasets::qdrant_moves::adopt_index(&indexer, &store, d).await;
        tally.step(n, d, outcome, |found| found.then(|| format!("Update dataset qdrant index: {}", d.id)))?;
    }
    println!("Congratulations! Update {} dataset indexes ({} failed).", tally.done, tally.failed);
    Ok(())
}

pub async fn normalize(config: &Config) -> anyhow::Result<()> {
    println!("Start normalization collections.");
    let store = qdrant(config)?;
    let indexer = indexer(config).await?;
    let targets = datasets::qdrant_moves::unbound(&indexer.db).await.context("cannot list the datasets")?;
    let mut tally = Tally::new(targets.len());
    for (n, d) in targets.iter().enumerate() {
        let outcome = datasets::qdrant_moves::normalize(&indexer, &store, d).await;
        tally.step(n, d, outcome, |points| Some(format!("restore dataset index: {} ({points} points)", d.id)))?;
    }
    println!("Congratulations! restore {} dataset indexes ({} failed).", tally.done, tally.failed);
    Ok(())
}
