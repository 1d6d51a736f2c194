//! `recreate-all-dataset-indexes`, `clean-unused-dataset-indexes` and the Qdrant commands
//! (`create-qdrant-indexes`, `update-qdrant-indexes`, `normalization-collections`): the
//! operators' vector index commands, with Dify's selection and wording. Each dataset is one
//! step, reported on its own line as `[n/total]` (and on a progress bar while a terminal
//! watches); a failed step is reported and the command goes on. Every step is idempotent, so
//! a command cut short is resumed by running it again.

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
    let mut tally = Tally::new(targets.len(), "Recreate dataset index error");
    for (n, d) in targets.iter().enumerate() {
        let outcome = rebuild_vectors(&indexer, d).await;
        tally
            .step(n, d, outcome, |segments| Some(format!("Recreated dataset index: {} ({segments} segments)", d.id)))?;
    }
    tally.finish(format!("Congratulations! Recreate {} dataset indexes ({} failed).", tally.done, tally.failed));
    Ok(())
}

pub async fn clean_unused(config: &Config) -> anyhow::Result<()> {
    println!("Start clean unused dataset indexes.");
    let started = std::time::Instant::now();
    let indexer = indexer(config).await?;
    let cutoff = kernel::time::now_naive() - chrono::Duration::days(i64::from(config.clean_day_setting));
    let targets =
        datasets::maintenance::unused_datasets(&indexer.db, cutoff).await.context("cannot list the datasets")?;
    let mut tally = Tally::new(targets.len(), "clean dataset index error");
    for (n, d) in targets.iter().enumerate() {
        let outcome = datasets::maintenance::clean_dataset(&indexer, d).await.map_err(|e| match e {
            datasets::maintenance::CleanError::Database(e) => Rebuild::Database(e),
            other => Rebuild::Failed(other.to_string()),
        });
        tally.step(n, d, outcome, |()| Some(format!("Cleaned unused dataset {} from db success!", d.id)))?;
    }
    tally.finish(format!(
        "Cleaned {} unused datasets ({} failed, idle for {} days) in {:.2} s.",
        tally.done,
        tally.failed,
        config.clean_day_setting,
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// The Qdrant store the Qdrant commands write to; they refuse any other configuration.
fn qdrant(config: &Config) -> anyhow::Result<rag::vector::QdrantVectorStore> {
    datasets::vectors::qdrant(&config.vector_store)
        .context("cannot build the Qdrant client")?
        .context("set VECTOR_STORE=qdrant and QDRANT_URL (and QDRANT_API_KEY) to run the Qdrant commands")
}

/// One command's tally: each dataset a step on its own line on stdout (what logs keep), a
/// progress bar on stderr while a terminal watches, then the summary.
struct Tally {
    total: usize,
    done: usize,
    failed: usize,
    error: &'static str,
    bar: indicatif::ProgressBar,
}

impl Tally {
    fn new(total: usize, error: &'static str) -> Self {
        // Drawn on stderr only when it is a terminal; hidden in pipes and logs.
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} datasets, {eta} left") {
            bar.set_style(style);
        }
        Self { total, done: 0, failed: 0, error, bar }
    }

    /// Reports a step; a database failure stops the command (run it again to resume).
    fn step<T>(
        &mut self,
        n: usize,
        d: &entities::datasets::Model,
        outcome: Result<T, Rebuild>,
        ok: impl FnOnce(T) -> Option<String>,
    ) -> anyhow::Result<()> {
        let (total, error) = (self.total, self.error);
        match outcome {
            Ok(v) => match ok(v) {
                Some(line) => {
                    self.done += 1;
                    self.bar.suspend(|| println!("[{}/{total}] {line}", n + 1));
                }
                None => self.bar.suspend(|| println!("[{}/{total}] passed: {}", n + 1, d.id)),
            },
            Err(Rebuild::Database(e)) => {
                self.bar.abandon();
                return Err(e).context("the database failed; run the command again");
            }
            Err(Rebuild::Failed(e)) => {
                self.failed += 1;
                self.bar.suspend(|| eprintln!("[{}/{total}] {error}: {} {e}", n + 1, d.id));
            }
        }
        self.bar.inc(1);
        Ok(())
    }

    fn finish(&self, summary: String) {
        self.bar.finish_and_clear();
        println!("{summary}");
    }
}

pub async fn create_qdrant(config: &Config) -> anyhow::Result<()> {
    println!("Start create qdrant indexes.");
    qdrant(config)?;
    let indexer = indexer(config).await?;
    let targets = datasets::qdrant_moves::not_on_qdrant(&indexer.db).await.context("cannot list the datasets")?;
    let mut tally = Tally::new(targets.len(), "Create dataset index error");
    for (n, d) in targets.iter().enumerate() {
        let outcome = datasets::qdrant_moves::create_index(&indexer, d).await;
        tally.step(n, d, outcome, |segments| {
            Some(format!("Create dataset qdrant index: {} ({segments} segments)", d.id))
        })?;
    }
    tally.finish(format!("Congratulations! Create {} dataset indexes ({} failed).", tally.done, tally.failed));
    Ok(())
}

pub async fn update_qdrant(config: &Config) -> anyhow::Result<()> {
    println!("Start Update qdrant indexes.");
    let store = qdrant(config)?;
    let indexer = indexer(config).await?;
    let targets = datasets::qdrant_moves::not_on_qdrant(&indexer.db).await.context("cannot list the datasets")?;
    let mut tally = Tally::new(targets.len(), "Update dataset index error");
    for (n, d) in targets.iter().enumerate() {
        let outcome = datasets::qdrant_moves::adopt_index(&indexer, &store, d).await;
        tally.step(n, d, outcome, |found| found.then(|| format!("Update dataset qdrant index: {}", d.id)))?;
    }
    tally.finish(format!("Congratulations! Update {} dataset indexes ({} failed).", tally.done, tally.failed));
    Ok(())
}

pub async fn normalize(config: &Config) -> anyhow::Result<()> {
    println!("Start normalization collections.");
    let store = qdrant(config)?;
    let indexer = indexer(config).await?;
    let targets = datasets::qdrant_moves::unbound(&indexer.db).await.context("cannot list the datasets")?;
    let mut tally = Tally::new(targets.len(), "restore dataset index error");
    for (n, d) in targets.iter().enumerate() {
        let outcome = datasets::qdrant_moves::normalize(&indexer, &store, d).await;
        tally.step(n, d, outcome, |points| Some(format!("restore dataset index: {} ({points} points)", d.id)))?;
    }
    tally.finish(format!("Congratulations! restore {} dataset indexes ({} failed).", tally.done, tally.failed));
    Ok(())
}
