//! An in-memory S3 server speaking just enough of the REST API for `object_store`:
//! path-style `PUT`/`GET`/`HEAD`/`DELETE /{bucket}/{key}`, single-range GETs, ETag and
//! Last-Modified headers, conditional `If-Match`/`If-None-Match`, and S3's XML errors.
//! Signatures are not checked.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use actix_web::dev::ServerHandle;
use actix_web::http::header::{self, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;

/// Largest object the fake accepts in one PUT.
const MAX_OBJECT: usize = 256 * 1024 * 1024;

#[derive(Clone)]
struct Object {
    data: Bytes,
    etag: String,
    content_type: String,
    last_modified: SystemTime,
}

struct State {
    bucket: String,
    objects: Mutex<BTreeMap<String, Object>>,
    next_etag: AtomicU64,
}

impl State {
    fn objects(&self) -> MutexGuard<'_, BTreeMap<String, Object>> {
        self.objects.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake S3 server on a random loopback port; stops when dropped.
pub struct FakeS3 {
    /// Base URL to configure as the S3 endpoint, e.g. `http://127.0.0.1:40123`.
    pub endpoint: String,
    /// The one bucket this server has; requests for any other get `NoSuchBucket`.
    pub bucket: String,
    /// Credentials to configure (any are accepted).
    pub access_key: String,
    pub secret_key: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl std::fmt::Debug for FakeS3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeS3").field("endpoint", &self.endpoint).field("bucket", &self.bucket).finish()
    }
}

impl FakeS3 {
    /// Starts a server with an empty bucket named `test-bucket`.
    pub async fn start() -> Self {
        let state = Arc::new(State {
            bucket: "test-bucket".to_owned(),
            objects: Mutex::new(BTreeMap::new()),
            next_etag: AtomicU64::new(1),
        });
        let data = web::Data::from(Arc::clone(&state));
        let (endpoint, handle) = crate::serve::serve("fake-s3", 1, move |cfg| {
            cfg.app_data(data.clone()).app_data(web::PayloadConfig::new(MAX_OBJECT)).default_service(web::to(handle));
        })
        .await;
        Self {
            endpoint,
            bucket: state.bucket.clone(),
            access_key: "fake-access-key".to_owned(),
            secret_key: "fake-secret-key".to_owned(),
            state,
            handle,
        }
    }

    /// The stored bytes under `key` (unencoded, as the client named it).
    pub fn object(&self, key: &str) -> Option<Bytes> {
        self.state.objects().get(key).map(|o| o.data.clone())
    }

    /// Every stored key, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.state.objects().keys().cloned().collect()
    }
}

