//! `api-server`: serves Dify's HTTP API; in embedded mode it also runs the job worker.

use std::time::Duration;

use actix_web::HttpServer;
use anyhow::Context;
use api_server::{AppState, app};
use infra::Infra;
use kernel::Config;

// jemalloc, handing freed memory back within a second (`infra::allocator`).
infra::jemalloc_global_allocator!();

fn main() -> anyhow::Result<()> {
    // Started again as the extraction child: parse one file and exit, before any runtime.
    rag::extract::serve_if_child();
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        healthcheck();
    }
    let config = Config::from_env()?;
    // Before the runtime: the span exporter's client is a blocking one. Dropped last, it
    // flushes the spans still batched.
    let otlp = config.otel_endpoint.as_deref().map(|endpoint| (endpoint, "api-server"));
    let _telemetry = infra::logging::init(&config.log_level, config.log_format, otlp);
    // The system's own tasks run on a multi-threaded runtime: in embedded mode they are the
    // in-process worker (indexing) and the single database writer, which would otherwise
    // share one thread. The HTTP workers keep their own threads either way.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    actix_web::rt::System::with_tokio_rt(move || runtime).block_on(serve(config))
}

/// `api-server healthcheck`: the container's probe, asking this host's server for `/ready`;
/// exits 0 when it is ready, 1 (saying why) when not.
fn healthcheck() -> ! {
    let port = match Config::from_env() {
        Ok(config) => config.port,
        Err(e) => {
            eprintln!("not ready: {e}");
            std::process::exit(1);
        }
    };
    match infra::readiness::probe_local(port, std::time::Duration::from_secs(4)) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("not ready: {e}");
            std::process::exit(1);
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let infra = Infra::connect(&config, &config.namespace).await.context("cannot reach a configured service")?;
    if config.migration_enabled {
        let report = migration::upgrade(&infra.db).await.context("database migration failed")?;
        tracing::info!(applied = ?report.applied, adopted = report.adopted_from_alembic, "database is up to date");
        for warning in &report.warnings {
            tracing::warn!("{warning}");
        }
        // Values a later Dify wrote, found once, when its database is taken over.
        if report.adopted_from_alembic {
            for warning in entities::known_values::warnings(&infra.db).await? {
                tracing::warn!("{warning}");
            }
        }
    }

    datasets::vectors::startup_notice(&config.vector_store, !infra.in_process_queue);
    let (stop_worker, worker) = if infra.in_process_queue {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let handle = tokio::spawn(indexer_worker::run(config.clone(), infra.clone(), indexer_worker::all_queues(), rx));
        (Some(tx), Some(handle))
    } else {
        (None, None)
    };

    let bind = config.bind();
    let metrics_bind = config.metrics_bind_address.clone();
    let state = AppState::new(config, infra);
    if let Some(address) = metrics_bind {
        // Scrapes on their own address, kept off the public one.
        let scraped = state.clone();
        let server = HttpServer::new(move || {
            let state = scraped.clone();
            actix_web::App::new().route(
                "/metrics",
                actix_web::web::get().to(move || {
                    let state = state.clone();
                    async move { api_server::routes::system::metrics(&state).await }
                }),
            )
        })
        .workers(1)
        .bind(&address)
        .with_context(|| format!("cannot listen on METRICS_BIND_ADDRESS {address}"))?
        .run();
        tracing::info!(%address, "metrics listening");
        actix_web::rt::spawn(server);
    }
    tracing::info!(%bind, "api-server listening");
    HttpServer::new(move || app(state.clone()))
        .on_connect(api_server::net::on_connect)
        .bind(&bind)
        .with_context(|| format!("cannot listen on {bind}"))?
        .shutdown_timeout(30)
        .run()
        .await?;

    // The HTTP server has drained; let in-flight jobs finish (unfinished ones are redelivered).
    if let (Some(tx), Some(handle)) = (stop_worker, worker) {
        let _ = tx.send(true);
        if tokio::time::timeout(Duration::from_secs(30), handle).await.is_err() {
            tracing::warn!("in-process jobs still running at exit; they will be redelivered");
        }
    }
    Ok(())
}
