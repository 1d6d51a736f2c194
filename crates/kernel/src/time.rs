//! Clock helpers: Dify stores naive UTC timestamps and answers with Unix seconds.

use chrono::{NaiveDateTime, Utc};

/// Now as a naive UTC timestamp truncated to whole seconds, as Dify's `CURRENT_TIMESTAMP(0)`.
pub fn now_naive() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond_zeroed()
}

trait ZeroNanos {
    fn with_nanosecond_zeroed(self) -> Self;
}

impl ZeroNanos for NaiveDateTime {
    fn with_nanosecond_zeroed(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// A naive UTC timestamp as the Unix seconds Dify's `TimestampField` renders.
pub fn unix_seconds(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}
