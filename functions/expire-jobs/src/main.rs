//! Moves jobs past their last day to `expired`, so they leave the public board: a
//! Lambda function on an EventBridge Scheduler schedule (hourly, Asia/Shanghai). Each
//! write is version-checked and the sweep is idempotent, so an overlapping or repeated
//! run does no harm. The board follows through the table's stream. Whatever the
//! schedule sends as input is ignored.
//!
//! A scheduled sweep rather than DynamoDB TTL: TTL deletes the item (the job must stay
//! on record as `expired`, with its placements and reports), deletes it up to days
//! late, and counts in Unix seconds while a job's end date is a calendar day in the
//! station's time zone.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = lingong_aws_wiring::app().await?;
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<Value>| {
        let app = app.clone();
        async move {
            let mut summary = Vec::new();
            for station in app.stations.all() {
                let swept = app.expire_jobs(station).await?;
                tracing::info!(station = %station.id, checked = swept.checked, expired = swept.expired, skipped = swept.skipped, "expiry sweep");
                summary.push(json!({
                    "station": station.id.as_str(),
                    "checked": swept.checked,
                    "expired": swept.expired,
                    "skipped": swept.skipped,
                }));
            }
            Ok::<_, lambda_runtime::Error>(json!({ "stations": summary }))
        }
    }))
    .await
}
