//! In-process cache for embedded mode: a map with lazy expiry and a periodic sweep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::Cache;
use crate::error::{InfraError, Result};

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }
}

/// A cache local to this process. Cloning shares the same map.
#[derive(Debug, Clone, Default)]
pub struct MemoryCache {
    map: Arc<Mutex<HashMap<String, Entry>>>,
}

/// Sweep expired entries once the map holds this many, so dead keys cannot pile up.
const SWEEP_AT: usize = 10_000;

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written, so recover.
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn live_value(map: &mut HashMap<String, Entry>, key: &str, now: Instant) -> Option<Vec<u8>> {
        match map.get(key) {
            Some(e) if e.live(now) => Some(e.value.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    fn insert(map: &mut HashMap<String, Entry>, key: &str, value: Vec<u8>, ttl: Option<Duration>, now: Instant) {
        if map.len() >= SWEEP_AT {
            map.retain(|_, e| e.live(now));
        }
        map.insert(key.to_string(), Entry { value, expires: ttl.map(|t| now + t) });
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(Self::live_value(&mut self.lock(), key, Instant::now()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        Self::insert(&mut self.lock(), key, value.to_vec(), ttl, Instant::now());
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let now = Instant::now();
        let mut map = self.lock();
        if Self::live_value(&mut map, key, now).is_some() {
            return Ok(false);
        }
        Self::insert(&mut map, key, value.to_vec(), ttl, now);
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let now = Instant::now();
        Ok(self.lock().remove(key).is_some_and(|e| e.live(now)))
    }

    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        let now = Instant::now();
        let mut map = self.lock();
        match map.get_mut(key).filter(|e| e.live(now)) {
            Some(entry) => {
                let current: i64 = std::str::from_utf8(&entry.value)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| InfraError::Backend(format!("value of {key:?} is not an integer")))?;
                let next = current.checked_add(by).ok_or_else(|| InfraError::Backend("increment overflow".into()))?;
                entry.value = next.to_string().into_bytes();
                Ok(next)
            }
            None => {
                Self::insert(&mut map, key, by.to_string().into_bytes(), ttl, now);
                Ok(by)
            }
        }
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let now = Instant::now();
        Ok(self.lock().get(key).filter(|e| e.live(now)).and_then(|e| e.expires.map(|t| t - now)))
    }
}
