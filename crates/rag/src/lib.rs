//! Retrieval-augmented generation: extract, clean, split, embed or keyword-index, store; vector stores and hit testing.
//!
//! Everything here is pure (bytes and strings in, values out) or sits behind a trait, so the
//! indexing worker, the console's estimate endpoint and the admin CLI share one code path.
//! The order Dify 0.3.23 runs the steps in (`core/indexing_runner.py`):
//!
//! 1. [`extract::extract`] — upload bytes to text documents (pages, sections, rows);
//! 2. [`clean::sanitize`] — always; then [`clean::apply`] with the process rule;
//! 3. [`split::split_documents`] — token-sized chunks with ids and hashes;
//! 4. for QA documents, [`qa::parse_qa_pairs`] on the LLM's reply per chunk;
//! 5. embeddings into a [`vector::VectorStore`], keywords into a [`keywords::KeywordTable`];
//! 6. at query time, [`retrieval::dynamic_k`] hits, rendered by [`retrieval::render_context`].

pub mod clean;
pub mod extract;
pub mod keywords;
pub mod qa;
pub mod retrieval;
pub mod rules;
pub mod split;
pub mod vector;
