//! NUL characters refused at the door, on every surface.
//!
//! PostgreSQL cannot store U+0000 in text or jsonb and answers an error where SQLite stores
//! it; neither is what a client means. A query argument or a JSON body holding one is
//! answered 400 `invalid_param` naming the field before any handler runs, so both databases
//! give the same answer for reads (`keyword=%00`) and writes alike. (The entities' save hook
//! checks the same for values that do not come from a request.)

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use bytes::BytesMut;
use futures::StreamExt;
use kernel::ApiError;

use crate::AppState;
use crate::http_error::HttpError;

/// The middleware: checks the query string, and the body of JSON requests.
pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(field) = nul_in_query(req.query_string()) {
        return Ok(refuse(req, nul_error(&field)));
    }
    if is_json(&req) {
        let limit = req.app_data::<web::Data<AppState>>().map_or(usize::MAX, |s| s.config.max_request_body);
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit {
                let error = ApiError::payload_too_large("The data value transmitted exceeds the capacity limit.");
                return Ok(refuse(req, error));
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        if let Some(field) = nul_in_json(&body) {
            return Ok(refuse(req, nul_error(&field)));
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

fn refuse(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(HttpError(error).error_response())
}

fn nul_error(field: &str) -> ApiError {
    ApiError::invalid_param(field, format!("{field} must not contain NUL characters."))
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

/// The first query argument (name or value) holding a NUL, by name.
fn nul_in_query(query: &str) -> Option<String> {
    if !query.contains("%00") && !query.contains('\0') {
        return None;
    }
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', ""))
}

/// The path (`inputs.name`, `files.0`) of the first string in a JSON body holding a NUL.
/// JSON can only spell NUL as the escape `\u0000`, so bodies without it are not parsed here;
/// those with it are walked as a stream, never built as a tree (a body of millions of tiny
/// values costs no memory here).
fn nul_in_json(body: &[u8]) -> Option<String> {
    if !body.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let mut path = Vec::new();
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(body);
    // A body that does not parse is the handler's to refuse, in its own words.
    serde::de::DeserializeSeed::deserialize(NulFinder { path: &mut path, found: &mut found }, &mut de).ok()?;
    found
}

/// Walks one JSON value, noting the path of the first string (or key) holding a NUL.
struct NulFinder<'a> {
    path: &'a mut Vec<String>,
    found: &'a mut Option<String>,
}

impl NulFinder<'_> {
    fn note(&mut self, text: &str, key: Option<&str>) {
        if self.found.is_none() && text.contains('\0') {
            let mut path: Vec<String> = self.path.clone();
            path.extend(key.map(|k| k.replace('\0', "")));
            *self.found = Some(if path.is_empty() { "body".into() } else { path.join(".") });
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for NulFinder<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NulFinder<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        self.note(v, None);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            self.path.push(i.to_string());
            let more = seq.next_element_seed(NulFinder { path: self.path, found: self.found })?;
            self.path.pop();
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            self.note(&key, Some(&key));
            self.path.push(key.replace('\0', ""));
            map.next_value_seed(NulFinder { path: self.path, found: self.found })?;
            self.path.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_where_it_is() {
        assert_eq!(nul_in_query("keyword=%00&page=1"), Some("keyword".into()));
        assert_eq!(nul_in_query("keyword=tea%2500"), None, "an escaped percent sign is not NUL");
        assert_eq!(nul_in_query("page=1"), None);
        assert_eq!(nul_in_json(br#"{"name":"a\u0000b"}"#), Some("name".into()));
        assert_eq!(nul_in_json(br#"{"inputs":{"city":["x","\u0000"]}}"#), Some("inputs.city.1".into()));
        assert_eq!(nul_in_json(br#"{"name":"a\\u0000b"}"#), None, "a backslash, then the text u0000");
        assert_eq!(nul_in_json(br#"{"name":"tea"}"#), None);
        assert_eq!(nul_in_json(br#""\u0000""#), Some("body".into()));
        assert_eq!(nul_in_json(br#"{"a\u0000":1}"#), Some("a".into()));
        // A huge flat body is walked, not built: the path still comes out.
        let mut many = "[".to_owned() + &"0,".repeat(200_000);
        many.push_str(r#""\u0000"]"#);
        assert_eq!(nul_in_json(many.as_bytes()), Some("200000".into()));
        assert_eq!(nul_in_json(br#"{"a": "\u0000"#), None, "unparsable: the handler answers");
    }
}
