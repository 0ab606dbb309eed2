//! The hello-world `lambda_runtime` function the cold-start bench compares against:
//! the least a Rust Lambda function can do.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(json!({ "hello": event.payload }))
    }))
    .await
}
