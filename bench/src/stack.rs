//! What a benchmark runs against: the fake model server in a process of its own, and the
//! release `api-server` (plus an `indexer-worker` in services mode) configured for the mode.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use test_support::TestEnv;

/// The run mode a benchmark asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// SQLite, in-process queue and cache, embedded vectors.
    Embedded,
    /// PostgreSQL, Redis and RabbitMQ (the local ones, or TEST_PG_URL/TEST_REDIS_URL/TEST_AMQP_URL).
    Services,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Services => "services",
        }
    }
}

/// A child process killed when dropped.
pub struct Process(pub Child);

impl Process {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A binary built beside this one (`target/release/<name>`).
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name(name);
    if !path.is_file() {
        bail!("{} is missing: build it first (cargo build --release --bins)", path.display());
    }
    Ok(path)
}

/// The fake model server, started as `dify-bench fake` so it has its own process and cores
/// are shared the way a real model server would share them.
pub struct Fake {
    pub base: String,
    _process: Process,
}

impl Fake {
    pub fn start(token_ms: u64, first_token_ms: u64) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["fake", "--token-ms", &token_ms.to_string(), "--first-token-ms", &first_token_ms.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start the fake model server")?;
        let stdout = child.stdout.take().context("fake stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let base = line.trim().to_owned();
        if !base.starts_with("http://") {
            bail!("the fake model server did not start: {line:?}");
        }
        Ok(Self { base, _process: Process(child) })
    }
}

/// A server (and worker) on a fresh environment of the mode.
pub struct Stack {
    pub base: String,
    pub server: Process,
    pub worker: Option<Process>,
    /// Kept for its database, cache prefix and queues, which go when it is dropped.
    env: TestEnv,
}

impl Stack {
    pub async fn start(mode: Mode) -> anyhow::Result<Self> {
        let env = TestEnv::for_backend(mode == Mode::Services, &[]).await;
        let port = free_port()?;
        let server = spawn(&env, "api-server", &[("DIFY_PORT", port.to_string())])?;
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&base, Duration::from_secs(60)).await?;
        // With a broker the jobs (conversation titles) need a worker, as deployed.
        let worker = if mode == Mode::Services { Some(spawn(&env, "indexer-worker", &[])?) } else { None };
        Ok(Self { base, server, worker, env })
    }

    /// CPU seconds the server and worker have used so far.
    pub fn cpu(&self) -> f64 {
        cpu_seconds(self.server.pid()) + self.worker.as_ref().map_or(0.0, |w| cpu_seconds(w.pid()))
    }

    /// PostgreSQL's counters for this stack's database (services mode): transactions and rows
    /// written. Read after a pause, since backends report their counts up to a second late.
    pub async fn db_counters(&self) -> Option<DbCounters> {
        use sea_orm::{ConnectionTrait, Statement};
        if self.env.config.database_url.starts_with("sqlite") {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let db = &self.env.infra.db;
        let sql = "SELECT (xact_commit + xact_rollback)::bigint AS xacts, \
                   (tup_inserted + tup_updated + tup_deleted)::bigint AS written \
                   FROM pg_stat_database WHERE datname = current_database()";
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.ok()??;
        Some(DbCounters { xacts: row.try_get("", "xacts").ok()?, written: row.try_get("", "written").ok()? })
    }

    /// Resident and peak memory of the server and worker, in MB.
    pub fn memory(&self) -> Memory {
        let (server_rss, server_peak) = rss_mb(self.server.pid());
        let (worker_rss, worker_peak) = self.worker.as_ref().map_or((0.0, 0.0), |w| rss_mb(w.pid()));
        Memory { server_rss, server_peak, worker_rss, worker_peak }
    }
}

/// Counters of the database server.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct DbCounters {
    pub xacts: i64,
    pub written: i64,
}

impl DbCounters {
    /// Per request over `sent` requests: (transactions, rows written). The bench's own
    /// connection adds one transaction per reading.
    pub fn per(self, before: Self, sent: u64) -> Option<(f64, f64)> {
        let n = sent.max(1) as f64;
        Some(((self.xacts - before.xacts - 1) as f64 / n, (self.written - before.written) as f64 / n))
    }
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    pub server_rss: f64,
    pub server_peak: f64,
    pub worker_rss: f64,
    pub worker_peak: f64,
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `binary` with `env`'s configuration, nothing from the shell that picks services.
pub fn spawn(env: &TestEnv, binary: &str, extra: &[(&str, String)]) -> anyhow::Result<Process> {
    let mut cmd = Command::new(sibling(binary)?);
    for key in ["DATABASE_URL", "DB_HOST", "REDIS_URL", "REDIS_HOST", "CELERY_BROKER_URL", "BROKER_URL", "VECTOR_STORE"]
    {
        cmd.env_remove(key);
    }
    cmd.env("DATABASE_URL", &env.config.database_url)
        .env("DATA_DIR", &env.config.data_dir)
        .env("SECRET_KEY", &env.config.secret_key)
        .env("DIFY_NAMESPACE", &env.prefix)
        .env("DIFY_BIND_ADDRESS", "127.0.0.1")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(url) = &env.config.redis_url {
        cmd.env("REDIS_URL", url);
    }
    if let Some(url) = &env.config.broker_url {
        cmd.env("CELERY_BROKER_URL", url);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Ok(Process(cmd.spawn().with_context(|| format!("start {binary}"))?))
}

/// Waits until `GET /health` answers 200.
pub async fn wait_healthy(base: &str, limit: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
    loop {
        if http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            bail!("{base} did not become healthy within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `VmRSS` and `VmHWM` of a process, in MB.
pub fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name and state.
    (ticks(11) + ticks(12)) / 100.0
}

/// The machine, for the report.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cores} cores ({cpu}), {mem:.0} GiB; load client, fake model, server and databases on the same cores")
}
