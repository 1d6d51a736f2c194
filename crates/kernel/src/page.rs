//! The one page request of the numbered lists (apps, workspaces, datasets, documents, logs):
//! a 1-based page and 1..=100 rows.

use crate::ApiError;

/// A page of a numbered list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, limit: 20 }
    }
}

impl PageRequest {
    /// Dify's lenient reading where it declares `type=int` and pages with flask-sqlalchemy's
    /// `paginate` without `error_out` (datasets, documents): unparsable values fall back to 1
    /// and 20, a page below 1 is 1, a limit below 1 is 20 and above 100 is 100. A page whose
    /// rows start past what a database offset can hold is 400 (Dify answered 500 there).
    pub fn lenient(page: Option<&str>, limit: Option<&str>) -> Result<Self, ApiError> {
        let num = |v: Option<&str>| v.and_then(|v| v.trim().parse::<i128>().ok());
        let limit = match num(limit) {
            Some(n) if n >= 1 => u64::try_from(n.min(100)).unwrap_or(100),
            _ => 20,
        };
        let last_page = i64::MAX as u64 / limit;
        let page = match num(page) {
            Some(n) if n > i128::from(last_page) => {
                return Err(ApiError::invalid_param("page", format!("page must be at most {last_page}.")));
            }
            Some(n) if n >= 1 => u64::try_from(n).unwrap_or(1),
            _ => 1,
        };
        Ok(Self { page, limit })
    }

    /// Rows before this page; fits a database offset for every page `lenient` or Dify's
    /// `int_range` (at most 99999 × 100) lets through.
    pub fn offset(self) -> u64 {
        (self.page - 1).saturating_mul(self.limit)
    }

    /// Whether rows remain after this page of `total`.
    pub fn has_more(self, total: u64) -> bool {
        self.page.saturating_mul(self.limit) < total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_falls_back_as_paginate_does() {
        let page = |p, l| PageRequest::lenient(p, l).map_err(|e| e.params);
        assert_eq!(page(None, None), Ok(PageRequest { page: 1, limit: 20 }));
        assert_eq!(page(Some("x"), Some("500")), Ok(PageRequest { page: 1, limit: 100 }));
        assert_eq!(page(Some("0"), Some("0")), Ok(PageRequest { page: 1, limit: 20 }));
        assert_eq!(page(Some("-4"), Some("-1")), Ok(PageRequest { page: 1, limit: 20 }));
        assert_eq!(page(Some("3"), Some("5")), Ok(PageRequest { page: 3, limit: 5 }));
        assert_eq!(page(Some("99999999999999999999"), Some("100")), Err(Some("page".into())));
        // Offsets must fit a BIGINT: the last page of 20 rows, and one past it.
        let last = (i64::MAX as u64 / 20).to_string();
        assert_eq!(page(Some(&last), None).map(PageRequest::offset), Ok((i64::MAX as u64 / 20 - 1) * 20));
        let past = (i64::MAX as u64 / 20 + 1).to_string();
        assert_eq!(page(Some(&past), None), Err(Some("page".into())));
        assert_eq!(page(Some("9223372036854775807"), Some("1")).map(|p| p.page), Ok(i64::MAX as u64));
        assert_eq!(PageRequest { page: 3, limit: 5 }.offset(), 10);
        assert!(PageRequest { page: 2, limit: 5 }.has_more(11));
        assert!(!PageRequest { page: 3, limit: 5 }.has_more(15));
    }
}
