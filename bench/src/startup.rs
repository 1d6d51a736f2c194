//! Start-up: from spawning `api-server` to `GET /health` answering 200, on a database that is
//! already migrated (a restart) and on an empty one (the first start, migrations included).

use std::time::Duration;

use serde_json::json;
use test_support::{TempDatabase, TestEnv};

use crate::report::{Section, ms};
use crate::stack::{Mode, Process, free_port, rss_mb, spawn, wait_healthy};

pub async fn startup(mode: Mode, runs: usize) -> anyhow::Result<Section> {
    let mut s = Section::new("Start-up to healthy", &["database", "runs", "min", "p50", "max", "idle RSS"]);
    let env = TestEnv::for_backend(mode == Mode::Services, &[]).await;
    let mut restarts = Vec::new();
    let mut idle = 0.0;
    for _ in 0..runs {
        let (took, rss) = once(&env, &[]).await?;
        restarts.push(took);
        idle = rss;
    }
    row(&mut s, "migrated (restart)", restarts, idle);

    let mut firsts = Vec::new();
    for _ in 0..runs.min(3) {
        // An empty database: a fresh data directory, or a new PostgreSQL database.
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data").display().to_string();
        let fresh_pg = if mode == Mode::Services { Some(TempDatabase::create().await) } else { None };
        let db_url = fresh_pg.as_ref().map_or_else(|| format!("sqlite://{data}/dify.db?mode=rwc"), |d| d.url.clone());
        let (took, rss) = once(&env, &[("DATA_DIR", data), ("DATABASE_URL", db_url)]).await?;
        firsts.push(took);
        idle = rss;
    }
    row(&mut s, "empty (first start, migrations)", firsts, idle);
    Ok(s)
}

async fn once(env: &TestEnv, extra: &[(&str, String)]) -> anyhow::Result<(Duration, f64)> {
    let port = free_port()?;
    let mut vars = vec![("DIFY_PORT", port.to_string())];
    vars.extend(extra.iter().cloned());
    let server: Process = spawn(env, "api-server", &vars)?;
    let took = wait_healthy(&format!("http://127.0.0.1:{port}"), Duration::from_secs(60)).await?;
    let (rss, _) = rss_mb(server.pid());
    drop(server);
    Ok((took, rss))
}

fn row(s: &mut Section, what: &str, mut runs: Vec<Duration>, idle_rss: f64) {
    runs.sort();
    let at = |i: usize| runs.get(i).map(|d| d.as_secs_f64() * 1000.0);
    s.row(
        vec![
            what.into(),
            runs.len().to_string(),
            ms(at(0)),
            ms(at(runs.len() / 2)),
            ms(runs.len().checked_sub(1).and_then(at)),
            format!("{idle_rss:.1} MB"),
        ],
        json!({"database": what, "ms": runs.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>(), "idle_rss_mb": idle_rss}),
    );
}
