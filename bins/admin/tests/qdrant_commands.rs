//! Dify's Qdrant commands as an operator runs them, the real binary against a fake Qdrant that
//! holds every request to Qdrant's published API: `create-qdrant-indexes` builds in Qdrant what
//! was indexed elsewhere, `update-qdrant-indexes` adopts what Python Dify already put there,
//! `normalization-collections` moves each dataset into its model's shared collection with the
//! same search hits. Each resumes by running again.

mod common;

use common::{ok, run_admin, text};
use datasets::indexing::{DocumentOutcome, Indexer, index_documents};
use entities::{dataset_collection_bindings as bindings, datasets as dataset_rows, document_segments};
use kernel::config::VectorStoreConfig;
use rag::vector::collection_name_for_dataset;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;
use test_support::fake_qdrant::FakeQdrant;
use test_support::seed::{Seeded, high_quality_dataset};
use uuid::Uuid;

const RULES: &str = r#"{"pre_processing_rules":[],"segmentation":{"separator":"\n\n","max_tokens":100}}"#;

fn indexer(env: &TestEnv, vector_store: VectorStoreConfig) -> Indexer {
    let config = kernel::Config { vector_store, ..env.config.clone() };
    let http = providers::runtime::http_client().expect("http");
    Indexer(datasets::Ctx::new(&env.infra, &config, http))
}

/// A dataset indexed in the embedded store, as before the move to Qdrant.
async fn indexed(env: &TestEnv, fake: &FakeOpenAi, name: &str) -> Seeded {
    let text: String = (0..6).map(|p| format!("{name} paragraph {p} about oolong.\n\n")).collect();
    let seeded = high_quality_dataset(env, fake, RULES, &[(&format!("{name}.txt"), text)]).await;
    let outcomes =
        index_documents(&indexer(env, env.config.vector_store.clone()), seeded.dataset_id, &seeded.document_ids)
            .await
            .expect("indexed");
    assert!(outcomes.iter().all(|(_, o)| matches!(o, DocumentOutcome::Completed { .. })), "{outcomes:?}");
    seeded
}

async fn dataset(env: &TestEnv, id: Uuid) -> dataset_rows::Model {
    dataset_rows::Entity::find_by_id(id).one(&env.infra.db).await.expect("db").expect("dataset")
}

fn index_type(d: &dataset_rows::Model) -> String {
    let v: Value = serde_json::from_str(d.index_struct.as_deref().unwrap_or("null")).expect("json");
    v["type"].as_str().unwrap_or_default().to_owned()
}

async fn node_ids(env: &TestEnv, id: Uuid) -> Vec<String> {
    let mut ids: Vec<String> = document_segments::Entity::find()
        .filter(document_segments::Column::DatasetId.eq(id))
        .all(&env.infra.db)
        .await
        .expect("segments")
        .into_iter()
        .filter_map(|s| s.index_node_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_qdrant_commands_move_datasets_into_qdrant_and_into_shared_collections() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    let qdrant = FakeQdrant::start(Some("qk")).await;
    let url = qdrant.url();
    let vars = [("VECTOR_STORE", "qdrant"), ("QDRANT_URL", url.as_str()), ("QDRANT_API_KEY", "qk")];
    let built = indexed(&env, &fake, "built").await;
    let python = indexed(&env, &fake, "python").await;
    assert_eq!(index_type(&dataset(&env, built.dataset_id).await), "embedded");

    // Without Qdrant configured the commands say what to set.
    let o = run_admin(&env, &["create-qdrant-indexes"], None, &[]).await;
    assert!(!o.status.success() && text(&o.stderr).contains("VECTOR_STORE=qdrant"), "{}", text(&o.stderr));

    // Python Dify already put one dataset's points in Qdrant: update adopts it, copies nothing.
    let own = collection_name_for_dataset(&python.dataset_id.to_string());
    let points = node_ids(&env, python.dataset_id)
        .await
        .into_iter()
        .map(|id| {
            let payload = json!({"page_content": "from python", "group_id": python.dataset_id.to_string(),
                                 "metadata": {"doc_id": id, "doc_hash": "h", "document_id": "d",
                                              "dataset_id": python.dataset_id.to_string()}});
            (json!(id), vec![1.0; 1536], payload)
        })
        .collect();
    qdrant.insert(&own, 1536, points);
    let out = ok(&run_admin(&env, &["update-qdrant-indexes"], None, &vars).await);
    assert!(out.contains(&format!("Update dataset qdrant index: {}", python.dataset_id)), "{out}");
    assert!(out.contains(&format!("passed: {}", built.dataset_id)), "{out}");
    assert!(out.contains("Congratulations! Update 1 dataset indexes (0 failed)."), "{out}");
    assert_eq!(index_type(&dataset(&env, python.dataset_id).await), "qdrant");

    // create builds the other from its segments, embeddings from the cache; a rerun has nothing left.
    let embeddings = fake.requests().iter().filter(|r| r.path.ends_with("/embeddings")).count();
    let out = ok(&run_admin(&env, &["create-qdrant-indexes"], None, &vars).await);
    assert!(out.contains(&format!("[1/1] Create dataset qdrant index: {} (6 segments)", built.dataset_id)), "{out}");
    assert_eq!(fake.requests().iter().filter(|r| r.path.ends_with("/embeddings")).count(), embeddings);
    let own_built = collection_name_for_dataset(&built.dataset_id.to_string());
    assert_eq!(qdrant.count(&own_built), 6);
    assert_eq!(index_type(&dataset(&env, built.dataset_id).await), "qdrant");
    let again = ok(&run_admin(&env, &["create-qdrant-indexes"], None, &vars).await);
    assert!(again.contains("Congratulations! Create 0 dataset indexes (0 failed)."), "{again}");

    // normalization moves both into their model's shared collection; searches find the same.
    let on_qdrant =
        indexer(&env, VectorStoreConfig::Qdrant { url: url.clone(), api_key: Some("qk".into()), timeout_secs: 5 });
    let search = |d: dataset_rows::Model| {
        let on_qdrant = &on_qdrant;
        async move {
            let hits =
                on_qdrant.vectors.search_dataset(&on_qdrant.db, &d, vec![1.0; 1536], 20, None).await.expect("search");
            let mut ids: Vec<String> = hits.into_iter().map(|h| h.node_id).collect();
            ids.sort();
            ids
        }
    };
    let before = search(dataset(&env, built.dataset_id).await).await;
    assert_eq!(before, node_ids(&env, built.dataset_id).await);
    let out = ok(&run_admin(&env, &["normalization-collections"], None, &vars).await);
    assert!(
        out.contains("(6 points)") && out.contains("Congratulations! restore 2 dataset indexes (0 failed)."),
        "{out}"
    );
    let binding = bindings::Entity::find().all(&env.infra.db).await.expect("bindings");
    assert_eq!(binding.len(), 1, "one per embedding model: {binding:?}");
    assert_eq!(qdrant.collections(), [binding[0].collection_name.clone()], "the datasets' own collections are gone");
    assert_eq!(qdrant.count(&binding[0].collection_name), 12);
    let moved = dataset(&env, built.dataset_id).await;
    assert_eq!(moved.collection_binding_id, Some(binding[0].id));
    assert_eq!(search(moved).await, before);
    assert_eq!(search(dataset(&env, python.dataset_id).await).await, node_ids(&env, python.dataset_id).await);
    let again = ok(&run_admin(&env, &["normalization-collections"], None, &vars).await);
    assert!(again.contains("Congratulations! restore 0 dataset indexes (0 failed)."), "{again}");
    assert_eq!(qdrant.violations(), Vec::<String>::new());
}
