//! Clock helpers: Dify stores naive UTC timestamps and answers with Unix seconds.

use chrono::{NaiveDateTime, Utc};

/// Now as a naive UTC timestamp (Dify stores naive UTC), to the microsecond PostgreSQL keeps,
/// so rows made within one second still sort in the order they were made.
pub fn now_naive() -> NaiveDateTime {
    use chrono::Timelike;
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

/// A naive UTC timestamp as the Unix seconds Dify's `TimestampField` renders.
pub fn unix_seconds(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}
