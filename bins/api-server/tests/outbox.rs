//! Jobs are written with the rows they act on (the transactional outbox): a broker that is
//! down when a document is created delays its indexing and loses nothing, and a job whose
//! process died before it ran is run by the next process. Through HTTP.

mod common;

use std::time::Duration;

use actix_web::http::Method;
use actix_web::test;
use api_server::app;
use common::datasets::*;
use common::*;
use serde_json::json;
use test_support::fake_openai::FakeOpenAi;
use test_support::fake_smtp::FakeSmtp;
use test_support::tcp_proxy::TcpProxy;
use test_support::{TestEnv, services_mode};

/// Jobs still in the outbox.
async fn outbox_rows(env: &TestEnv) -> i64 {
    test_support::rows::row_count(&env.infra.db, "job_outbox").await
}

/// The broker URL of the services run, with its address replaced by `port` on 127.0.0.1.
fn broker_through(port: u16) -> (String, String) {
    let url = std::env::var("TEST_AMQP_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let mut parsed = url::Url::parse(&url).expect("broker url");
    let target = format!("{}:{}", parsed.host_str().expect("host"), parsed.port().unwrap_or(5672));
    parsed.set_host(Some("127.0.0.1")).expect("host");
    parsed.set_port(Some(port)).expect("port");
    (target, parsed.to_string())
}

#[actix_web::test]
async fn a_document_created_while_the_broker_is_down_is_indexed_once_it_returns() {
    if !services_mode() {
        return; // No broker in embedded mode; the in-process case is the test below.
    }
    let (target, _) = broker_through(0);
    let proxy = TcpProxy::start(&target).await;
    let (_, broker) = broker_through(proxy.port);
    let (env, state) = state_with(&[("CELERY_BROKER_URL", broker.as_str())]).await;
    let fake = FakeOpenAi::start().await;
    let app = test::init_service(app(state)).await;
    let (mut c, _) = owner(&env, &app, &fake).await;
    let id = upload(&app, &c, "tea.txt", b"Oolong tea is partly oxidised.\n\nSencha is steamed.").await;
    let worker = start_worker(&env);

    proxy.cut();
    let r = send(&app, &mut c, Method::POST, "/console/api/datasets/init", Some(automatic_documents("economy", &[id])))
        .await;
    assert_eq!(r.status.as_u16(), 200, "the rows are saved and the job waits in the outbox: {r:?}");
    let dataset_id = r.body["dataset"]["id"].as_str().expect("dataset").to_string();
    let batch = r.body["batch"].as_str().expect("batch").to_string();
    assert_eq!(outbox_rows(&env).await, 1, "the job is kept");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let uri = format!("/console/api/datasets/{dataset_id}/batch/{batch}/indexing-status");
    let r = send(&app, &mut c, Method::GET, &uri, None).await;
    assert_eq!(r.body["data"][0]["indexing_status"], "waiting", "{r:?}");

    proxy.restore();
    let status = batch_settled(&app, &mut c, &dataset_id, &batch).await;
    assert_eq!(status[0]["indexing_status"], "completed", "{status:?}");
    assert_eq!(outbox_rows(&env).await, 0, "sent jobs leave the outbox");
    stop_worker(worker).await;
}

#[actix_web::test]
async fn a_job_whose_process_died_before_it_ran_is_run_by_the_next_process() {
    let smtp = FakeSmtp::start().await;
    let port = smtp.port.to_string();
    let vars = [("MAIL_TYPE", "smtp"), ("SMTP_SERVER", smtp.host.as_str()), ("SMTP_PORT", port.as_str())];
    let (env, state) = state_with(&vars).await;
    let app = test::init_service(app(state)).await;
    let mut admin = Client::default();
    send(&app, &mut admin, Method::POST, "/console/api/setup", Some(setup_body())).await;
    // No worker runs: the invitation mail is queued and the process "dies" with it.
    let r = send(
        &app,
        &mut admin,
        Method::POST,
        "/console/api/workspaces/current/members/invite-email",
        Some(json!({"emails": ["late@example.com"], "role": "normal"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{r:?}");
    assert!(smtp.received().is_empty());

    // The next process: its own connections and (embedded) a new, empty in-process queue.
    let next = infra::Infra::connect(&env.config, &env.prefix).await.expect("next process");
    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(indexer_worker::run(env.config.clone(), next, vec!["mail".into()], rx));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while smtp.received().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the invitation mail was lost with its process");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "sent once");
    assert_eq!(mails[0].to, vec!["late@example.com".to_string()]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while outbox_rows(&env).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "a done job stays in the outbox");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    tokio::time::timeout(Duration::from_secs(10), worker).await.expect("worker stops").expect("join");
}
