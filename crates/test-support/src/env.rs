//! `TestEnv`: configuration and adapters for one test, isolated from every other test.

use std::collections::HashMap;

use infra::Infra;
use kernel::Config;
use sea_orm::{ConnectionTrait, Database};

/// True when the suite runs against the real services.
pub fn services_mode() -> bool {
    std::env::var("DIFY_TEST_BACKEND").is_ok_and(|v| v == "services")
}

fn var_or(key: &str, default: &str) -> String {
    std::env::var(key).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// The admin URL of the test PostgreSQL server (a database to issue CREATE DATABASE from).
pub fn pg_admin_url() -> String {
    var_or("TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
}

/// One test's world: its own database, cache namespace, queue names and data directory.
pub struct TestEnv {
    pub config: Config,
    pub infra: Infra,
    /// Prefix of this test's cache keys and queue names.
    pub prefix: String,
    pg_database: Option<TempDatabase>,
    _dir: tempfile::TempDir,
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let (Some(url), false) = (self.config.broker_url.clone(), self.infra.in_process_queue) else { return };
        let prefix = self.prefix.clone();
        let policy = infra::queue::RetryPolicy::from_config(&self.config);
        // Durable test queues would outlive the test on the broker: delete them.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    infra::queue::delete_topology(&url, &prefix, &infra::queue::QUEUES, &policy),
                )
                .await;
            });
        })
        .join();
    }
}

/// A PostgreSQL database created for one test and dropped when this value is.
#[derive(Debug)]
pub struct TempDatabase {
    pub url: String,
    pub name: String,
}

impl TempDatabase {
    /// Creates `dify_test_<random>` on the `TEST_PG_URL` server; nothing is migrated.
    pub async fn create() -> Self {
        let name = format!("dify_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(pg_admin_url()).await.expect("connect to TEST_PG_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
        let _ = admin.close().await;
        Self { url: replace_db_name(&pg_admin_url(), &name), name }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // Drop runs outside async; use a private runtime on a plain thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(db) = Database::connect(pg_admin_url()).await {
                    let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    let _ = db.close().await;
                }
            });
        })
        .join();
    }
}

impl std::fmt::Debug for TestEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestEnv").field("prefix", &self.prefix).field("pg_database", &self.pg_database).finish()
    }
}

impl TestEnv {
    /// A migrated environment in the mode `DIFY_TEST_BACKEND` selects.
    pub async fn new() -> Self {
        Self::with_vars(&[]).await
    }

    /// Like `new`, with extra configuration variables.
    pub async fn with_vars(extra: &[(&str, &str)]) -> Self {
        Self::build(services_mode(), extra).await
    }

    /// An embedded environment (SQLite, in-process cache and queue) whatever the mode, for
    /// tests that compare the two layouts in one run.
    pub async fn embedded_with(extra: &[(&str, &str)]) -> Self {
        Self::build(false, extra).await
    }

    /// An environment in the mode asked (`services`: PostgreSQL, Redis and RabbitMQ), whatever
    /// `DIFY_TEST_BACKEND` says; benchmarks pick their mode by flag.
    pub async fn for_backend(services: bool, extra: &[(&str, &str)]) -> Self {
        Self::build(services, extra).await
    }

    async fn build(services: bool, extra: &[(&str, &str)]) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("DATA_DIR".into(), dir.path().join("data").display().to_string());
        vars.insert("SECRET_KEY".into(), format!("test-secret-{id}"));
        vars.insert("QUEUE_BACKOFF_MS".into(), "50".into());
        vars.insert("QUEUE_MAX_ATTEMPTS".into(), "3".into());
        if let Some(program) = extract_program() {
            vars.insert("EXTRACT_PROGRAM".into(), program.display().to_string());
        }
        let mut pg_database = None;
        if services {
            let db = TempDatabase::create().await;
            vars.insert("DATABASE_URL".into(), db.url.clone());
            vars.insert("REDIS_URL".into(), var_or("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"));
            vars.insert("CELERY_BROKER_URL".into(), var_or("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"));
            pg_database = Some(db);
        }
        let prefix = format!("test-{id}.");
        // A binary started with this config (DIFY_NAMESPACE) uses this test's names too.
        vars.insert("DIFY_NAMESPACE".into(), prefix.clone());
        for (k, v) in extra {
            vars.insert((*k).to_string(), (*v).to_string());
        }
        let config = Config::from_map(&vars).expect("test config");
        let infra = Infra::connect(&config, &prefix).await.expect("test infra");
        migration::upgrade(&infra.db).await.expect("migrate test database");
        Self { config, infra, prefix, pg_database, _dir: dir }
    }

    /// The data directory of this test (embedded state lives here).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.config.data_dir
    }
}

/// The binary extraction children run as. A test harness (`target/<profile>/deps/<test>`)
/// cannot be one, so a built `api-server` or `indexer-worker` beside it is used
/// (`DIFY_TEST_EXTRACT_PROGRAM` overrides); other programs (benchmarks) serve as their own.
pub fn extract_program() -> Option<std::path::PathBuf> {
    if let Some(program) = std::env::var_os("DIFY_TEST_EXTRACT_PROGRAM") {
        return Some(program.into());
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    if dir.file_name()? != "deps" {
        return None;
    }
    let profile = dir.parent()?;
    ["api-server", "indexer-worker"].iter().map(|name| profile.join(name)).find(|p| p.is_file())
}

/// `postgres://u@h:p/admin_db?x` with the database name replaced.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::replace_db_name("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(super::replace_db_name("postgres://h/db?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
    }
}
