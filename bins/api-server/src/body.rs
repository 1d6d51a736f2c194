//! Typed request bodies, read the way Flask-RESTful's reqparse reads Dify's arguments.
//!
//! A handler takes `Body<T>`, where `T` is a plain `Deserialize` struct naming the request's
//! fields, and calls [`Body::read`] where Dify's handler would call `parser.parse_args()`.
//! Serde does the reading; this module only words its failures as Dify does: a missing
//! argument or a wrong type is a 400 `invalid_param` whose `params` names the argument, and a
//! field's own check (a newtype's `TryFrom`) speaks with its own message.
//!
//! As with reqparse, a `null` top-level argument counts as absent, so `Option` fields read it
//! as `None` and `#[serde(default)]` fields take their default; the few bodies where a null
//! means something of its own use [`Body::read_keeping_nulls`].
//!
//! Why reading is the handler's step and not the extractor's: actix runs a handler's
//! extractors side by side and the first to fail answers. A body refused at extraction would
//! answer before an authentication guard still looking up its session or key (a 400 to a
//! caller Dify answers 401), and before the app or dataset lookups Dify makes first.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use kernel::ApiError;
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// reqparse's message for a required argument that was not sent.
const MISSING: &str = "Missing required parameter in the JSON body";

/// A JSON body, to be read into `T` by [`Body::read`]. Taking it fails only as actix's own JSON
/// extractor fails (size, content type, syntax), so those answer as they always did; and
/// `Option<Body<T>>` reads a missing or unreadable body as `None`.
#[derive(Debug)]
pub struct Body<T> {
    value: Value,
    read_as: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Body<T> {
    /// The body as `T`: an object, `null` fields absent, reqparse's wording.
    pub fn read(self) -> Result<T, ApiError> {
        parse(self.value)
    }

    /// The body as another type, leaving it to be read again: for arguments Dify reads before
    /// the others (some only in some editions).
    pub fn read_as<U: DeserializeOwned>(&self) -> Result<U, ApiError> {
        parse(self.value.clone())
    }

    /// As [`Body::read`], but a `null` argument reaches `T` as sent (a PATCH clearing a field,
    /// an argument refused as `Must not be null!`); see [`nullable`] and [`sent`].
    pub fn read_keeping_nulls(self) -> Result<T, ApiError> {
        parse_keeping_nulls(self.value)
    }

    /// reqparse's `nullable=False` for required `fields`, taken in order as reqparse takes
    /// them: the first sent as `null` is refused with "Must not be null!" (which `read` would
    /// take as absent); one left out stops the check, for `read` to call it missing.
    pub fn not_null(&self, fields: &[&str]) -> Result<(), ApiError> {
        for field in fields {
            match self.value.get(*field) {
                None => break,
                Some(Value::Null) => return Err(ApiError::invalid_param(*field, "Must not be null!")),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

impl<T: 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move { Ok(Body { value: json.await?.into_inner(), read_as: PhantomData }) })
    }
}

/// Reads an already parsed JSON body into `T`; anything but an object is refused.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    let Value::Object(mut map) = value else {
        return Err(not_an_object());
    };
    map.retain(|_, v| !v.is_null());
    deserialize(map)
}

/// `T` from an object's fields; a failure is the first in `T`'s declaration order.
fn deserialize<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, ApiError> {
    let body = Value::Object(map);
    serde_path_to_error::deserialize(&body).map_err(|e| {
        let Value::Object(map) = body else { return reqparse_error(e) };
        first_in_declaration_order::<T>(map).unwrap_or_else(|| reqparse_error(e))
    })
}

