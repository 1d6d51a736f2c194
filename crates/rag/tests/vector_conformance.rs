//! One conformance suite for the `VectorStore` trait, run by every store: the embedded one for
//! real, Weaviate against `test_support::fake_weaviate`, Qdrant against
//! `test_support::fake_qdrant` (which holds every request to Qdrant's published OpenAPI schemas). Whatever backend a dataset uses, the
//! same adds, searches and deletes give the same answers.

use std::future::Future;
use std::pin::Pin;

use rag::vector::{EmbeddedVectorStore, QdrantVectorStore, SearchQuery, VectorPoint, VectorStore, WeaviateVectorStore};
use serde_json::json;
use test_support::fake_qdrant::FakeQdrant;
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

#[tokio::test]
async fn the_qdrant_store_conforms_and_speaks_qdrants_api() {
    let fake = FakeQdrant::start(Some("k")).await;
    let url = fake.url();
    let make = move || {
        Box::new(QdrantVectorStore::new(reqwest::Client::new(), &url, Some("k".into()))) as Box<dyn VectorStore>
    };
    let store = make();
    let reopen: Reopen<'_> = Box::new(move || {
        let store = make();
        Box::pin(async move { store })
    });
    conformance(store, reopen).await;
    assert_eq!(fake.violations(), Vec::<String>::new());
    assert!(fake.requests() > 20);

    // Dify's layout: payload, metadata, the group_id index.
    let store = QdrantVectorStore::new(reqwest::Client::new(), &fake.url(), Some("k".into()));
    store.add(CLASS, vec![point(A, "d1", "ds", [1.0, 0.0])]).await.expect("add");
    assert_eq!(fake.indexed_fields(CLASS), ["group_id"]);
    let (_, payload) = fake.payloads(CLASS).pop().expect("a point");
    assert_eq!(
        payload,
        json!({"page_content": format!("text of {A}"), "group_id": "ds",
               "metadata": {"doc_id": A, "doc_hash": format!("h-{A}"), "document_id": "d1", "dataset_id": "ds"}})
    );

    // Points Python Dify wrote are found as they are.
    fake.insert(
        CLASS,
        2,
        vec![(
            json!(B),
            vec![0.0, 1.0],
            json!({"page_content": "from python", "group_id": "ds",
               "metadata": {"doc_id": B, "doc_hash": "hb", "document_id": "d9", "dataset_id": "ds"}}),
        )],
    );
    let hits = store.search(CLASS, &query([0.0, 1.0], Some("ds"), Some(0.5))).await.expect("search");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        (hits[0].node_id.as_str(), hits[0].text.as_str(), hits[0].document_id.as_str()),
        (B, "from python", "d9")
    );
    assert_eq!(store.count(CLASS, Some("ds")).await.expect("count"), 2);
    let (page, next) = store.scroll(CLASS, Some("ds"), None).await.expect("scroll");
    assert_eq!((page.len(), next), (2, None));
    assert_eq!(fake.violations(), Vec::<String>::new());

    // A wrong key is refused, and said so.
    let stranger = QdrantVectorStore::new(reqwest::Client::new(), &fake.url(), Some("wrong".into()));
    let e = stranger.collection_exists(CLASS).await.expect_err("refused");
    assert!(e.to_string().contains("403"), "{e}");
}

#[tokio::test]
async fn the_fake_qdrant_refuses_what_qdrants_api_does_not_describe() {
    let fake = FakeQdrant::start(None).await;
    let http = reqwest::Client::new();
    let url = format!("{}/collections/c", fake.url());
    // Qdrant spells its distances with a capital letter.
    let r = http.put(&url).json(&json!({"vectors": {"size": 2, "distance": "cosine"}})).send().await.expect("put");
    assert_eq!(r.status(), 400);
    let r = http.post(format!("{url}/points/query")).json(&json!({})).send().await.expect("post");
    assert_eq!(r.status(), 404);
    let r = http.put(&url).json(&json!({"vectors": {"size": 2, "distance": "Cosine"}})).send().await.expect("put");
    assert_eq!(r.status(), 200);
    let r =
        http.post(format!("{url}/points/delete")).json(&json!({"filter": {"must": "x"}})).send().await.expect("delete");
    assert_eq!(r.status(), 400);
    let violations = fake.violations();
    assert_eq!(violations.len(), 3, "{violations:#?}");
    assert!(
        violations[0].contains("PUT /collections/c: body") && violations[1].contains("not an operation"),
        "{violations:#?}"
    );
    assert!(!fake.has_collection("x") && fake.has_collection("c"));
}
