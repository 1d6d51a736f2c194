//! The `api-server` binary as an operator starts it: configured from the environment,
//! migrating at start, answering on a real port, stopping gracefully on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use test_support::{TempDatabase, services_mode};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The binary with nothing from the developer's shell that would pick its services.
fn api_server_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_api-server"));
    for key in [
        "DATABASE_URL",
        "DB_HOST",
        "REDIS_URL",
        "REDIS_HOST",
        "CELERY_BROKER_URL",
        "BROKER_URL",
        "SECRET_KEY",
        "MALLOC_CONF",
    ] {
        cmd.env_remove(key);
    }
    cmd
}

/// Once the server at `base` is up: sets it up with an owner, signs in, and gives the session
/// cookie.
async fn signed_in_owner(http: &reqwest::Client, base: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "api-server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let account = serde_json::json!({"email": "owner@example.com", "name": "Owner", "password": "Passw0rd123"});
    let r = http.post(format!("{base}/console/api/setup")).json(&account).send().await.expect("setup");
    assert_eq!(r.status(), 201);
    let r = http.post(format!("{base}/console/api/login")).json(&account).send().await.expect("login");
    assert_eq!(r.status(), 200);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned()
}

/// A minimal HTTP/1.1 GET: (status, body).
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(vars: &[(&str, String)]) -> (Server, u16) {
    let (server, port) = spawn(vars);
    wait_up(port);
    (server, port)
}

/// Starts the binary without waiting for it.
fn spawn(vars: &[(&str, String)]) -> (Server, u16) {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let mut cmd = api_server_command();
    cmd.current_dir(&dir)
        .env("DIFY_BIND_ADDRESS", "127.0.0.1")
        .env("DIFY_PORT", port.to_string())
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    (Server(cmd.spawn().expect("spawn api-server")), port)
}

fn wait_up(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if get(port, "/health").is_ok_and(|(s, _)| s == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("api-server did not come up on port {port}");
}

fn check_serves_and_stops(vars: &[(&str, String)]) {
    let (mut server, port) = start(vars);
    let (status, body) = get(port, "/health").expect("health");
    assert_eq!((status, body.trim()), (200, r#"{"status":"ok","version":"0.3.23"}"#));
    let (status, body) = get(port, "/console/api/definitely-not-a-route").expect("unknown");
    assert_eq!(status, 404);
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["code"], "not_found");
    assert_eq!(json["status"], 404);

    let pid = server.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            assert!(status.success(), "api-server exited with {status}");
            break;
        }
        assert!(Instant::now() < deadline, "api-server did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn embedded_server_needs_nothing_and_keeps_its_state_in_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    check_serves_and_stops(&[("DATA_DIR", data.display().to_string())]);
    assert!(data.join("dify.db").exists(), "SQLite database created and migrated at start");
    assert!(data.join("secret_key").exists(), "generated secret key kept");
}

/// jemalloc's options are compiled into the binary (`infra::allocator`): with no `MALLOC_CONF`,
/// its one background thread runs, handing what a burst freed back while the server is idle.
#[cfg(target_os = "linux")]
#[test]
fn freed_memory_is_handed_back_by_jemallocs_background_thread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _port) = start(&[("DATA_DIR", dir.path().join("data").display().to_string())]);
    let threads: Vec<String> = std::fs::read_dir(format!("/proc/{}/task", server.0.id()))
        .expect("the server's threads")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    assert_eq!(threads.iter().filter(|t| *t == "jemalloc_bg_thd").count(), 1, "{threads:?}");
}

/// The extraction child (this binary, started again) runs without that thread, whose stack
/// would take 8 MiB of the file's data budget: a one-line page extracts within 20 MB (it needs
/// 12–16 MB here; with the thread it needed 20–24).
#[tokio::test]
async fn the_extraction_child_keeps_its_whole_memory_budget() {
    let limits = rag::extract::Limits { memory_mb: 20, ..Default::default() };
    let extractor = rag::extract::Extractor::new(Some(env!("CARGO_BIN_EXE_api-server").into()), limits, 1);
    let text = extractor.extract("page.html", b"<p>hello world</p>".to_vec()).await;
    assert_eq!(text, Ok(vec!["hello world".to_owned()]));
}

