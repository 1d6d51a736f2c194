//! `admin db upgrade|pending|check-values`: schema management, as `flask db` does it, and a
//! check that every row's status, mode, source and type columns hold values dify-rs reads.

use anyhow::Context;
use clap::Subcommand;
use kernel::Config;

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Apply pending migrations (adopting a database Dify 0.3.23's Alembic created).
    Upgrade,
    /// List migrations not yet applied.
    Pending,
    /// List status, mode, source and type values dify-rs cannot read (rows a later Dify or a
    /// hand wrote); exits 1 when there are any.
    ///
    /// Example: `admin db check-values`
    CheckValues,
}

pub async fn run(command: DbCommand, config: &Config) -> anyhow::Result<()> {
    let db = crate::connect::db(config).await?;
    match command {
        DbCommand::Upgrade => {
            let report = migration::upgrade(&db).await.context("migration failed")?;
            if report.adopted_from_alembic {
                println!("Adopted the schema Dify 0.3.23's Alembic created (revision 6e2cfb077b04).");
            }
            if report.applied.is_empty() {
                println!("Database is up to date; nothing to apply.");
            }
            for m in report.applied {
                println!("Applied {m}");
            }
            for w in report.warnings {
                println!("Warning: {w}");
            }
            if report.adopted_from_alembic {
                for w in entities::known_values::warnings(&db).await? {
                    println!("Warning: {w}");
                }
            }
        }
        DbCommand::CheckValues => {
            let unknown = entities::known_values::warnings(&db).await?;
            if unknown.is_empty() {
                println!("Every status, mode, source and type value is one dify-rs reads.");
                return Ok(());
            }
            for u in &unknown {
                println!("{u}");
            }
            anyhow::bail!("{} column(s) hold values dify-rs cannot read", unknown.len());
        }
        DbCommand::Pending => {
            let pending = migration::pending(&db).await?;
            if pending.is_empty() {
                println!("No pending migrations.");
            }
            for m in pending {
                println!("{m}");
            }
        }
    }
    Ok(())
}
