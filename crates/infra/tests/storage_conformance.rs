//! One behavioural suite for every `Storage` implementation: the local directory and an
//! S3-compatible bucket (a wire-level fake S3 server).

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use infra::InfraError;
use infra::storage::{LocalStorage, S3Settings, S3Storage, Storage};
use test_support::fake_s3::FakeS3;

/// Storage under test, plus the backend-side view needed to check what really got written.
struct Backend {
    storage: Arc<dyn Storage>,
    /// Every object the backend holds, by key, sorted (temp files included, for the local one).
    objects: Box<dyn Fn() -> Vec<String> + Send + Sync>,
    /// Files outside the storage root with their contents (always empty for S3).
    outside: Box<dyn Fn() -> Vec<(String, Vec<u8>)> + Send + Sync>,
    _keep_alive: Box<dyn Any + Send + Sync>,
}

/// Relative paths (with `/`) and contents of the files under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if let Ok(rel) = path.strip_prefix(base) {
                let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                out.push((rel, std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A `LocalStorage` rooted at `<tmp>/root`, with sentinel files beside the root where the
/// traversal keys would land if they were not refused.
fn local() -> Backend {
    let outer = tempfile::TempDir::new().expect("temp dir");
    let root = outer.path().join("root");
    std::fs::write(outer.path().join("x"), b"sentinel x").expect("write sentinel");
    std::fs::write(outer.path().join("b"), b"sentinel b").expect("write sentinel");
    let storage = Arc::new(LocalStorage::new(root.clone()));
    let objects_root = root.clone();
    let outer_path = outer.path().to_path_buf();
    Backend {
        storage,
        objects: Box::new(move || files_under(&objects_root).into_iter().map(|(k, _)| k).collect()),
        outside: Box::new(move || {
            files_under(&outer_path).into_iter().filter(|(k, _)| !k.starts_with("root/")).collect()
        }),
        _keep_alive: Box::new(outer),
    }
}

async fn s3() -> Backend {
    let fake = Arc::new(FakeS3::start().await);
    let storage = S3Storage::new(S3Settings {
        endpoint: Some(fake.endpoint.clone()),
        bucket: fake.bucket.clone(),
        access_key: fake.access_key.clone(),
        secret_key: fake.secret_key.clone(),
        region: "us-east-1".to_owned(),
    })
    .expect("build S3 storage");
    let view = Arc::clone(&fake);
    Backend {
        storage: Arc::new(storage),
        objects: Box::new(move || view.keys()),
        outside: Box::new(Vec::new),
        _keep_alive: Box::new(fake),
    }
}

fn key(prefix: &str) -> String {
    format!("{prefix}/{}/{}.bin", uuid::Uuid::new_v4(), uuid::Uuid::new_v4().simple())
}

/// Deterministic, incompressible-looking bytes.
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

// ---- the suite ----

async fn save_then_load_round_trips(b: Backend) {
    let k = key("upload_files/tenant");
    let data = Bytes::from_static(b"%PDF-1.4 hello \x00\xff bytes");
    b.storage.save(&k, data.clone()).await.expect("save");
    assert_eq!(b.storage.load(&k).await.expect("load"), data);
    // Exactly one object, no temp files left behind.
    assert_eq!((b.objects)(), vec![k]);
}

async fn empty_object_round_trips(b: Backend) {
    let k = key("empty");
    b.storage.save(&k, Bytes::new()).await.expect("save");
    assert!(b.storage.exists(&k).await.expect("exists"));
    assert_eq!(b.storage.load(&k).await.expect("load"), Bytes::new());
    let chunks: Vec<Bytes> = b.storage.load_stream(&k).await.expect("stream").try_collect().await.expect("read");
    assert!(chunks.iter().all(Bytes::is_empty));
}

async fn save_overwrites(b: Backend) {
    let k = key("privkeys/tenant");
    b.storage.save(&k, Bytes::from_static(b"first version, longer")).await.expect("save 1");
    b.storage.save(&k, Bytes::from_static(b"second")).await.expect("save 2");
    assert_eq!(b.storage.load(&k).await.expect("load"), Bytes::from_static(b"second"));
    assert_eq!((b.objects)(), vec![k]);
}

async fn exists_reports_presence(b: Backend) {
    let k = key("dir");
    assert!(!b.storage.exists(&k).await.expect("exists before"));
    b.storage.save(&k, Bytes::from_static(b"x")).await.expect("save");
    assert!(b.storage.exists(&k).await.expect("exists after"));
    // A prefix of a key is not an object in its own right.
    let prefix = k.rsplit_once('/').map(|(p, _)| p.to_owned()).expect("key has a prefix");
    assert!(!b.storage.exists(&prefix).await.expect("exists prefix"));
    assert!(matches!(b.storage.load(&prefix).await, Err(InfraError::NotFound(_))));
}

async fn delete_removes_and_tolerates_absent(b: Backend) {
    let k = key("gone");
    b.storage.save(&k, Bytes::from_static(b"bye")).await.expect("save");
    b.storage.delete(&k).await.expect("delete");
    assert!(!b.storage.exists(&k).await.expect("exists"));
    assert!(matches!(b.storage.load(&k).await, Err(InfraError::NotFound(_))));
    b.storage.delete(&k).await.expect("second delete of the same key");
    b.storage.delete(&key("never")).await.expect("delete of a key never written");
    assert!((b.objects)().is_empty());
}

async fn absent_key_is_not_found(b: Backend) {
    let k = key("missing");
    assert!(matches!(b.storage.load(&k).await, Err(InfraError::NotFound(_))));
    assert!(matches!(b.storage.load_stream(&k).await, Err(InfraError::NotFound(_))));
}

async fn load_stream_reassembles_large_object(b: Backend) {
    let k = key("big");
    let data = Bytes::from(pattern(5 * 1024 * 1024 + 12_345));
    b.storage.save(&k, data.clone()).await.expect("save");
    let chunks: Vec<Bytes> = b.storage.load_stream(&k).await.expect("stream").try_collect().await.expect("read");
    assert!(chunks.len() > 1, "a multi-MB object should arrive in several chunks, got {}", chunks.len());
    let joined: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    assert_eq!(joined.len(), data.len());
    assert!(joined == data, "streamed bytes differ from the saved ones");
    assert_eq!(b.storage.load(&k).await.expect("load"), data);
}

async fn traversal_keys_are_refused(b: Backend) {
    let before = (b.outside)();
    for bad in ["../x", "a/../../b", "/abs", "a\\b", "a\0b", "../root-sibling/y", "", "a//b", "./a"] {
        let refused = |r: &str, what: &str| panic!("{what}({bad:?}) was not refused with InvalidKey: {r}");
        match b.storage.save(bad, Bytes::from_static(b"pwned")).await {
            Err(InfraError::InvalidKey(_)) => {}
            other => refused(&format!("{other:?}"), "save"),
        }
        match b.storage.load(bad).await {
            Err(InfraError::InvalidKey(_)) => {}
            other => refused(&format!("{other:?}"), "load"),
        }
        match b.storage.load_stream(bad).await {
            Err(InfraError::InvalidKey(_)) => {}
            Err(other) => refused(&format!("{other:?}"), "load_stream"),
            Ok(_) => refused("Ok(stream)", "load_stream"),
        }
        match b.storage.exists(bad).await {
            Err(InfraError::InvalidKey(_)) => {}
            other => refused(&format!("{other:?}"), "exists"),
        }
        match b.storage.delete(bad).await {
            Err(InfraError::InvalidKey(_)) => {}
            other => refused(&format!("{other:?}"), "delete"),
        }
    }
    assert!((b.objects)().is_empty(), "refused keys wrote objects: {:?}", (b.objects)());
    assert_eq!((b.outside)(), before, "files outside the storage root changed");
    assert!(!Path::new("/abs").exists());
}

// ---- wiring: every case against every backend ----

macro_rules! conformance {
    ($backend:ident => $($case:ident),+ $(,)?) => {
        mod $backend {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(super::backend::$backend().await).await;
                }
            )+
        }
    };
}

