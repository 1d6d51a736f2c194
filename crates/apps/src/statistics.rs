//! An app's Overview statistics: one row per day of the account's time zone, with the
//! filters, numbers, rounding and `jsonify` rendering of Dify's SQL.
//!
//! SQLite has no time zones, so both backends run the same code: rows are read filtered by
//! app and UTC window, and bucketed here by their local date (chrono-tz follows DST, as
//! PostgreSQL's `AT TIME ZONE` does). Only the per-conversation message count of
//! average-session-interactions is aggregated in SQL, which both backends do alike.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::str::FromStr;

use crate::AppError;
use chrono::{Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::{OffsetComponents, Tz};
use entities::{conversations, message_feedbacks, messages};
use futures::{Stream, TryStreamExt};
use kernel::ApiError;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use crate::lookup::{AppMode, app_for_tenant};

/// One of the seven statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    DailyConversations,
    DailyEndUsers,
    TokenCosts,
    AverageSessionInteractions,
    UserSatisfactionRate,
    AverageResponseTime,
    TokensPerSecond,
}

impl Metric {
    /// The app mode Dify loads the app with; another mode is "not found".
    fn mode(self) -> Option<AppMode> {
        match self {
            Metric::AverageSessionInteractions => Some(AppMode::Chat),
            Metric::AverageResponseTime => Some(AppMode::Completion),
            _ => None,
        }
    }
}

/// One day's figures, named as the JSON names them.
#[derive(Debug, Clone, PartialEq)]
pub enum Figures {
    ConversationCount(i64),
    TerminalCount(i64),
    /// Tokens in and out, and the sum of the known prices (null when none is known).
    TokenCosts {
        token_count: i64,
        total_price: Option<Decimal>,
    },
    Interactions(f64),
    Rate(f64),
    Latency(f64),
    Tps(f64),
}

/// A statistic's rows, oldest day first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series(pub Vec<(NaiveDate, Figures)>);

/// The account's zone, as Dify localizes with it; UTC when unset or unknown (where Dify fails).
pub fn account_zone(name: Option<&str>) -> Tz {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else { return Tz::UTC };
    // pytz looks zone names up case-insensitively.
    name.parse::<Tz>()
        .ok()
        .or_else(|| chrono_tz::TZ_VARIANTS.iter().copied().find(|t| t.name().eq_ignore_ascii_case(name)))
        .unwrap_or(Tz::UTC)
}

/// The UTC window `[start, end)` a request asks for; an absent bound is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
}

/// What Dify answers for a malformed `start`/`end`: its `datetime_string` helper formats its
/// message with a placeholder it never passes, so the message is the resulting `KeyError`.
pub const MALFORMED_DATETIME: &str = "'format'";

impl Window {
    fn apply<Q: QueryFilter, C: ColumnTrait>(self, query: Q, column: C) -> Q {
        let query = match self.start {
            Some(start) => query.filter(column.gte(start)),
            None => query,
        };
        match self.end {
            Some(end) => query.filter(column.lt(end)),
            None => query,
        }
    }
}

/// The app's statistic over the window, bucketed in the account's zone. The window comes
/// parsed or refused: the app is looked up first, so a missing app answers 404 before a bad
/// date answers 400, as in Dify.
pub async fn series(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    app_id: Uuid,
    metric: Metric,
    window: Result<Window, ApiError>,
    timezone: Option<&str>,
) -> Result<Series, AppError> {
    let app = app_for_tenant(db, tenant_id, app_id, metric.mode()).await?;
    let tz = account_zone(timezone);
    let window = window?;
    let q = Scope { db, app_id: app.id, tz, window };
    let rows = match metric {
        Metric::DailyConversations => q.daily_conversations().await?,
        Metric::DailyEndUsers => q.daily_end_users().await?,
        Metric::TokenCosts => q.token_costs().await?,
        Metric::AverageSessionInteractions => q.session_interactions().await?,
        Metric::UserSatisfactionRate => q.satisfaction_rate().await?,
        Metric::AverageResponseTime => q.response_time().await?,
        Metric::TokensPerSecond => q.tokens_per_second().await?,
    };
    Ok(Series(rows))
}

