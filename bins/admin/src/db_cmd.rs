//! `admin db upgrade|pending`: schema management, as `flask db` does it.

use anyhow::Context;
use clap::Subcommand;
use kernel::Config;

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Apply pending migrations (adopting a database Dify 0.3.23's Alembic created).
    Upgrade,
    /// List migrations not yet applied.
    Pending,
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
