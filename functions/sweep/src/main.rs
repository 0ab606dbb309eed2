//! Lambda function `lingong-sweep`, on an EventBridge Scheduler schedule (every minute,
//! Asia/Shanghai): expires unanswered offers, releases notices held for quiet hours,
//! the daily limit or a retry, and parks sends that never reported back. It touches
//! only the table; the notifier alone sends. `main` only wires.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = lingong_aws_wiring::app().await?;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let app = app.clone();
        async move {
            let report = app.sweep().await?;
            Ok::<_, Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
