//! Datasets, documents, segments, process rules, upload files, data sources and indexing orchestration.

pub mod embedding_cache;
pub mod indexing;