type Rows = Vec<(NaiveDate, Figures)>;

/// One request's app, zone and window.
struct Scope<'a> {
    db: &'a DatabaseConnection,
    app_id: Uuid,
    tz: Tz,
    window: Window,
}

impl Scope<'_> {
    /// The app's messages in the window, selecting nothing yet.
    fn messages(&self) -> sea_orm::Select<messages::Entity> {
        let query = messages::Entity::find()
            .select_only()
            .column(messages::Column::CreatedAt)
            .filter(messages::Column::AppId.eq(self.app_id));
        self.window.apply(query, messages::Column::CreatedAt)
    }

    async fn daily_conversations(&self) -> Result<Rows, ApiError> {
        let rows = self
            .messages()
            .column(messages::Column::ConversationId)
            .into_tuple::<(NaiveDateTime, Uuid)>()
            .stream(self.db)
            .await?;
        let days = by_day(
            rows,
            self.tz,
            |at| at.0,
            |seen: &mut HashSet<Uuid>, (_, id)| {
                seen.insert(id);
            },
        )
        .await?;
        Ok(days.into_iter().map(|(d, seen)| (d, Figures::ConversationCount(count(seen.len())))).collect())
    }

    async fn daily_end_users(&self) -> Result<Rows, ApiError> {
        let rows = self
            .messages()
            .column(messages::Column::FromEndUserId)
            .into_tuple::<(NaiveDateTime, Option<Uuid>)>()
            .stream(self.db)
            .await?;
        // `count(distinct from_end_user_id)`: console messages (no end user) count for nothing.
        let days = by_day(
            rows,
            self.tz,
            |at| at.0,
            |seen: &mut HashSet<Uuid>, (_, id)| {
                seen.extend(id);
            },
        )
        .await?;
        Ok(days.into_iter().map(|(d, seen)| (d, Figures::TerminalCount(count(seen.len())))).collect())
    }

    async fn token_costs(&self) -> Result<Rows, ApiError> {
        // The price as text: exact on PostgreSQL, and SQLite may hold it as REAL or INTEGER.
        let rows = self
            .messages()
            .column(messages::Column::MessageTokens)
            .column(messages::Column::AnswerTokens)
            .expr(Expr::cust("CAST(total_price AS TEXT)"))
            .into_tuple::<(NaiveDateTime, i32, i32, Option<String>)>()
            .stream(self.db)
            .await?;
        #[derive(Default)]
        struct Acc {
            tokens: i64,
            price: Option<Decimal>,
        }
        let days = by_day(
            rows,
            self.tz,
            |r| r.0,
            |acc: &mut Acc, (_, input, output, price)| {
                acc.tokens += i64::from(input) + i64::from(output);
                // `sum()` skips nulls and is null when every price is.
                if let Some(p) = price.as_deref().and_then(price_of) {
                    acc.price = Some(acc.price.unwrap_or(Decimal::ZERO) + p);
                }
            },
        )
        .await?;
        Ok(days
            .into_iter()
            .map(|(d, a)| (d, Figures::TokenCosts { token_count: a.tokens, total_price: a.price.map(scale7) }))
            .collect())
    }

    async fn session_interactions(&self) -> Result<Rows, ApiError> {
        // Messages per non-debug conversation created in the window, by the conversation's day.
        let query = conversations::Entity::find()
            .select_only()
            .column(conversations::Column::CreatedAt)
            .expr(Expr::col((messages::Entity, messages::Column::Id)).count())
            .join(JoinType::InnerJoin, conversations::Relation::Messages.def())
            .filter(conversations::Column::OverrideModelConfigs.is_null())
            .filter(conversations::Column::AppId.eq(self.app_id));
        let rows = self
            .window
            .apply(query, conversations::Column::CreatedAt)
            .group_by(conversations::Column::Id)
            .group_by(conversations::Column::CreatedAt)
            .into_tuple::<(NaiveDateTime, i64)>()
            .stream(self.db)
            .await?;
        let days = by_day(
            rows,
            self.tz,
            |r| r.0,
            |acc: &mut (i64, i64), (_, n)| {
                acc.0 += n;
                acc.1 += 1;
            },
        )
        .await?;
        Ok(days.into_iter().map(|(d, (sum, n))| (d, Figures::Interactions(quantize_ratio(sum, n)))).collect())
    }

    async fn satisfaction_rate(&self) -> Result<Rows, ApiError> {
        // Dify left-joins feedbacks, so a message with two feedbacks counts as two messages.
        let feedbacks = messages::Entity::belongs_to(message_feedbacks::Entity)
            .from(messages::Column::Id)
            .to(message_feedbacks::Column::MessageId)
            .into();
        let rows = self
            .messages()
            .column(message_feedbacks::Column::Id)
            .join(JoinType::LeftJoin, feedbacks)
            .into_tuple::<(NaiveDateTime, Option<Uuid>)>()
            .stream(self.db)
            .await?;
        let days = by_day(
            rows,
            self.tz,
            |r| r.0,
            |acc: &mut (i64, i64), (_, feedback)| {
                acc.0 += 1;
                acc.1 += i64::from(feedback.is_some());
            },
        )
        .await?;
        Ok(days
            .into_iter()
            .map(|(d, (messages, feedbacks))| {
                // Python's true division of the integers, then `round(_, 2)`.
                let rate = if messages > 0 { py_round(feedbacks as f64 * 1000.0 / messages as f64, 2) } else { 0.0 };
                (d, Figures::Rate(rate))
            })
            .collect())
    }

    /// Float sums depend on the order of the rows: read them in a fixed one.
    fn ordered(&self) -> sea_orm::Select<messages::Entity> {
        self.messages().order_by_asc(messages::Column::CreatedAt).order_by_asc(messages::Column::Id)
    }

    async fn response_time(&self) -> Result<Rows, ApiError> {
        let rows = self
            .ordered()
            .column(messages::Column::ProviderResponseLatency)
            .into_tuple::<(NaiveDateTime, f64)>()
            .stream(self.db)
            .await?;
        let days = by_day(
            rows,
            self.tz,
            |r| r.0,
            |acc: &mut (f64, i64), (_, latency)| {
                acc.0 += latency;
                acc.1 += 1;
            },
        )
        .await?;
        Ok(days.into_iter().map(|(d, (sum, n))| (d, Figures::Latency(py_round(sum / n as f64 * 1000.0, 4)))).collect())
    }

    async fn tokens_per_second(&self) -> Result<Rows, ApiError> {
        let rows = self
            .ordered()
            .column(messages::Column::AnswerTokens)
            .column(messages::Column::ProviderResponseLatency)
            .into_tuple::<(NaiveDateTime, i32, f64)>()
            .stream(self.db)
            .await?;
        let days = by_day(
            rows,
            self.tz,
            |r| r.0,
            |acc: &mut (i64, f64), (_, tokens, latency)| {
                acc.0 += i64::from(tokens);
                acc.1 += latency;
            },
        )
        .await?;
        Ok(days
            .into_iter()
            .map(|(d, (tokens, latency))| {
                let tps = if latency == 0.0 { 0.0 } else { py_round(tokens as f64 / latency, 4) };
                (d, Figures::Tps(tps))
            })
            .collect())
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Folds rows into per-day accumulators keyed by each row's local date, streaming.
async fn by_day<T, A: Default>(
    mut rows: impl Stream<Item = Result<T, DbErr>> + Unpin,
    tz: Tz,
    at: impl Fn(&T) -> NaiveDateTime,
    mut add: impl FnMut(&mut A, T),
) -> Result<BTreeMap<NaiveDate, A>, ApiError> {
    let mut days = BTreeMap::<NaiveDate, A>::new();
    while let Some(row) = rows.try_next().await? {
        let day = tz.from_utc_datetime(&at(&row)).date_naive();
        add(days.entry(day).or_default(), row);
    }
    Ok(days)
}

/// A `numeric(10, 7)` price read back as text (SQLite may give `1.5e-05` or `0`).
fn price_of(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let value = if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { Decimal::from_str(text) };
    value.ok().map(|d| d.round_dp_with_strategy(7, RoundingStrategy::MidpointAwayFromZero))
}

/// PostgreSQL's sum of `numeric(10, 7)` keeps scale 7.
fn scale7(mut d: Decimal) -> Decimal {
    d.rescale(7);
    d
}

/// `AVG(count)` quantized to 0.01 with Python's default half-even rounding, as a float.
fn quantize_ratio(sum: i64, n: i64) -> f64 {
    if n <= 0 {
        return 0.0;
    }
    let (num, n) = (i128::from(sum) * 100, i128::from(n));
    let (mut q, r) = (num.div_euclid(n), num.rem_euclid(n));
    if 2 * r > n || (2 * r == n && q % 2 != 0) {
        q += 1;
    }
    q as f64 / 100.0
}

/// Python's `round(x, ndigits)` on a float: half-even on the exact binary value, which is how
/// Rust's fixed-precision formatting rounds too.
fn py_round(x: f64, ndigits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.ndigits$}").parse().unwrap_or(x)
}

