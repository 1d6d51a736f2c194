//! Running the real `admin` binary against a test environment.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use kernel::config::StorageConfig;
use test_support::TestEnv;

/// Runs `admin` with the environment's configuration and nothing from the developer's shell.
pub async fn run_admin(env: &TestEnv, args: &[&str], stdin: Option<&str>, extra: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_admin"));
    cmd.args(args);
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
        "STORAGE_TYPE",
        "EDITION",
        "HOSTED_ANTHROPIC_ENABLED",
        "HOSTED_OPENAI_ENABLED",
    ] {
        cmd.env_remove(key);
    }
    cmd.env("DATABASE_URL", &env.config.database_url);
    cmd.env("DATA_DIR", &env.config.data_dir);
    cmd.env("SECRET_KEY", &env.config.secret_key);
    if let Some(url) = &env.config.redis_url {
        cmd.env("REDIS_URL", url);
    }
    let StorageConfig::Local { path } = &env.config.storage else { panic!("tests use local storage") };
    cmd.env("STORAGE_LOCAL_PATH", path);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        // A directory without a .env, so none is read.
        let dir = tempfile::tempdir().expect("tempdir");
        cmd.current_dir(dir.path()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run admin");
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        drop(pipe);
        child.wait_with_output().expect("admin output")
    })
    .await
    .expect("join")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Stdout of a run that must succeed.
pub fn ok(o: &Output) -> String {
    assert!(o.status.success(), "admin failed:\n{}\n{}", text(&o.stdout), text(&o.stderr));
    text(&o.stdout)
}
