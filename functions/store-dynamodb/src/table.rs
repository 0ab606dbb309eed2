//! The table definition: created here for DynamoDB Local and tests, and described the
//! same way in `infra/template.yaml` (a test checks they agree).

use aws_sdk_dynamodb::{
    Client,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
        TimeToLiveSpecification,
    },
};
use lingong_core::store::{Index, StoreError};

/// The key attributes and indexes, as `(index name or "table", pk attribute, sk attribute)`.
pub fn table_definition_summary() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out = vec![("table", "pk", "sk")];
    out.extend(Index::ALL.iter().map(|i| {
        let (pk, sk) = i.attributes();
        (i.name(), pk, sk)
    }));
    out
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Creates `table` with the product's key schema, indexes, stream and TTL, on-demand
/// billing, and waits until it is active. Succeeds if the table already exists.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let invalid = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
    let mut attributes = Vec::new();
    for (_, pk, sk) in table_definition_summary() {
        for name in [pk, sk] {
            attributes.push(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(invalid)?,
            );
        }
    }
    let mut indexes = Vec::new();
    for index in Index::ALL {
        let (pk, sk) = index.attributes();
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(index.name())
                .key_schema(key(pk, KeyType::Hash)?)
                .key_schema(key(sk, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(invalid)?,
        );
    }
    let result = client
        .create_table()
        .table_name(table)
        .set_attribute_definitions(Some(attributes))
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(aws_sdk_dynamodb::error::SdkError::ServiceError(e))
            if e.err().is_resource_in_use_exception() =>
        {
            return Ok(());
        }
        Err(e) => return Err(StoreError::Unavailable(format!("CreateTable: {e:?}"))),
    }
    for _ in 0..100 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(format!("DescribeTable: {e:?}")))?;
        let active = described
            .table()
            .and_then(|t| t.table_status())
            .is_some_and(|s| s.as_str() == "ACTIVE");
        if active {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("ttl")
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await
        .map_err(|e| StoreError::Unavailable(format!("UpdateTimeToLive: {e:?}")))?;
    Ok(())
}

/// Deletes `table` (tests clean up after themselves).
pub async fn delete_table(client: &Client, table: &str) -> Result<(), StoreError> {
    client
        .delete_table()
        .table_name(table)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| StoreError::Unavailable(format!("DeleteTable: {e:?}")))
}
