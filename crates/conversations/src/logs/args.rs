//! Arguments of the log views, read as Flask-RESTful's reqparse reads them: every value of a
//! query-string name is checked, the first one counts, and a failure names the argument.

use apps::statistics::{MALFORMED_DATETIME, account_zone, localize, parse_minute};
use chrono::{NaiveDateTime, Timelike};
use kernel::ApiError;
use uuid::Uuid;

const MISSING_IN_QUERY: &str = "Missing required parameter in the query string";
const MISSING_IN_BODY: &str = "Missing required parameter in the JSON body";

/// Decoded query-string pairs, in the order they were sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueryArgs<'a>(pub &'a [(String, String)]);

/// A `uuid_value` argument: Dify lets an empty string through, which finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UuidArg {
    Absent,
    Empty,
    Id(Uuid),
}

impl UuidArg {
    pub(crate) fn id(self) -> Option<Uuid> {
        match self {
            UuidArg::Id(id) => Some(id),
            UuidArg::Absent | UuidArg::Empty => None,
        }
    }
}

impl<'a> QueryArgs<'a> {
    fn values(self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A `type=str` argument.
    pub(crate) fn string(self, name: &'a str) -> Option<&'a str> {
        self.values(name).next()
    }

    /// An `int_range(low, high)` argument.
    pub(crate) fn int_range(self, name: &'a str, low: u64, high: u64) -> Result<Option<u64>, ApiError> {
        let mut first = None;
        for v in self.values(name) {
            let n = v
                .trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid_param(name, format!("{v} is not a valid integer")))?;
            let n = u64::try_from(n).ok().filter(|n| (low..=high).contains(n)).ok_or_else(|| {
                ApiError::invalid_param(
                    name,
                    format!("Invalid {name}: {n}. {name} must be within the range {low} - {high}"),
                )
            })?;
            first.get_or_insert(n);
        }
        Ok(first)
    }

    /// A `choices=[...]` argument with its default.
    pub(crate) fn choice(
        self,
        name: &'a str,
        choices: &[&'static str],
        default: &'static str,
    ) -> Result<&'static str, ApiError> {
        let mut first = None;
        for v in self.values(name) {
            let c = choices
                .iter()
                .copied()
                .find(|c| *c == v)
                .ok_or_else(|| ApiError::invalid_param(name, format!("{v} is not a valid choice")))?;
            first.get_or_insert(c);
        }
        Ok(first.unwrap_or(default))
    }

    /// A `uuid_value` argument.
    pub(crate) fn uuid(self, name: &'a str) -> Result<UuidArg, ApiError> {
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
    pub(crate) fn required_uuid(self, name: &'a str) -> Result<UuidArg, ApiError> {
        match self.uuid(name)? {
            UuidArg::Absent => Err(ApiError::invalid_param(name, MISSING_IN_QUERY)),
            arg => Ok(arg),
        }
    }

    /// A `YYYY-MM-DD HH:MM` argument in the account's zone, with `second` set, as UTC.
    pub(crate) fn minute(
        self,
        name: &'a str,
        timezone: Option<&str>,
        second: u32,
    ) -> Result<Option<NaiveDateTime>, ApiError> {
        let mut first = None;
        for v in self.values(name) {
            let local = parse_minute(v).ok_or_else(|| ApiError::invalid_param(name, MALFORMED_DATETIME))?;
            first.get_or_insert(local);
        }
        Ok(first.map(|local| localize(account_zone(timezone), local.with_second(second).unwrap_or(local))))
    }
}

/// Dify's `uuid_value`: an empty string passes, anything else must be a UUID.
pub(crate) fn uuid_value(name: &str, value: &str) -> Result<UuidArg, ApiError> {
    if value.is_empty() {
        return Ok(UuidArg::Empty);
    }
    Uuid::parse_str(value)
        .map(UuidArg::Id)
        .map_err(|_| ApiError::invalid_param(name, format!("{value} is not a valid uuid.")))
}

/// A required JSON-body `uuid_value` argument.
pub(crate) fn required_body_uuid(name: &str, value: Option<&str>) -> Result<UuidArg, ApiError> {
    uuid_value(name, value.ok_or_else(|| ApiError::invalid_param(name, MISSING_IN_BODY))?)
}

/// A required JSON-body string.
pub(crate) fn required_body_str(name: &str, value: Option<String>) -> Result<String, ApiError> {
    value.ok_or_else(|| ApiError::invalid_param(name, MISSING_IN_BODY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_like_reqparse() {
        let p = pairs(&[("page", "2"), ("page", "3"), ("limit", "0"), ("status", "x"), ("id", "")]);
        let a = QueryArgs(&p);
        assert_eq!(a.int_range("page", 1, 99_999).expect("page"), Some(2));
        let e = a.int_range("limit", 1, 100).expect_err("limit");
        assert_eq!((e.status, e.params.as_deref()), (400, Some("limit")));
        assert_eq!(a.int_range("missing", 1, 100).expect("absent"), None);
        assert!(a.choice("status", &["all"], "all").is_err());
        assert_eq!(a.choice("other", &["all"], "all").expect("default"), "all");
        assert_eq!(a.uuid("id").expect("empty"), UuidArg::Empty);
        assert!(a.required_uuid("nope").is_err());
    }

    #[test]
    fn end_of_window_keeps_the_minute() {
        let p = pairs(&[("end", "2023-11-05 10:30")]);
        let end = QueryArgs(&p).minute("end", Some("Asia/Shanghai"), 59).expect("end").expect("some");
        assert_eq!(end.to_string(), "2023-11-05 02:30:59");
    }
}
