//! `admin openapi`: the OpenAPI documents of the three APIs, as the server serves them.

use std::path::PathBuf;

use anyhow::Context;
use api_server::openapi::{SURFACES, document, file_name};
use api_server::routes::{Surface, table};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  admin openapi --out docs/openapi\n  admin openapi --api service > service-api.json"
)]
pub struct OpenapiArgs {
    /// Write `console-api.json`, `service-api.json` and `web-api.json` into this directory.
    #[arg(long, conflicts_with = "api")]
    out: Option<PathBuf>,
    /// Print one API's document on stdout instead.
    #[arg(long, value_enum)]
    api: Option<Api>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Api {
    /// `/console/api`
    Console,
    /// `/v1`
    Service,
    /// `/api`
    Web,
}

pub fn run(args: OpenapiArgs) -> anyhow::Result<()> {
    let routes = table();
    if let Some(api) = args.api {
        let surface = match api {
            Api::Console => Surface::Console,
            Api::Service => Surface::Service,
            Api::Web => Surface::Web,
        };
        println!("{}", document(surface, &routes).to_pretty_json()?);
        return Ok(());
    }
    let dir = args.out.unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for surface in SURFACES {
        let path = dir.join(file_name(surface));
        let doc = document(surface, &routes);
        std::fs::write(&path, doc.to_pretty_json()? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("{}: {} paths", path.display(), doc.paths.paths.len());
    }
    Ok(())
}
