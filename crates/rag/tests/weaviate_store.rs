//! The Weaviate vector store against the fake Weaviate server: the trait's semantics over
//! Weaviate's REST and GraphQL API.

use rag::vector::{SearchQuery, VectorPoint, VectorStore, WeaviateVectorStore};
use test_support::fake_weaviate::FakeWeaviate;

const CLASS: &str = "Vector_index_ds_Node";

fn point(node: &str, doc: &str, dataset: &str, vector: Vec<f32>) -> VectorPoint {
    VectorPoint {
        node_id: node.into(),
        document_id: doc.into(),
        dataset_id: dataset.into(),
        doc_hash: format!("h-{node}"),
        text: format!("text of {node}"),
        vector,
    }
}

fn query(vector: Vec<f32>, dataset: Option<&str>) -> SearchQuery {
    SearchQuery { vector, top_k: 10, score_threshold: None, dataset_id: dataset.map(str::to_owned) }
}

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";
const C: &str = "00000000-0000-4000-8000-00000000000c";

#[tokio::test]
async fn adds_searches_replaces_and_deletes() {
    let fake = FakeWeaviate::start(Some("k")).await;
    let store = WeaviateVectorStore::new(reqwest::Client::new(), &fake.endpoint(), Some("k".into()), 2);
    assert!(store.search(CLASS, &query(vec![1.0, 0.0], None)).await.expect("missing class").is_empty());
    store
        .add(
            CLASS,
            vec![
                point(A, "d1", "ds", vec![1.0, 0.0]),
                point(B, "d1", "ds", vec![0.6, 0.8]),
                point(C, "d2", "other", vec![0.0, 1.0]),
            ],
        )
        .await
        .expect("add in batches of 2");
    assert_eq!(fake.count(CLASS), 3);
    let hits = store.search(CLASS, &query(vec![1.0, 0.0], Some("ds"))).await.expect("search");
    let order: Vec<&str> = hits.iter().map(|h| h.node_id.as_str()).collect();
    assert_eq!(order, [A, B], "best first, only the dataset's");
    assert!((hits[0].score - 1.0).abs() < 1e-6 && (hits[1].score - 0.6).abs() < 1e-6, "{hits:?}");
    assert_eq!(
        (hits[0].document_id.as_str(), hits[0].text.as_str()),
        ("d1", "text of 00000000-0000-4000-8000-00000000000a")
    );
    let thresholded = SearchQuery { score_threshold: Some(0.7), ..query(vec![1.0, 0.0], Some("ds")) };
    assert_eq!(store.search(CLASS, &thresholded).await.expect("search").len(), 1);

    // Re-adding a node replaces it.
    store.add(CLASS, vec![point(A, "d1", "ds", vec![0.0, 1.0])]).await.expect("replace");
    assert_eq!(fake.count(CLASS), 3);
    store.delete_by_node_ids(CLASS, &[B.to_owned()]).await.expect("delete nodes");
    assert_eq!(fake.count(CLASS), 2);
    store.delete_by_document_id(CLASS, "d1").await.expect("delete document");
    assert_eq!(fake.count(CLASS), 1);
    store.delete_by_dataset_id(CLASS, "other").await.expect("delete dataset");
    assert_eq!(fake.count(CLASS), 0);
    store.delete_collection(CLASS).await.expect("drop");
    assert!(!store.collection_exists(CLASS).await.expect("exists"));
    store.delete_collection(CLASS).await.expect("dropping twice is fine");
}

#[tokio::test]
async fn a_wrong_key_or_a_bad_name_is_an_error_not_a_panic() {
    let fake = FakeWeaviate::start(Some("right")).await;
    let store = WeaviateVectorStore::new(reqwest::Client::new(), &fake.endpoint(), Some("wrong".into()), 100);
    assert!(store.add(CLASS, vec![point(A, "d", "ds", vec![1.0])]).await.is_err());
    assert!(store.collection_exists("lowercase_name").await.is_err());
    let down = WeaviateVectorStore::new(reqwest::Client::new(), "http://127.0.0.1:9", None, 100);
    assert!(down.search(CLASS, &query(vec![1.0], None)).await.is_err());
}
