//! One conformance suite for the `VectorStore` trait, run by every store: the embedded one for
//! real, Weaviate against `test_support::fake_weaviate`. Whatever backend a dataset uses, the
//! same adds, searches and deletes give the same answers.

use std::future::Future;
use std::pin::Pin;

use rag::vector::{EmbeddedVectorStore, SearchQuery, VectorPoint, VectorStore, WeaviateVectorStore};
use test_support::fake_weaviate::FakeWeaviate;

const CLASS: &str = "Vector_index_conformance_Node";
// Weaviate takes node ids as object ids: UUIDs.
const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";
const C: &str = "00000000-0000-4000-8000-00000000000c";
const D: &str = "00000000-0000-4000-8000-00000000000d";

fn point(node: &str, doc: &str, dataset: &str, vector: [f32; 2]) -> VectorPoint {
    VectorPoint {
        node_id: node.into(),
        document_id: doc.into(),
        dataset_id: dataset.into(),
        doc_hash: format!("h-{node}"),
        text: format!("text of {node}"),
        vector: vector.to_vec(),
    }
}

fn query(vector: [f32; 2], dataset: Option<&str>, threshold: Option<f32>) -> SearchQuery {
    SearchQuery {
        vector: vector.to_vec(),
        top_k: 10,
        score_threshold: threshold,
        dataset_id: dataset.map(str::to_owned),
    }
}

async fn ids(store: &dyn VectorStore, q: SearchQuery) -> Vec<String> {
    store.search(CLASS, &q).await.expect("search").into_iter().map(|h| h.node_id).collect()
}

type Reopen<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Box<dyn VectorStore>> + 'a>> + 'a>;

/// The trait's semantics; `reopen` gives a new handle on the same stored data.
async fn conformance(store: Box<dyn VectorStore>, reopen: Reopen<'_>) {
    let s = store.as_ref();
    assert!(!s.collection_exists(CLASS).await.expect("exists"));
    assert!(s.search(CLASS, &query([1.0, 0.0], None, None)).await.expect("a missing collection").is_empty());
    s.delete_by_document_id(CLASS, "nothing").await.expect("deleting from a missing collection is fine");

    s.create_collection(CLASS, 2).await.expect("create");
    assert!(s.collection_exists(CLASS).await.expect("exists"));
    s.add(
        CLASS,
        vec![
            point(A, "d1", "ds", [1.0, 0.0]),
            point(B, "d1", "ds", [0.6, 0.8]),
            point(C, "d2", "ds", [0.0, 1.0]),
            point(D, "d3", "other", [0.8, 0.6]),
        ],
    )
    .await
    .expect("add");

    // Scores are cosine similarities, best first; filters by dataset and threshold.
    let hits = s.search(CLASS, &query([1.0, 0.0], Some("ds"), None)).await.expect("search");
    let got: Vec<(&str, f32)> = hits.iter().map(|h| (h.node_id.as_str(), h.score)).collect();
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [A, B, C]);
    for (hit, want) in got.iter().zip([1.0, 0.6, 0.0]) {
        assert!((hit.1 - want).abs() < 1e-5, "{got:?}");
    }
    assert_eq!((hits[0].document_id.as_str(), hits[0].dataset_id.as_str()), ("d1", "ds"));
    assert_eq!((hits[0].text.clone(), hits[0].doc_hash.clone()), (format!("text of {A}"), format!("h-{A}")));
    assert_eq!(ids(s, query([1.0, 0.0], None, Some(0.7))).await, [A, D]);
    assert_eq!(ids(s, query([1.0, 0.0], Some("other"), None)).await, [D]);
    let two = SearchQuery { top_k: 2, ..query([1.0, 0.0], None, None) };
    assert_eq!(ids(s, two).await, [A, D]);

    // Re-adding a node replaces it.
    s.add(CLASS, vec![point(A, "d1", "ds", [0.0, 1.0])]).await.expect("replace");
    assert_eq!(ids(s, query([0.0, 1.0], Some("ds"), Some(0.99))).await.len(), 2, "A now points up, like C");

    // What is stored survives a new handle.
    drop(store);
    let store = reopen().await;
    let s = store.as_ref();
    assert_eq!(ids(s, query([1.0, 0.0], None, None)).await.len(), 4);

    // Deletes by node, by document, by dataset.
    s.delete_by_node_ids(CLASS, &[B.to_owned()]).await.expect("delete nodes");
    assert_eq!(ids(s, query([1.0, 0.0], Some("ds"), None)).await.len(), 2);
    s.delete_by_document_id(CLASS, "d1").await.expect("delete document");
    assert_eq!(ids(s, query([1.0, 0.0], Some("ds"), None)).await, [C]);
    s.delete_by_dataset_id(CLASS, "other").await.expect("delete dataset");
    assert_eq!(ids(s, query([1.0, 0.0], None, None)).await, [C]);

    // Dropping the collection, twice.
    s.delete_collection(CLASS).await.expect("drop");
    assert!(!s.collection_exists(CLASS).await.expect("exists"));
    s.delete_collection(CLASS).await.expect("dropping twice is fine");
    let store = reopen().await;
    assert!(!store.collection_exists(CLASS).await.expect("exists after reopen"));
}

#[tokio::test]
async fn the_embedded_store_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let store = EmbeddedVectorStore::open(path.clone()).await.expect("open");
    let reopen: Reopen<'_> = Box::new(move || {
        let path = path.clone();
        Box::pin(
            async move { Box::new(EmbeddedVectorStore::open(path).await.expect("reopen")) as Box<dyn VectorStore> },
        )
    });
    conformance(Box::new(store), reopen).await;
}

#[tokio::test]
async fn the_weaviate_store_conforms() {
    let fake = FakeWeaviate::start(Some("k")).await;
    let endpoint = fake.endpoint();
    let make = move || {
        Box::new(WeaviateVectorStore::new(reqwest::Client::new(), &endpoint, Some("k".into()), 2))
            as Box<dyn VectorStore>
    };
    let store = make();
    let reopen: Reopen<'_> = Box::new(move || {
        let store = make();
        Box::pin(async move { store })
    });
    conformance(store, reopen).await;
}
