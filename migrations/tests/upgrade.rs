//! `migration::upgrade` against real databases: SQLite always, PostgreSQL too when
//! `DIFY_TEST_BACKEND=services` (each test gets a fresh database, dropped afterwards).

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use migration::{
    DifySchema, EmbeddingsUncompressed, HotIndexes, IndexingAttempts, JobOutbox, KeywordCounts, KeywordIndex,
    UpgradeReport,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    ModelTrait, Set, Statement,
};
use sea_orm_migration::{MigrationName, MigrationTrait, SchemaManager};
use serde_json::json;
use uuid::Uuid;

use entities::prelude::*;
use entities::{conversations, data_source_bindings, dify_setups, documents, embeddings, invitation_codes, messages};

/// Every table of Dify's schema at Alembic head 6e2cfb077b04 but Celery's.
const DIFY_TABLES: [&str; 42] = [
    "accounts",
    "tenants",
    "tenant_account_joins",
    "account_integrates",
    "invitation_codes",
    "dify_setups",
    "sessions",
    "operation_logs",
    "apps",
    "app_model_configs",
    "sites",
    "api_tokens",
    "api_requests",
    "end_users",
    "recommended_apps",
    "installed_apps",
    "conversations",
    "messages",
    "message_feedbacks",
    "message_annotations",
    "message_chains",
    "message_agent_thoughts",
    "dataset_retriever_resources",
    "saved_messages",
    "pinned_conversations",
    "upload_files",
    "datasets",
    "dataset_process_rules",
    "documents",
    "document_segments",
    "dataset_queries",
    "dataset_keyword_tables",
    "embeddings",
    "dataset_collection_bindings",
    "app_dataset_joins",
    "providers",
    "provider_models",
    "tenant_default_models",
    "tenant_preferred_model_providers",
    "provider_orders",
    "data_source_bindings",
    "tool_providers",
];

/// A sample of Dify's own index names and of ours.
const SOME_INDEXES: [&str; 6] = [
    "account_email_idx",
    "message_conversation_id_idx",
    "document_segment_dataset_node_idx",
    "provider_model_name_idx",
    "message_conversation_created_idx",
    "end_user_app_type_session_idx",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if std::env::var("DIFY_TEST_BACKEND").as_deref() == Ok("services") {
        all.push(Backend::Postgres);
    }
    all
}

async fn connect(url: &str) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(5)).sqlx_logging(false);
    Database::connect(opts).await.unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// A fresh, empty database for one test.
struct TestDb {
    db: DatabaseConnection,
    _sqlite_dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl TestDb {
    async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("dify.db").display());
                Self { db: connect(&url).await, _sqlite_dir: Some(dir), _pg: None }
            }
            Backend::Postgres => {
                let pg = PgDatabase::create().await;
                Self { db: connect(&pg.url).await, _sqlite_dir: None, _pg: Some(pg) }
            }
        }
    }
}

/// A `dify_test_<random>` database on the server at `TEST_PG_URL`, dropped on drop.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> Self {
        let admin_url =
            std::env::var("TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("dify_test_{}", Uuid::new_v4().simple());
        let admin = connect(&admin_url).await;
        admin.execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#)).await.expect("create test database");
        admin.close().await.expect("close admin connection");
        let (base, _) = admin_url.rsplit_once('/').expect("TEST_PG_URL ends in /<database>");
        let url = format!("{base}/{name}");
        Self { admin_url, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        // Drop runs outside any async context we could borrow, so use a private runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let admin = connect(&admin_url).await;
                admin.execute_unprepared(&sql).await.map(|_| ())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

fn all_migrations() -> Vec<String> {
    vec![
        DifySchema.name().to_owned(),
        HotIndexes.name().to_owned(),
        IndexingAttempts.name().to_owned(),
        JobOutbox.name().to_owned(),
        KeywordIndex.name().to_owned(),
        KeywordCounts.name().to_owned(),
        EmbeddingsUncompressed.name().to_owned(),
    ]
}

async fn names(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("catalog query")
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("name column"))
        .collect()
}

async fn table_names(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table'",
    };
    names(db, sql).await
}

async fn index_names(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT indexname::text AS name FROM pg_indexes WHERE schemaname = current_schema()",
        _ => "SELECT name FROM sqlite_master WHERE type = 'index'",
    };
    names(db, sql).await
}

