//! One conformance suite for every cache: in-process always, Redis in services mode.

use std::sync::Arc;
use std::time::Duration;

use infra::cache::{Cache, MemoryCache, RedisCache};

async fn caches() -> Vec<(&'static str, Arc<dyn Cache>)> {
    let mut v: Vec<(&'static str, Arc<dyn Cache>)> = vec![("memory", Arc::new(MemoryCache::new()))];
    if test_support::services_mode() {
        let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
        let prefix = format!("test-{}.", uuid::Uuid::new_v4().simple());
        v.push(("redis", Arc::new(RedisCache::connect(&url, &prefix).await.expect("redis"))));
    }
    v
}

#[tokio::test]
async fn set_get_delete() {
    for (name, c) in caches().await {
        assert_eq!(c.get("k").await.expect("get"), None, "{name}");
        c.set("k", b"v1", None).await.expect("set");
        assert_eq!(c.get("k").await.expect("get").as_deref(), Some(&b"v1"[..]), "{name}");
        c.set("k", b"v2", None).await.expect("overwrite");
        assert_eq!(c.get("k").await.expect("get").as_deref(), Some(&b"v2"[..]), "{name}");
        assert_eq!(c.ttl("k").await.expect("ttl"), None, "{name}: no expiry set");
        assert!(c.delete("k").await.expect("delete"), "{name}");
        assert!(!c.delete("k").await.expect("delete again"), "{name}");
        assert_eq!(c.get("k").await.expect("get"), None, "{name}");
    }
}

#[tokio::test]
async fn get_many_answers_each_key_in_order() {
    for (name, c) in caches().await {
        c.set("a", b"1", None).await.expect("set");
        c.set("c", b"3", None).await.expect("set");
        let values = c.get_many(&["c", "b", "a"]).await.expect("get_many");
        assert_eq!(values, vec![Some(b"3".to_vec()), None, Some(b"1".to_vec())], "{name}");
        assert_eq!(c.get_many(&["a"]).await.expect("one key"), vec![Some(b"1".to_vec())], "{name}");
    }
}

#[tokio::test]
async fn values_expire_after_their_ttl() {
    for (name, c) in caches().await {
        c.set("short", b"x", Some(Duration::from_millis(150))).await.expect("set");
        c.set("long", b"y", Some(Duration::from_secs(60))).await.expect("set");
        let left = c.ttl("short").await.expect("ttl").expect("has ttl");
        assert!(left <= Duration::from_millis(150), "{name}: {left:?}");
        assert!(c.get("short").await.expect("get").is_some(), "{name}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(c.get("short").await.expect("get"), None, "{name}: expired");
        assert_eq!(c.ttl("short").await.expect("ttl"), None, "{name}");
        assert!(c.get("long").await.expect("get").is_some(), "{name}: still live");
    }
}

#[tokio::test]
async fn set_nx_only_sets_absent_keys() {
    for (name, c) in caches().await {
        assert!(c.set_nx("lock", b"a", Some(Duration::from_millis(150))).await.expect("nx"), "{name}");
        assert!(!c.set_nx("lock", b"b", None).await.expect("nx"), "{name}");
        assert_eq!(c.get("lock").await.expect("get").as_deref(), Some(&b"a"[..]), "{name}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(c.set_nx("lock", b"c", None).await.expect("nx after expiry"), "{name}");
        assert_eq!(c.get("lock").await.expect("get").as_deref(), Some(&b"c"[..]), "{name}");
    }
}

#[tokio::test]
async fn incr_counts_and_starts_its_window_once() {
    for (name, c) in caches().await {
        assert_eq!(c.incr("n", 1, Some(Duration::from_millis(200))).await.expect("incr"), 1, "{name}");
        assert_eq!(c.incr("n", 2, Some(Duration::from_secs(60))).await.expect("incr"), 3, "{name}");
        let left = c.ttl("n").await.expect("ttl").expect("ttl kept from the first hit");
        assert!(left <= Duration::from_millis(200), "{name}: later incr must not extend the window ({left:?})");
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(c.incr("n", 1, None).await.expect("incr"), 1, "{name}: window restarted");
        c.set("s", b"not a number", None).await.expect("set");
        assert!(c.incr("s", 1, None).await.is_err(), "{name}: non-integer must error");
    }
}

#[tokio::test]
async fn concurrent_incr_loses_no_update() {
    for (name, c) in caches().await {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.incr("hits", 1, None).await.expect("incr") })
            })
            .collect();
        for t in tasks {
            t.await.expect("join");
        }
        assert_eq!(c.get("hits").await.expect("get").as_deref(), Some(&b"50"[..]), "{name}");
    }
}

#[tokio::test]
async fn prefixes_isolate_namespaces() {
    if !test_support::services_mode() {
        eprintln!("skipped: redis namespaces need DIFY_TEST_BACKEND=services");
        return;
    }
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let a = RedisCache::connect(&url, &format!("a-{}.", uuid::Uuid::new_v4())).await.expect("redis");
    let b = RedisCache::connect(&url, &format!("b-{}.", uuid::Uuid::new_v4())).await.expect("redis");
    a.set("k", b"a", Some(Duration::from_secs(10))).await.expect("set");
    assert_eq!(b.get("k").await.expect("get"), None);
}

#[tokio::test]
async fn a_connection_the_server_dropped_is_replaced() {
    if !test_support::services_mode() {
        eprintln!("skipped: needs DIFY_TEST_BACKEND=services");
        return;
    }
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let cache = RedisCache::connect(&url, &format!("drop-{}.", uuid::Uuid::new_v4())).await.expect("redis");
    cache.set("k", b"v", Some(Duration::from_secs(10))).await.expect("set");
    let shared = cache.client_id().await.expect("id");
    assert_eq!(cache.client_id().await.expect("id"), shared, "commands share one connection");

    let mut admin = deadpool_redis::redis::Client::open(url.as_str())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let killed: i64 = deadpool_redis::redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(shared)
        .query_async(&mut admin)
        .await
        .expect("kill");
    assert_eq!(killed, 1);

    // The command that finds the connection gone may fail; the next one has a fresh connection.
    let first = cache.get("k").await;
    let value = match first {
        Ok(v) => v,
        Err(_) => cache.get("k").await.expect("a fresh connection"),
    };
    assert_eq!(value.as_deref(), Some(&b"v"[..]));
    assert_ne!(cache.client_id().await.expect("id"), shared);
}
