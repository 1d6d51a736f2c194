//! The operator CLI as an operator runs it: `admin routes`, `admin db upgrade` twice.

use std::process::{Command, Output};

use test_support::{TempDatabase, services_mode};

fn admin(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_admin"));
    cmd.args(args);
    // Only what the test sets: no DATABASE_URL or .env leaking in from the developer's shell.
    for key in [
        "DATABASE_URL",
        "DB_HOST",
        "DB_DATABASE",
        "DB_USERNAME",
        "DB_PASSWORD",
        "DB_PORT",
        "REDIS_URL",
        "REDIS_HOST",
        "CELERY_BROKER_URL",
        "BROKER_URL",
    ] {
        cmd.env_remove(key);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    cmd.current_dir(dir.path());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("run admin")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "admin failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn routes_lists_the_contract_like_flask_routes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = stdout(&admin(&["routes"], &[("DATA_DIR", dir.path().to_str().expect("utf8"))]));
    let mut lines = out.lines();
    let header = lines.next().expect("header");
    assert!(header.starts_with("Endpoint") && header.contains("Methods") && header.contains("Rule"), "{header}");
    let rows: Vec<&str> = lines.skip(1).collect();
    assert!(rows.len() >= 190, "only {} rows", rows.len());
    let health = rows.iter().find(|r| r.contains(" /health ")).expect("health row");
    assert!(health.starts_with("health") && health.contains("GET") && health.trim_end().ends_with("ok"), "{health}");
    let apps = rows.iter().find(|r| r.contains(" /console/api/apps ")).expect("apps row");
    assert!(apps.starts_with("console.applistapi") && apps.contains("GET, POST"), "{apps}");
}

#[test]
fn openapi_writes_the_three_documents_the_server_serves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = stdout(&admin(&["openapi", "--out", dir.path().to_str().expect("utf8")], &[]));
    assert_eq!(out.lines().count(), 3, "{out}");
    for (file, prefix) in
        [("console-api.json", "/console/api/"), ("service-api.json", "/v1/"), ("web-api.json", "/api/")]
    {
        let text = std::fs::read_to_string(dir.path().join(file)).expect("document written");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{file}");
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.len() > 10 && paths.keys().all(|p| p.starts_with(prefix)), "{file}: {:?}", paths.keys());
    }
    let one = stdout(&admin(&["openapi", "--api", "service"], &[]));
    let doc: serde_json::Value = serde_json::from_str(&one).expect("json");
    assert!(doc["paths"]["/v1/chat-messages"]["post"].is_object(), "{one}");
}

fn upgrade_twice(vars: &[(&str, &str)]) {
    let first = stdout(&admin(&["db", "upgrade"], vars));
    assert!(first.contains("Applied m20230913_000001_dify_schema"), "{first}");
    assert!(first.contains("Applied m20230913_000002_hot_indexes"), "{first}");
    let second = stdout(&admin(&["db", "upgrade"], vars));
    assert!(second.contains("nothing to apply") && !second.contains("Applied"), "{second}");
    let pending = stdout(&admin(&["db", "pending"], vars));
    assert!(pending.contains("No pending migrations."), "{pending}");
}

#[test]
fn db_upgrade_twice_on_sqlite_is_a_no_op_the_second_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("dify.db").display());
    upgrade_twice(&[("DATA_DIR", dir.path().to_str().expect("utf8")), ("DATABASE_URL", &url)]);
}

#[tokio::test]
async fn db_upgrade_twice_on_postgres_is_a_no_op_the_second_time() {
    if !services_mode() {
        eprintln!("skipped: PostgreSQL needs DIFY_TEST_BACKEND=services");
        return;
    }
    let db = TempDatabase::create().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || upgrade_twice(&[("DATABASE_URL", &url), ("SECRET_KEY", "k")]))
        .await
        .expect("join");
}

#[test]
fn postgres_without_secret_key_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = admin(&["db", "upgrade"], &[("DATA_DIR", dir.path().to_str().expect("utf8")), ("DB_HOST", "127.0.0.1")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SECRET_KEY is required"), "{err}");
}

/// `admin --help` lists Dify's `flask` commands (with its spelling), and each command's
/// `--help` ends with an example.
#[test]
fn help_lists_difys_commands_and_each_shows_an_example() {
    let out = stdout(&admin(&["--help"], &[]));
    let commands = [
        "reset-password",
        "reset-email",
        "reset-encrypt-key-pair",
        "generate-invitation-codes",
        "recreate-all-dataset-indexes",
        "sync-anthropic-hosted-providers",
        "clean-unused-dataset-indexes",
        "create-qdrant-indexes",
        "update-qdrant-indexes",
        "normalization-collections",
        "update-app-model-configs",
        "add-recommended-app",
        "db",
        "routes",
        "openapi",
    ];
    for c in commands {
        assert!(out.lines().any(|l| l.trim_start().starts_with(c)), "`admin --help` does not list {c}:\n{out}");
        let help = stdout(&admin(&[c, "--help"], &[]));
        assert!(help.contains("Example: `"), "`admin {c} --help` has no example:\n{help}");
    }
    let alias = stdout(&admin(&["update_app_model_configs", "--help"], &[]));
    assert!(alias.contains("paragraph variable"), "{alias}");
}
