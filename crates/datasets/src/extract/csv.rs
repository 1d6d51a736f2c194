//! CSV as Dify's `CSVLoader` reads it: the first row names the columns, and each later row
//! becomes `column: value` lines.

/// Splits CSV text into records (RFC 4180 quoting; `\n` or `\r\n` line ends).
fn records(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    // A blank line is no record, as Python's csv module reads it.
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    rows
}

/// The text of a CSV file: one block of `column: value` lines per row.
pub fn to_text(text: &str) -> String {
    let mut rows = records(text).into_iter();
    let Some(header) = rows.next() else { return String::new() };
    rows.map(|row| {
        header
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{}: {}", k.trim(), row.get(i).map_or("", |v| v.trim())))
            .collect::<Vec<_>>()
            .join("\n")
    })
    .collect::<Vec<_>>()
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn rows_become_column_value_lines() {
        let csv = "name, city\r\nAda,\"London, UK\"\n\n\"Bob \"\"B\"\"\",Paris\nshort\n";
        assert_eq!(to_text(csv), "name: Ada\ncity: London, UK\nname: Bob \"B\"\ncity: Paris\nname: short\ncity: ");
        assert_eq!(to_text(""), "");
    }
}
