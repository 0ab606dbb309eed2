//! Shared set-up for the test binaries: a fresh store of either kind per test.
//!
//! DynamoDB tests need DynamoDB Local. The test command (`scripts/test.sh`) starts it on
//! a free loopback port and exports `LINGONG_TEST_DYNAMODB_ENDPOINT`; each test then
//! creates its own table, so tests never see each other's data.

pub mod console;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use lingong_core::ItemStore;

// Matching and notices (issue 4):
pub mod flow;
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
    /// The backend.
    pub backend: Backend,
    embedded: Option<Arc<RedbStore>>,
    memory: Option<Arc<lingong_core::store_memory::MemoryStore>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// Every item in the store, each as JSON text: a test-only full read, to prove
    /// that nothing about a person is left anywhere.
    pub async fn every_item(&self) -> Vec<String> {
        match self.backend {
            Backend::Dynamo => {
                let client = DynamoStore::local_client(&dynamodb_endpoint());
                let mut out = Vec::new();
                let mut start = None;
                loop {
                    let page = client
                        .scan()
                        .table_name(&self.location)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .expect("scan the test table");
                    for item in page.items.unwrap_or_default() {
                        let item =
                            lingong_store_dynamodb::from_attributes(item).expect("a readable item");
                        out.push(serde_json::to_string(&item).expect("JSON"));
                    }
                    match page.last_evaluated_key {
                        Some(key) => start = Some(key),
                        None => return out,
                    }
                }
            }
            Backend::Embedded => {
                let store = self.embedded.as_ref().expect("the embedded store");
                let items = store.all_items().await.expect("read every item");
                items
                    .iter()
                    .map(|i| serde_json::to_string(i).expect("JSON"))
                    .collect()
            }
            Backend::Memory => {
                let store = self.memory.as_ref().expect("the memory store");
                store
                    .all_items()
                    .iter()
                    .map(|i| serde_json::to_string(i).expect("JSON"))
                    .collect()
            }
        }
    }
}

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// DynamoDB Local.
    Dynamo,
    /// The redb file store.
    Embedded,
    /// The in-memory store (simulations and benchmarks).
    Memory,
}

/// A fresh, empty store of `backend`.
pub async fn fresh_store(backend: Backend) -> TestStore {
    match backend {
        Backend::Dynamo => {
            let table = unique_name("lingong-test");
            let client = DynamoStore::local_client(&dynamodb_endpoint());
            create_table(&client, &table)
                .await
                .expect("create a table in DynamoDB Local");
            TestStore {
                store: Arc::new(DynamoStore::new(client, table.clone())),
                location: table,
                backend,
                embedded: None,
                memory: None,
                _dir: None,
            }
        }
        Backend::Memory => {
            let store = Arc::new(lingong_core::store_memory::MemoryStore::new());
            TestStore {
                store: store.clone(),
                location: "memory".into(),
                backend,
                embedded: None,
                memory: Some(store),
                _dir: None,
            }
        }
        Backend::Embedded => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let store = Arc::new(RedbStore::open_dir(dir.path()).expect("open the embedded store"));
            TestStore {
                store: store.clone(),
                location: dir.path().display().to_string(),
                backend,
                embedded: Some(store),
                memory: None,
                _dir: Some(dir),
            }
        }
    }
}

/// The router under test, on a fresh store, with a clock the test controls.
pub struct TestApi {
    /// The state the router shares (use cases, renderer).
    pub state: Arc<lingong_http::AppState>,
    /// The store behind it.
    pub store: TestStore,
    /// The clock.
    pub clock: Arc<lingong_core::FixedClock>,
}

/// The time tests start at: 10:00 in Xining on 28 November 2026.
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

/// A router on a fresh store of `backend`.
pub async fn test_api(backend: Backend) -> TestApi {
    let store = fresh_store(backend).await;
    let clock = Arc::new(lingong_core::FixedClock::new(test_now()));
    let app = lingong_core::App {
        store: store.store.clone(),
        stations: Arc::new(lingong_core::station::Stations::embedded().expect("built-in stations")),
        clock: clock.clone(),
        secrets: lingong_core::secrets::Secrets::from_bytes(&[42u8; 32]).expect("test secret"),
    };
    let state = Arc::new(lingong_http::AppState {
        app,
        site: lingong_site::Renderer::new().expect("templates"),
        public_base_url: Some("http://lingong.test".into()),
    });
    TestApi {
        state,
        store,
        clock,
    }
}

