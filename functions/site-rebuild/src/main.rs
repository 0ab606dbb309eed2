//! The public board's rebuild on AWS: a Lambda function on the table's DynamoDB stream
//! that re-renders the pages each batch of changes touches and publishes them to the
//! site bucket (only changed objects), invalidating exactly those paths in CloudFront.
//! A failed batch is reported with `ReportBatchItemFailures` and retried whole; running
//! it twice changes nothing. The template also sends it an empty batch on a schedule,
//! which reconciles the board (first build after a deploy, new templates, a new day).
//!
//! | variable | meaning |
//! |---|---|
//! | `SITE_BUCKET` | the private bucket CloudFront serves |
//! | `SITE_PREFIX` | the folder of the site in the bucket (default `site/`) |
//! | `DISTRIBUTION_ID` | the CloudFront distribution to invalidate (optional) |
//! | `SITE_URL` | the public origin for the sitemap and feeds |
//! | `SITE_PRECOMPRESS` | `true` to store gzip-encoded text (only without CDN compression) |
//! | `AWS_ENDPOINT_URL_S3` | an S3 endpoint to use instead of AWS's (local runs) |
//!
//! plus the variables of `lingong_aws_wiring` (table, secret, default station).

use std::sync::Arc;

use lingong_aws_wiring::required_env;
use lingong_site::{rebuild::SiteRebuilder, site::SiteBuilder};
use lingong_site_s3::{CloudFrontInvalidator, S3Sink};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = lingong_aws_wiring::app().await?;
    let config = lingong_aws_wiring::aws_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(std::env::var("AWS_ENDPOINT_URL_S3").is_ok())
            .build(),
    );
    let mut sink = S3Sink::new(s3, required_env("SITE_BUCKET")?)
        .with_prefix(&std::env::var("SITE_PREFIX").unwrap_or_else(|_| "site/".into()))
        .precompressed(std::env::var("SITE_PRECOMPRESS").is_ok_and(|v| v == "true"));
    if let Ok(distribution) = std::env::var("DISTRIBUTION_ID")
        && !distribution.is_empty()
    {
        sink = sink.with_cdn(CloudFrontInvalidator::new(
            aws_sdk_cloudfront::Client::new(&config),
            distribution,
        ));
    }
    let station = app.stations.default_station().clone();
    let site = SiteBuilder::new(station, &required_env("SITE_URL")?)?;
    let rebuilder = Arc::new(SiteRebuilder::new(app, site, Arc::new(sink)));
    lingong_aws_wiring::stream::run(rebuilder).await
}
