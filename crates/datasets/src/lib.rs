//! Datasets, documents, segments, process rules, upload files, data sources and indexing orchestration.

pub mod ctx;
pub mod data_sources;
pub mod dataset;
pub mod document_admin;
pub mod documents;
pub mod embedding;
pub mod embedding_cache;
pub mod error;
pub mod estimate;
pub mod extract;
pub mod hit_testing;
pub mod index_entries;
pub mod indexing;
pub mod init;
pub mod listing;
pub mod maintenance;
pub mod process_rule;
pub mod qdrant_moves;
pub mod retrieval;
pub mod segment_edit;
pub mod segment_import;
pub mod segments;
pub mod text_documents;
pub mod upload;
pub mod vectors;
mod zip_names;

pub use ctx::Ctx;
pub use error::DatasetError;
pub use extract::extract_text;
