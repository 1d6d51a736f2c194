//! Rows a process keeps between requests, trusted while a version in the shared cache (Redis
//! with replicas, in-process embedded) is unchanged. A reader reads the version once
//! ([`Version::seen`]) before the rows it will vouch for; a writer bumps it after its change
//! commits ([`Version::bump`]), so every process drops what it kept at its next read. Entries
//! also expire after [`KEEP`], which bounds what a writer that cannot bump (an operator's SQL,
//! a failed bump) leaves stale.
//!
//! Within [`per_request`], the first version read reads every version of the process in one
//! round trip, and later reads in the request are answered from it: a request that checks
//! its app and then its model's credentials waits for the cache once, not twice.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::cache::Cache;

/// How long an entry is trusted at most, version or not.
pub const KEEP: Duration = Duration::from_secs(30);

/// Entries kept per map; beyond, the map starts over (entries in use come back in one read).
const MAX_ENTRIES: usize = 10_000;

/// Every version key of the process, read together by a request's first version read.
static KEYS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

tokio::task_local! {
    /// The versions the current request read: (its cache, key, version).
    static READ: RefCell<Vec<(usize, &'static str, Seen)>>;
}

/// Runs `work` as one request: each version is read at most once in it, all in the first read.
/// A version read earlier than it is used still vouches only for rows read after it.
pub async fn per_request<F: std::future::Future>(work: F) -> F::Output {
    READ.scope(RefCell::default(), work).await
}

/// One shared version, named by its cache key.
pub struct Version {
    cache: Option<Arc<dyn Cache>>,
    key: &'static str,
}

/// The version one reader saw; unknown when the cache could not say (then nothing is kept
/// or trusted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen(Option<i64>);

impl Seen {
    /// For answers that must never be kept.
    pub const UNKNOWN: Seen = Seen(None);
}

impl Version {
    pub fn new(cache: Arc<dyn Cache>, key: &'static str) -> Self {
        let mut keys = lock(&KEYS);
        if !keys.contains(&key) {
            keys.push(key);
        }
        Self { cache: Some(cache), key }
    }

    /// A version no cache backs: nothing is ever kept.
    pub fn absent(key: &'static str) -> Self {
        Self { cache: None, key }
    }

    /// The version now; read before the rows it will vouch for.
    pub async fn seen(&self) -> Seen {
        let Some(cache) = &self.cache else { return Seen::UNKNOWN };
        let at = cache_id(cache);
        // In a request, the first read reads every version; outside one (jobs), this one alone.
        let in_request = match READ
            .try_with(|read| read.borrow().iter().find(|(c, k, _)| *c == at && *k == self.key).map(|r| r.2))
        {
            Ok(Some(seen)) => return seen,
            Ok(None) => true,
            Err(_) => false,
        };
        let keys = if in_request { lock(&KEYS).clone() } else { vec![self.key] };
        let values = match cache.get_many(&keys).await {
            Ok(values) => values,
            Err(e) => {
                tracing::debug!(key = self.key, error = %e, "version unavailable; reading the database");
                return Seen::UNKNOWN;
            }
        };
        let read: Vec<_> = keys.into_iter().zip(values).map(|(k, v)| (at, k, Seen(parse(v)))).collect();
        let seen = read.iter().find(|r| r.1 == self.key).map_or(Seen::UNKNOWN, |r| r.2);
        if in_request {
            let _ = READ.try_with(|memo| memo.borrow_mut().extend(read));
        }
        seen
    }

    /// Says the rows behind this version changed; every process stops trusting what it kept.
    pub async fn bump(&self) {
        if let Some(cache) = &self.cache
            && let Err(e) = cache.incr(self.key, 1, None).await
        {
            tracing::warn!(key = self.key, error = %e, "cannot bump a version; other processes may answer from kept rows for up to 30 s");
        }
        // The request's later reads see its own change.
        let _ = READ.try_with(|read| read.borrow_mut().retain(|(_, k, _)| *k != self.key));
    }
}

/// A version's value as the cache holds it; absent is 0, unreadable is unknown.
fn parse(value: Option<Vec<u8>>) -> Option<i64> {
    match value {
        None => Some(0),
        Some(bytes) => std::str::from_utf8(&bytes).ok().and_then(|s| s.trim().parse().ok()),
    }
}

/// Which cache a version is kept in: versions of other caches are read on their own.
fn cache_id(cache: &Arc<dyn Cache>) -> usize {
    Arc::as_ptr(cache).cast::<()>() as usize
}

struct Entry<V> {
    value: V,
    version: i64,
    at: Instant,
}

/// Values kept under a [`Version`]: a lookup answers only with an entry kept at the version
/// its reader saw, younger than [`KEEP`].
pub struct KeptMap<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K, V> Default for KeptMap<K, V> {
    fn default() -> Self {
        Self { entries: Mutex::default() }
    }
}

impl<K: Hash + Eq, V: Clone> KeptMap<K, V> {
    pub fn get<Q>(&self, key: &Q, seen: Seen) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let version = seen.0?;
        let entries = lock(&self.entries);
        entries.get(key).filter(|e| e.version == version && e.at.elapsed() < KEEP).map(|e| e.value.clone())
    }

    /// Keeps `value` as read under `seen`; an unknown version keeps nothing.
    pub fn put(&self, key: K, value: V, seen: Seen) {
        let Some(version) = seen.0 else { return };
        insert(&self.entries, key, Entry { value, version, at: Instant::now() });
    }

    /// Changes a kept value in place; its version and age stay those of the read that kept it.
    pub fn update<Q>(&self, key: &Q, change: impl FnOnce(&mut V))
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(entry) = lock(&self.entries).get_mut(key) {
            change(&mut entry.value);
        }
    }

    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}