/// Python's `strptime(value, '%Y-%m-%d %H:%M')` (the logs' window reads it too): its regex (one-digit fields allowed, any run
/// of whitespace between date and time, nothing left over), then a real calendar date.
pub fn parse_minute(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| u32::from(c - b'0'));
    let mut i = 0;
    let mut year = 0;
    for _ in 0..4 {
        year = year * 10 + digit(i)?;
        i += 1;
    }
    let lit = |i: &mut usize, c: u8| (b.get(*i) == Some(&c)).then(|| *i += 1);
    lit(&mut i, b'-')?;
    // Each field's alternatives in the regex's order; the first that matches is kept.
    let field = |i: &mut usize, two: &dyn Fn(u32, u32) -> bool, one: &dyn Fn(u32) -> bool| {
        if let (Some(a), Some(c)) = (digit(*i), digit(*i + 1))
            && two(a, c)
        {
            *i += 2;
            return Some(a * 10 + c);
        }
        let a = digit(*i).filter(|a| one(*a))?;
        *i += 1;
        Some(a)
    };
    let month = field(&mut i, &|a, c| (a == 1 && c <= 2) || (a == 0 && c >= 1), &|a| a >= 1)?;
    lit(&mut i, b'-')?;
    let day = match field(&mut i, &|a, c| (a == 3 && c <= 1) || a == 1 || a == 2 || (a == 0 && c >= 1), &|a| a >= 1) {
        Some(day) => day,
        // `| [1-9]`: a space-padded day.
        None if b.get(i) == Some(&b' ') => {
            let d = digit(i + 1).filter(|d| *d >= 1)?;
            i += 2;
            d
        }
        None => return None,
    };
    let rest = &s[i..];
    let time = rest.trim_start_matches(py_space);
    if time.len() == rest.len() {
        return None;
    }
    let (b, mut i) = (time.as_bytes(), 0);
    let digit = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| u32::from(c - b'0'));
    let field = |i: &mut usize, two: &dyn Fn(u32, u32) -> bool| {
        if let (Some(a), Some(c)) = (digit(*i), digit(*i + 1))
            && two(a, c)
        {
            *i += 2;
            return Some(a * 10 + c);
        }
        let a = digit(*i)?;
        *i += 1;
        Some(a)
    };
    let hour = field(&mut i, &|a, c| (a == 2 && c <= 3) || a <= 1)?;
    (b.get(i) == Some(&b':')).then_some(())?;
    i += 1;
    let minute = field(&mut i, &|a, _| a <= 5)?;
    if i != b.len() || year == 0 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(date.and_time(NaiveTime::from_hms_opt(hour, minute, 0)?))
}