#[tokio::test]
async fn upgrade_on_empty_database_creates_every_table() {
    for backend in backends() {
        let t = TestDb::new(backend).await;
        let report = migration::upgrade(&t.db).await.expect("upgrade");
        assert_eq!(
            report,
            UpgradeReport { applied: all_migrations(), adopted_from_alembic: false, warnings: vec![] },
            "{backend:?}"
        );

        let tables = table_names(&t.db).await;
        for table in DIFY_TABLES {
            assert!(tables.iter().any(|t| t == table), "{backend:?}: table {table} missing");
        }
        let indexes = index_names(&t.db).await;
        for index in SOME_INDEXES {
            assert!(indexes.iter().any(|i| i == index), "{backend:?}: index {index} missing");
        }
        if backend == Backend::Postgres {
            assert!(indexes.iter().any(|i| i == "source_info_idx"), "GIN index");
            // Pickled vectors are kept out of line and not compressed (pglz cost more than it saved).
            let storage = names(
                &t.db,
                "SELECT attstorage::text AS name FROM pg_attribute \
                 WHERE attrelid = 'embeddings'::regclass AND attname = 'embedding'",
            )
            .await;
            assert_eq!(storage, vec!["e".to_owned()]);
        }
        for own in ["dataset_keywords", "dataset_keyword_sync", "job_outbox", "document_indexing_attempts"] {
            assert!(tables.iter().any(|t| t == own), "{backend:?}: table {own} missing");
        }
        assert!(indexes.iter().any(|i| i == "dataset_keywords_node_idx"), "{backend:?}: keyword node index");
    }
}

#[tokio::test]
async fn second_upgrade_applies_nothing() {
    for backend in backends() {
        let t = TestDb::new(backend).await;
        assert_eq!(migration::pending(&t.db).await.expect("pending"), all_migrations());
        migration::upgrade(&t.db).await.expect("first upgrade");
        let again = migration::upgrade(&t.db).await.expect("second upgrade");
        assert_eq!(again, UpgradeReport::default(), "{backend:?}");
        assert!(migration::pending(&t.db).await.expect("pending").is_empty());
    }
}

fn at(h: u32, m: u32, s: u32, micro: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2023, 9, 13).and_then(|d| d.and_hms_micro_opt(h, m, s, micro)).expect("valid timestamp")
}