/// reqparse checks its arguments one by one in the order they were added and answers the
/// first failure; serde reports wrong values in the order they were sent, and missing ones
/// last. So on a failure the struct's fields (in declaration order, which is reqparse's order)
/// are offered one at a time until one of them fails: its failure is the answer.
/// `None` when `T` is not a struct with named fields.
fn first_in_declaration_order<T: DeserializeOwned>(mut rest: Map<String, Value>) -> Option<ApiError> {
    let fields = struct_fields::<T>()?;
    let mut offered = Value::Object(Map::new());
    for (i, field) in fields.iter().enumerate() {
        if let (Some(value), Value::Object(map)) = (rest.remove(*field), &mut offered) {
            map.insert((*field).to_owned(), value);
        }
        let Err(e) = serde_path_to_error::deserialize::<_, T>(&offered) else { continue };
        let error = reqparse_error(e);
        let param = error.params.as_deref().unwrap_or("");
        let top = param.split(['.', '[']).next().unwrap_or("");
        // A later field missing from what was offered so far is not a failure yet.
        if fields[..=i].contains(&top) {
            return Some(error);
        }
    }
    None
}

/// The field names `T`'s `Deserialize` asks for, in declaration order, if `T` is a struct.
fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut fields = None;
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields
}

/// A deserializer that only records the fields a struct asks for.
struct FieldProbe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// As [`parse`], but a `null` argument reaches `T` as sent.
pub fn parse_keeping_nulls<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    let Value::Object(map) = value else {
        return Err(not_an_object());
    };
    deserialize(map)
}

fn not_an_object() -> ApiError {
    ApiError::bad_request("Failed to decode JSON object: expected a JSON object")
}

/// Words a serde failure as reqparse would, naming the argument it happened in.
fn reqparse_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let at = |field: &str| if path == "." { field.to_owned() } else { format!("{path}.{field}") };
    let message = e.into_inner().to_string();
    // A field's own message may begin with what the client sent ("<v> is not a valid uuid."),
    // so serde's own shapes are matched whole: the text after the last ", expected " must be
    // a kind of value serde names, never a sentence.
    if let Some(field) = between(&message, "missing field `", "`")
        && message.len() == "missing field ``".len() + field.len()
    {
        return ApiError::invalid_param(at(field), MISSING);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
        && let Some(noun) = noun(expected)
    {
        if found == "null" {
            return ApiError::invalid_param(path, MISSING);
        }
        return ApiError::invalid_param(path.clone(), format!("{path} must be {noun}."));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((value, choices)) = rest.rsplit_once("`, expected ")
        && !choices.ends_with('.')
    {
        return ApiError::invalid_param(path, format!("{value} is not a valid choice"));
    }
    if message.starts_with("invalid value: ") || message.starts_with("invalid length ") {
        return ApiError::invalid_param(path.clone(), format!("{path} is not valid: {message}"));
    }
    // A field's own check (`TryFrom`, `deserialize_with`) already speaks Dify's words.
    ApiError::invalid_param(path, message)
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(start)?;
    rest.split_once(end).map(|(inside, _)| inside)
}

/// The kind of value serde expected, in reqparse's words; None when `expected` is not one
/// (a sentence of a field's own).
fn noun(expected: &str) -> Option<&str> {
    const INTEGERS: [&str; 12] =
        ["u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"];
    Some(match expected {
        "a string" | "a boolean" | "a list of strings" => expected,
        "a map" | "a JSON object" => "an object",
        // A unit enum (a choice) is read from a string.
        "string or map" => "a string",
        "a sequence" => "a list",
        "f32" | "f64" => "a number",
        e if INTEGERS.contains(&e) => "an integer",
        e if e.strip_prefix("struct ").is_some_and(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_')) => {
            "an object"
        }
        e if e.ends_with('.') || e.contains(" is not ") => return None,
        e => e,
    })
}

/// A string list that also takes one string, as reqparse's `action='append'` does.
pub fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::invalid_type(serde::de::Unexpected::Other("value"), &"a list of strings")),
    }
}

/// A choice (a unit enum's variants, as `rename_all` spells them) read from a string only, as
/// reqparse's `choices=` reads it: anything but a string is `"<field> must be a string."` and
/// a string that is not a variant `"<value> is not a valid choice"`. (Serde alone would also
/// take `{"<variant>": null}` for a variant, and word other objects as unknown variants.)
pub fn choice<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    let variant = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&text);
    T::deserialize(variant).map_err(|_| serde::de::Error::custom(format!("{text} is not a valid choice")))
}

