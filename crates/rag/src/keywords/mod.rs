//! The economy index: jieba TF-IDF keywords per segment, and Dify's keyword table.
//!
//! Every dataset gets one (high-quality ones too): segment keywords go to
//! `document_segments.keywords` and into `dataset_keyword_tables.keyword_table`, which maps each
//! keyword to the node ids of the segments that have it. Retrieval extracts the query's
//! keywords the same way and ranks segments by how many of them they share.

mod extractor;
mod stopwords;
mod table;

pub use extractor::{KeywordExtractor, MAX_KEYWORDS_PER_CHUNK};
pub use table::{KeywordTable, KeywordTableError};
