//! Files built to hurt a parser — a sparse-corner XLSX, flate-bomb PDFs, a DOCX zip bomb,
//! billion laughs, deep nesting — fail only themselves, in both run modes: previews and
//! estimates answer within the time limit (4xx naming the limit where one was broken), this
//! process's memory stays put, such a document ends `error` with the reason while the next
//! document is indexed, and a document whose runs kept dying is given up instead of looping.

mod common;

use entities::documents::IndexingStatus;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::datasets::*;
use common::*;
use entities::{document_indexing_attempts, documents};
use kernel::jobs::Job;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use test_support::fake_openai::FakeOpenAi;
use test_support::{hostile, services_mode};
use uuid::Uuid;

/// Limits the tests run under: small enough to be quick, large enough for honest files.
const LIMITS: &[(&str, &str)] = &[("EXTRACT_MEMORY_LIMIT_MB", "256"), ("EXTRACT_TIMEOUT_SECONDS", "20")];

/// This process's resident memory, from /proc (the test server runs in it).
fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[actix_web::test]
async fn hostile_previews_and_estimates_fail_alone_within_the_limits() {
    let (env, state) = state_with(LIMITS).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;

    let started = Instant::now();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("corner.xlsx", hostile::sparse_corner_xlsx()),
        ("bomb30.pdf", hostile::flate_bomb_pdf(30 << 20)),
        ("bomb300.pdf", hostile::flate_bomb_pdf(300 << 20)),
        ("bomb.docx", hostile::docx_zip_bomb(200 << 20)),
        ("laughs.xlsx", hostile::billion_laughs_xlsx()),
        ("deep.docx", hostile::deeply_nested_docx(100_000)),
        ("deep.html", hostile::deeply_nested_html(100_000)),
    ];
    eprintln!("built in {:?}", started.elapsed());
    let mut ids = Vec::new();
    for (name, bytes) in &files {
        let t = Instant::now();
        ids.push((*name, upload(&app, &c, name, bytes).await));
        eprintln!("uploaded {name} ({} bytes) in {:?}", bytes.len(), t.elapsed());
    }
    drop(files);
    let before = rss_mb();
    eprintln!("built and uploaded in {:?}", started.elapsed());

    for (name, id) in &ids {
        let started = Instant::now();
        let r = send(&app, &mut c, Method::GET, &format!("/console/api/files/{id}/preview"), None).await;
        let took = started.elapsed();
        eprintln!("{name}: {} in {took:?}", r.status);
        assert!(took < Duration::from_secs(25), "{name}: preview took {took:?}");
        assert!(r.status.as_u16() < 500, "{name}: {r:?}");
        match *name {
            // Read cell by cell: two cells, not a 16384 × 1048576 grid.
            "corner.xlsx" => assert_eq!(r.body["content"], "None:corner;", "{r:?}"),
            "bomb30.pdf" | "bomb300.pdf" | "bomb.docx" => {
                assert_error(&r, 400, "invalid_param");
                let message = r.body["message"].as_str().unwrap_or_default();
                assert!(message.contains("EXTRACT_") || message.contains("too large"), "{name}: {message}");
            }
            // Entities are not expanded and nesting is walked without recursion: any
            // answer is fine so long as it is one, and small.
            _ => assert!(r.body["content"].as_str().is_none_or(|t| t.chars().count() <= 3000), "{name}: {r:?}"),
        }
        let now = rss_mb();
        assert!(now <= before + 100, "{name}: RSS grew from {before} MB to {now} MB");
    }

    // The estimate reads files the same way.
    let bomb = ids.iter().find(|(n, _)| *n == "bomb30.pdf").map(|(_, id)| id.clone()).expect("bomb");
    let body = json!({
        "info_list": {"data_source_type": "upload_file", "file_info_list": {"file_ids": [bomb]}},
        "process_rule": {"mode": "automatic", "rules": {}},
        "indexing_technique": "economy", "doc_form": "text_model", "doc_language": "English"
    });
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/indexing-estimate", Some(body)).await;
    assert_error(&r, 400, "invalid_param");
    assert!(r.body["message"].as_str().unwrap_or_default().contains("bomb30.pdf"), "{r:?}");
    assert!(rss_mb() <= before + 100);
}

