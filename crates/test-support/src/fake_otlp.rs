//! A fake OpenTelemetry collector: OTLP/HTTP's `POST /v1/traces` with protobuf bodies, decoded
//! with the protocol's own generated messages (`opentelemetry-proto`), keeping every span.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actix_web::dev::ServerHandle;
use actix_web::{HttpResponse, web};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;

/// One span as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSpan {
    pub service: String,
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
}

#[derive(Default)]
struct State {
    spans: Mutex<Vec<ReceivedSpan>>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Vec<ReceivedSpan>> {
        self.spans.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running collector; stops when dropped.
pub struct FakeOtlp {
    base: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl FakeOtlp {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let data = web::Data::from(Arc::clone(&state));
        let (base, handle) = crate::serve::serve("fake-otlp", 1, move |cfg| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .route("/v1/traces", web::post().to(traces));
        })
        .await;
        Self { base, state, handle }
    }

    /// `http://127.0.0.1:<port>`: the value for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        self.base.clone()
    }

    /// The spans received so far, in arrival order.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.state.lock().clone()
    }
}

impl Drop for FakeOtlp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn traces(body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let Ok(request) = ExportTraceServiceRequest::decode(body.as_ref()) else {
        return HttpResponse::BadRequest().body("not an ExportTraceServiceRequest");
    };
    let mut spans = state.lock();
    for resource in request.resource_spans {
        let service = resource
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|a| a.key == "service.name")
            .and_then(|a| a.value.as_ref())
            .and_then(|v| match &v.value {
                Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                spans.push(ReceivedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                });
            }
        }
    }
    HttpResponse::Ok()
        .content_type("application/x-protobuf")
        .body(ExportTraceServiceResponse::default().encode_to_vec())
}
