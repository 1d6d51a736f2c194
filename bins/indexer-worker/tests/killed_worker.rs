//! The real `indexer-worker` binary killed (SIGKILL) in the middle of indexing a document:
//! after a restart the document completes with the segments a clean run makes, no duplicate
//! vectors, and no text embedded twice. Embedded mode: the restarted worker finds the
//! unfinished document itself; services mode: RabbitMQ redelivers the unacked job.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entities::{dataset_process_rules, datasets, document_segments, documents, providers, upload_files};
use infra::Infra;
use kernel::jobs::Job;
use kernel::time::now_naive;
use rag::rules::ProcessRule;
use rag::vector::{SearchQuery, collection_name_for_dataset};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use test_support::fake_openai::{FAKE_API_KEY, FakeOpenAi, embedding_for};
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
        // The retry queues' TTLs must match what the broker already holds.
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

/// A workspace with OpenAI at `fake`, a high-quality dataset and one uploaded document
/// waiting to be indexed: (dataset id, document id).
async fn seed(env: &TestEnv, fake: &FakeOpenAi) -> (Uuid, Uuid) {
    let db = &env.infra.db;
    let tenant = accounts::tenant::NewTenant::prepare(env.infra.storage.as_ref())
        .await
        .expect("keys")
        .insert(db, "Tea")
        .await
        .expect("tenant");
    let now = now_naive();
    let key = kernel::crypto::encrypt(FAKE_API_KEY, tenant.encrypt_public_key.as_deref().expect("pk")).expect("enc");
    providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant.id),
        provider_name: Set("openai".into()),
        provider_type: Set("custom".into()),
        encrypted_config: Set(Some(json!({"openai_api_key": key, "openai_api_base": fake.base_url()}).to_string())),
        is_valid: Set(true),
        last_used: Set(None),
        quota_type: Set(Some(String::new())),
        quota_limit: Set(None),
        quota_used: Set(Some(0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("provider");
    let account = Uuid::new_v4();
    let file_id = Uuid::new_v4();
    let file_key = format!("upload_files/{}/{file_id}.txt", tenant.id);
    env.infra.storage.save(&file_key, text().into_bytes().into()).await.expect("store file");
    upload_files::ActiveModel {
        id: Set(file_id),
        tenant_id: Set(tenant.id),
        storage_type: Set("local".into()),
        key: Set(file_key),
        name: Set("notes.txt".into()),
        size: Set(i32::try_from(text().len()).expect("size")),
        extension: Set("txt".into()),
        mime_type: Set(Some("text/plain".into())),
        created_by: Set(account),
        created_at: Set(now),
        used: Set(true),
        used_by: Set(Some(account)),
        used_at: Set(Some(now)),
        hash: Set(None),
    }
    .insert(db)
    .await
    .expect("upload row");
    let dataset_id = Uuid::new_v4();
    datasets::ActiveModel {
        id: Set(dataset_id),
        tenant_id: Set(tenant.id),
        name: Set("Tea notes".into()),
        description: Set(None),
        provider: Set("vendor".into()),
        permission: Set("only_me".into()),
        data_source_type: Set(Some("upload_file".into())),
        indexing_technique: Set(Some("high_quality".into())),
        index_struct: Set(None),
        created_by: Set(account),
        created_at: Set(now),
        updated_by: Set(None),
        updated_at: Set(now),
        embedding_model: Set(Some("text-embedding-ada-002".into())),
        embedding_model_provider: Set(Some("openai".into())),
        collection_binding_id: Set(None),
    }
    .insert(db)
    .await
    .expect("dataset");
    let rule_id = Uuid::new_v4();
    dataset_process_rules::ActiveModel {
        id: Set(rule_id),
        dataset_id: Set(dataset_id),
        mode: Set("custom".into()),
        rules: Set(Some(RULES.into())),
        created_by: Set(account),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .expect("rule");
    let doc_id = Uuid::new_v4();
    let doc = documents::ActiveModel {
        id: Set(doc_id),
        tenant_id: Set(tenant.id),
        dataset_id: Set(dataset_id),
        position: Set(1),
        data_source_type: Set("upload_file".into()),
        data_source_info: Set(Some(json!({"upload_file_id": file_id.to_string()}).to_string())),
        dataset_process_rule_id: Set(Some(rule_id)),
        batch: Set("20261204000000123456".into()),
        name: Set("notes.txt".into()),
        created_from: Set("web".into()),
        created_by: Set(account),
        created_at: Set(now),
        indexing_status: Set("waiting".into()),
        enabled: Set(true),
        archived: Set(false),
        is_paused: Set(Some(false)),
        updated_at: Set(now),
        doc_form: Set("text_model".into()),
        doc_language: Set(Some("English".into())),
        ..Default::default()
    };
    doc.insert(db).await.expect("document");
    (dataset_id, doc_id)
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
        Ok(Some(d)) => d.indexing_status,
        _ => String::new(),
    }
}

#[tokio::test]
async fn a_killed_worker_leaves_nothing_half_done() {
    let env = TestEnv::new().await;
    let fake = FakeOpenAi::start().await;
    fake.set_embedding_latency(Duration::from_millis(1500));
    let (dataset_id, doc) = seed(&env, &fake).await;
    let rule = ProcessRule::from_stored("custom", Some(RULES)).expect("rule");
    let expected = rag::split::split_documents(&[rag::clean::sanitize(&text())], &rule, &|_| 0).len() as u64;
    assert!(expected > 200, "three batches: {expected}");

    // The worker binary consumes the broker's real queue (no test prefix).
    let broker = Infra::connect(&env.config, "").await.expect("infra");
    if services_mode() {
        let job = Job::IndexDocuments { dataset_id, document_ids: vec![doc] };
        broker.queue.publish(job.queue(), &job.to_bytes()).await.expect("publish");
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
    // Texts the first run embedded came from the cache the second time; only the batch in
    // flight when the worker died is paid again.
    let embedded: usize = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/embeddings"))
        .map(|r| r.body["input"].as_array().map_or(1, Vec::len))
        .sum();
    assert!((expected..=expected + 100).contains(&(embedded as u64)), "{embedded} texts embedded for {expected}");

    let vectors = ::datasets::vectors::Vectors::new(env.config.vector_store.clone()).get().await.expect("store");
    let query = SearchQuery {
        vector: embedding_for("tea", 1536),
        top_k: 10_000,
        score_threshold: None,
        dataset_id: Some(dataset_id.to_string()),
    };
    let points = vectors.search(&collection_name_for_dataset(&dataset_id.to_string()), &query).await.expect("search");
    assert_eq!(points.len() as u64, expected, "no duplicate vectors");
}
