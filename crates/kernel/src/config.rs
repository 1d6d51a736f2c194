//! The one typed configuration, read once at start-up from the environment and `.env`.
//!
//! Variable names are Dify's wherever Dify has one. With nothing set the server runs
//! embedded under `./data`: SQLite, in-process cache and queue, local files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

/// A configuration that cannot start the server.
#[derive(Debug, Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// Which product edition to emulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    SelfHosted,
    Cloud,
}

impl Edition {
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::SelfHosted => "SELF_HOSTED",
            Edition::Cloud => "CLOUD",
        }
    }
}

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event; coloured only on a terminal.
    Text,
    /// One JSON object per event, with the fields of its spans (request and job ids).
    Json,
}

/// Where files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    Local { path: PathBuf },
    S3 { endpoint: Option<String>, bucket: String, access_key: String, secret_key: String, region: String },
}

/// Where vectors live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VectorStoreConfig {
    /// On-disk index under the data directory.
    Embedded {
        path: PathBuf,
    },
    Weaviate {
        endpoint: String,
        api_key: Option<String>,
        batch_size: usize,
    },
    /// A Qdrant server, with Dify's collection layout.
    Qdrant {
        url: String,
        api_key: Option<String>,
        /// Seconds a call may take (`QDRANT_CLIENT_TIMEOUT`, Dify's default 20).
        timeout_secs: u64,
    },
}

/// How mail leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailConfig {
    /// Logged and kept in memory, never sent.
    Log,
    Smtp {
        host: String,
        port: u16,
        username: Option<String>,
        password: Option<String>,
        tls: SmtpTlsMode,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTlsMode {
    None,
    StartTls,
    Implicit,
}

/// Everything dify-rs reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Root for embedded state (`DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// True when the database is SQLite: no external services are required.
    pub embedded: bool,
    pub secret_key: String,
    pub edition: Edition,
    pub deploy_env: String,
    pub log_level: String,
    pub log_format: LogFormat,
    pub database_url: String,
    pub database_pool_size: u32,
    pub migration_enabled: bool,
    /// Redis URL for cache, sessions and stop flags; None = in-process.
    pub redis_url: Option<String>,
    /// AMQP URL for jobs; None = in-process queue with the worker inside api-server.
    pub broker_url: Option<String>,
    pub queue_max_attempts: u32,
    pub queue_backoff: Duration,
    pub worker_prefetch: u16,
    pub storage: StorageConfig,
    pub vector_store: VectorStoreConfig,
    pub mail: MailConfig,
    pub mail_default_send_from: String,
    pub console_web_url: String,
    pub console_api_url: String,
    pub service_api_url: String,
    pub app_web_url: String,
    pub app_api_url: String,
    pub console_cors_allow_origins: Vec<String>,
    pub web_api_cors_allow_origins: Vec<String>,
    pub session_type: String,
    pub cookie_secure: bool,
    pub cookie_samesite: String,
    pub admin_api_key_enable: bool,
    pub admin_api_key: Option<String>,
    pub bind_address: String,
    pub port: u16,
    /// Largest request body accepted, in bytes (uploads included).
    pub max_request_body: usize,
    pub upload_file_size_limit_mb: u64,
    pub upload_file_batch_limit: u64,
    pub tenant_document_count: u64,
    pub clean_day_setting: u32,
    pub check_update_url: String,
    /// Where `/metrics` is served instead of the API's address (`METRICS_BIND_ADDRESS`,
    /// `host:port`); unset serves it beside the API.
    pub metrics_bind_address: Option<String>,
    /// Prefix of this deployment's cache keys and queue names (`DIFY_NAMESPACE`, default
    /// none), so deployments can share one Redis and one RabbitMQ vhost. Every api-server and
    /// worker of one deployment must use the same.
    pub namespace: String,
    /// An OpenTelemetry collector (`OTEL_EXPORTER_OTLP_ENDPOINT`, `http://host:4318`): spans
    /// are exported there over OTLP/HTTP when set.
    pub otel_endpoint: Option<String>,
    /// Dify's hosted model providers (`HOSTED_OPENAI_*`, `HOSTED_ANTHROPIC_*`).
    pub hosted: HostedProviders,
    /// Limits of the child process that reads uploaded files.
    pub extract: ExtractSettings,
    /// Starts of one document's indexing that may end without finishing before it is
    /// given up as `error` (`INDEXING_MAX_ATTEMPTS`).
    pub indexing_max_attempts: u32,
    /// A document `waiting` this long with no run started is queued again
    /// (`INDEXING_REQUEUE_AFTER_SECONDS`, default 600): its job was lost.
    pub indexing_requeue_after: Duration,
    /// Proxies whose forwarded headers are believed (`TRUSTED_PROXIES`, comma-separated CIDRs
    /// or addresses; default none: the peer address is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whether requests to URLs users supply may reach loopback and private networks
    /// (`OUTBOUND_ALLOW_PRIVATE`, default true: self-hosted models live there).
    pub outbound_allow_private: bool,
}

