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

/// The HTTPS client every AWS SDK client of the function uses: rustls on aws-lc (the
/// SDK's default), trusting the Mozilla root certificates compiled into the binary
/// (`webpki-root-certs`, the set Amazon Linux's own bundle is made from and the one
/// SMTP already trusts) instead of the OS store. The SDK's default client reads the
/// OS store while the first client is built, at every cold start; that was most of the
/// difference between a Lingong function and hello-world (see the README's cold-start
/// table).
pub fn https_client() -> anyhow::Result<aws_sdk_dynamodb::config::SharedHttpClient> {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    use base64::Engine;
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2048);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let encoded = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem.into_bytes());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .context("TLS settings for the AWS SDK")?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// The shared AWS configuration. Lambda passes region and credentials in environment
/// variables, so only those providers are consulted: no profile files, no instance
/// metadata, nothing that costs time at cold start. Every client built from it uses
/// [`https_client`].
pub async fn aws_config() -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let loader = match https_client() {
        Ok(client) => loader.http_client(client),
        // Cannot happen with the compiled-in roots; the SDK's own client still works.
        Err(error) => {
            tracing::warn!(%error, "using the SDK's default HTTPS client");
            loader
        }
    };
    loader
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
    // A local endpoint (DynamoDB Local, the cold-start bench) gets the same client
    // settings as AWS itself, only the endpoint differs.
    let client = match std::env::var("LINGONG_DYNAMODB_ENDPOINT") {
        Ok(endpoint) => aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(config)
                .endpoint_url(endpoint)
                .build(),
        ),
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
        extra_root_pem: None,
        send_timeout: None,
    })?)
}
