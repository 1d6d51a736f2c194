//! The real client SDKs of the v0.3 line, from their registries and unmodified, against a
//! running dify-rs (a bound port, both run modes): Python `dify-client` 0.1.8 and 0.1.10 and
//! Node `dify-client` 2.0.0 call every method they have (`tests/sdk/*`). `scripts/test.sh`
//! installs them (`scripts/sdks.sh`) and sets DIFY_TEST_SDK_DIR; without it this test says so
//! and does nothing.

mod common;

use std::path::{Path, PathBuf};

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::datasets::owner;
use common::*;
use serde_json::json;
use test_support::fake_openai::FakeOpenAi;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn run(what: &str, mut cmd: tokio::process::Command) {
    let out = cmd.output().await.unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("ok "), "{what}: {stdout}\n{stderr}");
}

#[actix_web::test]
async fn the_python_and_node_clients_of_the_v0_3_line_work_unmodified() {
    let Some(sdks) = std::env::var_os("DIFY_TEST_SDK_DIR").map(PathBuf::from) else {
        eprintln!("DIFY_TEST_SDK_DIR is not set (scripts/test.sh sets it): the SDK clients were not run");
        return;
    };
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    fake.set_answer(Some("Tea is lovely."));
    let console = test::init_service(app(state.clone())).await;
    let (mut c, _) = owner(&env, &console, &fake).await;
    let model = json!({"provider": "openai", "name": "gpt-3.5-turbo", "completion_params": {"max_tokens": 64}});
    let mut keys = Vec::new();
    for (name, mode, prompt) in
        [("Chat", "chat", "You help with tea."), ("Writer", "completion", "Write about {{topic}}.")]
    {
        let config = json!({
            "pre_prompt": prompt,
            "user_input_form": if mode == "completion" {
                json!([{"text-input": {"label": "Topic", "variable": "topic", "required": true, "max_length": 20}}])
            } else {
                json!([])
            },
            "model": model,
        });
        let body =
            json!({"name": name, "mode": mode, "icon": "🤖", "icon_background": "#FFEAD5", "model_config": config});
        let r = send(&console, &mut c, Method::POST, "/console/api/apps", Some(body)).await;
        assert_eq!(r.status.as_u16(), 201, "{r:?}");
        let id = r.body["id"].as_str().expect("id").to_string();
        let r = send(&console, &mut c, Method::POST, &format!("/console/api/apps/{id}/api-keys"), None).await;
        keys.push(r.body["token"].as_str().expect("token").to_string());
    }

    let server =
        actix_web::HttpServer::new(move || app(state.clone())).workers(1).bind(("127.0.0.1", 0)).expect("bind");
    let base = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    let running = actix_web::rt::spawn(server);

    for version in ["0.1.8", "0.1.10"] {
        let mut cmd = tokio::process::Command::new("python3");
        cmd.arg(repo().join("tests/sdk/python_client.py"))
            .env("PYTHONPATH", sdks.join(format!("python-{version}")))
            .env("DIFY_BASE", &base)
            .env("DIFY_CHAT_KEY", &keys[0])
            .env("DIFY_WRITER_KEY", &keys[1])
            .env("DIFY_SDK_USER", format!("python-{version}"))
            .env("NO_PROXY", "127.0.0.1")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY");
        run(&format!("python dify-client {version}"), cmd).await;
    }

    // The script beside the installed package, so `import "dify-client"` finds it.
    let dir = tempfile::tempdir().expect("dir");
    std::os::unix::fs::symlink(sdks.join("node/node_modules"), dir.path().join("node_modules")).expect("link");
    std::fs::copy(repo().join("tests/sdk/node_client.mjs"), dir.path().join("node_client.mjs")).expect("copy");
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(dir.path().join("node_client.mjs"))
        .current_dir(dir.path())
        .env("DIFY_BASE", &base)
        .env("DIFY_CHAT_KEY", &keys[0])
        .env("DIFY_WRITER_KEY", &keys[1])
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY");
    run("node dify-client 2.0.0", cmd).await;

    handle.stop(true).await;
    let _ = running.await;
}