/// How uploaded files are read: in a child process of the running binary, under these limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractSettings {
    /// `EXTRACT_MEMORY_LIMIT_MB` (default 512): the child's data size limit.
    pub memory_limit_mb: u64,
    /// `EXTRACT_TIMEOUT_SECONDS` (default 60): wall and CPU time of one file.
    pub timeout: Duration,
    /// `EXTRACT_MAX_TEXT_MB` (default 64): the most text one file may give (rows repeat their
    /// headers, so a table's text outgrows its file).
    pub max_text_mb: u64,
    /// `EXTRACT_CONCURRENCY` (default: the number of CPUs): files read at once per process.
    pub concurrency: usize,
    /// `EXTRACT_PROGRAM`: the binary to run as the child (default: the running one).
    pub program: Option<PathBuf>,
}

/// The operator's own vendor keys that workspaces may use on a trial quota (CLOUD only, as
/// in Dify).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostedProviders {
    pub openai: Option<HostedProvider>,
    pub anthropic: Option<HostedProvider>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct HostedProvider {
    pub api_key: String,
    pub api_base: Option<String>,
    pub organization: Option<String>,
    /// Quota limit set by the operator; 0 means calls are not counted against the quota.
    pub quota_limit: i64,
}

impl std::fmt::Debug for HostedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedProvider")
            .field("api_base", &self.api_base)
            .field("quota_limit", &self.quota_limit)
            .finish_non_exhaustive()
    }
}

fn hosted_provider(v: &Vars<'_>, prefix: &str) -> Result<Option<HostedProvider>, ConfigError> {
    if !v.bool_or(&format!("{prefix}_ENABLED"), false)? {
        return Ok(None);
    }
    Ok(Some(HostedProvider {
        api_key: v.required(&format!("{prefix}_API_KEY"), &format!("when {prefix}_ENABLED is true"))?,
        api_base: v.get(&format!("{prefix}_API_BASE")),
        organization: v.get(&format!("{prefix}_API_ORGANIZATION")),
        quota_limit: v.num_or(&format!("{prefix}_QUOTA_LIMIT"), 0i64)?,
    }))
}

/// Reads variables from a map, so tests never touch the process environment.
struct Vars<'a>(&'a HashMap<String, String>);

impl Vars<'_> {
    /// A set, non-blank value.
    fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    fn or(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or_else(|| default.to_string())
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError(format!("{key} must be true or false, got {v:?}"))),
            },
        }
    }

    fn num_or<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| ConfigError(format!("{key} must be a number, got {v:?}"))),
        }
    }

    fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
    }

    fn required(&self, key: &str, why: &str) -> Result<String, ConfigError> {
        self.get(key).ok_or_else(|| ConfigError(format!("{key} is required {why}")))
    }
}

const SECRET_KEY_FILE: &str = "secret_key";

