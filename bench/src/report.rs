//! A benchmark's results: a Markdown table for people and JSON for tools.

use serde::Serialize;
use serde_json::Value;

/// One table of results.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The measurements behind the rows, unrounded.
    pub data: Value,
}

impl Section {
    pub fn new(title: impl Into<String>, header: &[&str]) -> Self {
        Self {
            title: title.into(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            data: Value::Array(Vec::new()),
        }
    }

    pub fn row(&mut self, cells: Vec<String>, data: impl Serialize) {
        self.rows.push(cells);
        if let Value::Array(all) = &mut self.data {
            all.push(serde_json::to_value(data).unwrap_or(Value::Null));
        }
    }

    pub fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n| {} |\n|", self.title, self.header.join(" | "));
        out.push_str(&"---|".repeat(self.header.len()));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }
}

/// A whole run: what ran, where, and its tables.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub bench: String,
    pub mode: String,
    pub machine: String,
    pub version: String,
    pub sections: Vec<Section>,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = format!("## {} ({})\n\n{}\n\n", self.bench, self.mode, self.machine);
        for s in &self.sections {
            out.push_str(&s.markdown());
            out.push('\n');
        }
        out
    }

    /// Prints the tables and writes `<dir>/<bench>-<mode>.json` and `.md`.
    pub fn emit(&self, dir: &std::path::Path) -> anyhow::Result<()> {
        let md = self.markdown();
        println!("{md}");
        std::fs::create_dir_all(dir)?;
        let stem = dir.join(format!("{}-{}", self.bench, self.mode));
        std::fs::write(stem.with_extension("json"), serde_json::to_string_pretty(self)?)?;
        std::fs::write(stem.with_extension("md"), md)?;
        eprintln!("written: {}.json and .md", stem.display());
        Ok(())
    }
}

/// `12.3` style numbers.
pub fn num(v: f64) -> String {
    if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

pub fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| if v >= 10.0 { format!("{v:.0} ms") } else { format!("{v:.2} ms") })
}