#[tokio::test]
async fn entities_round_trip_tricky_types() {
    for backend in backends() {
        let t = TestDb::new(backend).await;
        migration::upgrade(&t.db).await.expect("upgrade");
        let db = &t.db;
        let (app_id, tenant_id, user_id) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());

        let conversation = conversations::ActiveModel {
            id: Set(Uuid::new_v4()),
            app_id: Set(app_id),
            app_model_config_id: Set(Uuid::new_v4()),
            model_provider: Set("openai".into()),
            override_model_configs: Set(None),
            model_id: Set("gpt-3.5-turbo".into()),
            mode: Set(entities::apps::AppMode::Chat),
            name: Set("New conversation".into()),
            summary: Set(None),
            inputs: Set(Some(json!({"name": "Ada"}))),
            introduction: Set(Some(String::new())),
            system_instruction: Set(None),
            system_instruction_tokens: Set(0),
            status: Set(entities::kinds::RowStatus::Normal),
            from_source: Set(entities::kinds::FromSource::Api),
            from_end_user_id: Set(Some(user_id)),
            from_account_id: Set(None),
            read_at: Set(None),
            read_account_id: Set(None),
            created_at: Set(at(10, 0, 0, 0)),
            updated_at: Set(at(10, 0, 0, 0)),
            is_deleted: Set(false),
        }
        .insert(db)
        .await
        .expect("insert conversation");

        let message = messages::Model {
            id: Uuid::new_v4(),
            app_id,
            model_provider: "openai".into(),
            model_id: "gpt-3.5-turbo".into(),
            override_model_configs: None,
            conversation_id: conversation.id,
            inputs: Some(json!({"name": "Ada"})),
            query: "Hello?".into(),
            message: json!([{"role": "user", "text": "Hello?"}]),
            message_tokens: 12,
            message_unit_price: Decimal::new(15, 4),
            answer: "Hi! ünïcödé ✓".into(),
            answer_tokens: 7,
            answer_unit_price: Decimal::new(2, 3),
            provider_response_latency: 1.25,
            total_price: Some(Decimal::new(320, 7)),
            currency: "USD".into(),
            from_source: entities::kinds::FromSource::Api,
            from_end_user_id: Some(user_id),
            from_account_id: None,
            created_at: at(10, 0, 1, 123_456),
            updated_at: at(10, 0, 1, 123_456),
            agent_based: false,
            message_price_unit: Decimal::new(1, 3),
            answer_price_unit: Decimal::new(1, 3),
        };
        let inserted = messages::ActiveModel::from(message.clone()).insert(db).await.expect("insert message");
        let read = Messages::find_by_id(message.id).one(db).await.expect("select message").expect("message exists");
        for got in [&inserted, &read] {
            assert_eq!(got.message_unit_price.normalize(), Decimal::new(15, 4));
            assert_eq!(got.answer_unit_price.normalize(), Decimal::new(2, 3));
            assert_eq!(got.total_price.map(|d| d.normalize()), Some(Decimal::new(32, 6)));
            assert_eq!(got.message_price_unit.normalize(), Decimal::new(1, 3));
            assert_eq!(got.provider_response_latency, 1.25);
            assert_eq!(got.message, message.message);
            assert_eq!(got.inputs, message.inputs);
            assert_eq!(got.answer, message.answer);
            assert_eq!(got.created_at, message.created_at);
        }
        let related = read.find_related(Conversations).one(db).await.expect("related conversation");
        assert_eq!(related.map(|c| c.id), Some(conversation.id), "{backend:?}");
        assert_eq!(conversation.find_related(Messages).all(db).await.expect("conversation messages").len(), 1);

        let document = documents::Model {
            id: Uuid::new_v4(),
            tenant_id,
            dataset_id: Uuid::new_v4(),
            position: 1,
            data_source_type: entities::kinds::DataSourceType::UploadFile,
            data_source_info: Some(json!({"upload_file_id": Uuid::new_v4()}).to_string()),
            dataset_process_rule_id: Some(Uuid::new_v4()),
            batch: "20230913100000123456".into(),
            name: "handbook.pdf".into(),
            created_from: entities::documents::CreatedFrom::Web,
            created_by: user_id,
            created_api_request_id: None,
            created_at: at(11, 0, 0, 0),
            processing_started_at: Some(at(11, 0, 1, 0)),
            file_id: None,
            word_count: Some(1234),
            parsing_completed_at: None,
            cleaning_completed_at: None,
            splitting_completed_at: None,
            tokens: Some(2048),
            indexing_latency: Some(3.5),
            completed_at: None,
            is_paused: Some(false),
            paused_by: None,
            paused_at: None,
            error: None,
            stopped_at: None,
            indexing_status: entities::documents::IndexingStatus::Waiting,
            enabled: true,
            disabled_at: None,
            disabled_by: None,
            archived: false,
            archived_reason: None,
            archived_by: None,
            archived_at: None,
            updated_at: at(11, 0, 0, 0),
            doc_type: None,
            doc_metadata: Some(json!({"author": "someone"})),
            doc_form: entities::documents::DocForm::TextModel,
            doc_language: Some("English".into()),
        };
        documents::ActiveModel::from(document.clone()).insert(db).await.expect("insert document");
        let read = Documents::find_by_id(document.id).one(db).await.expect("select document");
        assert_eq!(read.as_ref(), Some(&document), "{backend:?}");

        let vector: Vec<u8> = (0..=255u8).chain([0, 0, 0x80, 0x3f]).collect();
        let embedding = embeddings::ActiveModel {
            id: Set(Uuid::new_v4()),
            hash: Set("ab".repeat(32)),
            embedding: Set(vector.clone()),
            model_name: Set("text-embedding-ada-002".into()),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("insert embedding");
        assert_eq!(embedding.embedding, vector);
        let read =
            Embeddings::find_by_id(embedding.id).one(db).await.expect("select embedding").expect("embedding exists");
        assert_eq!(read.embedding, vector);
        assert_eq!(read.hash, "ab".repeat(32));

        let source_info = json!({
            "workspace_name": "Docs",
            "workspace_icon": null,
            "workspace_id": "w1",
            "pages": [{"page_id": "p1", "page_name": "Intro", "parent_id": "root"}],
            "total": 1
        });
        let binding = data_source_bindings::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(tenant_id),
            access_token: Set("secret_token".into()),
            provider: Set("notion".into()),
            source_info: Set(source_info.clone()),
            disabled: Set(Some(false)),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("insert data source binding");
        let read =
            DataSourceBindings::find_by_id(binding.id).one(db).await.expect("select binding").expect("binding exists");
        assert_eq!(read.source_info, source_info);
        assert_eq!(read.disabled, Some(false));

        // Integer keys come from the database, the setup row is keyed by a string.
        let code = invitation_codes::ActiveModel {
            batch: Set("batch-1".into()),
            code: Set("abcdefghijklmnop".into()),
            status: Set(entities::invitation_codes::CodeStatus::Unused),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("insert invitation code");
        assert!(code.id > 0);
        let setup = dify_setups::ActiveModel { version: Set("0.3.23".into()), ..Default::default() }
            .insert(db)
            .await
            .expect("insert setup");
        assert_eq!(DifySetups::find_by_id("0.3.23".to_owned()).one(db).await.expect("select setup"), Some(setup));
    }
}

/// Builds Dify's schema the way Alembic would have left it: our first migration's
/// tables, no sea-orm bookkeeping, and `alembic_version` at `revision`.
async fn dify_created_database(db: &DatabaseConnection, revision: &str) {
    DifySchema.up(&SchemaManager::new(db)).await.expect("create Dify schema");
    db.execute_unprepared("DROP TABLE IF EXISTS seaql_migrations").await.expect("drop seaql_migrations");
    db.execute_unprepared("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)")
        .await
        .expect("create alembic_version");
    db.execute_unprepared(&format!("INSERT INTO alembic_version (version_num) VALUES ('{revision}')"))
        .await
        .expect("insert alembic revision");
}

#[tokio::test]
async fn adopts_database_created_by_dify_at_head() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let t = TestDb::new(Backend::Postgres).await;
    dify_created_database(&t.db, "6e2cfb077b04").await;

    let report = migration::upgrade(&t.db).await.expect("adopting upgrade");
    assert_eq!(report, UpgradeReport { applied: all_migrations(), adopted_from_alembic: true, warnings: vec![] });
    let indexes = index_names(&t.db).await;
    assert!(indexes.iter().any(|i| i == "message_conversation_created_idx"));
    assert!(migration::pending(&t.db).await.expect("pending").is_empty());

    let again = migration::upgrade(&t.db).await.expect("second upgrade");
    assert_eq!(again, UpgradeReport::default());
}

