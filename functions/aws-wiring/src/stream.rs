//! Running a [`ChangeConsumer`] on a DynamoDB stream: the Lambda event's records become
//! [`Change`]s, and a failure reports the first unhandled record's sequence number
//! (`ReportBatchItemFailures`), so Lambda retries from there and nothing before it is
//! done twice by this invocation. The template adds bisect-on-error, a retry cap and an
//! SQS destination, so a poison record cannot stall the shard.

use std::sync::Arc;

use aws_lambda_events::{
    dynamodb::{Event, EventRecord},
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use lambda_runtime::{LambdaEvent, service_fn};
use lingong_core::{
    changes::{Change, ChangeConsumer},
    store::Key,
};
use lingong_store_dynamodb::from_attributes;

/// A stream record as a change. Records without images (keys-only streams) or with
/// unreadable images are errors: the template configures `NEW_AND_OLD_IMAGES`.
pub fn change_from_record(record: &EventRecord) -> Result<Change, String> {
    let image = |item: &serde_dynamo::Item| -> Result<Option<lingong_core::store::Item>, String> {
        if item.is_empty() {
            Ok(None)
        } else {
            from_attributes(item.clone())
                .map(Some)
                .map_err(|e| e.to_string())
        }
    };
    let old = image(&record.change.old_image)?;
    let new = image(&record.change.new_image)?;
    let key = match (&new, &old) {
        (Some(item), _) | (None, Some(item)) => item.key.clone(),
        (None, None) => {
            let keys = from_attributes(record.change.keys.clone()).map_err(|e| e.to_string())?;
            Key::new(keys.key.pk, keys.key.sk)
        }
    };
    Ok(Change { key, old, new })
}

/// Handles one stream batch with `consumer`.
pub async fn handle(consumer: &dyn ChangeConsumer, event: Event) -> DynamoDbEventResponse {
    let mut changes = Vec::with_capacity(event.records.len());
    let mut sequence_numbers = Vec::with_capacity(event.records.len());
    let mut unreadable = None;
    for (position, record) in event.records.iter().enumerate() {
        match change_from_record(record) {
            Ok(change) => {
                changes.push(change);
                sequence_numbers.push(record.change.sequence_number.clone());
            }
            Err(reason) => {
                tracing::error!(
                    consumer = consumer.name(),
                    position,
                    reason,
                    "unreadable stream record"
                );
                unreadable = Some(record.change.sequence_number.clone());
                break;
            }
        }
    }
    let failed = match consumer.consume(&changes).await {
        Ok(()) => unreadable,
        Err(error) => {
            tracing::error!(error = %error, "stream batch failed");
            sequence_numbers
                .get(error.first_failed)
                .cloned()
                .or(unreadable)
        }
    };
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence_number) = failed {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = sequence_number;
        response.batch_item_failures.push(failure);
    }
    response
}

/// Runs `consumer` as a stream-triggered Lambda function until the runtime stops.
pub async fn run(consumer: Arc<dyn ChangeConsumer>) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let consumer = consumer.clone();
        async move { Ok::<_, lambda_runtime::Error>(handle(&*consumer, event.payload).await) }
    }))
    .await
}