#[actix_web::test]
async fn a_hostile_document_ends_in_error_and_the_next_one_is_indexed() {
    let (env, state) = state_with(LIMITS).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);

    let bomb = upload(&app, &c, "bomb.pdf", &hostile::flate_bomb_pdf(30 << 20)).await;
    let good = upload(&app, &c, "good.txt", b"Oolong is partly oxidised.\n\nPu-erh is aged.").await;
    let r = send(
        &app,
        &mut c,
        Method::POST,
        "/console/api/datasets/init",
        Some(automatic_documents("economy", &[bomb, good])),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let settled = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    let by_name = |doc: &Value| {
        let id = doc["id"].as_str().unwrap_or_default();
        r.body["documents"].as_array().into_iter().flatten().find(|d| d["id"] == id).map(|d| d["name"].clone())
    };
    for doc in &settled {
        match by_name(doc).and_then(|n| n.as_str().map(str::to_owned)).as_deref() {
            Some("bomb.pdf") => {
                assert_eq!(doc["indexing_status"], "error", "{doc}");
                let error = doc["error"].as_str().unwrap_or_default();
                assert!(error.contains("EXTRACT_"), "{doc}");
            }
            Some("good.txt") => assert_eq!(doc["indexing_status"], "completed", "{doc}"),
            other => panic!("unexpected document {other:?}: {doc}"),
        }
    }
    stop_worker(worker).await;
}

/// A megabyte of tabs between two words, split by a custom rule that keeps spaces: beyond
/// the backtracking limit of GPT-2's split pattern as a regex (tiktoken-rs panicked there, in
/// the worker's splitter); the splitter's scanner counts it in one pass and the document is
/// indexed, as is the next one.
#[actix_web::test]
async fn a_document_beyond_the_token_patterns_backtracking_limit_is_indexed() {
    let (env, state) = state_with(LIMITS).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let worker = start_worker(&env);

    let tabs = format!("Oolong{}Sencha", "\t".repeat(1 << 20));
    let tabs = upload(&app, &c, "tabs.txt", tabs.as_bytes()).await;
    let good = upload(&app, &c, "good.txt", b"Oolong is partly oxidised.\n\nPu-erh is aged.").await;
    let mut body = automatic_documents("economy", &[tabs, good]);
    body["process_rule"] = json!({"mode": "custom", "rules": {
        "pre_processing_rules": [{"id": "remove_extra_spaces", "enabled": false}, {"id": "remove_urls_emails", "enabled": false}],
        "segmentation": {"separator": "\n", "max_tokens": 500}
    }});
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let settled = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(settled.len(), 2, "{settled:?}");
    for doc in &settled {
        assert_eq!(doc["indexing_status"], "completed", "{doc}");
    }
    stop_worker(worker).await;
}

