//! Optional OpenTelemetry export: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans this process
//! records (a request, a generation, an indexed document, a job) are sent to that collector over
//! OTLP/HTTP (protobuf), batched on a thread of their own. A request's trace context travels
//! into the jobs it queues (`traceparent`, W3C), so one trace runs from request to job across
//! the api-server and the worker.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The exporter of this process, when one is configured; flushes what is left when dropped.
pub struct Telemetry(Option<SdkTracerProvider>);

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("OpenTelemetry: spans left unsent at exit: {e}");
        }
    }
}

/// The tracer provider for `endpoint` (`http://collector:4318`), naming this process
/// `service` (`OTEL_SERVICE_NAME` overrides it). Must be built outside an async runtime: the
/// exporter's HTTP client is a blocking one, run on the batch thread.
pub(crate) fn provider(endpoint: &str, service: &str) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()
        .map_err(|e| e.to_string())?;
    let name = std::env::var("OTEL_SERVICE_NAME").ok().filter(|n| !n.is_empty()).unwrap_or_else(|| service.to_owned());
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(name).build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}

/// The tracing layer sending spans to `provider`.
pub(crate) fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("dify-rs"))
}

impl Telemetry {
    pub(crate) fn new(provider: Option<SdkTracerProvider>) -> Self {
        Self(provider)
    }
}

/// The W3C `traceparent` of `span`, to carry its trace into a job; None without an exporter.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of the trace `traceparent` names (a job's, queued by a request).
pub fn set_parent(span: &tracing::Span, traceparent: &str) {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(context);
}
