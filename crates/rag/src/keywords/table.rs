//! `dataset_keyword_tables.keyword_table`: keyword → node ids, in Dify's JSON envelope.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::KeywordExtractor;
use super::extractor::MAX_KEYWORDS_PER_CHUNK;

/// A stored keyword table that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keyword table is not valid: {0}")]
pub struct KeywordTableError(String);

/// The keyword index of one dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordTable {
    table: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "__data__")]
    data: Option<Data>,
}

#[derive(Deserialize, Serialize)]
struct Data {
    #[serde(default)]
    table: BTreeMap<String, BTreeSet<String>>,
}

impl KeywordTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the stored JSON; blank or `null` text is an empty table.
    pub fn from_json(text: &str) -> Result<Self, KeywordTableError> {
        if text.trim().is_empty() || text.trim() == "null" {
            return Ok(Self::new());
        }
        let envelope: Envelope = serde_json::from_str(text).map_err(|e| KeywordTableError(e.to_string()))?;
        Ok(Self { table: envelope.data.map(|d| d.table).unwrap_or_default() })
    }

    /// The JSON Dify stores: `{"__type__":"keyword_table","__data__":{"index_id",...,"table"}}`.
    pub fn to_json(&self, dataset_id: &str) -> String {
        json!({
            "__type__": "keyword_table",
            "__data__": { "index_id": dataset_id, "summary": null, "table": self.table },
        })
        .to_string()
    }

    /// Records a segment's keywords.
    pub fn add<S: AsRef<str>>(&mut self, node_id: &str, keywords: impl IntoIterator<Item = S>) {
        for keyword in keywords {
            self.table.entry(keyword.as_ref().to_owned()).or_default().insert(node_id.to_owned());
        }
    }

    /// Forgets segments, dropping keywords left without any.
    pub fn remove_nodes<S: AsRef<str>>(&mut self, node_ids: &[S]) {
        let doomed: BTreeSet<&str> = node_ids.iter().map(AsRef::as_ref).collect();
        self.table.retain(|_, nodes| {
            nodes.retain(|n| !doomed.contains(n.as_str()));
            !nodes.is_empty()
        });
    }

    /// Whether any keyword points at the node.
    pub fn contains_node(&self, node_id: &str) -> bool {
        self.table.values().any(|nodes| nodes.contains(node_id))
    }

    /// The node ids of a keyword.
    pub fn nodes(&self, keyword: &str) -> Option<&BTreeSet<String>> {
        self.table.get(keyword)
    }

    /// Each keyword with its node ids, in keyword order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &BTreeSet<String>)> {
        self.table.iter().map(|(k, nodes)| (k.as_str(), nodes))
    }

    /// Distinct keywords in the table.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the table has no keywords.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Up to `k` node ids sharing the most of `keywords`, best first; ties by node id.
    pub fn rank(&self, keywords: &[String], k: usize) -> Vec<String> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let unique: BTreeSet<&String> = keywords.iter().collect();
        for keyword in unique {
            for node in self.table.get(keyword.as_str()).into_iter().flatten() {
                *counts.entry(node.as_str()).or_default() += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        ranked.into_iter().take(k).map(|(node, _)| node.to_owned()).collect()
    }

    /// Keyword retrieval for a query (`_retrieve_ids_by_query`): up to `k` node ids.
    pub fn search(&self, extractor: &KeywordExtractor, query: &str, k: usize) -> Vec<String> {
        self.rank(&extractor.extract(query, MAX_KEYWORDS_PER_CHUNK), k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn json_round_trip_in_difys_format() {
        let mut t = KeywordTable::new();
        t.add("n1", ["apple", "pie"]);
        t.add("n2", ["apple"]);
        let text = t.to_json("ds-1");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["__type__"], "keyword_table");
        assert_eq!(v["__data__"]["index_id"], "ds-1");
        assert_eq!(v["__data__"]["summary"], serde_json::Value::Null);
        assert_eq!(v["__data__"]["table"]["apple"], json!(["n1", "n2"]));
        assert_eq!(KeywordTable::from_json(&text).expect("parse"), t);

        // As Dify writes it (Python's json.dumps of sets as lists).
        let dify = r#"{"__type__": "keyword_table", "__data__": {"index_id": "x", "summary": null, "table": {"k": ["a", "b"]}}}"#;
        let parsed = KeywordTable::from_json(dify).expect("dify json");
        assert_eq!(parsed.nodes("k").map(|n| n.len()), Some(2));
        assert!(KeywordTable::from_json("").expect("blank").is_empty());
        assert!(KeywordTable::from_json("{\"__data__\": null}").expect("no data").is_empty());
        assert!(KeywordTable::from_json("[1,2]").is_err());
    }

    #[test]
    fn remove_nodes_drops_empty_keywords() {
        let mut t = KeywordTable::new();
        t.add("n1", ["a", "b"]);
        t.add("n2", ["b"]);
        t.remove_nodes(&["n1"]);
        assert_eq!(t.len(), 1);
        assert!(!t.contains_node("n1"));
        assert!(t.contains_node("n2"));
        t.remove_nodes(&["n2".to_owned()]);
        assert!(t.is_empty());
    }

    #[test]
    fn rank_by_shared_keywords() {
        let mut t = KeywordTable::new();
        t.add("one", ["rust", "fast"]);
        t.add("two", ["rust", "fast", "safe"]);
        t.add("three", ["python"]);
        assert_eq!(t.rank(&kw(&["rust", "fast", "safe", "safe"]), 5), vec!["two", "one"]);
        assert_eq!(t.rank(&kw(&["rust"]), 1), vec!["one"]); // tie: by node id
        assert!(t.rank(&kw(&["go"]), 5).is_empty());
    }

    #[test]
    fn search_extracts_query_keywords() {
        let ex = KeywordExtractor::shared();
        let mut t = KeywordTable::new();
        t.add("duck", ex.extract("北京烤鸭真好吃，北京烤鸭是北京的名菜", 10));
        t.add("weather", ex.extract("纽约的天气不好，纽约的天气也不好", 10));
        assert_eq!(t.search(ex, "哪里有好吃的北京烤鸭", 4).first().map(String::as_str), Some("duck"));
        assert_eq!(t.search(ex, "纽约天气", 4).first().map(String::as_str), Some("weather"));
    }
}