/// Python's `\s` (`str.isspace`), which also counts the ASCII separators 0x1C-0x1F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// pytz's `localize(local, is_dst=False)` then UTC: an ambiguous time takes its standard-time
/// reading, a skipped time the offset in force six hours before it.
pub fn localize(tz: Tz, local: NaiveDateTime) -> NaiveDateTime {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.naive_utc(),
        LocalResult::Ambiguous(a, b) => {
            let standard: Vec<_> = [a, b].into_iter().filter(|t| t.offset().dst_offset().is_zero()).collect();
            match standard.as_slice() {
                [only] => only.naive_utc(),
                _ => Ord::min(a.naive_utc(), b.naive_utc()),
            }
        }
        LocalResult::None => localize(tz, local - Duration::hours(6)) + Duration::hours(6),
    }
}

/// The documented shape of a statistics answer. The bytes are [`Series::to_jsonify`]'s:
/// serde would spell some numbers unlike Python (`1e16` for `1e+16`, a `Decimal` as a number).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SeriesAnswer {
    data: Vec<DayFigures>,
}

/// One day; the figures are those of the statistic asked for.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DayFigures {
    /// `YYYY-MM-DD` in the account's zone.
    date: String,
    conversation_count: Option<i64>,
    terminal_count: Option<i64>,
    token_count: Option<i64>,
    /// A decimal string, or null when no price is known.
    total_price: Option<String>,
    currency: Option<String>,
    interactions: Option<f64>,
    rate: Option<f64>,
    latency: Option<f64>,
    tps: Option<f64>,
}

