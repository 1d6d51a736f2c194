//! The real `indexer-worker` binary killed (SIGKILL) in the middle of indexing a document:
//! after a restart the document completes with the segments a clean run makes, no duplicate
//! vectors, and no text embedded twice. Embedded mode: the restarted worker finds the
//! unfinished document itself; services mode: RabbitMQ redelivers the unacked job.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use datasets::indexing::{BATCH, FETCH_AHEAD};
use entities::{document_segments, documents};
use kernel::jobs::Job;
use rag::rules::ProcessRule;
use rag::vector::{SearchQuery, collection_name_for_dataset};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use test_support::fake_openai::{FakeOpenAi, embedding_for};
use test_support::{TestEnv, services_mode};
use uuid::Uuid;

/// Segments a batch of 100 holds; the text makes three batches.
const RULES: &str = r#"{"pre_processing_rules":[{"id":"remove_extra_spaces","enabled":true}],"segmentation":{"separator":"\n\n","max_tokens":50}}"#;

fn text() -> String {
    (0..260).map(|i| format!("Note {i}: the tea garden on terrace {i} was picked by team {i}.\n\n")).collect()
}

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_worker(env: &TestEnv) -> Worker {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_indexer-worker"));
    for key in ["DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "BROKER_URL", "STORAGE_TYPE", "VECTOR_STORE"] {
        cmd.env_remove(key);
    }
    cmd.args(["-Q", "dataset"])
        .env("DATABASE_URL", &env.config.database_url)
        .env("DATA_DIR", &env.config.data_dir)
        .env("SECRET_KEY", &env.config.secret_key)
        .env("LOG_LEVEL", "warn")
        .env("DIFY_NAMESPACE", &env.prefix)
        // The test's own retry settings (any would do: delay queues are named by their delay).
        .env("QUEUE_BACKOFF_MS", env.config.queue_backoff.as_millis().to_string())
        .env("QUEUE_MAX_ATTEMPTS", env.config.queue_max_attempts.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(url) = &env.config.redis_url {
        cmd.env("REDIS_URL", url);
    }
    if let Some(url) = &env.config.broker_url {
        cmd.env("CELERY_BROKER_URL", url);
    }
    Worker(cmd.spawn().expect("spawn indexer-worker"))
}

async fn completed_segments(db: &DatabaseConnection, doc: Uuid) -> u64 {
    document_segments::Entity::find()
        .filter(document_segments::Column::DocumentId.eq(doc))
        .filter(document_segments::Column::Status.eq("completed"))
        .count(db)
        .await
        .unwrap_or(0)
}

async fn status(db: &DatabaseConnection, doc: Uuid) -> String {
    match documents::Entity::find_by_id(doc).one(db).await {
        Ok(Some(d)) => sea_orm::ActiveEnum::to_value(&d.indexing_status),
        _ => String::new(),
    }
}

#[tokio::test]
async fn a_killed_worker_leaves_nothing_half_done() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    fake.set_embedding_latency(Duration::from_millis(1500));
    let seeded = test_support::seed::high_quality_dataset(&env, &fake, RULES, &[("notes.txt", text())]).await;
    let (dataset_id, doc) = (seeded.dataset_id, seeded.document_ids[0]);
    let rule = ProcessRule::from_stored("custom", Some(RULES)).expect("rule");
    let expected = rag::split::split_documents(&[rag::clean::sanitize(&text())], &rule, &|_| 0).len() as u64;
    assert!(expected > 200, "three batches: {expected}");

    // The worker binary consumes this test's queues (DIFY_NAMESPACE is its prefix).
    if services_mode() {
        let job = Job::IndexDocuments { dataset_id, document_ids: vec![doc] };
        env.infra.queue.publish(job.queue(), &job.to_bytes()).await.expect("publish");
    }
    let mut worker = spawn_worker(&env);
    let db = &env.infra.db;
    let deadline = Instant::now() + Duration::from_secs(60);
    while completed_segments(db, doc).await < 100 {
        assert!(Instant::now() < deadline, "the first batch never completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.0.kill().expect("SIGKILL");
    worker.0.wait().expect("reaped");
    assert_eq!(status(db, doc).await, "indexing", "killed mid-document");
    assert!(completed_segments(db, doc).await < expected);

    let _worker = spawn_worker(&env);
    let deadline = Instant::now() + Duration::from_secs(90);
    while status(db, doc).await != "completed" {
        assert!(Instant::now() < deadline, "the document never completed after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(_worker);
    let all = document_segments::Entity::find()
        .filter(document_segments::Column::DocumentId.eq(doc))
        .count(db)
        .await
        .expect("count");
    assert_eq!((all, completed_segments(db, doc).await), (expected, expected), "a clean run's segments");
    // Texts the first run embedded came from the cache the second time; only the batches
    // fetched ahead and not yet stored when the worker died (at most FETCH_AHEAD) are paid
    // again.
    let embedded: usize = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/embeddings"))
        .map(|r| r.body["input"].as_array().map_or(1, Vec::len))
        .sum();
    let again = (FETCH_AHEAD * BATCH) as u64;
    assert!((expected..=expected + again).contains(&(embedded as u64)), "{embedded} texts embedded for {expected}");

    let vectors = datasets::vectors::Vectors::new(env.config.vector_store.clone()).get().await.expect("store");
    let query = SearchQuery {
        vector: embedding_for("tea", 1536),
        top_k: 10_000,
        score_threshold: None,
        dataset_id: Some(dataset_id.to_string()),
    };
    let points = vectors.search(&collection_name_for_dataset(&dataset_id.to_string()), &query).await.expect("search");
    assert_eq!(points.len() as u64, expected, "no duplicate vectors");
}

/// A document whose runs kill the worker again and again (here: SIGKILL three times while it
/// indexes): the fourth worker gives it up as `error` instead of dying on it once more, and
/// stays up; its start-up resume skips the document. Embedded only: the binary consumes the
/// broker's real `dataset` queue, which the test above owns in the services pass (the
/// redelivered-job path is tested over HTTP in api-server's `hostile_files`, on the test's
/// own queues).
#[tokio::test]
async fn a_document_that_kills_its_worker_three_times_is_given_up() {
    if services_mode() {
        return;
    }
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    fake.set_embedding_latency(Duration::from_millis(1500));
    let seeded = test_support::seed::high_quality_dataset(&env, &fake, RULES, &[("notes.txt", text())]).await;
    let doc = seeded.document_ids[0];
    let db = &env.infra.db;
    for death in 1..=3 {
        let mut worker = spawn_worker(&env);
        let deadline = Instant::now() + Duration::from_secs(60);
        while attempts(db, doc).await < death {
            assert!(Instant::now() < deadline, "run {death} never started");
            assert!(worker.0.try_wait().expect("wait").is_none(), "the worker exited on its own");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        worker.0.kill().expect("SIGKILL");
        worker.0.wait().expect("reaped");
        assert_ne!(status(db, doc).await, "completed", "killed mid-document");
    }

    let mut worker = spawn_worker(&env);
    let deadline = Instant::now() + Duration::from_secs(60);
    while status(db, doc).await != "error" {
        assert!(Instant::now() < deadline, "the document was never given up: {}", status(db, doc).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = documents::Entity::find_by_id(doc).one(db).await.expect("q").expect("doc");
    assert_eq!(d.error.as_deref(), Some(datasets::indexing::abandoned_reason(3).as_str()));
    assert_eq!(attempts(db, doc).await, 0, "the count goes with the document");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(worker.0.try_wait().expect("wait").is_none(), "the worker stays up");
}

/// Unfinished starts counted for `doc`.
async fn attempts(db: &DatabaseConnection, doc: Uuid) -> i32 {
    match entities::document_indexing_attempts::Entity::find_by_id(doc).one(db).await {
        Ok(Some(row)) => row.attempts,
        _ => 0,
    }
}
