//! `indexer-worker healthcheck` as a container runs it: 0 when the database, cache and broker
//! it is configured with answer, 1 naming the cause when one does not.

use std::process::{Command, Output};

use test_support::TestEnv;

fn healthcheck(vars: &[(String, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_indexer-worker"));
    for key in ["DATABASE_URL", "DB_HOST", "REDIS_URL", "REDIS_HOST", "CELERY_BROKER_URL", "BROKER_URL", "VECTOR_STORE"]
    {
        cmd.env_remove(key);
    }
    cmd.arg("healthcheck").env("LOG_LEVEL", "error");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("run indexer-worker healthcheck")
}

#[tokio::test]
async fn the_worker_healthcheck_checks_its_services() {
    let env = TestEnv::new().await;
    let mut vars = vec![
        ("DATABASE_URL".to_owned(), env.config.database_url.clone()),
        ("DATA_DIR".to_owned(), env.config.data_dir.display().to_string()),
        ("SECRET_KEY".to_owned(), env.config.secret_key.clone()),
    ];
    if let Some(url) = &env.config.redis_url {
        vars.push(("REDIS_URL".to_owned(), url.clone()));
    }
    if let Some(url) = &env.config.broker_url {
        vars.push(("CELERY_BROKER_URL".to_owned(), url.clone()));
    }
    let vars_ok = vars.clone();
    let ok = tokio::task::spawn_blocking(move || healthcheck(&vars_ok)).await.expect("join");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    // A database nobody listens on: not ready, and said so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    vars.retain(|(k, _)| k != "DATABASE_URL");
    vars.push(("DATABASE_URL".to_owned(), format!("postgres://postgres@127.0.0.1:{closed}/nothing")));
    let down = tokio::task::spawn_blocking(move || healthcheck(&vars)).await.expect("join");
    assert_eq!(down.status.code(), Some(1));
    assert!(!down.stderr.is_empty() || !down.stdout.is_empty(), "says why");
}