#[tokio::test]
async fn refuses_other_alembic_revisions() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let t = TestDb::new(Backend::Postgres).await;
    dify_created_database(&t.db, "77e83833755c").await;

    let err = migration::upgrade(&t.db).await.expect_err("other revision must be refused");
    let message = err.to_string();
    assert!(message.contains("77e83833755c"), "{message}");
    assert!(message.contains("6e2cfb077b04"), "{message}");
    // Nothing was recorded, so a later attempt (after Dify's migrations) starts clean.
    assert!(!table_names(&t.db).await.iter().any(|t| t == "seaql_migrations"));
}

/// A database Python Dify wrote may hold two accounts for one email (it had no unique index):
/// upgrading reports them instead of failing, and adds the index once they are resolved.
#[tokio::test]
async fn accounts_sharing_an_email_are_reported_then_the_index_is_added() {
    for backend in backends() {
        let t = TestDb::new(backend).await;
        // As a database Dify wrote arrives: no such index, duplicates possible.
        migration::upgrade(&t.db).await.expect("first upgrade");
        t.db.execute_unprepared(&format!("DROP INDEX {}", migration::EMAIL_INDEX)).await.expect("drop index");
        for (id, email) in [(1, "Ann@Example.com"), (2, "ann@example.com"), (3, "bob@example.com")] {
            let id = uuid::Uuid::from_u128(id);
            let sql = format!(
                "INSERT INTO accounts (id, name, email, status, created_at, updated_at, last_active_at) \
                 VALUES ('{id}', 'x', '{email}', 'active', '2023-09-13 00:00:00', '2023-09-13 00:00:00', '2023-09-13 00:00:00')"
            );
            t.db.execute_unprepared(&sql).await.expect("insert account");
        }
        let report = migration::upgrade(&t.db).await.expect("upgrade does not fail");
        assert_eq!(report.warnings.len(), 1, "{backend:?}: {report:?}");
        assert!(report.warnings[0].contains("ann@example.com"), "{backend:?}: {report:?}");
        assert!(!index_names(&t.db).await.iter().any(|i| i == migration::EMAIL_INDEX), "{backend:?}");

        let merged = uuid::Uuid::from_u128(2);
        t.db.execute_unprepared(&format!("DELETE FROM accounts WHERE id = '{merged}'")).await.expect("merge");
        let report = migration::upgrade(&t.db).await.expect("upgrade");
        assert!(report.warnings.is_empty(), "{backend:?}: {report:?}");
        assert!(index_names(&t.db).await.iter().any(|i| i == migration::EMAIL_INDEX), "{backend:?}");
        let dup = format!(
            "INSERT INTO accounts (id, name, email, status, created_at, updated_at, last_active_at) \
             VALUES ('{}', 'x', 'BOB@example.com', 'active', '2023-09-13 00:00:00', '2023-09-13 00:00:00', '2023-09-13 00:00:00')",
            uuid::Uuid::from_u128(9)
        );
        assert!(t.db.execute_unprepared(&dup).await.is_err(), "{backend:?}: a second account for bob");
    }
}
