//! LIKE patterns from what a user typed.

/// `%keyword%` with the keyword's own `%`, `_` and `\` matched literally; use it with
/// `LikeExpr::new(pattern).escape('\\')`.
pub fn contains_pattern(keyword: &str) -> String {
    let mut p = String::with_capacity(keyword.len() + 2);
    p.push('%');
    for c in keyword.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn metacharacters_are_literal() {
        assert_eq!(super::contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(super::contains_pattern("Tea"), "%Tea%");
    }
}