#[tokio::test]
async fn scaled_server_runs_on_postgres_redis_and_rabbitmq() {
    if !services_mode() {
        eprintln!("skipped: needs DIFY_TEST_BACKEND=services");
        return;
    }
    let db = TempDatabase::create().await;
    let vars = vec![
        ("DATABASE_URL", db.url.clone()),
        ("SECRET_KEY", "test-secret".to_string()),
        ("MIGRATION_ENABLED", "true".to_string()),
        ("REDIS_URL", std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())),
        (
            "CELERY_BROKER_URL",
            std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into()),
        ),
    ];
    tokio::task::spawn_blocking(move || check_serves_and_stops(&vars)).await.expect("join");
}

/// `METRICS_BIND_ADDRESS` moves `/metrics` off the API's address: scraped there, 404 on the API.
#[test]
fn metrics_move_to_their_own_address_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics_port = free_port();
    let (_server, port) = start(&[
        ("DATA_DIR", dir.path().join("data").display().to_string()),
        ("METRICS_BIND_ADDRESS", format!("127.0.0.1:{metrics_port}")),
    ]);
    assert_eq!(get(port, "/health").expect("health").0, 200);
    // A route that reads the database, so the pool hands out a connection.
    assert_eq!(get(port, "/console/api/setup").expect("setup").0, 200);
    let (status, body) = get(port, "/metrics").expect("metrics on the API");
    assert_eq!(status, 404, "{body}");
    let (status, body) = get(metrics_port, "/metrics").expect("metrics");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#"http_requests_total{surface="system",route="/health",method="GET",status="200"}"#),
        "{body}"
    );
    // Every database call's wait for a pooled connection is measured.
    let waits = body
        .lines()
        .find_map(|l| l.strip_prefix("db_pool_acquire_seconds_count "))
        .and_then(|v| v.trim().parse::<u64>().ok());
    assert!(waits.is_some_and(|n| n >= 1), "{body}");
}

/// Replicas started together on one empty PostgreSQL database (`docker compose up --scale
/// api=3`): the migrations run under an advisory lock, so all three come up and every
/// migration is applied once.
#[tokio::test]
async fn three_servers_migrating_one_empty_database_at_once_all_come_up() {
    if !services_mode() {
        eprintln!("skipped: needs DIFY_TEST_BACKEND=services");
        return;
    }
    let db = TempDatabase::create().await;
    let vars = vec![
        ("DATABASE_URL", db.url.clone()),
        ("SECRET_KEY", "test-secret".to_string()),
        ("MIGRATION_ENABLED", "true".to_string()),
    ];
    let servers = tokio::task::spawn_blocking(move || {
        let servers: Vec<(Server, u16)> = (0..3).map(|_| spawn(&vars)).collect();
        for (_, port) in &servers {
            wait_up(*port);
            let (status, body) = get(*port, "/ready").expect("ready");
            assert_eq!(status, 200, "{body}");
        }
        servers
    })
    .await
    .expect("join");
    let conn = sea_orm::Database::connect(&db.url).await.expect("connect");
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &conn,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS rows, count(DISTINCT version) AS versions FROM seaql_migrations",
        ),
    )
    .await
    .expect("query")
    .expect("a row");
    let (rows, versions): (i64, i64) =
        (row.try_get("", "rows").expect("rows"), row.try_get("", "versions").expect("n"));
    assert!(versions > 0 && rows == versions, "{rows} rows for {versions} migrations");
    drop(servers);
    let _ = conn.close().await;
}