impl Config {
    /// Reads `.env` (without overriding real variables) and the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is worth failing on.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError(format!("cannot read .env: {e}"))),
        }
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_map(&vars)
    }

    /// Builds the configuration from explicit variables.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let v = Vars(map);
        let data_dir = PathBuf::from(v.or("DATA_DIR", "./data"));

        let database_url = database_url(&v, &data_dir);
        let embedded = database_url.starts_with("sqlite:");

        let secret_key = match v.get("SECRET_KEY") {
            Some(k) => k,
            None if embedded => embedded_secret_key(&data_dir)?,
            None => {
                return Err(ConfigError(
                    "SECRET_KEY is required when running on PostgreSQL: every api-server replica and worker \
                     must share it to sign sessions and tokens. Generate one with `openssl rand -base64 42`."
                        .into(),
                ));
            }
        };

        let edition = match v.or("EDITION", "SELF_HOSTED").as_str() {
            "SELF_HOSTED" => Edition::SelfHosted,
            "CLOUD" => Edition::Cloud,
            other => return Err(ConfigError(format!("EDITION must be SELF_HOSTED or CLOUD, got {other:?}"))),
        };

        let log_format = match v.or("LOG_FORMAT", "text").to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(ConfigError(format!("LOG_FORMAT must be text or json, got {other:?}"))),
        };

        let broker_url = v.get("CELERY_BROKER_URL").or_else(|| v.get("BROKER_URL"));
        if let Some(url) = &broker_url
            && !(url.starts_with("amqp://") || url.starts_with("amqps://"))
        {
            return Err(ConfigError(format!(
                "CELERY_BROKER_URL/BROKER_URL must be an amqp:// or amqps:// RabbitMQ URL (got {:?}); \
                 leave it unset to run jobs in-process",
                redact(url)
            )));
        }

        let console_url = v.get("CONSOLE_URL");
        let app_url = v.get("APP_URL");
        let console_web_url = console_url.clone().unwrap_or_else(|| v.or("CONSOLE_WEB_URL", "http://127.0.0.1:3000"));
        let console_api_url = console_url.unwrap_or_else(|| v.or("CONSOLE_API_URL", "http://127.0.0.1:5001"));
        let app_web_url = app_url.clone().unwrap_or_else(|| v.or("APP_WEB_URL", "http://127.0.0.1:3000"));
        let app_api_url = app_url.unwrap_or_else(|| v.or("APP_API_URL", "http://127.0.0.1:5001"));
        let service_api_url = v.get("API_URL").unwrap_or_else(|| v.or("SERVICE_API_URL", "http://127.0.0.1:5001"));

        let upload_file_size_limit_mb = v.num_or("UPLOAD_FILE_SIZE_LIMIT", 15u64)?;
        let config = Config {
            embedded,
            secret_key,
            edition,
            deploy_env: v.or("DEPLOY_ENV", "PRODUCTION"),
            log_level: v.or("LOG_LEVEL", "INFO"),
            log_format,
            database_pool_size: v.num_or("SQLALCHEMY_POOL_SIZE", if embedded { 5 } else { 30 })?,
            migration_enabled: v.bool_or("MIGRATION_ENABLED", embedded)?,
            redis_url: redis_url(&v),
            broker_url,
            queue_max_attempts: v.num_or("QUEUE_MAX_ATTEMPTS", 5u32)?.max(1),
            queue_backoff: Duration::from_millis(v.num_or("QUEUE_BACKOFF_MS", 2000u64)?),
            worker_prefetch: v.num_or("WORKER_PREFETCH", 4u16)?.max(1),
            storage: storage(&v, &data_dir)?,
            vector_store: vector_store(&v, &data_dir)?,
            mail: mail(&v)?,
            mail_default_send_from: v.or("MAIL_DEFAULT_SEND_FROM", "no-reply <no-reply@dify.ai>"),
            console_cors_allow_origins: v
                .list("CONSOLE_CORS_ALLOW_ORIGINS")
                .unwrap_or_else(|| vec![console_web_url.clone()]),
            web_api_cors_allow_origins: v.list("WEB_API_CORS_ALLOW_ORIGINS").unwrap_or_else(|| vec!["*".into()]),
            console_web_url,
            console_api_url,
            service_api_url,
            app_web_url,
            app_api_url,
            session_type: v.or(
                "SESSION_TYPE",
                if v.get("REDIS_URL").is_some() || v.get("REDIS_HOST").is_some() { "redis" } else { "memory" },
            ),
            cookie_secure: v.bool_or("COOKIE_SECURE", false)?,
            cookie_samesite: v.or("COOKIE_SAMESITE", "Lax"),
            admin_api_key_enable: v.bool_or("ADMIN_API_KEY_ENABLE", false)?,
            admin_api_key: v.get("ADMIN_API_KEY"),
            bind_address: v.or("DIFY_BIND_ADDRESS", "0.0.0.0"),
            port: v.num_or("DIFY_PORT", 5001u16)?,
            max_request_body: v.num_or("MAX_REQUEST_BODY", (upload_file_size_limit_mb as usize + 1) * 1024 * 1024)?,
            upload_file_size_limit_mb,
            upload_file_batch_limit: v.num_or("UPLOAD_FILE_BATCH_LIMIT", 5u64)?,
            tenant_document_count: v.num_or("TENANT_DOCUMENT_COUNT", 100u64)?,
            clean_day_setting: v.num_or("CLEAN_DAY_SETTING", 30u32)?,
            // Set but empty means "never check", as in Dify.
            check_update_url: map
                .get("CHECK_UPDATE_URL")
                .map_or_else(|| "https://updates.dify.ai".to_string(), |u| u.trim().to_string()),
            metrics_bind_address: v.get("METRICS_BIND_ADDRESS").map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
            namespace: v.get("DIFY_NAMESPACE").map(|n| n.trim().to_owned()).unwrap_or_default(),
            otel_endpoint: v.get("OTEL_EXPORTER_OTLP_ENDPOINT").map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()),
            hosted: HostedProviders {
                openai: hosted_provider(&v, "HOSTED_OPENAI")?,
                anthropic: hosted_provider(&v, "HOSTED_ANTHROPIC")?,
            },
            extract: ExtractSettings {
                memory_limit_mb: v.num_or("EXTRACT_MEMORY_LIMIT_MB", 512u64)?.max(64),
                timeout: Duration::from_secs(v.num_or("EXTRACT_TIMEOUT_SECONDS", 60u64)?.clamp(1, 86_400)),
                max_text_mb: v.num_or("EXTRACT_MAX_TEXT_MB", 64u64)?.clamp(1, 4096),
                concurrency: v
                    .num_or("EXTRACT_CONCURRENCY", std::thread::available_parallelism().map_or(2, usize::from))?
                    .max(1),
                program: v.get("EXTRACT_PROGRAM").map(PathBuf::from),
            },
            indexing_max_attempts: v.num_or("INDEXING_MAX_ATTEMPTS", 3u32)?.max(1),
            indexing_requeue_after: Duration::from_secs(v.num_or("INDEXING_REQUEUE_AFTER_SECONDS", 600u64)?.max(1)),
            trusted_proxies: trusted_proxies(&v)?,
            outbound_allow_private: v.bool_or("OUTBOUND_ALLOW_PRIVATE", true)?,
            database_url,
            data_dir,
        };
        Ok(config)
    }

    /// The listen address as `host:port`.
    pub fn bind(&self) -> String {
        format!("{}:{}", self.bind_address, self.port)
    }
}

