//! What every command needs: the stations, the store (embedded or DynamoDB), the secret.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};
use clap::Args;
use lingong_core::{
    App, ItemStore, SystemClock,
    changes::ChangeLog,
    secrets::{Secrets, hex},
    station::Stations,
};
use lingong_store_dynamodb::{DynamoStore, create_table};
use lingong_store_embedded::RedbStore;

/// Where records are kept.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Data directory for the embedded store, the secret and local output.
    #[arg(long, default_value = ".lingong-data", env = "LINGONG_DATA")]
    pub data: PathBuf,
    /// Use DynamoDB at this endpoint (e.g. DynamoDB Local) instead of the embedded store.
    #[arg(long, env = "LINGONG_DYNAMODB_ENDPOINT", requires = "table")]
    pub dynamodb_endpoint: Option<String>,
    /// DynamoDB table name (with --dynamodb-endpoint, or alone for AWS itself).
    #[arg(long, env = "LINGONG_TABLE")]
    pub table: Option<String>,
    /// Station files to load instead of the ones built in.
    #[arg(long, env = "LINGONG_STATIONS_DIR")]
    pub stations_dir: Option<PathBuf>,
    /// The station answering requests that name none (default: the first by id).
    #[arg(long, env = "LINGONG_STATION")]
    pub station: Option<String>,
}

/// A short description of the store, for the start-up message.
pub fn describe(args: &StoreArgs) -> String {
    match (&args.dynamodb_endpoint, &args.table) {
        (Some(endpoint), Some(table)) => format!("DynamoDB {endpoint} table {table}"),
        (None, Some(table)) => format!("DynamoDB (AWS) table {table}"),
        _ => format!("embedded store in {}", args.data.display()),
    }
}

/// An opened store, and its change log when it keeps one (the embedded store does).
pub struct OpenedStore {
    /// The store.
    pub store: Arc<dyn ItemStore>,
    /// The change log background work reads, if the store keeps one.
    pub change_log: Option<Arc<dyn ChangeLog>>,
}

/// Opens the store the arguments name. DynamoDB tables are created if missing.
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<OpenedStore> {
    match (&args.dynamodb_endpoint, &args.table) {
        (Some(endpoint), Some(table)) => {
            let client = DynamoStore::local_client(endpoint);
            create_table(&client, table)
                .await
                .with_context(|| format!("creating table {table} at {endpoint}"))?;
            Ok(OpenedStore {
                store: Arc::new(DynamoStore::new(client, table.clone())),
                change_log: None,
            })
        }
        (None, Some(table)) => {
            let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            Ok(OpenedStore {
                store: Arc::new(DynamoStore::new(
                    aws_sdk_dynamodb::Client::new(&config),
                    table.clone(),
                )),
                change_log: None,
            })
        }
        (Some(_), None) => bail!("--dynamodb-endpoint needs --table"),
        (None, None) => {
            let store = Arc::new(RedbStore::open_dir(&args.data.join("store")).with_context(
                || format!("opening the embedded store in {}", args.data.display()),
            )?);
            Ok(OpenedStore {
                store: store.clone(),
                change_log: Some(store),
            })
        }
    }
}

/// The deployment secret from `LINGONG_SECRET` (hex), else from `<data>/secret.key`,
/// created with fresh random bytes on first use.
pub fn load_secret(data: &Path) -> anyhow::Result<Secrets> {
    if let Ok(text) = std::env::var("LINGONG_SECRET") {
        return Secrets::from_hex(&text).context("LINGONG_SECRET");
    }
    let path = data.join("secret.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Secrets::from_hex(&text).with_context(|| path.display().to_string());
    }
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let bytes = Secrets::generate()?;
    write_private(&path, &hex(&bytes))?;
    Ok(Secrets::from_bytes(&bytes)?)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The use cases and the change log, when the store keeps one.
pub struct Wired {
    /// The use cases.
    pub app: App,
    /// The store's change log.
    pub change_log: Option<Arc<dyn ChangeLog>>,
}

/// The stations, the store and the secret, wired into the use cases.
pub async fn build_app(args: &StoreArgs) -> anyhow::Result<Wired> {
    let mut stations = match &args.stations_dir {
        Some(dir) => Stations::from_dir(dir)?,
        None => Stations::embedded()?,
    };
    if let Some(id) = &args.station {
        stations = stations.with_default(id)?;
    }
    let opened = open_store(args).await?;
    Ok(Wired {
        app: App {
            store: opened.store,
            stations: Arc::new(stations),
            clock: Arc::new(SystemClock),
            secrets: load_secret(&args.data)?,
        },
        change_log: opened.change_log,
    })
}
