//! Keyword extraction against Python jieba 0.42.1 with Dify's stop words and sub-token
//! expansion (`JiebaKeywordTableHandler`) on mixed Chinese/English texts.
//! `fixtures/keywords_golden.json` was produced by `fixtures/gen_keywords_golden.py`.

use rag::keywords::KeywordExtractor;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    text: String,
    k: usize,
    expected: Vec<String>,
}

#[test]
fn keywords_match_python_jieba() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("fixtures/keywords_golden.json")).expect("fixture parses");
    let extractor = KeywordExtractor::shared();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let got = extractor.extract(&c.text, c.k);
            (got != c.expected)
                .then(|| format!("{:?} (k={})\n  got      {got:?}\n  expected {:?}", c.text, c.k, c.expected))
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