/// `TRUSTED_PROXIES`: CIDRs (`172.28.0.0/16`) or single addresses (`10.0.0.5`, `::1`).
fn trusted_proxies(v: &Vars<'_>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    v.list("TRUSTED_PROXIES")
        .unwrap_or_default()
        .iter()
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError(format!("TRUSTED_PROXIES: {item:?} is not an address or CIDR")))
        })
        .collect()
}

fn database_url(v: &Vars<'_>, data_dir: &Path) -> String {
    if let Some(url) = v.get("DATABASE_URL") {
        return url;
    }
    let any_db_var =
        ["DB_HOST", "DB_DATABASE", "DB_USERNAME", "DB_PASSWORD", "DB_PORT"].iter().any(|k| v.get(k).is_some());
    if any_db_var {
        let user = v.or("DB_USERNAME", "postgres");
        let password = v.get("DB_PASSWORD").map(|p| format!(":{}", url_escape(&p))).unwrap_or_default();
        return format!(
            "postgres://{}{}@{}:{}/{}",
            url_escape(&user),
            password,
            v.or("DB_HOST", "localhost"),
            v.or("DB_PORT", "5432"),
            v.or("DB_DATABASE", "dify")
        );
    }
    format!("sqlite://{}?mode=rwc", data_dir.join("dify.db").display())
}

