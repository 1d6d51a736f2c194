//! Provider credentials at rest, as Dify stores them: the config is JSON text whose secret
//! fields (see [`ProviderSpec::credentials`]) hold `base64(HYBRID:…)` ciphertext made with the
//! workspace's public key (`tenants.encrypt_public_key`); the other fields are clear text. Rows
//! written by Python Dify decrypt here and the other way round.
//!
//! Decryption needs the workspace's private key from storage and an RSA operation per secret —
//! the work Python Dify spends most of its CPU on when it re-reads keys on every call. The
//! [`CredentialCache`] keeps private keys and decrypted secrets in memory for a short time
//! (120 s by default, like Dify's Redis key cache), keyed by the ciphertext itself: a changed
//! credential has a new ciphertext, so a stale secret can never be served, on any replica.
//!
//! Secrets leave this module in clear only towards model calls; console views use
//! [`obfuscate_secrets`].

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use entities::tenants;
use infra::storage::Storage;
use kernel::ApiError;
use kernel::crypto::CryptoError;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;
use uuid::Uuid;

use crate::catalog::ProviderSpec;
pub use crate::runtime::Credentials;

/// How long a private key or decrypted secret stays in memory by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(120);
/// Entries each part of the cache holds at most by default.
pub const DEFAULT_CAPACITY: usize = 4096;

/// Why credentials could not be encrypted or decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("the workspace has no encryption key")]
    NoPublicKey,
    #[error("cannot read the workspace private key: {0}")]
    PrivateKey(String),
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    #[error("{0} must be a string.")]
    NotAString(String),
}

impl From<CredentialError> for ApiError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::Db(e) => e.into(),
            CredentialError::NotAString(field) => ApiError::value_error(format!("{field} must be a string.")),
            other => {
                tracing::error!(error = %other, "provider credentials unusable");
                ApiError::internal()
            }
        }
    }
}

/// Where Dify keeps a workspace's private key (`libs/rsa.py`).
fn private_key_path(tenant_id: Uuid) -> String {
    format!("privkeys/{tenant_id}/private.pem")
}

/// Reads a stored config. A value that is not a JSON object is Dify's oldest OpenAI format
/// (the encrypted key alone); for other providers it leaves every field unset, as Dify reads it.
pub fn parse_stored(spec: &ProviderSpec, encrypted_config: Option<&str>) -> Credentials {
    let raw = encrypted_config.unwrap_or_default();
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) {
        return map;
    }
    let mut config: Credentials = spec.credentials.iter().map(|f| (f.name.to_owned(), Value::Null)).collect();
    if spec.name == "openai" && encrypted_config.is_some() {
        config.insert("openai_api_key".into(), Value::String(raw.to_owned()));
    }
    config
}

/// The workspace's public key PEM.
pub async fn public_key(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<String, CredentialError> {
    let tenant = tenants::Entity::find_by_id(tenant_id).one(db).await?;
    tenant.and_then(|t| t.encrypt_public_key).filter(|k| !k.trim().is_empty()).ok_or(CredentialError::NoPublicKey)
}

/// Encrypts the secret fields of `config` in place, as Dify's `encrypt_*_credentials` do;
/// absent or null secrets stay as they are.
pub fn encrypt_secrets(public_pem: &str, spec: &ProviderSpec, config: &mut Credentials) -> Result<(), CredentialError> {
    for field in spec.secret_fields() {
        match config.get_mut(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(plain)) => *plain = kernel::crypto::encrypt(plain, public_pem)?,
            Some(_) => return Err(CredentialError::NotAString(field.to_owned())),
        }
    }
    Ok(())
}

