//! `recreate-all-dataset-indexes` and `clean-unused-dataset-indexes` as an operator runs them:
//! the real binary on a seeded database whose datasets were indexed, read back through the
//! vector store (shared with the binary's process) and the entities.

mod common;

use chrono::Duration;
use common::{ok, run_admin};
use datasets::indexing::{DocumentOutcome, Indexer, index_documents};
use entities::{dataset_keyword_tables, dataset_queries, datasets as dataset_rows, documents};
use kernel::config::VectorStoreConfig;
use kernel::time::now_naive;
use rag::vector::{EmbeddedVectorStore, collection_name_for_dataset};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;
use test_support::seed::{Seeded, high_quality_dataset};
use uuid::Uuid;

const RULES: &str = r#"{"pre_processing_rules":[],"segmentation":{"separator":"\n\n","max_tokens":100}}"#;

async fn indexed(env: &TestEnv, fake: &FakeOpenAi, name: &str) -> Seeded {
    let text: String = (0..12).map(|p| format!("{name} paragraph {p} about oolong.\n\n")).collect();
    let seeded = high_quality_dataset(env, fake, RULES, &[(&format!("{name}.txt"), text)]).await;
    let http = providers::runtime::http_client().expect("http");
    let indexer = Indexer(datasets::Ctx::new(&env.infra, &env.config, http));
    let outcomes = index_documents(&indexer, seeded.dataset_id, &seeded.document_ids).await.expect("indexed");
    assert!(outcomes.iter().all(|(_, o)| matches!(o, DocumentOutcome::Completed { .. })), "{outcomes:?}");
    seeded
}

fn embedding_requests(fake: &FakeOpenAi) -> usize {
    fake.requests().iter().filter(|r| r.path.ends_with("/embeddings")).count()
}

async fn points(store: &EmbeddedVectorStore, dataset: Uuid) -> usize {
    store.count(&collection_name_for_dataset(&dataset.to_string())).await.expect("count")
}

#[tokio::test]
async fn recreate_rebuilds_the_same_index_and_clean_takes_only_idle_datasets() {
    let env = TestEnv::new().await;
    let VectorStoreConfig::Embedded { path } = &env.config.vector_store else {
        panic!("the admin tests use the embedded vector store")
    };
    let fake = FakeOpenAi::start().await;
    let idle = indexed(&env, &fake, "idle").await;
    let queried = indexed(&env, &fake, "queried").await;
    // Another process's view of the same directory, as an api-server beside the command.
    let store = EmbeddedVectorStore::open(path.clone()).await.expect("open");
    let before = (points(&store, idle.dataset_id).await, points(&store, queried.dataset_id).await);
    assert!(before.0 > 0 && before.1 > 0, "{before:?}");
    let embeddings = embedding_requests(&fake);

    for _ in 0..2 {
        let out = ok(&run_admin(&env, &["recreate-all-dataset-indexes"], None, &[]).await);
        assert!(
            out.contains("[1/2] Recreated dataset index") && out.contains("Recreate 2 dataset indexes (0 failed)"),
            "{out}"
        );
        let after = (points(&store, idle.dataset_id).await, points(&store, queried.dataset_id).await);
        assert_eq!(after, before, "a recreated index holds the same points");
    }
    assert_eq!(embedding_requests(&fake), embeddings, "recreating paid no embedding again");

    // Both were made three days ago; only `queried` was used since.
    let db = &env.infra.db;
    let old = now_naive() - Duration::days(3);
    for d in [idle.dataset_id, queried.dataset_id] {
        dataset_rows::Entity::update_many()
            .col_expr(dataset_rows::Column::CreatedAt, Expr::value(old))
            .filter(dataset_rows::Column::Id.eq(d))
            .exec(db)
            .await
            .expect("age the dataset");
        documents::Entity::update_many()
            .col_expr(documents::Column::UpdatedAt, Expr::value(old))
            .filter(documents::Column::DatasetId.eq(d))
            .exec(db)
            .await
            .expect("age the documents");
    }
    dataset_queries::ActiveModel {
        id: Set(Uuid::new_v4()),
        dataset_id: Set(queried.dataset_id),
        content: Set("oolong?".into()),
        source: Set(entities::dataset_queries::QuerySource::HitTesting),
        source_app_id: Set(None),
        created_by_role: Set(entities::kinds::CreatorRole::Account),
        created_by: Set(Uuid::new_v4()),
        created_at: Set(now_naive()),
    }
    .insert(db)
    .await
    .expect("query");

    let out = ok(&run_admin(&env, &["clean-unused-dataset-indexes"], None, &[("CLEAN_DAY_SETTING", "1")]).await);
    assert!(out.contains(&format!("Cleaned unused dataset {} from db success!", idle.dataset_id)), "{out}");
    assert!(!out.contains(&queried.dataset_id.to_string()), "{out}");
    assert_eq!(points(&store, idle.dataset_id).await, 0);
    assert_eq!(points(&store, queried.dataset_id).await, before.1);
    let tables =
        |d: Uuid| dataset_keyword_tables::Entity::find().filter(dataset_keyword_tables::Column::DatasetId.eq(d));
    assert_eq!(tables(idle.dataset_id).count(db).await.expect("count"), 0);
    assert_eq!(tables(queried.dataset_id).count(db).await.expect("count"), 1);
    let enabled = |d: Uuid| {
        documents::Entity::find().filter(documents::Column::DatasetId.eq(d)).filter(documents::Column::Enabled.eq(true))
    };
    assert_eq!(enabled(idle.dataset_id).count(db).await.expect("count"), 0);
    assert_eq!(enabled(queried.dataset_id).count(db).await.expect("count"), 1);
}
