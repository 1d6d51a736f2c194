//! The processes' log output: `LOG_LEVEL` (or `RUST_LOG`) picks what is written, `LOG_FORMAT`
//! how — text, coloured only when stdout is a terminal, or one JSON object per line carrying
//! the fields of the enclosing spans (a request's `request_id`, a job's `task` and
//! `request_id`), so one document's story can be followed from upload to indexing. With an
//! OTLP endpoint the same spans are exported too (see [`crate::telemetry`]).

use std::io::IsTerminal;

use kernel::config::LogFormat;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::telemetry::Telemetry;

/// Installs the global subscriber; call once at start-up, before any async runtime starts
/// (the exporter's client is a blocking one). `otlp` is the collector's endpoint and this
/// process's service name. Keep the answer until exit: dropping it flushes the spans.
pub fn init(level: &str, format: LogFormat, otlp: Option<(&str, &str)>) -> Telemetry {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level.to_ascii_lowercase()));
    let output = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer().with_ansi(std::io::stdout().is_terminal()).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    };
    let provider = otlp.and_then(|(endpoint, service)| match crate::telemetry::provider(endpoint, service) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("OpenTelemetry export disabled: {e}");
            None
        }
    });
    let export = provider.as_ref().map(crate::telemetry::layer);
    // The filter applies to what is written and exported; the pool's acquire events, below
    // any log level, reach only the metrics layer.
    tracing_subscriber::registry()
        .with(output.and_then(export).with_filter(filter))
        .with(crate::metrics::pool_wait_layer())
        .init();
    Telemetry::new(provider)
}
