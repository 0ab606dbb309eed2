//! Shared set-up for the test binaries: a fresh store of either kind per test.
//!
//! DynamoDB tests need DynamoDB Local. The test command (`scripts/test.sh`) starts it on
//! a free loopback port and exports `LINGONG_TEST_DYNAMODB_ENDPOINT`; each test then
//! creates its own table, so tests never see each other's data.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use lingong_core::ItemStore;
use lingong_store_dynamodb::{DynamoStore, create_table};
use lingong_store_embedded::RedbStore;

/// The environment variable naming DynamoDB Local's endpoint.
pub const DYNAMODB_ENDPOINT_VAR: &str = "LINGONG_TEST_DYNAMODB_ENDPOINT";

/// DynamoDB Local's endpoint. Panics with instructions when the test command did not
/// start it: a test that needs DynamoDB must never pass without it.
pub fn dynamodb_endpoint() -> String {
    std::env::var(DYNAMODB_ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!("{DYNAMODB_ENDPOINT_VAR} is not set: run the tests with scripts/test.sh, which starts DynamoDB Local")
    })
}

/// A name no other test in this run uses.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

/// A store under test, with whatever keeps it alive.
pub struct TestStore {
    /// The store.
    pub store: Arc<dyn ItemStore>,
    /// For DynamoDB: the table name; for the embedded store: the data directory.
    pub location: String,
    _dir: Option<tempfile::TempDir>,
}

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// DynamoDB Local.
    Dynamo,
    /// The redb file store.
    Embedded,
}

/// A fresh, empty store of `backend`.
pub async fn fresh_store(backend: Backend) -> TestStore {
    match backend {
        Backend::Dynamo => {
            let table = unique_name("lingong-test");
            let client = DynamoStore::local_client(&dynamodb_endpoint());
            create_table(&client, &table).await.expect("create a table in DynamoDB Local");
            TestStore {
                store: Arc::new(DynamoStore::new(client, table.clone())),
                location: table,
                _dir: None,
            }
        }
        Backend::Embedded => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let store = RedbStore::open_dir(dir.path()).expect("open the embedded store");
            TestStore {
                store: Arc::new(store),
                location: dir.path().display().to_string(),
                _dir: Some(dir),
            }
        }
    }
}