mod backend {
    pub async fn local() -> super::Backend {
        super::local()
    }

    pub async fn s3() -> super::Backend {
        super::s3().await
    }
}

conformance!(local =>
    save_then_load_round_trips,
    empty_object_round_trips,
    save_overwrites,
    exists_reports_presence,
    delete_removes_and_tolerates_absent,
    absent_key_is_not_found,
    load_stream_reassembles_large_object,
    traversal_keys_are_refused,
);

conformance!(s3 =>
    save_then_load_round_trips,
    empty_object_round_trips,
    save_overwrites,
    exists_reports_presence,
    delete_removes_and_tolerates_absent,
    absent_key_is_not_found,
    load_stream_reassembles_large_object,
    traversal_keys_are_refused,
);

/// The fake must answer ranged and HEAD reads the way S3 does, should the adapter (or
/// `object_store`'s own retry of an interrupted stream) ever send them.
#[tokio::test]
async fn fake_s3_serves_ranges_and_metadata() {
    use object_store::path::Path as ObjectPath;
    use object_store::{ObjectStore, ObjectStoreExt};

    let fake = FakeS3::start().await;
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&fake.endpoint)
        .with_allow_http(true)
        .with_bucket_name(&fake.bucket)
        .with_region("us-east-1")
        .with_access_key_id(&fake.access_key)
        .with_secret_access_key(&fake.secret_key)
        .build()
        .expect("build store");
    let path = ObjectPath::from("a/b c+d.txt");
    let data = Bytes::from_static(b"0123456789");
    store.put(&path, data.clone().into()).await.expect("put");
    assert_eq!(fake.object("a/b c+d.txt"), Some(data.clone()), "keys are stored decoded");

    let meta = store.head(&path).await.expect("head");
    assert_eq!(meta.size, 10);
    assert!(meta.e_tag.is_some());
    assert_eq!(store.get_range(&path, 2..5).await.expect("range"), Bytes::from_static(b"234"));
    let tail = store
        .get_opts(&path, object_store::GetOptions::new().with_range(Some(object_store::GetRange::Suffix(3))))
        .await
        .expect("suffix range")
        .bytes()
        .await
        .expect("suffix bytes");
    assert_eq!(tail, Bytes::from_static(b"789"));
    let missing = store.head(&ObjectPath::from("nope")).await;
    assert!(matches!(missing, Err(object_store::Error::NotFound { .. })), "{missing:?}");
}

#[tokio::test]
async fn s3_reports_an_unreachable_endpoint_as_unavailable() {
    // Bind then drop a listener to get a port nobody is listening on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let storage = S3Storage::new(S3Settings {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        bucket: "b".to_owned(),
        access_key: "k".to_owned(),
        secret_key: "s".to_owned(),
        region: String::new(),
    })
    .expect("build S3 storage");
    let err = storage.load("some/key").await.expect_err("nothing listens there");
    assert!(matches!(err, InfraError::Unavailable(_)), "{err:?}");
}
