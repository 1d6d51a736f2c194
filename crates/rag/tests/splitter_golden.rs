//! Our splitters against the Python originals: LangChain 0.0.250's
//! `RecursiveCharacterTextSplitter` (with `.` escaped, see `split::recursive`) and Dify's
//! `FixedRecursiveCharacterTextSplitter`, run with character length on random texts.
//! `fixtures/splitter_golden.json` was produced by those classes.

use rag::split::Splitter;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    mode: String,
    #[serde(default)]
    separator: String,
    text: String,
    size: usize,
    expected: Vec<String>,
}

#[test]
fn splitters_match_the_python_originals() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("fixtures/splitter_golden.json")).expect("fixture parses");
    assert!(cases.len() > 100);
    let len = |s: &str| s.chars().count();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let splitter = Splitter::new(case.size, 0, &len);
        let got = match case.mode.as_str() {
            "recursive" => splitter.recursive(&case.text),
            _ => splitter.fixed(&case.text, &case.separator),
        };
        if got != case.expected {
            failures.push(format!(
                "case {i} ({} size {} sep {:?}): {:?}\n got      {got:?}\n expected {:?}",
                case.mode, case.size, case.separator, case.text, case.expected
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}
