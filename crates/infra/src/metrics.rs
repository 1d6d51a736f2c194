//! Prometheus metrics: one recorder per process (the `metrics` facade), rendered by the
//! api-server's `/metrics`. Names follow Prometheus's conventions (`_total`, `_seconds`).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Histogram buckets, in seconds: from a cached read to a long generation.
const BUCKETS: [f64; 14] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0];

/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process's recorder on first call; None when another recorder was installed
/// first (then nothing is recorded here).
///
/// The recorder holds every histogram sample until upkeep folds it into the buckets; without
/// a periodic upkeep, a server nobody scrapes would keep one sample per request forever.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new().set_buckets(&BUCKETS).ok()?.install_recorder().ok()?;
            let kept = handle.clone();
            let upkeep = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP);
                    kept.run_upkeep();
                }
            });
            if let Err(e) = upkeep {
                tracing::warn!(error = %e, "no metrics upkeep thread: histogram samples wait for the next scrape");
            }
            Some(handle)
        })
        .as_ref()
}

/// For a process without an HTTP server of its own (the worker): installs the recorder and
/// serves `/metrics` on `address`.
pub fn serve(address: std::net::SocketAddr) -> Result<(), String> {
    PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .map_err(|e| e.to_string())?
        .with_http_listener(address)
        .install()
        .map_err(|e| e.to_string())
}

/// The scrape, in Prometheus's text format.
pub fn render() -> String {
    match install() {
        Some(handle) => {
            handle.run_upkeep();
            handle.render()
        }
        None => String::new(),
    }
}

/// The database pool's open connections and how many of them are idle.
pub fn pool_counts(db: &sea_orm::DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => (0, 0),
    }
}

/// The database pool now: connections in use and idle (recorded at each scrape).
pub fn record_pool(db: &sea_orm::DatabaseConnection) {
    let (size, idle) = pool_counts(db);
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    // How many tasks wait is not a count sqlx keeps; `db_pool_acquire_seconds` measures it.
    metrics::gauge!("db_pool_connections", "state" => "max").set(f64::from(pool_max(db)));
}

/// The most connections the pool opens.
fn pool_max(db: &sea_orm::DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => db.get_postgres_connection_pool().options().get_max_connections(),
        sea_orm::DbBackend::Sqlite => db.get_sqlite_connection_pool().options().get_max_connections(),
        _ => 0,
    }
}

/// sqlx's event for each connection it hands out, carrying how long the caller waited.
const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";

/// A tracing layer that records sqlx's acquire events as the histogram
/// `db_pool_acquire_seconds`: how long each database call waited for a pooled connection.
/// Its `_sum` grows by the waiting time, so `rate(db_pool_acquire_seconds_sum[1m])` is the
/// mean number of tasks waiting for a connection over that minute (Little's law); sqlx keeps
/// no count of waiters to read at a scrape.
pub fn pool_wait_layer<S>() -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use tracing_subscriber::Layer;
    PoolWait.with_filter(tracing_subscriber::filter::Targets::new().with_target(ACQUIRE_TARGET, tracing::Level::TRACE))
}

struct PoolWait;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PoolWait {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut waited = Waited(None);
        event.record(&mut waited);
        if let Some(seconds) = waited.0 {
            metrics::histogram!("db_pool_acquire_seconds").record(seconds);
        }
    }
}

/// Reads the `acquired_after_secs` field of an acquire event.
struct Waited(Option<f64>);

impl tracing::field::Visit for Waited {
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        if field.name() == "acquired_after_secs" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}
