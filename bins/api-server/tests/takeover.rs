//! Takeover of a database Python Dify 0.3.23 wrote itself (`fixtures/dify-0.3.23-database`:
//! its own `pg_dump` and storage, see its README): `admin db upgrade`'s adoption takes the
//! Alembic schema over, the admin signs in with the hash Python stored, the OpenAI key Python
//! encrypted decrypts and answers through the service API with the app key Python issued, and
//! the console lists show Python's rows. PostgreSQL only (services mode).

mod common;

use std::path::Path;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::*;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use test_support::fake_openai::{FakeOpenAi, FakeOpenAiConfig};
use test_support::{TempDatabase, TestEnv, services_mode};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dify-0.3.23-database");
const WORKSPACE: &str = "1dda48a5-28f9-4363-9ff1-df58f4a03141";
const CHAT_APP: &str = "9946e813-a720-4fa5-a633-80d0bb06efd2";
const APP_KEY: &str = "app-uZZOThfrasc5zzzffdIafUoz";
/// Where Python Dify's provider row points OpenAI.
const STORED_BASE: &str = "http://127.0.0.1:18901";

/// Runs a `pg_dump` script on its own connection (it clears `search_path` for the session).
async fn restore(url: &str, file: &str) {
    let sql = std::fs::read_to_string(Path::new(FIXTURE).join(file)).expect("fixture");
    // psql meta-commands (`\restrict`) are not SQL.
    let sql: String = sql.lines().filter(|l| !l.starts_with('\\')).map(|l| format!("{l}\n")).collect();
    let db = Database::connect(url).await.expect("connect");
    db.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("restore {file}: {e}"));
    db.close().await.expect("close");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[actix_web::test]
async fn values_a_later_dify_wrote_are_found_in_a_database_taken_over() {
    if !services_mode() {
        return;
    }
    let pg = TempDatabase::create().await;
    restore(&pg.url, "schema.sql").await;
    restore(&pg.url, "data.sql").await;
    let db = Database::connect(&pg.url).await.expect("connect");
    db.execute_unprepared(&format!("UPDATE apps SET mode = 'agent-chat' WHERE id = '{CHAT_APP}'")).await.expect("mode");
    db.execute_unprepared("UPDATE messages SET from_source = 'openapi'").await.expect("source");
    let report = migration::upgrade(&db).await.expect("adopt");
    assert!(report.adopted_from_alembic, "{report:?}");
    let found = entities::known_values::warnings(&db).await.expect("check");
    let warnings = found.join("\n");
    assert_eq!(found.len(), 2, "{warnings}");
    assert!(warnings.contains(r#"apps.mode: "agent-chat" in 1 row(s)"#), "{warnings}");
    assert!(warnings.contains(r#"messages.from_source: "openapi" in 3 row(s)"#), "{warnings}");
    // Put right, nothing is left to report.
    db.execute_unprepared(&format!("UPDATE apps SET mode = 'chat' WHERE id = '{CHAT_APP}'")).await.expect("mode");
    db.execute_unprepared("UPDATE messages SET from_source = 'api'").await.expect("source");
    assert_eq!(entities::known_values::warnings(&db).await.expect("check"), Vec::<String>::new());
}

#[actix_web::test]
async fn a_database_python_dify_wrote_is_taken_over_and_served() {
    if !services_mode() {
        return; // Python Dify wrote it on PostgreSQL.
    }
    let pg = TempDatabase::create().await;
    restore(&pg.url, "schema.sql").await;
    restore(&pg.url, "data.sql").await;

    let db = Database::connect(&pg.url).await.expect("connect");
    let report = migration::upgrade(&db).await.expect("adopt");
    assert!(report.adopted_from_alembic, "{report:?}");
    assert!(report.warnings.is_empty(), "{report:?}");
    let again = migration::upgrade(&db).await.expect("second upgrade");
    assert!(again.applied.is_empty(), "{again:?}");
    // Point the stored OpenAI base at the fake; the key stays as Python encrypted it.
    let fake =
        FakeOpenAi::start_with(FakeOpenAiConfig { api_key: Some("sk-fake".into()), ..FakeOpenAiConfig::default() })
            .await;
    db.execute_unprepared(&format!(
        "UPDATE providers SET encrypted_config = replace(encrypted_config, '{STORED_BASE}', '{}')",
        fake.base_url()
    ))
    .await
    .expect("point at the fake");
    db.close().await.expect("close");

    let storage = tempfile::tempdir().expect("storage");
    copy_dir(&Path::new(FIXTURE).join("storage"), storage.path());
    let storage_path = storage.path().display().to_string();
    let env =
        TestEnv::with_vars(&[("DATABASE_URL", pg.url.as_str()), ("STORAGE_LOCAL_PATH", storage_path.as_str())]).await;
    let state = api_server::AppState::new(env.config.clone(), env.infra.clone());
    let app = test::init_service(app(state)).await;

    // Python's salted PBKDF2 hash signs the admin in.
    let mut c = login(&app, "perf@example.com", "Passw0rd1").await;
    let r = send(&app, &mut c, Method::GET, "/console/api/workspaces/current", None).await;
    assert_eq!(r.body["id"], WORKSPACE, "{r:?}");

    let r = send(&app, &mut c, Method::GET, "/console/api/apps?page=1&limit=30", None).await;
    let mut names: Vec<&str> =
        r.body["data"].as_array().expect("apps").iter().filter_map(|a| a["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Reference writer", "perf chat"], "{r:?}");
    let r = send(&app, &mut c, Method::GET, "/console/api/datasets?page=1&limit=30", None).await;
    assert_eq!(r.body["total"], 1, "{r:?}");
    assert_eq!(r.body["data"][0]["name"], "Reference KB");
    // Created empty: its technique is settled by its first document.
    assert_eq!(r.body["data"][0]["indexing_technique"], serde_json::Value::Null);
    let r = send(&app, &mut c, Method::GET, "/console/api/workspaces/current/members", None).await;
    let members = r.body["accounts"].as_array().expect("members");
    assert_eq!(members.len(), 2, "{r:?}");
    let member = members.iter().find(|m| m["email"] == "member@example.com").expect("the invited member");
    assert_eq!(member["status"], "pending");
    let r = send(&app, &mut c, Method::GET, &format!("/console/api/apps/{CHAT_APP}/chat-conversations"), None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let convs = r.body["data"].as_array().expect("conversations");
    let web =
        convs.iter().find(|c| c["id"] == "6e4384c3-e351-4adc-8b03-2743a0a14959").expect("the web-app conversation");
    assert_eq!(web["from_source"], "api", "{web}");
    assert_eq!(web["summary"], "Hello from the web app", "{web}");
    assert_eq!(web["user_feedback_stats"]["like"], 1, "the visitor's like: {web}");
    let r = send(&app, &mut c, Method::GET, "/console/api/workspaces/current/model-providers", None).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");

    // The key Python encrypted decrypts: the fake accepts only `sk-fake`.
    fake.set_answer(Some("Hello from the taken-over app."));
    let mut key = Client { bearer: Some(APP_KEY.into()), ..Client::default() };
    let ask = json!({"inputs": {}, "query": "hello", "user": "takeover", "response_mode": "blocking"});
    let r = send(&app, &mut key, Method::POST, "/v1/chat-messages", Some(ask)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert_eq!(r.body["answer"], "Hello from the taken-over app.", "{r:?}");
    assert!(!fake.requests().is_empty());
    drop(env);
}
