//! A document whose job was lost — its rows committed, then the publish failed (a broker that
//! was down), or a delivery that no worker started — is queued again by the worker's sweep
//! and indexed, with no manual step. Both modes.

use entities::documents::IndexingStatus;
use std::time::{Duration, Instant};

use entities::documents;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use test_support::TestEnv;
use test_support::fake_openai::FakeOpenAi;

const RULES: &str = r#"{"pre_processing_rules":[],"segmentation":{"separator":"\n\n","max_tokens":100}}"#;

#[tokio::test]
async fn a_waiting_document_without_a_job_is_queued_again_and_indexed() {
    let env = TestEnv::with_vars(&[("INDEXING_REQUEUE_AFTER_SECONDS", "1")]).await;
    let fake = FakeOpenAi::start().await;
    // The worker runs first, so start-up resume (embedded) has nothing to find: only the sweep
    // can bring the document back.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(indexer_worker::run(env.config.clone(), env.infra.clone(), vec!["dataset".into()], rx));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // As a failed publish leaves it: rows committed, `waiting`, and no job on any queue.
    let seeded = test_support::seed::high_quality_dataset(
        &env,
        &fake,
        RULES,
        &[("lost.txt", "Oolong tea.\n\nSencha tea.".into())],
    )
    .await;
    let doc = seeded.document_ids[0];
    let old = kernel::time::now_naive() - chrono::Duration::seconds(30);
    documents::ActiveModel { id: Set(doc), updated_at: Set(old), ..Default::default() }
        .update(&env.infra.db)
        .await
        .expect("age the row");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = documents::Entity::find_by_id(doc).one(&env.infra.db).await.expect("q").expect("doc");
        if d.indexing_status == IndexingStatus::Completed {
            break;
        }
        assert!(Instant::now() < deadline, "the lost document was never indexed: {:?}", d.indexing_status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(20), worker).await;
}
