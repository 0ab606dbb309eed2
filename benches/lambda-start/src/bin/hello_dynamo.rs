//! A second baseline for the cold-start bench: hello-world that also builds an AWS SDK
//! DynamoDB client the way the Lingong functions do (environment credentials, the
//! default HTTPS client), so the table can separate the SDK's own start-up cost (its TLS
//! trust store) from Lingong's.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let client = client.clone();
        async move {
            let region = client.config().region().map(|r| r.to_string());
            Ok::<_, Error>(json!({ "hello": event.payload, "region": region }))
        }
    }))
    .await
}
