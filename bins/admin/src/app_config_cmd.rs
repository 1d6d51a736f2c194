//! `update-app-model-configs` (Dify's `update_app_model_configs`): the data migration that
//! gives old completion apps a paragraph variable. Batches as Dify's, a line per batch, a
//! summary; configs already migrated are skipped, so running it again resumes it.

use anyhow::Context;
use apps::paragraph_migration::{self, Step};
use kernel::Config;

#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    /// Number of records to migrate in each batch.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    batch_size: u64,
}

pub async fn run(args: UpdateArgs, config: &Config) -> anyhow::Result<()> {
    println!("Start migrate old data that the text generator can support paragraph variable.");
    let db = crate::connect::db(config).await?;
    let total = paragraph_migration::count(&db).await.context("cannot count the configs")?;
    if total == 0 {
        println!("No data to migrate.");
        return Ok(());
    }
    let batches = total.div_ceil(args.batch_size);
    let (mut migrated, mut done_before, mut no_owner) = (0, 0, 0);
    for i in 0..batches {
        let rows = paragraph_migration::batch(&db, i * args.batch_size, args.batch_size)
            .await
            .context("cannot read a batch; run the command again to resume")?;
        for (config, tenant) in &rows {
            match paragraph_migration::migrate(&db, config, *tenant)
                .await
                .with_context(|| format!("cannot migrate app model config {}", config.id))?
            {
                Step::Migrated => migrated += 1,
                Step::AlreadyDone => done_before += 1,
                Step::NoOwner => no_owner += 1,
            }
        }
        println!("[{}/{batches}] Successfully migrated batch {} ({} records).", i + 1, i + 1, rows.len());
    }
    println!(
        "Migrated {migrated} of {total} configs ({done_before} already had the variable, {no_owner} have no owner)."
    );
    Ok(())
}