/// A document whose runs died three times (as the process killed under them leaves it): the
/// next worker gives it up as `error` instead of running it again, dead-letters its job and
/// goes on with the next document.
#[actix_web::test]
async fn a_document_whose_runs_kept_dying_is_given_up() {
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;

    let (dataset_id, doc, batch) = poison_document(&app, &mut c).await;
    // Indexed once, so no job for it is left in any queue; then left as three dead runs leave it.
    let worker = start_worker(&env);
    batch_settled(&app, &mut c, &dataset_id.to_string(), &batch).await;
    stop_worker(worker).await;
    left_by_three_dead_runs(&env, doc).await;

    let worker = start_worker(&env);
    if services_mode() {
        // RabbitMQ redelivers the unacked job after each death; here we send it once more.
        let job = Job::IndexDocuments { dataset_id, document_ids: vec![doc] };
        env.infra.queue.publish(job.queue(), &job.to_bytes()).await.expect("publish");
    }
    let status = document_settled(&app, &mut c, &dataset_id.to_string(), &doc.to_string()).await;
    assert_eq!(status["indexing_status"], "error", "{status}");
    assert_eq!(status["error"], ::datasets::indexing::abandoned_reason(3), "{status}");
    assert!(document_indexing_attempts::Entity::find_by_id(doc).one(&env.infra.db).await.expect("q").is_none());

    // The worker goes on: a new document of the same dataset is indexed.
    let next = upload(&app, &c, "next.txt", b"Sencha is steamed green tea.").await;
    let body = automatic_documents("economy", &[next]);
    let r =
        send(&app, &mut c, Method::POST, &format!("/console/api/datasets/{dataset_id}/documents"), Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    let settled = batch_settled(&app, &mut c, &dataset_id.to_string(), &batch).await;
    assert_eq!(settled[0]["indexing_status"], "completed", "{settled:?}");
    stop_worker(worker).await;
}

/// A dataset made with one small document (its dataset, the document and its batch).
async fn poison_document<S, B>(app: &S, c: &mut Client) -> (Uuid, Uuid, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let poison = upload(app, c, "poison.txt", b"This file killed its worker three times.").await;
    let body = automatic_documents("economy", &[poison]);
    let r = send(app, c, Method::POST, "/console/api/datasets/init", Some(body)).await;
    assert_eq!(r.status.as_u16(), 200, "{r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").parse().expect("uuid");
    let doc = r.body["documents"][0]["id"].as_str().expect("doc").parse().expect("uuid");
    (dataset_id, doc, r.body["batch"].as_str().expect("batch").to_owned())
}

/// What three runs killed with their process leave: the document mid-way, three starts counted.
async fn left_by_three_dead_runs(env: &test_support::TestEnv, doc: Uuid) {
    documents::ActiveModel { id: Set(doc), indexing_status: Set(IndexingStatus::Indexing), ..Default::default() }
        .update(&env.infra.db)
        .await
        .expect("mid-way");
    document_indexing_attempts::ActiveModel {
        document_id: Set(doc),
        attempts: Set(3),
        updated_at: Set(kernel::time::now_naive()),
    }
    .insert(&env.infra.db)
    .await
    .expect("attempts");
}

/// The real binary, embedded, restarted with such a document pending: it comes up healthy
/// (no restart loop) and marks the document `error`.
#[actix_web::test]
async fn an_embedded_restart_with_a_poison_document_comes_up_and_gives_it_up() {
    if services_mode() {
        return; // About the embedded layout: its queue lives in the process.
    }
    let (env, state) = state_with(&[]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let (_, doc, _) = poison_document(&app, &mut c).await;
    left_by_three_dead_runs(&env, doc).await;

    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_api-server"));
    for key in ["DATABASE_URL", "DB_HOST", "REDIS_URL", "REDIS_HOST", "CELERY_BROKER_URL", "BROKER_URL"] {
        cmd.env_remove(key);
    }
    let mut server = cmd
        .env("DATA_DIR", env.data_dir())
        .env("SECRET_KEY", &env.config.secret_key)
        .env("DIFY_BIND_ADDRESS", "127.0.0.1")
        .env("DIFY_PORT", port.to_string())
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn api-server");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        assert!(server.try_wait().expect("wait").is_none(), "api-server exited");
        let d = documents::Entity::find_by_id(doc).one(&env.infra.db).await.expect("q").expect("doc");
        if d.indexing_status == IndexingStatus::Error {
            break d;
        }
        assert!(Instant::now() < deadline, "the poison document was never given up: {:?}", d.indexing_status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status.error.as_deref(), Some(::datasets::indexing::abandoned_reason(3).as_str()));
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.expect("health");
    assert_eq!(health.status().as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.try_wait().expect("wait").is_none(), "api-server stays up");
    let _ = server.kill();
    let _ = server.wait();
}
