//! The processes' log output: `LOG_LEVEL` (or `RUST_LOG`) picks what is written, `LOG_FORMAT`
//! how — text, coloured only when stdout is a terminal, or one JSON object per line carrying
//! the fields of the enclosing spans (a request's `request_id`, a job's `task` and
//! `request_id`), so one document's story can be followed from upload to indexing.

use std::io::IsTerminal;

use kernel::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; call once at start-up.
pub fn init(level: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level.to_ascii_lowercase()));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stdout().is_terminal()).init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(true).init(),
    }
}