/// An optional [`choice`] (with `#[serde(default)]`: absent or null is `None`).
pub fn some_choice<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    choice(d).map(Some)
}

/// Dify's `uuid_value`: an empty string passes as no id, anything else must be a UUID
/// (worded `"<v> is not a valid uuid."`).
pub fn uuid_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<uuid::Uuid>, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| serde::de::Error::custom(format!("{text} is not a valid uuid.")))
}

/// A field where absent, `null` and a value differ (with `#[serde(default)]`, in a
/// body read with [`Body::read_keeping_nulls`]): absent is `None`, null `Some(None)`, a value `Some(Some(v))`.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A field that, once sent, `T` reads itself, null included (with `#[serde(default)]`, in a
/// body read with [`Body::read_keeping_nulls`]): absent is `None`, and a null gets `T`'s own refusal rather than `None`.
pub fn sent<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Blocking,
        Streaming,
    }

    #[derive(Debug, Deserialize)]
    struct Args {
        name: String,
        #[serde(default)]
        flag: bool,
        mode: Option<Mode>,
        inputs: Option<serde_json::Map<String, Value>>,
        #[serde(default, deserialize_with = "one_or_many")]
        ids: Vec<String>,
        #[serde(default, deserialize_with = "uuid_value")]
        conversation_id: Option<uuid::Uuid>,
        limit: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    struct Ordered {
        first: String,
        #[serde(default)]
        second: bool,
        third: Name,
        #[serde(deserialize_with = "choice")]
        fourth: Mode,
    }

    #[derive(Debug, Deserialize)]
    #[serde(try_from = "String")]
    struct Name(String);

    impl TryFrom<String> for Name {
        type Error = String;

        fn try_from(v: String) -> Result<Self, String> {
            if v.len() > 3 { Err(format!("{v} is too long.")) } else { Ok(Self(v)) }
        }
    }

    fn ordered_err(body: Value) -> (String, String) {
        let e = parse::<Ordered>(body).expect_err("refused");
        assert_eq!((e.status, e.code.as_ref()), (400, "invalid_param"));
        (e.params.unwrap_or_default(), e.message)
    }

    #[test]
    fn the_first_failure_in_declaration_order_is_answered() {
        let missing = "Missing required parameter in the JSON body";
        // Sent later, checked earlier: `first` is missing before `fourth` is wrong.
        assert_eq!(ordered_err(json!({"fourth": 1})), ("first".into(), missing.into()));
        assert_eq!(
            ordered_err(json!({"third": "long", "first": 1})),
            ("first".into(), "first must be a string.".into())
        );
        assert_eq!(
            ordered_err(json!({"fourth": "x", "third": "long", "first": "a"})),
            ("third".into(), "long is too long.".into())
        );
        assert_eq!(
            ordered_err(json!({"first": "a", "second": 1, "third": "ab"})),
            ("second".into(), "second must be a boolean.".into())
        );
        assert_eq!(ordered_err(json!({"first": "a", "third": "ab"})), ("fourth".into(), missing.into()));
        let ok: Ordered = parse(json!({"first": "a", "third": "ab", "fourth": "blocking"})).expect("ok");
        assert_eq!((ok.first.as_str(), ok.second, ok.third.0.as_str(), ok.fourth), ("a", false, "ab", Mode::Blocking));
        assert_eq!(struct_fields::<Ordered>(), Some(&["first", "second", "third", "fourth"][..]));
        assert_eq!(struct_fields::<Map<String, Value>>(), None);
    }

    #[test]
    fn choices_are_strings_among_the_variants() {
        let base = json!({"first": "a", "third": "ab"});
        let with = |v: Value| {
            let mut b = base.clone();
            b["fourth"] = v;
            ordered_err(b)
        };
        assert_eq!(with(json!("fast")), ("fourth".into(), "fast is not a valid choice".into()));
        assert_eq!(with(json!({"blocking": null})), ("fourth".into(), "fourth must be a string.".into()));
        assert_eq!(with(json!({"a": 1})), ("fourth".into(), "fourth must be a string.".into()));
        assert_eq!(with(json!(1)), ("fourth".into(), "fourth must be a string.".into()));
    }

    fn err(body: Value) -> (String, String) {
        let e = parse::<Args>(body).expect_err("refused");
        assert_eq!((e.status, e.code.as_ref()), (400, "invalid_param"));
        (e.params.unwrap_or_default(), e.message)
    }

    #[test]
    fn reads_fields_and_treats_null_as_absent() {
        let a: Args = parse(json!({"name": "x", "flag": null, "mode": "streaming", "ids": "one"})).expect("ok");
        assert_eq!((a.name.as_str(), a.flag, a.mode), ("x", false, Some(Mode::Streaming)));
        assert_eq!(a.ids, vec!["one"]);
        assert!(a.inputs.is_none() && a.conversation_id.is_none() && a.limit.is_none());
    }

    #[test]
    fn words_failures_as_reqparse() {
        let missing = "Missing required parameter in the JSON body";
        assert_eq!(err(json!({})), ("name".into(), missing.into()));
        assert_eq!(err(json!({"name": null})), ("name".into(), missing.into()));
        assert_eq!(err(json!({"name": 1})), ("name".into(), "name must be a string.".into()));
        assert_eq!(err(json!({"name": "x", "flag": "y"})), ("flag".into(), "flag must be a boolean.".into()));
        assert_eq!(err(json!({"name": "x", "inputs": []})), ("inputs".into(), "inputs must be an object.".into()));
        assert_eq!(err(json!({"name": "x", "mode": "fast"})), ("mode".into(), "fast is not a valid choice".into()));
        assert_eq!(err(json!({"name": "x", "mode": 1})), ("mode".into(), "mode must be a string.".into()));
        assert_eq!(err(json!({"name": "x", "ids": [1]})), ("ids".into(), "ids must be a list of strings.".into()));
        assert_eq!(err(json!({"name": "x", "limit": "2"})), ("limit".into(), "limit must be an integer.".into()));
        assert_eq!(
            err(json!({"name": "x", "conversation_id": "nope"})),
            ("conversation_id".into(), "nope is not a valid uuid.".into())
        );
    }

    async fn taken(body: &'static str) -> Option<Body<Args>> {
        let (req, mut payload) = actix_web::test::TestRequest::post()
            .insert_header((actix_web::http::header::CONTENT_TYPE, "application/json"))
            .set_payload(body)
            .to_http_parts();
        Option::<Body<Args>>::from_request(&req, &mut payload).await.expect("infallible")
    }

    #[actix_web::test]
    async fn a_body_is_read_only_when_asked() {
        // Taking a bad body is no error; reading it is, worded as `Body` words it.
        let bad = taken(r#"{"name": 1}"#).await.expect("taken");
        assert_eq!(bad.read().map(|a| a.name).expect_err("refused").message, "name must be a string.");
        let not_object = taken("[1]").await.expect("taken").read().map(|a| a.name).expect_err("refused");
        assert_eq!((not_object.status, not_object.code.as_ref()), (400, "bad_request"));
        let a = taken(r#"{"name": "x", "flag": null}"#).await.expect("taken").read().expect("ok");
        assert_eq!((a.name.as_str(), a.flag), ("x", false));
        // Unreadable JSON is no body at all to an optional one.
        assert!(taken("{not json").await.is_none());
    }

    #[actix_web::test]
    async fn not_null_refuses_the_first_null_before_anything_missing() {
        let check = |body: &'static str| async move {
            taken(body).await.expect("taken").not_null(&["name", "ids"]).map_err(|e| (e.params, e.message))
        };
        let null = |field: &str| Err((Some(field.to_owned()), "Must not be null!".to_owned()));
        assert_eq!(check(r#"{"name": null}"#).await, null("name"));
        assert_eq!(check(r#"{"name": "x", "ids": null}"#).await, null("ids"));
        // `name` is missing: reading says so first.
        assert_eq!(check(r#"{"ids": null}"#).await, Ok(()));
        assert_eq!(check(r#"{"name": "x", "flag": null}"#).await, Ok(()));
        assert_eq!(check("[null]").await, Ok(()));
    }

    #[test]
    fn a_body_reads_as_another_type_and_again() {
        let body = |value: Value| Body::<Args> { value, read_as: PhantomData };
        assert_eq!(
            body(json!({"name": "x", "mode": "chat"})).read().expect_err("refused").message,
            "chat is not a valid choice"
        );
        let b = body(json!({"name": "x"}));
        assert_eq!(b.read_as::<Map<String, Value>>().expect("as a map")["name"], "x");
        assert_eq!(b.read().expect("then as itself").name, "x");
        let e = body(json!("x")).read().expect_err("refused");
        assert_eq!((e.status, e.code.as_ref()), (400, "bad_request"));
    }

    #[test]
    fn a_value_that_looks_like_a_serde_message_is_still_the_fields_own_refusal() {
        for sent in ["missing field `name`", "invalid type: null, expected a string", "unknown variant `x`, here"] {
            let e = parse::<Args>(json!({"name": "x", "conversation_id": sent})).expect_err("refused");
            assert_eq!(e.params.as_deref(), Some("conversation_id"), "{sent}");
            assert_eq!(e.message, format!("{sent} is not a valid uuid."));
        }
    }

    #[test]
    fn refuses_a_body_that_is_not_an_object() {
        let e = parse::<Args>(json!([1])).expect_err("refused");
        assert_eq!((e.status, e.code.as_ref()), (400, "bad_request"));
        let e = parse_keeping_nulls::<Args>(json!("x")).expect_err("refused");
        assert_eq!((e.status, e.code.as_ref()), (400, "bad_request"));
    }

    /// Refuses null and anything but a non-empty string, in its own words.
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(try_from = "Value")]
    struct Label(String);

    impl TryFrom<Value> for Label {
        type Error = &'static str;

        fn try_from(v: Value) -> Result<Self, Self::Error> {
            match v {
                Value::String(s) if !s.is_empty() => Ok(Self(s)),
                _ => Err("label must be a non-empty string."),
            }
        }
    }

    #[derive(Debug, Deserialize)]
    struct Edit {
        #[serde(default, deserialize_with = "nullable")]
        note: Option<Option<String>>,
        #[serde(default, deserialize_with = "sent")]
        label: Option<Label>,
        flag: Option<bool>,
    }

    #[test]
    fn keeping_nulls_tells_null_from_absent() {
        let e: Edit = parse_keeping_nulls(json!({})).expect("ok");
        assert_eq!((e.note, e.label, e.flag), (None, None, None));
        let e: Edit = parse_keeping_nulls(json!({"note": null, "flag": null})).expect("ok");
        assert_eq!((e.note, e.flag), (Some(None), None));
        let e: Edit = parse_keeping_nulls(json!({"note": "n", "label": "l"})).expect("ok");
        assert_eq!((e.note, e.label), (Some(Some("n".into())), Some(Label("l".into()))));
        let e = parse_keeping_nulls::<Edit>(json!({"label": null})).expect_err("refused");
        assert_eq!((e.params.as_deref(), e.message.as_str()), (Some("label"), "label must be a non-empty string."));
        let e = parse_keeping_nulls::<Edit>(json!({"note": 1})).expect_err("refused");
        assert_eq!((e.params.as_deref(), e.message.as_str()), (Some("note"), "note must be a string."));
        // Dropping nulls, the same body reads null as absent.
        let e: Edit = parse(json!({"note": null, "label": null})).expect("ok");
        assert_eq!((e.note, e.label), (None, None));
    }
}
