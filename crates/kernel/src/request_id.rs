//! The id of the HTTP request a piece of work serves, so a document's story can be read across
//! the api-server and the worker: the server scopes each request's future with it, jobs carry
//! it in their payload, and the worker logs it with every line of the job.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static REQUEST: Request;
}

/// What the current request hands down to work it starts.
#[derive(Clone)]
struct Request {
    id: Arc<str>,
    /// Its trace (W3C `traceparent`), when spans are exported.
    traceparent: Option<Arc<str>>,
}

/// The longest client-chosen id that is kept.
pub const MAX_LEN: usize = 128;

/// The current request's id, inside [`scope`].
pub fn current() -> Option<Arc<str>> {
    REQUEST.try_with(|r| Arc::clone(&r.id)).ok()
}

/// The current request's trace, inside [`scope_traced`].
pub fn traceparent() -> Option<Arc<str>> {
    REQUEST.try_with(|r| r.traceparent.clone()).ok().flatten()
}

/// Runs `work` as part of request `id`.
pub async fn scope<F: Future>(id: Arc<str>, work: F) -> F::Output {
    REQUEST.scope(Request { id, traceparent: None }, work).await
}

/// Runs `work` as part of request `id`, whose spans belong to the trace `traceparent`.
pub async fn scope_traced<F: Future>(id: Arc<str>, traceparent: Option<String>, work: F) -> F::Output {
    REQUEST.scope(Request { id, traceparent: traceparent.map(Into::into) }, work).await
}

/// Runs `work` in the current request's scope (if any) on a new task: spawned work keeps the
/// id (and trace) of the request that started it.
pub fn spawn<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match REQUEST.try_with(Request::clone).ok() {
        Some(request) => tokio::spawn(REQUEST.scope(request, work)),
        None => tokio::spawn(work),
    }
}

/// A client's `X-Request-Id` when it is short and plain (letters, digits, `-`, `_`, `.`, `:`);
/// anything else is replaced by a fresh id rather than written into logs.
pub fn accept(header: &str) -> Option<&str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    (!header.is_empty() && header.len() <= MAX_LEN && header.chars().all(plain)).then_some(header)
}

/// A fresh id.
pub fn fresh() -> Arc<str> {
    uuid::Uuid::new_v4().to_string().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_are_kept_and_others_refused() {
        assert_eq!(accept("req-1_2.3:4"), Some("req-1_2.3:4"));
        for bad in ["", "a b", "a\nb", "é", &"x".repeat(MAX_LEN + 1)] {
            assert_eq!(accept(bad), None, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn spawned_work_keeps_the_request_id() {
        assert!(current().is_none());
        let seen = scope("r-1".into(), async { spawn(async { current() }).await.expect("task") }).await;
        assert_eq!(seen.as_deref(), Some("r-1"));
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned();
        let seen = scope_traced("r-2".into(), Some(trace.clone()), async {
            spawn(async { (current(), traceparent()) }).await.expect("task")
        })
        .await;
        assert_eq!((seen.0.as_deref(), seen.1.as_deref()), (Some("r-2"), Some(trace.as_str())));
    }
}
