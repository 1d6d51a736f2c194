//! `recreate-all-dataset-indexes` and `clean-unused-dataset-indexes`: the operators' vector
//! index commands, with Dify's selection and wording. Each dataset is one step, reported on
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