fn redis_url(v: &Vars<'_>) -> Option<String> {
    if let Some(url) = v.get("REDIS_URL") {
        return Some(url);
    }
    let host = v.get("REDIS_HOST")?;
    let scheme =
        if v.get("REDIS_USE_SSL").is_some_and(|s| s.eq_ignore_ascii_case("true")) { "rediss" } else { "redis" };
    let auth = match (v.get("REDIS_USERNAME"), v.get("REDIS_PASSWORD")) {
        (Some(u), Some(p)) => format!("{}:{}@", url_escape(&u), url_escape(&p)),
        (None, Some(p)) => format!(":{}@", url_escape(&p)),
        (Some(u), None) => format!("{}@", url_escape(&u)),
        (None, None) => String::new(),
    };
    Some(format!("{scheme}://{auth}{host}:{}/{}", v.or("REDIS_PORT", "6379"), v.or("REDIS_DB", "0")))
}

fn storage(v: &Vars<'_>, data_dir: &Path) -> Result<StorageConfig, ConfigError> {
    match v.or("STORAGE_TYPE", "local").as_str() {
        "local" => {
            let path = v.get("STORAGE_LOCAL_PATH").map(PathBuf::from).unwrap_or_else(|| data_dir.join("storage"));
            Ok(StorageConfig::Local { path })
        }
        "s3" => Ok(StorageConfig::S3 {
            endpoint: v.get("S3_ENDPOINT"),
            bucket: v.required("S3_BUCKET_NAME", "when STORAGE_TYPE=s3")?,
            access_key: v.required("S3_ACCESS_KEY", "when STORAGE_TYPE=s3")?,
            secret_key: v.required("S3_SECRET_KEY", "when STORAGE_TYPE=s3")?,
            region: v.or("S3_REGION", "us-east-1"),
        }),
        other => Err(ConfigError(format!("STORAGE_TYPE must be local or s3, got {other:?}"))),
    }
}

fn vector_store(v: &Vars<'_>, data_dir: &Path) -> Result<VectorStoreConfig, ConfigError> {
    match v.get("VECTOR_STORE").as_deref() {
        None | Some("embedded") => Ok(VectorStoreConfig::Embedded { path: data_dir.join("vectors") }),
        Some("weaviate") => Ok(VectorStoreConfig::Weaviate {
            endpoint: v.required("WEAVIATE_ENDPOINT", "when VECTOR_STORE=weaviate")?,
            api_key: v.get("WEAVIATE_API_KEY"),
            batch_size: v.num_or("WEAVIATE_BATCH_SIZE", 100usize)?,
        }),
        Some("qdrant") => Ok(VectorStoreConfig::Qdrant {
            url: v.required("QDRANT_URL", "when VECTOR_STORE=qdrant")?,
            api_key: v.get("QDRANT_API_KEY"),
            timeout_secs: v.num_or("QDRANT_CLIENT_TIMEOUT", 20u64)?,
        }),
        Some(other) => Err(ConfigError(format!("VECTOR_STORE must be embedded, weaviate or qdrant, got {other:?}"))),
    }
}

fn mail(v: &Vars<'_>) -> Result<MailConfig, ConfigError> {
    match v.get("MAIL_TYPE").as_deref() {
        None | Some("log") => Ok(MailConfig::Log),
        Some("smtp") => Ok(MailConfig::Smtp {
            host: v.required("SMTP_SERVER", "when MAIL_TYPE=smtp")?,
            port: v.num_or("SMTP_PORT", 25u16)?,
            username: v.get("SMTP_USERNAME"),
            password: v.get("SMTP_PASSWORD"),
            tls: match (v.bool_or("SMTP_USE_TLS", false)?, v.bool_or("SMTP_OPPORTUNISTIC_TLS", false)?) {
                (false, _) => SmtpTlsMode::None,
                (true, true) => SmtpTlsMode::StartTls,
                (true, false) => SmtpTlsMode::Implicit,
            },
        }),
        Some(other) => Err(ConfigError(format!("MAIL_TYPE must be smtp or log, got {other:?}"))),
    }
}

