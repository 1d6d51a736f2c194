//! The whole pipeline as the indexing worker runs it: extract, sanitise, split, keyword-index,
//! embed (a toy bag-of-words embedding here), store, and retrieve both ways.

use rag::clean::sanitize;
use rag::extract::{extract, word_count};
use rag::keywords::{KeywordExtractor, KeywordTable, MAX_KEYWORDS_PER_CHUNK};
use rag::rules::ProcessRule;
use rag::split::split_documents;
use rag::vector::{EmbeddedVectorStore, SearchQuery, VectorPoint, VectorStore, collection_name_for_dataset};

/// Hashes words into 64 buckets: similar texts get similar vectors.
fn embed(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; 64];
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
        let h = word.to_lowercase().bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        v[(h % 64) as usize] += 1.0;
    }
    v[63] += 0.01; // never the zero vector
    v
}

#[tokio::test]
async fn markdown_upload_to_answers() {
    let markdown = "# Rust\nRust is a systems programming language focused on memory safety.\n\n\
                    # Python\nPython is a dynamic language popular for data science.\n\n\
                    # Cooking\nA good risotto needs patience, stock and parmesan.\n";
    let docs = extract("guide.md", markdown.as_bytes()).expect("markdown");
    assert_eq!(docs.len(), 3);
    assert_eq!(word_count(&docs), docs.iter().map(|d| d.chars().count()).sum::<usize>());
    let docs: Vec<String> = docs.iter().map(|d| sanitize(d)).collect();

    let chunks = split_documents(&docs, &ProcessRule::automatic(), &|s: &str| s.split_whitespace().count());
    assert_eq!(chunks.len(), 3, "each section is small enough to stay whole");

    let dataset_id = "5d3e0f6a-0000-4000-8000-000000000001";
    let mut table = KeywordTable::new();
    let extractor = KeywordExtractor::shared();
    for c in &chunks {
        table.add(&c.doc_id, extractor.extract(&c.content, MAX_KEYWORDS_PER_CHUNK));
    }
    let stored = table.to_json(dataset_id);
    let table = KeywordTable::from_json(&stored).expect("round trip");

    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedVectorStore::open(dir.path()).await.expect("open");
    let collection = collection_name_for_dataset(dataset_id);
    let points = chunks
        .iter()
        .map(|c| VectorPoint {
            node_id: c.doc_id.clone(),
            document_id: "doc-1".into(),
            dataset_id: dataset_id.into(),
            doc_hash: c.doc_hash.clone(),
            text: c.content.clone(),
            vector: embed(&c.content),
        })
        .collect();
    store.add(&collection, points).await.expect("add");

    let query = "Which language is focused on memory safety?";
    let hits = store
        .search(
            &collection,
            &SearchQuery { vector: embed(query), top_k: 2, score_threshold: Some(0.0), dataset_id: None },
        )
        .await
        .expect("search");
    assert!(hits[0].text.contains("Rust"), "{hits:?}");

    let by_keyword = table.search(extractor, "risotto with parmesan", 2);
    let cooking = chunks.iter().find(|c| c.content.contains("risotto")).expect("cooking chunk");
    assert_eq!(by_keyword.first(), Some(&cooking.doc_id));

    // Re-indexing the document replaces its vectors rather than duplicating them.
    store.delete_by_document_id(&collection, "doc-1").await.expect("delete");
    assert_eq!(store.count(&collection).await.expect("count"), 0);
}
