//! `admin`: the operator CLI, Dify's `flask <command>` set.

mod account_cmd;
mod app_config_cmd;
mod connect;
mod db_cmd;
mod hosted_cmd;
mod index_cmd;
mod invitation_cmd;
mod keys_cmd;
mod openapi_cmd;
mod prompt;
mod recommended_cmd;
mod routes_table;

use std::process::ExitCode;

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
    ///
    /// Example: `admin db upgrade`, `admin db pending`, `admin db check-values`
    Db {
        #[command(subcommand)]
        command: db_cmd::DbCommand,
    },
    /// Print the route table, as `flask routes` does.
    ///
    /// Each route with its methods, endpoint and whether it is built. Example: `admin routes`
    Routes,
    /// Write the OpenAPI documents of the console, service and web-app APIs.
    ///
    /// The same documents the server serves at `/console/api/openapi.json`, `/v1/openapi.json`
    /// and `/api/openapi.json`; no configuration is read.
    /// Example: `admin openapi --out ./openapi`, `admin openapi --api service`
    Openapi(openapi_cmd::OpenapiArgs),
    /// Reset the account password and sign the account out of the console.
    ///
    /// Options left out are asked for on the terminal.
    /// Example: `admin reset-password --email a@b.c --new-password P --password-confirm P`
    ResetPassword(account_cmd::ResetPasswordArgs),
    /// Reset the account email.
    ///
    /// Options left out are asked for on the terminal.
    /// Example: `admin reset-email --email old@b.c --new-email new@b.c --email-confirm new@b.c`
    ResetEmail(account_cmd::ResetEmailArgs),
    /// Reset the asymmetric key pair of the workspace that encrypts LLM credentials.
    ///
    /// After the reset, all LLM credentials become invalid and must be entered again.
    /// Only supported in SELF_HOSTED mode. Example: `admin reset-encrypt-key-pair --yes`
    ResetEncryptKeyPair(keys_cmd::ResetKeyPairArgs),
    /// Generate invitation codes.
    ///
    /// The codes go to `invitation_codes` and, one per line, to the storage file
    /// `invitation-codes-<batch>.txt`. A missing --count is asked for on the terminal.
    /// Example: `admin generate-invitation-codes --batch launch --count 100`
    GenerateInvitationCodes(invitation_cmd::GenerateArgs),
    /// List an app in the explore catalogue as a recommended app and make it public.
    ///
    /// The app's site description, copyright and privacy policy win over the options; an app
    /// already listed is updated in place.
    /// Example: `admin add-recommended-app --app-id <uuid> --category Writing --language en-US`
    AddRecommendedApp(recommended_cmd::AddRecommendedAppArgs),
    /// Rescale workspaces' Anthropic trial quotas to HOSTED_ANTHROPIC_QUOTA_LIMIT.
    ///
    /// A trial limit of 1000 (the old default) becomes the new limit; other limits and the
    /// quota used are multiplied by ceil(new limit / 1000) — on every run, as in Dify.
    /// Example: `HOSTED_ANTHROPIC_QUOTA_LIMIT=600000 admin sync-anthropic-hosted-providers`
    SyncAnthropicHostedProviders,
    /// Rebuild the vectors of every high-quality dataset from its segments.
    ///
    /// Each dataset's vectors are dropped and built again from the segments of its available
    /// documents; embeddings come from the cache, so no text is paid twice. Run it again to
    /// resume. Example: `admin recreate-all-dataset-indexes`
    RecreateAllDatasetIndexes,
    /// Remove the indexes of datasets idle for CLEAN_DAY_SETTING days (default 30).
    ///
    /// A dataset made before then, not queried since and with no available document updated
    /// since loses its vectors and keyword table, and its documents are disabled, as in Dify.
    /// Example: `CLEAN_DAY_SETTING=90 admin clean-unused-dataset-indexes`
    CleanUnusedDatasetIndexes,
    /// Build in Qdrant the index of every high-quality dataset indexed elsewhere.
    ///
    /// With VECTOR_STORE=qdrant: each dataset whose index is not Qdrant's gets its vectors
    /// built there from its segments (embeddings cached), then its index marked Qdrant's. Run
    /// it again to resume. Example: `VECTOR_STORE=qdrant QDRANT_URL=http://qdrant:6333 admin create-qdrant-indexes`
    CreateQdrantIndexes,
    /// Mark as Qdrant's the datasets whose vectors are already in Qdrant.
    ///
    /// With VECTOR_STORE=qdrant: a dataset indexed elsewhere whose first segment is found in
    /// Qdrant (Python Dify built it there) is marked, nothing copied.
    /// Example: `VECTOR_STORE=qdrant QDRANT_URL=http://qdrant:6333 admin update-qdrant-indexes`
    UpdateQdrantIndexes,
    /// Move every dataset's own Qdrant collection into the one its embedding model shares.
    ///
    /// With VECTOR_STORE=qdrant: a high-quality dataset without a collection binding gets its
    /// embedding model's (made on first use), its points copied there with their vectors, and
    /// its own collection dropped; searches return the same hits. Run it again to resume.
    /// Example: `VECTOR_STORE=qdrant QDRANT_URL=http://qdrant:6333 admin normalization-collections`
    NormalizationCollections,
    /// Migrate data to support paragraph variable.
    ///
    /// Completion apps whose prompt lacks `{{default_input}}` get it appended, and a
    /// `paragraph` input of that name (labelled in the workspace owner's language) added to
    /// their form. Dify's spelling `update_app_model_configs` works too.
    /// Example: `admin update-app-model-configs --batch-size 200`
    #[command(alias = "update_app_model_configs")]
    UpdateAppModelConfigs(app_config_cmd::UpdateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    // Read only by the commands that need it: `routes` works without any configuration.
    let config = || Config::from_env();
    match command {
        Command::Routes => {
            routes_table::run();
            Ok(())
        }
        Command::Openapi(args) => openapi_cmd::run(args),
        Command::Db { command } => db_cmd::run(command, &config()?).await,
        Command::ResetPassword(args) => account_cmd::reset_password(args, &config()?).await,
        Command::ResetEmail(args) => account_cmd::reset_email(args, &config()?).await,
        Command::ResetEncryptKeyPair(args) => keys_cmd::run(args, &config()?).await,
        Command::GenerateInvitationCodes(args) => invitation_cmd::run(args, &config()?).await,
        Command::AddRecommendedApp(args) => recommended_cmd::run(args, &config()?).await,
        Command::SyncAnthropicHostedProviders => hosted_cmd::sync_anthropic(&config()?).await,
        Command::RecreateAllDatasetIndexes => index_cmd::recreate_all(&config()?).await,
        Command::CleanUnusedDatasetIndexes => index_cmd::clean_unused(&config()?).await,
        Command::CreateQdrantIndexes => index_cmd::create_qdrant(&config()?).await,
        Command::UpdateQdrantIndexes => index_cmd::update_qdrant(&config()?).await,
        Command::NormalizationCollections => index_cmd::normalize(&config()?).await,
        Command::UpdateAppModelConfigs(args) => app_config_cmd::run(args, &config()?).await,
    }
}

/// Warnings and errors on stderr (the causes behind a failed command); RUST_LOG overrides.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