/// Embedded mode keeps one generated key in the data directory so sessions survive restarts.
fn embedded_secret_key(data_dir: &Path) -> Result<String, ConfigError> {
    let path = data_dir.join(SECRET_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(k) if !k.trim().is_empty() => return Ok(k.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(ConfigError(format!("cannot read {}: {e}", path.display()))),
    }
    std::fs::create_dir_all(data_dir).map_err(|e| ConfigError(format!("cannot create {}: {e}", data_dir.display())))?;
    let key = hex::encode(rand::random::<[u8; 32]>());
    write_private(&path, &key).map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

/// A URL with its password replaced, for error messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_map(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn nothing_set_runs_embedded_and_keeps_its_generated_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let data_s = data.to_str().expect("utf8");
        let c = cfg(&[("DATA_DIR", data_s)]).expect("config");
        assert!(c.embedded);
        assert!(c.database_url.starts_with("sqlite://"));
        assert!(c.migration_enabled);
        assert_eq!(c.redis_url, None);
        assert_eq!(c.broker_url, None);
        assert_eq!(c.storage, StorageConfig::Local { path: data.join("storage") });
        assert_eq!(c.port, 5001);
        assert_eq!(c.secret_key.len(), 64);
        let again = cfg(&[("DATA_DIR", data_s)]).expect("config");
        assert_eq!(c.secret_key, again.secret_key, "embedded key must persist");
    }

    #[test]
    fn scaled_mode_requires_secret_key() {
        let err = cfg(&[("DB_HOST", "db")]).expect_err("must fail");
        assert!(err.0.contains("SECRET_KEY"), "{err}");
        let c = cfg(&[("DB_HOST", "db"), ("DB_PASSWORD", "p@ss"), ("SECRET_KEY", "k")]).expect("config");
        assert_eq!(c.database_url, "postgres://postgres:p%40ss@db:5432/dify");
        assert!(!c.embedded);
        assert!(!c.migration_enabled);
    }

    #[test]
    fn dify_redis_and_broker_variables() {
        let c = cfg(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("SECRET_KEY", "k"),
            ("REDIS_HOST", "redis"),
            ("REDIS_PASSWORD", "difyai123456"),
            ("REDIS_DB", "2"),
            ("CELERY_BROKER_URL", "amqp://guest:guest@mq:5672/%2f"),
        ])
        .expect("config");
        assert_eq!(c.redis_url.as_deref(), Some("redis://:difyai123456@redis:6379/2"));
        assert_eq!(c.broker_url.as_deref(), Some("amqp://guest:guest@mq:5672/%2f"));
        assert_eq!(c.session_type, "redis");
        let err = cfg(&[
            ("SECRET_KEY", "k"),
            ("DATABASE_URL", "postgres://x/y"),
            ("CELERY_BROKER_URL", "redis://:pw@r:6379/1"),
        ])
        .expect_err("redis broker unsupported");
        assert!(err.0.contains("amqp") && !err.0.contains(":pw@"), "{err}");
    }

    #[test]
    fn console_url_overrides_both_and_bad_values_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_str().expect("utf8");
        let c = cfg(&[("DATA_DIR", d), ("CONSOLE_URL", "https://c.example")]).expect("config");
        assert_eq!(c.console_web_url, "https://c.example");
        assert_eq!(c.console_api_url, "https://c.example");
        assert_eq!(c.console_cors_allow_origins, vec!["https://c.example".to_string()]);
        assert!(cfg(&[("DATA_DIR", d), ("DIFY_PORT", "x")]).expect_err("bad port").0.contains("DIFY_PORT"));
        assert!(
            cfg(&[("DATA_DIR", d), ("STORAGE_TYPE", "s3")]).expect_err("s3 needs bucket").0.contains("S3_BUCKET_NAME")
        );
        assert!(cfg(&[("DATA_DIR", d), ("EDITION", "X")]).is_err());
    }
}
