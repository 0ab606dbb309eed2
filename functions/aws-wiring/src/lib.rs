//! What every Lambda function builds once, at cold start: the AWS configuration, the
//! DynamoDB store, the stations and the deployment secret, read from the environment
//! the SAM template sets.
//!
//! | variable | meaning |
//! |---|---|
//! | `TABLE_NAME` | the DynamoDB table |
//! | `SECRET_ARN` | Secrets Manager secret holding the deployment secret as hex |
//! | `LINGONG_SECRET` | the secret itself as hex (local runs only; wins over `SECRET_ARN`) |
//! | `LINGONG_DYNAMODB_ENDPOINT` | a DynamoDB endpoint to use instead of AWS's (local runs) |
//! | `DEFAULT_STATION` | the station answering requests that name none |
//! | `PUBLIC_BASE_URL` | the site's public origin, for links |

pub mod stream;

use std::sync::Arc;

use anyhow::Context;
use lingong_core::{App, SystemClock, secrets::Secrets, station::Stations};
use lingong_notify_smtp::{SmtpNotifier, SmtpSettings};
use lingong_store_dynamodb::DynamoStore;

/// Reads a required environment variable.
pub fn required_env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("environment variable {name} is not set"))
}

/// The shared AWS configuration. Lambda passes region and credentials in environment
/// variables, so only those providers are consulted: no profile files, no instance
/// metadata, nothing that costs time at cold start.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .load()
        .await
}

/// The DynamoDB store named by `TABLE_NAME` (and `LINGONG_DYNAMODB_ENDPOINT` locally).
pub fn dynamo_store(config: &aws_config::SdkConfig) -> anyhow::Result<DynamoStore> {
    let table = required_env("TABLE_NAME")?;
    let client = match std::env::var("LINGONG_DYNAMODB_ENDPOINT") {
        Ok(endpoint) => DynamoStore::local_client(&endpoint),
        Err(_) => aws_sdk_dynamodb::Client::new(config),
    };
    Ok(DynamoStore::new(client, table))
}

/// The deployment secret: `LINGONG_SECRET` if set (local runs), else the Secrets
/// Manager secret `SECRET_ARN`.
pub async fn secrets(config: &aws_config::SdkConfig) -> anyhow::Result<Secrets> {
    let text = match std::env::var("LINGONG_SECRET") {
        Ok(text) => text,
        Err(_) => secret_text(config, &required_env("SECRET_ARN")?).await?,
    };
    Ok(Secrets::from_hex(&text)?)
}

/// The string value of the Secrets Manager secret `arn`.
pub async fn secret_text(config: &aws_config::SdkConfig, arn: &str) -> anyhow::Result<String> {
    aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .context("reading a secret from Secrets Manager")?
        .secret_string
        .context("the secret has no string value")
}

/// The use cases wired to DynamoDB, the built-in stations and the secret, on a fresh
/// AWS configuration.
pub async fn app() -> anyhow::Result<App> {
    app_with(&aws_config().await).await
}

/// The use cases on `config` (for functions that also build other clients from it).
/// The time of each cold-start step is logged, so an operator can see where a slow
/// start goes.
pub async fn app_with(config: &aws_config::SdkConfig) -> anyhow::Result<App> {
    let started = std::time::Instant::now();
    let mut stations = Stations::embedded()?;
    if let Ok(id) = std::env::var("DEFAULT_STATION") {
        stations = stations.with_default(&id)?;
    }
    let loaded = started.elapsed();
    let store = dynamo_store(config)?;
    let secrets = secrets(config).await?;
    let done = started.elapsed();
    tracing::info!(
        stations_us = loaded.as_micros() as u64,
        store_and_secret_us = (done - loaded).as_micros() as u64,
        "cold start wiring"
    );
    Ok(App {
        store: Arc::new(store),
        stations: Arc::new(stations),
        clock: Arc::new(SystemClock),
        secrets,
    })
}

/// The SMTP mailer (SES's SMTP endpoint) from `SMTP_URL`, `MAIL_FROM` and the
/// credentials in the Secrets Manager secret `SMTP_SECRET_ARN`
/// (`{"username": …, "password": …}`).
pub async fn smtp_mailer(config: &aws_config::SdkConfig) -> anyhow::Result<SmtpNotifier> {
    let credentials: serde_json::Value =
        serde_json::from_str(&secret_text(config, &required_env("SMTP_SECRET_ARN")?).await?)
            .context("the SMTP secret is not JSON")?;
    let field = |name: &str| {
        credentials[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the SMTP secret has no `{name}`"))
    };
    Ok(SmtpNotifier::new(&SmtpSettings {
        url: required_env("SMTP_URL")?,
        from: required_env("MAIL_FROM")?,
        credentials: Some((field("username")?, field("password")?)),
    })?)
}