/// Rows that are never changed or deleted once written, kept with no version.
pub struct Immutable<K, V> {
    entries: Mutex<HashMap<K, V>>,
}

impl<K, V> Default for Immutable<K, V> {
    fn default() -> Self {
        Self { entries: Mutex::default() }
    }
}

impl<K: Hash + Eq, V: Clone> Immutable<K, V> {
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        lock(&self.entries).get(key).cloned()
    }

    pub fn put(&self, key: K, value: V) {
        insert(&self.entries, key, value);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A full map starts over: entries in use come back in one read each.
fn insert<K: Hash + Eq, V>(map: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut map = lock(map);
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::MemoryCache;

    #[tokio::test]
    async fn an_entry_answers_only_at_the_version_it_was_kept_at() {
        let version = Version::new(Arc::new(MemoryCache::new()), "v");
        let map: KeptMap<String, u32> = KeptMap::default();
        let seen = version.seen().await;
        map.put("a".into(), 1, seen);
        assert_eq!(map.get("a", version.seen().await), Some(1));
        version.bump().await;
        assert_eq!(map.get("a", version.seen().await), None);
        assert_eq!(map.get("a", seen), Some(1), "a reader that saw the old version still trusts it");
    }

    /// Counts the round trips of reads.
    #[derive(Default)]
    struct Counted {
        inner: MemoryCache,
        reads: std::sync::atomic::AtomicUsize,
    }

    #[async_trait::async_trait]
    impl Cache for Counted {
        async fn get(&self, key: &str) -> crate::error::Result<Option<Vec<u8>>> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.get(key).await
        }
        async fn get_many(&self, keys: &[&str]) -> crate::error::Result<Vec<Option<Vec<u8>>>> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.get_many(keys).await
        }
        async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> crate::error::Result<()> {
            self.inner.set(key, value, ttl).await
        }
        async fn set_nx(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> crate::error::Result<bool> {
            self.inner.set_nx(key, value, ttl).await
        }
        async fn delete(&self, key: &str) -> crate::error::Result<bool> {
            self.inner.delete(key).await
        }
        async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> crate::error::Result<i64> {
            self.inner.incr(key, by, ttl).await
        }
        async fn ttl(&self, key: &str) -> crate::error::Result<Option<Duration>> {
            self.inner.ttl(key).await
        }
    }

    #[tokio::test]
    async fn a_request_reads_all_its_versions_in_one_round_trip() {
        let cache = Arc::new(Counted::default());
        let shared: Arc<dyn Cache> = cache.clone();
        let (apps, providers) = (Version::new(shared.clone(), "apps_v"), Version::new(shared.clone(), "providers_v"));
        let other = Version::new(shared.clone(), "other_v");
        other.bump().await;
        let reads = || cache.reads.load(std::sync::atomic::Ordering::SeqCst);
        let (a, p, o) = per_request(async { (apps.seen().await, providers.seen().await, other.seen().await) }).await;
        assert_eq!((a, p, o), (Seen(Some(0)), Seen(Some(0)), Seen(Some(1))));
        assert_eq!(reads(), 1, "one read for the three versions");

        // A request sees its own change, and the next request sees every change before it.
        let (before, after) = per_request(async {
            let before = apps.seen().await;
            apps.bump().await;
            (before, apps.seen().await)
        })
        .await;
        assert_eq!((before, after), (Seen(Some(0)), Seen(Some(1))));
        providers.bump().await;
        assert_eq!(per_request(providers.seen()).await, Seen(Some(1)));

        // Outside a request every read asks the cache.
        let at = reads();
        apps.seen().await;
        apps.seen().await;
        assert_eq!(reads(), at + 2);
    }

    #[tokio::test]
    async fn nothing_is_kept_without_a_version() {
        let version = Version::absent("v");
        let map: KeptMap<u8, u8> = KeptMap::default();
        let seen = version.seen().await;
        map.put(1, 1, seen);
        assert_eq!(map.get(&1, seen), None);
    }

    #[tokio::test]
    async fn an_update_keeps_the_entrys_version() {
        let version = Version::new(Arc::new(MemoryCache::new()), "v");
        let map: KeptMap<u8, u8> = KeptMap::default();
        let seen = version.seen().await;
        map.put(1, 1, seen);
        map.update(&1, |v| *v = 2);
        assert_eq!(map.get(&1, seen), Some(2));
        version.bump().await;
        assert_eq!(map.get(&1, version.seen().await), None);
    }
}
