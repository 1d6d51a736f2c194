//! `admin`: the operator CLI, Dify's `flask <command>` set.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kernel::Config;

#[derive(Parser, Debug)]
#[command(name = "admin", version, about = "dify-rs operator commands")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Database schema management.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Print the route table, as `flask routes` does.
    Routes,
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Apply pending migrations (adopting a database Dify 0.3.23's Alembic created).
    Upgrade,
    /// List migrations not yet applied.
    Pending,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Routes => {
            print!("{}", format_routes(&api_server::routes::table().describe()));
            Ok(())
        }
        Command::Db { command } => {
            let config = Config::from_env()?;
            let db = infra::db::connect(&config.database_url, 2).await.context("cannot connect to the database")?;
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
    }
}

/// The table in `flask routes` layout, with a status column for what dify-rs answers with 501.
fn format_routes(rows: &[api_server::routes::RouteInfo]) -> String {
    let methods: Vec<String> = rows.iter().map(|r| r.methods.join(", ")).collect();
    let w_ep = rows.iter().map(|r| r.endpoint.len()).max().unwrap_or(8).max(8);
    let w_m = methods.iter().map(String::len).max().unwrap_or(7).max(7);
    let w_p = rows.iter().map(|r| r.path.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:<w_ep$}  {:<w_m$}  {:<w_p$}  Status\n", "Endpoint", "Methods", "Rule");
    out.push_str(&format!("{}  {}  {}  {}\n", "-".repeat(w_ep), "-".repeat(w_m), "-".repeat(w_p), "-".repeat(15)));
    for (r, m) in rows.iter().zip(&methods) {
        let status = if r.implemented { "ok" } else { "501 not built" };
        out.push_str(&format!("{:<w_ep$}  {:<w_m$}  {:<w_p$}  {status}\n", r.endpoint, m, r.path));
    }
    out
}