impl Drop for FakeS3 {
    fn drop(&mut self) {
        // `stop` sends the command eagerly; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let path = percent_decode(req.uri().path());
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    if bucket != state.bucket {
        return s3_error(StatusCode::NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist.", bucket);
    }
    if key.is_empty() || req.uri().query().is_some_and(|q| !q.is_empty()) {
        // Listing, multipart uploads, bulk delete, ... are not needed by our adapter.
        return s3_error(StatusCode::NOT_IMPLEMENTED, "NotImplemented", "Not supported by the fake.", key);
    }
    match *req.method() {
        Method::PUT => put(&req, key, body, &state),
        Method::GET | Method::HEAD => get(&req, key, &state),
        Method::DELETE => {
            state.objects().remove(key);
            HttpResponse::NoContent().finish()
        }
        _ => s3_error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Method not allowed.", key),
    }
}

fn put(req: &HttpRequest, key: &str, body: Bytes, state: &State) -> HttpResponse {
    if req.headers().contains_key("x-amz-copy-source") {
        return s3_error(StatusCode::NOT_IMPLEMENTED, "NotImplemented", "Copy is not supported by the fake.", key);
    }
    let mut objects = state.objects();
    let current = objects.get(key);
    if let Some(failed) = precondition_failed(req, current.map(|o| o.etag.as_str()), true) {
        return failed;
    }
    let etag = format!("\"fake-{}\"", state.next_etag.fetch_add(1, Ordering::Relaxed));
    let content_type = header_str(req, header::CONTENT_TYPE.as_str()).unwrap_or("application/octet-stream").to_owned();
    objects.insert(
        key.to_owned(),
        Object { data: body, etag: etag.clone(), content_type, last_modified: SystemTime::now() },
    );
    HttpResponse::Ok().insert_header((header::ETAG, etag)).finish()
}

fn get(req: &HttpRequest, key: &str, state: &State) -> HttpResponse {
    let Some(object) = state.objects().get(key).cloned() else {
        return s3_error(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.", key);
    };
    if let Some(failed) = precondition_failed(req, Some(&object.etag), false) {
        return failed;
    }
    let total = object.data.len();
    let range = match header_str(req, header::RANGE.as_str()) {
        None => None,
        Some(spec) => match parse_range(spec, total) {
            Some(bounds) => Some(bounds),
            None => {
                return s3_error(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                    key,
                );
            }
        },
    };
    let mut response = HttpResponse::build(if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK });
    response
        .insert_header((header::ETAG, object.etag.clone()))
        .insert_header((header::LAST_MODIFIED, HttpDate::from(object.last_modified)))
        .insert_header((header::CONTENT_TYPE, object.content_type.clone()))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    let body = match range {
        None => object.data,
        Some((start, end)) => {
            response.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{total}")));
            object.data.slice(start..=end)
        }
    };
    // actix writes Content-Length from the body and leaves the body out for HEAD.
    response.body(body)
}

/// Applies `If-Match` / `If-None-Match`; `Some(response)` when the request must not proceed.
fn precondition_failed(req: &HttpRequest, etag: Option<&str>, is_write: bool) -> Option<HttpResponse> {
    let matches = |list: &str| {
        list.split(',').map(str::trim).any(|candidate| (candidate == "*" && etag.is_some()) || Some(candidate) == etag)
    };
    if let Some(list) = header_str(req, header::IF_MATCH.as_str())
        && !matches(list)
    {
        return Some(s3_error(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", "If-Match failed.", ""));
    }
    if let Some(list) = header_str(req, header::IF_NONE_MATCH.as_str())
        && matches(list)
    {
        return Some(if is_write {
            s3_error(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", "If-None-Match failed.", "")
        } else {
            HttpResponse::NotModified().finish()
        });
    }
    None
}

fn header_str<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Parses a single `bytes=` range into inclusive bounds within an object of `total` bytes.
fn parse_range(spec: &str, total: usize) -> Option<(usize, usize)> {
    let (first, last) = spec.trim().strip_prefix("bytes=")?.split_once('-')?;
    if total == 0 {
        return None;
    }
    let (start, end) = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n: usize = suffix.parse().ok()?;
            (total.saturating_sub(n), total - 1)
        }
        (start, "") => (start.parse().ok()?, total - 1),
        (start, end) => (start.parse().ok()?, end.parse::<usize>().ok()?.min(total - 1)),
    };
    (start <= end && start < total).then_some((start, end))
}

fn s3_error(status: StatusCode, code: &str, message: &str, resource: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
         <Resource>{}</Resource><RequestId>fake</RequestId></Error>",
        xml_escape(resource)
    );
    HttpResponse::build(status).content_type("application/xml").body(body)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Decodes `%XX` escapes in a URL path; malformed escapes are kept as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{parse_range, percent_decode};

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-3", 10), Some((0, 3)));
        assert_eq!(parse_range("bytes=4-", 10), Some((4, 9)));
        assert_eq!(parse_range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(parse_range("bytes=5-100", 10), Some((5, 9)));
        assert_eq!(parse_range("bytes=10-", 10), None);
        assert_eq!(parse_range("bytes=3-2", 10), None);
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("/b/a%20b/c%7B"), "/b/a b/c{");
        assert_eq!(percent_decode("/b/100%"), "/b/100%");
    }
}