/// The binary with `LOG_FORMAT=json`: the job an invitation queues is logged by the worker under
/// the id of the request that queued it (the client's `X-Request-Id`), and that request's own
/// line carries it too. The id travels in the job's payload, so a separate worker logs it the
/// same way.
#[tokio::test]
async fn a_job_is_logged_under_the_request_id_of_the_request_that_queued_it() {
    use std::io::BufRead;
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = api_server_command();
    cmd.current_dir(dir.path())
        .env("DATA_DIR", dir.path().join("data"))
        .env("DIFY_BIND_ADDRESS", "127.0.0.1")
        .env("DIFY_PORT", port.to_string())
        .env("LOG_LEVEL", "info")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut server = Server(cmd.spawn().expect("spawn api-server"));
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let out = server.0.stdout.take().expect("stdout");
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            sink.lock().expect("lines").push(line);
        }
    });

    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let cookie = signed_in_owner(&http, &base).await;

    // A plain id is kept; one that would forge a log line is replaced.
    let r = http
        .get(format!("{base}/console/api/account/profile"))
        .header("cookie", &cookie)
        .header("x-request-id", "bad id\twith\ttabs")
        .send()
        .await
        .expect("profile");
    let made = r.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert!(made.len() == 36 && !made.contains(' '), "a fresh id: {made}");

    let r = http
        .post(format!("{base}/console/api/workspaces/current/members/invite-email"))
        .header("cookie", &cookie)
        .header("x-request-id", "invite-req-42")
        .json(&serde_json::json!({"emails": ["new.member@example.com"], "role": "normal"}))
        .send()
        .await
        .expect("invite");
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["x-request-id"], "invite-req-42");

    let tagged = |line: &serde_json::Value, message: &str| {
        line["message"] == message
            && line["spans"].as_array().is_some_and(|spans| spans.iter().any(|s| s["request_id"] == "invite-req-42"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let parsed: Vec<serde_json::Value> =
            lines.lock().expect("lines").iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
        let job = parsed.iter().find(|l| tagged(l, "job done"));
        let request = parsed.iter().find(|l| tagged(l, "request answered"));
        if let (Some(job), Some(request)) = (job, request) {
            assert_eq!(job["span"]["task"], "send_mail", "{job}");
            assert_eq!(request["status"], 201, "{request}");
            break;
        }
        assert!(Instant::now() < deadline, "no tagged job line; the log:\n{}", lines.lock().expect("lines").join("\n"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let plain = lines.lock().expect("lines").iter().all(|l| !l.contains('\u{1b}'));
    assert!(plain, "no colour codes in a piped log");
}

/// `api-server healthcheck` as a container runs it: 0 while the local server is ready, 1
/// saying why once it is gone.
fn healthcheck(port: u16, data: &std::path::Path) -> std::process::Output {
    let mut cmd = api_server_command();
    cmd.arg("healthcheck").env("DIFY_PORT", port.to_string()).env("DATA_DIR", data).output().expect("healthcheck")
}

#[test]
fn the_container_healthcheck_asks_the_local_server_for_readiness() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (server, port) = start(&[("DATA_DIR", data.display().to_string())]);
    let ok = healthcheck(port, &data);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    drop(server);
    let down = healthcheck(port, &data);
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains("not ready"), "{}", String::from_utf8_lossy(&down.stderr));
}

/// With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans go to the collector, and a job continues the
/// trace of the request that queued it.
#[tokio::test]
async fn spans_are_exported_and_run_from_a_request_into_its_job() {
    let collector = test_support::fake_otlp::FakeOtlp::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = api_server_command();
    cmd.current_dir(dir.path())
        .env("DATA_DIR", dir.path().join("data"))
        .env("DIFY_BIND_ADDRESS", "127.0.0.1")
        .env("DIFY_PORT", port.to_string())
        .env("LOG_LEVEL", "info")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let _server = Server(cmd.spawn().expect("spawn api-server"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let cookie = signed_in_owner(&http, &base).await;
    // Inviting queues a mail job, run by the worker inside this embedded server.
    let r = http
        .post(format!("{base}/console/api/workspaces/current/members/invite-email"))
        .header("cookie", &cookie)
        .json(&serde_json::json!({"emails": ["new.member@example.com"], "role": "normal"}))
        .send()
        .await
        .expect("invite");
    assert_eq!(r.status(), 201);

    let deadline = Instant::now() + Duration::from_secs(30);
    let (job, spans) = loop {
        let spans = collector.spans();
        if let Some(job) = spans.iter().find(|s| s.name == "job").cloned() {
            break (job, spans);
        }
        assert!(Instant::now() < deadline, "no job span reached the collector: {spans:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(spans.iter().all(|s| s.service == "api-server"), "{spans:?}");
    // Each request is a trace of its own; the job's is the invitation's.
    let requests: Vec<_> = spans.iter().filter(|s| s.name == "request" && s.trace_id == job.trace_id).collect();
    assert_eq!(requests.len(), 1, "the job's trace has one request: {spans:?}");
    assert!(requests[0].parent_span_id.is_empty(), "the request is the trace's root");
    let in_trace = |id: &str| spans.iter().any(|s| s.trace_id == job.trace_id && s.span_id == id);
    assert!(
        !job.parent_span_id.is_empty() && in_trace(&job.parent_span_id),
        "the job hangs under the request: {spans:?}"
    );
}
