//! Input rules shared by the account routes and the CLI, worded as Dify words them.

use std::sync::LazyLock;

use kernel::ApiError;
use regex::Regex;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    // Dify's `libs.helper.email` pattern; \w is Unicode-aware, as in Python 3.
    Regex::new(r"^[\w\.-]+@([\w-]+\.)+[\w-]{2,}$").unwrap_or_else(|e| panic!("email regex: {e}"))
});

/// Checks an email address the way Dify does; the error names the field.
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    if EMAIL.is_match(value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid_param(field, format!("{value} is not a valid email.")))
    }
}

/// Dify's password rule: 8+ characters with a letter and a digit.
pub fn password(field: &str, value: &str) -> Result<String, ApiError> {
    if kernel::crypto::valid_password(value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid_param(field, "Not a valid password."))
    }
}

/// `str_len(max)`: at most `max` characters.
pub fn max_len(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::invalid_param(
            field,
            format!("Invalid argument: {value}. argument cannot exceed length {max}"),
        ));
    }
    Ok(value.to_string())
}

/// Interface languages the console ships.
pub fn language(field: &str, value: &str) -> Result<String, ApiError> {
    match value {
        "en-US" | "zh-Hans" => Ok(value.to_string()),
        _ => Err(ApiError::invalid_param(field, format!("{value} is not a valid language."))),
    }
}

/// An IANA time zone name.
pub fn timezone(field: &str, value: &str) -> Result<String, ApiError> {
    if is_timezone(value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid_param(field, format!("{value} is not a valid timezone.")))
    }
}

pub fn is_timezone(value: &str) -> bool {
    value.parse::<chrono_tz::Tz>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_follow_difys_pattern() {
        for ok in ["a@b.co", "first.last-x@mail.example.org", "ünï@cödé.de"] {
            assert!(email("email", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a@b", "a@b.c", "no-at.example.com", "a b@c.de", "a@@b.de"] {
            let e = email("email", bad).expect_err(bad);
            assert_eq!(e.params.as_deref(), Some("email"));
        }
    }

    #[test]
    fn languages_and_timezones() {
        assert!(language("l", "zh-Hans").is_ok() && language("l", "fr-FR").is_err());
        assert!(timezone("t", "America/New_York").is_ok() && timezone("t", "Mars/Base").is_err());
        assert!(max_len("name", &"x".repeat(30), 30).is_ok() && max_len("name", &"x".repeat(31), 30).is_err());
    }
}
