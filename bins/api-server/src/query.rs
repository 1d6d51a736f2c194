//! Query-string arguments, read the way Flask-RESTful's reqparse reads `location='args'`:
//! every value sent under a name is checked, the first one counts, and a failure names the
//! argument with reqparse's message. The one query reader of every surface.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::{NaiveDateTime, Timelike};
use kernel::ApiError;
use kernel::page::PageRequest;
use uuid::Uuid;

const MISSING: &str = "Missing required parameter in the query string";

/// The decoded query-string pairs, in the order they were sent.
#[derive(Debug, Clone, Default)]
pub struct QueryArgs(Vec<(String, String)>);

impl FromRequest for QueryArgs {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::parse(req.query_string())))
    }
}

/// A `uuid_value` argument: Dify lets an empty string through, which names nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UuidArg {
    Absent,
    Empty,
    Id(Uuid),
}

impl UuidArg {
    /// The id, if one was sent (absent and empty name nothing).
    pub fn id(self) -> Option<Uuid> {
        match self {
            UuidArg::Id(id) => Some(id),
            UuidArg::Absent | UuidArg::Empty => None,
        }
    }
}

impl QueryArgs {
    pub fn parse(query_string: &str) -> Self {
        Self(url::form_urlencoded::parse(query_string.as_bytes()).into_owned().collect())
    }

    /// Every pair, in order (for domain filters that take repeated names).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Every value given for `name`, in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value sent under `name` (a `type=str` argument).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A required argument; empty counts as missing.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).filter(|v| !v.is_empty()).ok_or_else(|| ApiError::invalid_param(name, MISSING))
    }

    /// An `int_range(low, high)` argument, worded as Flask-RESTful's `inputs.int_range`
    /// (which names every argument "argument").
    pub fn int_range(&self, name: &str, low: u64, high: u64) -> Result<Option<u64>, ApiError> {
        let mut first = None;
        for v in self.values(name) {
            // Python's int() takes surrounding blanks and any size; out of range is then refused.
            let n = v
                .trim()
                .parse::<i128>()
                .map_err(|_| ApiError::invalid_param(name, format!("{v} is not a valid integer")))?;
            let n = u64::try_from(n).ok().filter(|n| (low..=high).contains(n)).ok_or_else(|| {
                ApiError::invalid_param(
                    name,
                    format!("Invalid argument: {n}. argument must be within the range {low} - {high}"),
                )
            })?;
            first.get_or_insert(n);
        }
        Ok(first)
    }

    /// `page` (1–99999, default 1) and `limit` (1–100, default 20) as Dify's console lists
    /// read them with `int_range`.
    pub fn page_request(&self) -> Result<PageRequest, ApiError> {
        let page = self.int_range("page", 1, 99_999)?.unwrap_or(1);
        let limit = self.int_range("limit", 1, 100)?.unwrap_or(20);
        Ok(PageRequest { page, limit })
    }

    /// `limit` (1–100, default 20) of the cursor-paged histories.
    pub fn limit(&self) -> Result<u64, ApiError> {
        Ok(self.int_range("limit", 1, 100)?.unwrap_or(20))
    }

    /// A `choices=[...]` argument with its default.
    pub fn choice(
        &self,
        name: &str,
        choices: &[&'static str],
        default: &'static str,
    ) -> Result<&'static str, ApiError> {
        Ok(self.some_choice(name, choices)?.unwrap_or(default))
    }

    /// A `choices=[...]` argument without a default.
    pub fn some_choice(&self, name: &str, choices: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
        let mut first = None;
        for v in self.values(name) {
            let c = choices
                .iter()
                .copied()
                .find(|c| *c == v)
                .ok_or_else(|| ApiError::invalid_param(name, format!("{v} is not a valid choice")))?;
            first.get_or_insert(c);
        }
        Ok(first)
    }

    /// A `uuid_value` argument.
    pub fn uuid(&self, name: &str) -> Result<UuidArg, ApiError> {
        let mut first = UuidArg::Absent;
        for v in self.values(name) {
            let arg = uuid_value(name, v)?;
            if first == UuidArg::Absent {
                first = arg;
            }
        }
        Ok(first)
    }

    /// A required `uuid_value` argument.
    pub fn required_uuid(&self, name: &str) -> Result<UuidArg, ApiError> {
        match self.uuid(name)? {
            UuidArg::Absent => Err(ApiError::invalid_param(name, MISSING)),
            arg => Ok(arg),
        }
    }

    /// A `YYYY-MM-DD HH:MM` argument in the account's zone, with `second` set, as UTC.
    pub fn minute(&self, name: &str, timezone: Option<&str>, second: u32) -> Result<Option<NaiveDateTime>, ApiError> {
        use apps::statistics::{MALFORMED_DATETIME, account_zone, localize, parse_minute};
        let mut first = None;
        for v in self.values(name) {
            let local = parse_minute(v).ok_or_else(|| ApiError::invalid_param(name, MALFORMED_DATETIME))?;
            first.get_or_insert(local);
        }
        Ok(first.map(|local| localize(account_zone(timezone), local.with_second(second).unwrap_or(local))))
    }
}

