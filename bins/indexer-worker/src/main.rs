//! `indexer-worker`: consumes job queues from RabbitMQ (or runs them in-process when no broker
//! is configured, for local debugging).

use anyhow::Context;
use clap::Parser;
use infra::Infra;
use kernel::Config;

// jemalloc, handing freed memory back within a second (`infra::allocator`).
infra::jemalloc_global_allocator!();

#[derive(Parser, Debug)]
#[command(name = "indexer-worker", version, about = "Runs dify-rs background jobs")]
struct Args {
    /// Queues to consume, comma-separated, like Celery's -Q.
    #[arg(short = 'Q', long = "queues", value_delimiter = ',', default_value = "dataset,generation,mail")]
    queues: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// The container's probe: checks the database, cache and broker this worker uses within
    /// two seconds each, and exits 0 when all answer, 1 naming what is down.
    Healthcheck,
}

fn main() -> anyhow::Result<()> {
    // Started again as the extraction child: parse one file and exit, before any runtime.
    rag::extract::serve_if_child();
    let args = Args::parse();
    let config = Config::from_env()?;
    // Before the runtime: the span exporter's client is a blocking one. Dropped last, it
    // flushes the spans still batched.
    let otlp = config.otel_endpoint.as_deref().map(|endpoint| (endpoint, "indexer-worker"));
    let _telemetry = infra::logging::init(&config.log_level, config.log_format, otlp);
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(work(args, config))
}

async fn work(args: Args, config: Config) -> anyhow::Result<()> {
    for q in &args.queues {
        anyhow::ensure!(
            infra::queue::QUEUES.contains(&q.as_str()),
            "unknown queue {q:?}; expected dataset, generation or mail"
        );
    }
    let infra = Infra::connect(&config, &config.namespace).await.context("cannot reach a configured service")?;
    if let Some(Command::Healthcheck) = args.command {
        let checks = infra::readiness::check(&infra, std::time::Duration::from_secs(2)).await;
        let down: Vec<String> = checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{} ({})", c.name, c.error.as_deref().unwrap_or("")))
            .collect();
        if down.is_empty() {
            return Ok(());
        }
        anyhow::bail!("not ready: {}", down.join(", "));
    }
    if infra.in_process_queue {
        tracing::warn!("no CELERY_BROKER_URL/BROKER_URL set: this worker only sees jobs it enqueues itself");
    }
    datasets::vectors::startup_notice(&config.vector_store, !infra.in_process_queue);
    if let Some(address) = &config.metrics_bind_address {
        let address: std::net::SocketAddr =
            address.parse().with_context(|| format!("METRICS_BIND_ADDRESS {address} is not host:port"))?;
        infra::metrics::serve(address).map_err(|e| anyhow::anyhow!("cannot serve metrics on {address}: {e}"))?;
        tracing::info!(%address, "metrics listening");
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested; finishing in-flight jobs");
        let _ = tx.send(true);
    });
    indexer_worker::run(config, infra, args.queues, rx).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
