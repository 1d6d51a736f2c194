//! Datasets, documents, segments, process rules, upload files, data sources and indexing orchestration.

pub mod dataset;
pub mod embedding;
pub mod extract;
pub mod listing;
pub mod process_rule;
pub mod upload;
mod zip_names;

pub use extract::extract_text;