/// Dify's `uuid_value`: an empty string passes, anything else must be a UUID.
pub fn uuid_value(name: &str, value: &str) -> Result<UuidArg, ApiError> {
    if value.is_empty() {
        return Ok(UuidArg::Empty);
    }
    Uuid::parse_str(value)
        .map(UuidArg::Id)
        .map_err(|_| ApiError::invalid_param(name, format!("{value} is not a valid uuid.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_takes_the_first_value_but_checks_all() {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
        let a = QueryArgs::parse("start=2023-11-05+00:30&start=2023-11-06+00:00&end=2023-11-05+00:30&end=soon");
        let la = Some("America/Los_Angeles");
        assert_eq!(a.minute("start", la, 0).expect("start"), Some(at("2023-11-05 07:30")));
        let e = a.minute("end", la, 0).expect_err("bad");
        assert_eq!(
            (e.status, e.params.as_deref(), e.message.as_str()),
            (400, Some("end"), apps::statistics::MALFORMED_DATETIME)
        );
    }

    #[test]
    fn reads_like_reqparse() {
        let a = QueryArgs::parse("page=2&page=3&limit=0&status=x&id=&n=%205%20&big=99999999999999999999999");
        assert_eq!(a.int_range("page", 1, 99_999).expect("page"), Some(2));
        let e = a.int_range("limit", 1, 100).expect_err("limit");
        assert_eq!(
            (e.status, e.params.as_deref(), e.message.as_str()),
            (400, Some("limit"), "Invalid argument: 0. argument must be within the range 1 - 100")
        );
        assert_eq!(a.int_range("n", 1, 10).expect("blanks"), Some(5));
        let e = a.int_range("big", 1, 100).expect_err("big");
        assert_eq!(e.message, "Invalid argument: 99999999999999999999999. argument must be within the range 1 - 100");
        let e = a.int_range("status", 1, 100).expect_err("text");
        assert_eq!(e.message, "x is not a valid integer");
        assert_eq!(a.int_range("missing", 1, 100).expect("absent"), None);
        assert!(a.choice("status", &["all"], "all").is_err());
        assert_eq!(a.choice("other", &["all"], "all").expect("default"), "all");
        assert_eq!(a.uuid("id").expect("empty"), UuidArg::Empty);
        assert!(a.required_uuid("nope").is_err());
        assert_eq!(a.required("id").expect_err("empty is missing").params.as_deref(), Some("id"));
    }

    #[test]
    fn end_of_window_keeps_the_minute() {
        let a = QueryArgs::parse("end=2023-11-05%2010:30");
        let end = a.minute("end", Some("Asia/Shanghai"), 59).expect("end").expect("some");
        assert_eq!(end.to_string(), "2023-11-05 02:30:59");
    }
}