impl Series {
    /// The body Flask's `jsonify` sends: compact, keys sorted, `Decimal` as a string, floats
    /// as Python's `repr`, and a trailing newline.
    pub fn to_jsonify(&self) -> String {
        let mut out = String::from("{\"data\":[");
        for (i, (date, figures)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let date = date.format("%Y-%m-%d");
            let _ = match figures {
                Figures::ConversationCount(n) => write!(out, r#"{{"conversation_count":{n},"date":"{date}"}}"#),
                Figures::TerminalCount(n) => write!(out, r#"{{"date":"{date}","terminal_count":{n}}}"#),
                Figures::TokenCosts { token_count, total_price } => {
                    let price = total_price.map_or_else(|| "null".to_string(), |p| format!("\"{}\"", py_decimal(p)));
                    write!(
                        out,
                        r#"{{"currency":"USD","date":"{date}","token_count":{token_count},"total_price":{price}}}"#
                    )
                }
                Figures::Interactions(x) => write!(out, r#"{{"date":"{date}","interactions":{}}}"#, py_float(*x)),
                Figures::Rate(x) => write!(out, r#"{{"date":"{date}","rate":{}}}"#, py_float(*x)),
                Figures::Latency(x) => write!(out, r#"{{"date":"{date}","latency":{}}}"#, py_float(*x)),
                Figures::Tps(x) => write!(out, r#"{{"date":"{date}","tps":{}}}"#, py_float(*x)),
            };
        }
        out.push_str("]}\n");
        out
    }
}

/// Python's `str(Decimal)`: plain notation unless the exponent is positive or the number is
/// below 1e-6, then scientific (`0E-7`, `1E-7`).
fn py_decimal(d: Decimal) -> String {
    let digits = d.mantissa().unsigned_abs().to_string();
    let sign = if d.is_sign_negative() && !d.is_zero() { "-" } else { "" };
    let exp = -i64::from(d.scale());
    let len = digits.len() as i64;
    let left = exp + len;
    let dot = if exp <= 0 && left > -6 { left } else { 1 };
    let (int, frac) = if dot <= 0 {
        ("0".to_string(), format!(".{}{digits}", "0".repeat(dot.unsigned_abs() as usize)))
    } else if dot >= len {
        (format!("{digits}{}", "0".repeat((dot - len) as usize)), String::new())
    } else {
        (digits[..dot as usize].to_string(), format!(".{}", &digits[dot as usize..]))
    };
    let e = if left == dot { String::new() } else { format!("E{:+}", left - dot) };
    format!("{sign}{int}{frac}{e}")
}

/// Python's `repr(float)`: the shortest round-tripping digits, positional from 1e-4 up to
/// 1e16, scientific (`1e-05`, `1e+16`) outside.
fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits = mantissa.replace('.', "");
    let len = digits.len() as i64;
    if (-4..16).contains(&exp) {
        if exp < 0 {
            return format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize));
        }
        let point = exp + 1;
        if point >= len {
            return format!("{sign}{digits}{}.0", "0".repeat((point - len) as usize));
        }
        return format!("{sign}{}.{}", &digits[..point as usize], &digits[point as usize..]);
    }
    let (first, rest) = digits.split_at(1);
    let mantissa = if rest.is_empty() { first.to_string() } else { format!("{first}.{rest}") };
    format!("{sign}{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("datetime")
    }

    #[test]
    fn parses_like_python_strptime() {
        assert_eq!(parse_minute("2023-11-05 00:30"), Some(at("2023-11-05 00:30")));
        assert_eq!(parse_minute("2023-11-5 0:3"), Some(at("2023-11-05 00:03")));
        assert_eq!(parse_minute("2023-1- 5\t \n07:59"), Some(at("2023-01-05 07:59")));
        assert_eq!(parse_minute("2023-12-31 23:59"), Some(at("2023-12-31 23:59")));
        for bad in [
            "",
            "2023-11-05",
            "2023-11-05 00:30:00",
            "2023-11-05 24:00",
            "2023-11-05 10:60",
            "2023-13-01 00:00",
            "2023-02-30 00:00",
            "0000-01-01 00:00",
            "23-11-05 00:30",
            " 2023-11-05 00:30",
            "2023-11-05 00:30 ",
            "2023-11-0500:30",
            "2023-11-05T00:30",
            "2023-011-05 00:30",
        ] {
            assert_eq!(parse_minute(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn localizes_like_pytz_with_is_dst_false() {
        let la: Tz = "America/Los_Angeles".parse().expect("tz");
        assert_eq!(localize(la, at("2023-11-05 00:30")), at("2023-11-05 07:30"), "PDT");
        // 01:30 happens twice on 2023-11-05: pytz takes the PST one.
        assert_eq!(localize(la, at("2023-11-05 01:30")), at("2023-11-05 09:30"));
        assert_eq!(localize(la, at("2023-11-05 23:30")), at("2023-11-06 07:30"), "PST");
        // 02:30 never happens on 2023-03-12: pytz reads it with the PST offset before the gap.
        assert_eq!(localize(la, at("2023-03-12 02:30")), at("2023-03-12 10:30"));
        let sh: Tz = "Asia/Shanghai".parse().expect("tz");
        assert_eq!(localize(sh, at("2023-11-06 00:30")), at("2023-11-05 16:30"));
    }

    #[test]
    fn account_zone_falls_back_to_utc() {
        assert_eq!(account_zone(Some("asia/shanghai")), Tz::Asia__Shanghai);
        assert_eq!(account_zone(Some("Nowhere/Land")), Tz::UTC);
        assert_eq!(account_zone(None), Tz::UTC);
    }

    #[test]
    fn decimals_render_like_python_str() {
        let d = |s: &str| scale7(price_of(s).expect("decimal"));
        assert_eq!(py_decimal(d("0")), "0E-7");
        assert_eq!(py_decimal(d("0.0000001")), "1E-7");
        assert_eq!(py_decimal(d("1e-07")), "1E-7");
        assert_eq!(py_decimal(d("0.0000010")), "0.0000010");
        assert_eq!(py_decimal(d("0.00003")), "0.0000300");
        assert_eq!(py_decimal(d("1.5e-05")), "0.0000150");
        assert_eq!(py_decimal(d("12.34")), "12.3400000");
        assert_eq!(py_decimal(d("-0.0020601")), "-0.0020601");
        assert_eq!(py_decimal(d("0.00000005")), "1E-7", "rounded half away from zero into scale 7");
    }

    #[test]
    fn floats_render_like_python_repr() {
        for (x, s) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (1000.0, "1000.0"),
            (428.57, "428.57"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.2345e17, "1.2345e+17"),
            (999999999999999.9, "999999999999999.9"),
        ] {
            assert_eq!(py_float(x), s);
        }
    }

    #[test]
    fn rounds_like_python() {
        assert_eq!(quantize_ratio(9, 8), 1.12, "1.125 ties to even");
        assert_eq!(quantize_ratio(11, 8), 1.38, "1.375 ties to even");
        assert_eq!(quantize_ratio(4, 3), 1.33);
        assert_eq!(quantize_ratio(5, 3), 1.67);
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(3000.0 / 7.0, 2), 428.57);
        assert_eq!(py_round(2.675, 2), 2.67, "2.675 is a little below in binary");
    }
}
