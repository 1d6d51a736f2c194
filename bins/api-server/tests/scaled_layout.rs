//! The scaled layout on one host: the API (here, the app in this process) and a separate
//! `indexer-worker` binary on PostgreSQL, Redis and RabbitMQ, sharing `DATA_DIR` with the
//! default embedded vector store. The worker process indexes; hit testing and a chat over the
//! dataset, in the API's process, answer from the vectors it wrote.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::datasets::*;
use common::*;
use serde_json::json;
use test_support::fake_openai::FakeOpenAi;
use test_support::{TestEnv, services_mode};

const PLANTED: &str = "Purple elephants dance at dawn beside the silver river.";

/// The worker binary beside this test's (`target/<profile>/deps/..`), built with the workspace.
fn worker_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile = exe.parent().and_then(|deps| deps.parent()).expect("target directory");
    let bin = profile.join("indexer-worker");
    assert!(bin.exists(), "{} is missing: build the workspace first (scripts/test.sh does)", bin.display());
    bin
}

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_worker(env: &TestEnv) -> Worker {
    let mut cmd = Command::new(worker_binary());
    for key in ["DB_HOST", "REDIS_HOST", "BROKER_URL", "STORAGE_TYPE", "VECTOR_STORE"] {
        cmd.env_remove(key);
    }
    cmd.args(["-Q", "dataset"])
        .env("DATABASE_URL", &env.config.database_url)
        .env("REDIS_URL", env.config.redis_url.as_deref().expect("redis"))
        .env("CELERY_BROKER_URL", env.config.broker_url.as_deref().expect("broker"))
        .env("DATA_DIR", &env.config.data_dir)
        .env("SECRET_KEY", &env.config.secret_key)
        .env("DIFY_NAMESPACE", &env.prefix)
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    Worker(cmd.spawn().expect("spawn indexer-worker"))
}

#[actix_web::test]
async fn a_separate_worker_indexes_and_the_api_searches_what_it_wrote() {
    if !services_mode() {
        return; // Without a broker there is no separate worker: jobs run inside api-server.
    }
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let _worker = spawn_worker(&env);

    let file =
        upload(&app, &c, "notes.md", format!("# Notes\n\nRain falls in spring.\n\n{PLANTED}\n").as_bytes()).await;
    let (dataset_id, status) = init_settled(&app, &mut c, "high_quality", &[file]).await;
    assert!(status.iter().all(|s| s["indexing_status"] == "completed"), "the worker process indexed: {status:?}");

    let hit = format!("/console/api/datasets/{dataset_id}/hit-testing");
    let r = send(&app, &mut c, Method::POST, &hit, Some(json!({"query": "purple elephants dance"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    assert!(r.body["records"][0]["segment"]["content"].as_str().is_some_and(|t| t.contains(PLANTED)), "{}", r.body);

    // A chat app over the dataset puts the worker's segment in its prompt.
    let config = json!({
        "pre_prompt": "",
        "model": {"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 256}},
        "agent_mode": {"enabled": true, "strategy": "router", "tools": [{"dataset": {"enabled": true, "id": dataset_id}}]},
    });
    let body =
        json!({"name": "Notes", "mode": "chat", "icon": "🤖", "icon_background": "#FFEAD5", "model_config": config});
    let r = send(&app, &mut c, Method::POST, "/console/api/apps", Some(body)).await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    let app_id = r.body["id"].as_str().expect("id").to_string();
    let r = send(&app, &mut c, Method::POST, &format!("/console/api/apps/{app_id}/api-keys"), None).await;
    let mut key = Client { bearer: Some(r.body["token"].as_str().expect("token").to_string()), ..Client::default() };
    fake.set_answer(Some("1"));
    fake.clear_requests();
    let ask = json!({"inputs": {}, "query": "Who dances by the river?", "user": "u", "response_mode": "blocking"});
    let r = send(&app, &mut key, Method::POST, "/v1/chat-messages", Some(ask)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let last = fake.requests().into_iter().rfind(|q| q.path.ends_with("/chat/completions")).expect("the answer's call");
    let prompt: String = last.messages.iter().map(|(_, t)| t.as_str()).collect();
    assert!(prompt.contains(PLANTED), "{prompt}");
}