/// Decrypts the secret fields of a stored config in place (empty ones stay empty).
pub async fn decrypt_secrets(
    storage: &dyn Storage,
    cache: &CredentialCache,
    tenant_id: Uuid,
    spec: &ProviderSpec,
    config: &mut Credentials,
) -> Result<(), CredentialError> {
    let mut missing = Vec::new();
    for field in spec.secret_fields() {
        let Some(Value::String(cipher)) = config.get_mut(field) else { continue };
        if cipher.is_empty() {
            continue;
        }
        match cache.plaintext(tenant_id, cipher) {
            Some(plain) => *cipher = plain.to_string(),
            None => missing.push((field, cipher.clone())),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let ciphers: Vec<String> = missing.iter().map(|(_, c)| c.clone()).collect();
    let (pem, cached) = private_key(storage, cache, tenant_id).await?;
    let plains = match decrypt_all(cache, &ciphers, pem).await {
        // The key pair may have been reset since the key was cached: read it again once.
        Err(CredentialError::Crypto(_)) if cached => {
            cache.inner.keys.retain(|k| *k != tenant_id);
            let (pem, _) = private_key(storage, cache, tenant_id).await?;
            decrypt_all(cache, &ciphers, pem).await?
        }
        other => other?,
    };
    for ((field, cipher), plain) in missing.into_iter().zip(plains) {
        cache.remember_plaintext(tenant_id, cipher, &plain);
        config.insert(field.to_owned(), Value::String(plain));
    }
    Ok(())
}

/// Decrypts one value encrypted with the workspace's key (a tool's API key).
pub async fn decrypt_value(
    storage: &dyn Storage,
    cache: &CredentialCache,
    tenant_id: Uuid,
    cipher: &str,
) -> Result<String, CredentialError> {
    if let Some(plain) = cache.plaintext(tenant_id, cipher) {
        return Ok(plain.to_string());
    }
    let (pem, _) = private_key(storage, cache, tenant_id).await?;
    let plain = decrypt_all(cache, &[cipher.to_owned()], pem).await?.pop().unwrap_or_default();
    cache.remember_plaintext(tenant_id, cipher.to_owned(), &plain);
    Ok(plain)
}

async fn decrypt_all(
    cache: &CredentialCache,
    ciphers: &[String],
    pem: Arc<str>,
) -> Result<Vec<String>, CredentialError> {
    cache.decryptions.fetch_add(ciphers.len() as u64, Ordering::Relaxed);
    let ciphers = ciphers.to_vec();
    // RSA decryption is CPU work: keep it off the async workers.
    let plains = tokio::task::spawn_blocking(move || {
        ciphers.iter().map(|c| kernel::crypto::decrypt(c, &pem)).collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| CredentialError::PrivateKey(format!("decryption task failed: {e}")))??;
    Ok(plains)
}

/// Replaces every non-empty secret with Dify's obfuscated form (`sk-abc****yz`).
pub fn obfuscate_secrets(spec: &ProviderSpec, config: &mut Credentials) {
    for field in spec.secret_fields() {
        if let Some(Value::String(secret)) = config.get_mut(field)
            && !secret.is_empty()
        {
            *secret = kernel::crypto::obfuscate(secret);
        }
    }
}

/// The workspace's private key PEM, and whether it came from the cache.
async fn private_key(
    storage: &dyn Storage,
    cache: &CredentialCache,
    tenant_id: Uuid,
) -> Result<(Arc<str>, bool), CredentialError> {
    if let Some(pem) = cache.inner.keys.get(&tenant_id, cache.inner.ttl) {
        return Ok((pem, true));
    }
    let bytes =
        storage.load(&private_key_path(tenant_id)).await.map_err(|e| CredentialError::PrivateKey(e.to_string()))?;
    let pem: Arc<str> = String::from_utf8(bytes.to_vec())
        .map_err(|_| CredentialError::PrivateKey("the key file is not text".into()))?
        .into();
    cache.inner.keys.put(tenant_id, Arc::clone(&pem), cache.inner.ttl, cache.inner.capacity);
    Ok((pem, false))
}

/// In-process cache of workspace private keys and decrypted secrets, bounded in size, with a
/// time-to-live. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct CredentialCache {
    inner: Arc<CacheInner>,
    decryptions: Arc<AtomicU64>,
    /// Resolved credentials and default models (`crate::kept`).
    kept: Arc<crate::kept::Kept>,
}

struct CacheInner {
    ttl: Duration,
    capacity: usize,
    keys: TtlMap<Uuid>,
    /// (workspace, ciphertext) → plaintext.
    secrets: TtlMap<(Uuid, String)>,
}

impl std::fmt::Debug for CredentialCache {
    // Never prints a key or a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("ttl", &self.inner.ttl)
            .field("capacity", &self.inner.capacity)
            .field("keys", &self.inner.keys.len())
            .field("secrets", &self.inner.secrets.len())
            .finish()
    }
}

impl Default for CredentialCache {
    fn default() -> Self {
        Self::new(DEFAULT_TTL, DEFAULT_CAPACITY)
    }
}

impl CredentialCache {
    /// A cache keeping entries for `ttl`, at most `capacity` keys and as many secrets.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            inner: Arc::new(CacheInner {
                ttl,
                capacity: capacity.max(1),
                keys: TtlMap::default(),
                secrets: TtlMap::default(),
            }),
            decryptions: Arc::default(),
            kept: Arc::default(),
        }
    }

    /// Also keeps resolved credentials and default models, checked against the version in
    /// the shared `cache` (see [`crate::kept`]).
    pub fn keeping(mut self, shared: Arc<dyn infra::cache::Cache>) -> Self {
        self.kept = Arc::new(crate::kept::Kept::new(shared));
        self
    }

    /// The kept resolutions.
    pub fn kept(&self) -> &crate::kept::Kept {
        &self.kept
    }

    /// A workspace's providers, models or default models changed: forgets its secrets here and
    /// every process's kept resolutions. Call after the change commits.
    pub async fn changed(&self, tenant_id: Uuid) {
        self.invalidate_tenant(tenant_id);
        self.kept.changed().await;
    }

    /// Forgets everything held for a workspace (its credentials changed or its key pair did).
    pub fn invalidate_tenant(&self, tenant_id: Uuid) {
        self.inner.keys.retain(|k| *k != tenant_id);
        self.inner.secrets.retain(|(t, _)| *t != tenant_id);
    }

    /// How many secrets have been decrypted with RSA through this cache (the cache misses).
    pub fn decryptions(&self) -> u64 {
        self.decryptions.load(Ordering::Relaxed)
    }

    fn plaintext(&self, tenant_id: Uuid, cipher: &str) -> Option<Arc<str>> {
        self.inner.secrets.get(&(tenant_id, cipher.to_owned()), self.inner.ttl)
    }

    fn remember_plaintext(&self, tenant_id: Uuid, cipher: String, plain: &str) {
        self.inner.secrets.put((tenant_id, cipher), plain.into(), self.inner.ttl, self.inner.capacity);
    }
}