/// An answer read whole.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: axum::http::HeaderMap,
    /// Body as text.
    pub body: String,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApi {
    /// Sends `request` through the router.
    pub async fn call(&self, request: axum::http::Request<axum::body::Body>) -> Answer {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let response = lingong_http::router(self.state.clone())
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// POSTs JSON to `path` with extra headers.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request =
            axum::http::Request::post(path).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.call(
            request
                .body(axum::body::Body::from(body.to_string()))
                .expect("request"),
        )
        .await
    }

    /// Asks `POST /api/phone-codes` for a code for `phone` (from the address in
    /// `headers`, if any) and reads it from the SMS notice, as the phone's owner would.
    pub async fn phone_code(&self, phone: &str, headers: &[(&str, &str)]) -> String {
        let sent = self
            .post_json(
                "/api/phone-codes",
                &serde_json::json!({ "phone": phone }),
                headers,
            )
            .await;
        assert_eq!(sent.status, 202, "{}", sent.body);
        crate::flow::latest_code(&self.state.app, phone)
            .await
            .expect("the code SMS")
    }

    /// POSTs a url-encoded form to `path`.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = axum::http::Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .expect("request");
        self.call(request).await
    }

    /// GETs `path` with extra headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = axum::http::Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.call(request.body(axum::body::Body::empty()).expect("request"))
            .await
    }
}

/// Percent-encodes a form value.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Every item in the store whose primary key starts with `prefix`, found through the
/// indexes the product uses (jobs by state, workers by state, employers).
pub async fn count_records(store: &dyn ItemStore, station: &str) -> (usize, usize, usize) {
    use lingong_core::store::{Index, Query, query_all};
    let mut jobs = 0;
    for status in lingong_core::job::JobStatus::ALL {
        let pk = format!("ST#{station}#JOBS#{}", status.as_str());
        jobs += query_all(store, Query::index_newest_first(Index::Gsi3, pk, 100))
            .await
            .expect("query")
            .len();
    }
    let mut workers = 0;
    for status in ["active", "withdrawn"] {
        let pk = format!("ST#{station}#WKRS#{status}");
        workers += query_all(store, Query::index_newest_first(Index::Gsi3, pk, 100))
            .await
            .expect("query")
            .len();
    }
    let employers = query_all(
        store,
        Query::index_newest_first(Index::Gsi3, format!("ST#{station}#EMPS"), 100),
    )
    .await
    .expect("query")
    .len();
    (jobs, workers, employers)
}

/// Runs each named `async fn(Backend)` as two tests: on DynamoDB Local and on the
/// embedded store.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Dynamo).await;
                }
            )*
        }
        mod embedded {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Embedded).await;
                }
            )*
        }
    };
}

/// The `lingong` binary built for this test run: `LINGONG_BIN`, else next to the test
/// executable (`target/<profile>/lingong`). The test command builds it first.
pub fn lingong_bin() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("LINGONG_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let bin = profile_dir.join("lingong");
    assert!(
        bin.exists(),
        "{} is missing: build it first (scripts/test.sh runs `cargo build --bins`)",
        bin.display()
    );
    bin
}

/// A running `lingong serve`, killed when dropped.
pub struct Served {
    /// The process.
    pub child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The demo administrator's user name and password, as `--demo` prints them.
    pub staff_login: Option<(String, String)>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lingong serve` with `args` on a port the system picks, and waits for the
/// line that tells the address to open (so parallel tests never race for a port).
pub async fn serve(args: &[&str]) -> Served {
    use std::io::BufRead;
    let mut child = std::process::Command::new(lingong_bin())
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start lingong serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let login = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = login.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            // "Staff console: /staff/login  user: admin  password: …" (before "Open").
            if line.starts_with("Staff console:") {
                let words: Vec<&str> = line.split_whitespace().collect();
                let after = |label: &str| {
                    words
                        .iter()
                        .position(|w| *w == label)
                        .and_then(|i| words.get(i + 1))
                        .map(|w| (*w).to_owned())
                };
                if let (Some(user), Some(password), Ok(mut slot)) =
                    (after("user:"), after("password:"), seen.lock())
                {
                    *slot = Some((user, password));
                }
            }
            if let Some(rest) = line.strip_prefix("Open ") {
                let url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_owned();
                let _ = tx.send(url);
            }
        }
    });
    let base =
        tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(30)))
            .await
            .expect("waiting task")
            .expect("lingong serve printed the address to open");
    let staff_login = login.lock().ok().and_then(|slot| slot.clone());
    Served {
        child,
        base,
        staff_login,
    }
}