/// A mutex-guarded map whose entries expire; full maps drop expired entries, then the oldest.
struct TtlMap<K> {
    map: Mutex<HashMap<K, (Instant, Arc<str>)>>,
}

impl<K> Default for TtlMap<K> {
    fn default() -> Self {
        Self { map: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash + Clone> TtlMap<K> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, (Instant, Arc<str>)>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn get(&self, key: &K, ttl: Duration) -> Option<Arc<str>> {
        let mut map = self.lock();
        match map.get(key) {
            Some((at, value)) if at.elapsed() < ttl => Some(Arc::clone(value)),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&self, key: K, value: Arc<str>, ttl: Duration, capacity: usize) {
        let mut map = self.lock();
        if map.len() >= capacity && !map.contains_key(&key) {
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= capacity
                && let Some(oldest) = map.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(key, (Instant::now(), value));
    }

    fn retain(&self, keep: impl Fn(&K) -> bool) {
        self.lock().retain(|k, _| keep(k));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog;

    fn spec(name: &str) -> &'static ProviderSpec {
        catalog::get(name).expect("provider")
    }

    #[test]
    fn ttl_map_expires_and_stays_bounded() {
        let map: TtlMap<u32> = TtlMap::default();
        let ttl = Duration::from_secs(60);
        for i in 0..10 {
            map.put(i, format!("v{i}").into(), ttl, 4);
        }
        assert_eq!(map.len(), 4);
        assert_eq!(map.get(&9, ttl).as_deref(), Some("v9"));
        assert_eq!(map.get(&0, ttl), None, "the oldest went first");
        assert_eq!(map.get(&9, Duration::ZERO), None, "expired");
    }

    #[tokio::test]
    async fn decryption_is_cached_and_survives_a_key_reset() {
        let dir = tempfile::tempdir().expect("dir");
        let storage = infra::storage::LocalStorage::new(dir.path().to_path_buf());
        let tenant = Uuid::new_v4();
        let cache = CredentialCache::default();
        let save_key = |pem: String| {
            let storage = &storage;
            async move { storage.save(&private_key_path(tenant), pem.into_bytes().into()).await.expect("save key") }
        };
        let spec = spec("openai");
        let stored = |public: &str| {
            let mut c = Credentials::new();
            c.insert("openai_api_key".into(), json!("sk-secret-0123456789"));
            encrypt_secrets(public, spec, &mut c).expect("encrypt");
            c
        };

        let old = kernel::crypto::generate_key_pair().expect("keys");
        save_key(old.private_pem.clone()).await;
        let row = stored(&old.public_pem);
        for _ in 0..3 {
            let mut config = row.clone();
            decrypt_secrets(&storage, &cache, tenant, spec, &mut config).await.expect("decrypt");
            assert_eq!(config["openai_api_key"], "sk-secret-0123456789");
        }
        assert_eq!(cache.decryptions(), 1, "one RSA decryption for three reads");

        // The key pair is reset (admin reset-encrypt-key-pair) while the old key is cached.
        let new = kernel::crypto::generate_key_pair().expect("keys");
        save_key(new.private_pem.clone()).await;
        let mut config = stored(&new.public_pem);
        decrypt_secrets(&storage, &cache, tenant, spec, &mut config).await.expect("decrypt with the new key");
        assert_eq!(config["openai_api_key"], "sk-secret-0123456789");

        cache.invalidate_tenant(tenant);
        let mut config = row.clone();
        let err = decrypt_secrets(&storage, &cache, tenant, spec, &mut config).await.expect_err("old ciphertext");
        assert!(matches!(err, CredentialError::Crypto(_)), "{err:?}");
    }

    #[test]
    fn stored_configs_in_every_dify_shape() {
        let json = parse_stored(spec("anthropic"), Some(r#"{"anthropic_api_key":"abc"}"#));
        assert_eq!(Value::Object(json), json!({"anthropic_api_key": "abc"}));
        // Dify's oldest OpenAI rows hold the encrypted key alone.
        let legacy = parse_stored(spec("openai"), Some("BASE64CIPHER"));
        assert_eq!(legacy.get("openai_api_key"), Some(&json!("BASE64CIPHER")));
        assert_eq!(legacy.get("openai_api_base"), Some(&Value::Null));
        let none = parse_stored(spec("spark"), None);
        assert_eq!(Value::Object(none), json!({"app_id": null, "api_key": null, "api_secret": null}));
    }

    #[test]
    fn encrypt_then_obfuscate_touch_only_secrets() {
        let pair = kernel::crypto::generate_key_pair().expect("keys");
        let mut config = json!({"app_id": "app-1", "api_key": "key-0123456789", "api_secret": "secret-0123456789"})
            .as_object()
            .cloned()
            .expect("object");
        encrypt_secrets(&pair.public_pem, spec("spark"), &mut config).expect("encrypt");
        assert_eq!(config["app_id"], "app-1");
        let cipher = config["api_key"].as_str().expect("cipher");
        assert_ne!(cipher, "key-0123456789");
        assert_eq!(kernel::crypto::decrypt(cipher, &pair.private_pem).expect("decrypt"), "key-0123456789");

        let mut shown = json!({"app_id": "app-1", "api_key": "key-0123456789", "api_secret": ""})
            .as_object()
            .cloned()
            .expect("object");
        obfuscate_secrets(spec("spark"), &mut shown);
        assert_eq!(Value::Object(shown), json!({"app_id": "app-1", "api_key": "key-01******89", "api_secret": ""}));

        let mut bad = json!({"api_key": 42}).as_object().cloned().expect("object");
        assert!(matches!(
            encrypt_secrets(&pair.public_pem, spec("zhipuai"), &mut bad),
            Err(CredentialError::NotAString(_))
        ));
    }
}
