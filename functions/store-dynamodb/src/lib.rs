//! [`ItemStore`] on one DynamoDB table, through the real `aws-sdk-dynamodb` client.
//!
//! The key design and access patterns are in `lingong_core::keys`; this adapter only
//! moves items. Bodies are converted with `serde_dynamo`; the table's own attributes
//! (`pk`, `sk`, `gsi*`, `version`, `ttl`) are added and removed here. Every batch of
//! more than one write is a `TransactWriteItems` call; a single write is a conditional
//! `PutItem`/`DeleteItem`. Queries read ahead one item so a page says exactly whether
//! more follow, like the embedded store.

mod table;

use std::{collections::HashMap, time::Duration};

use async_trait::async_trait;
use aws_sdk_dynamodb::{
    Client,
    error::{ProvideErrorMetadata, SdkError},
    types::{AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem},
};
use lingong_core::store::{
    Condition, Cursor, Index, IndexKey, Item, ItemStore, Key, Page, Query, SortKeyRange,
    StoreError, Write, check_batch,
};
use serde_json::{Map, Value};

pub use table::{create_table, delete_table, table_definition_summary};

/// The DynamoDB adapter. Clone freely: the SDK client is a cheap handle.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn unavailable<E: std::fmt::Debug>(operation: &str, e: E) -> StoreError {
    StoreError::Unavailable(format!("{operation}: {e:?}"))
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl DynamoStore {
    /// The store on `table`, through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// A client for a local endpoint (DynamoDB Local) with fixed dummy credentials, so
    /// nothing looks for real ones or for instance metadata.
    pub fn local_client(endpoint: &str) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "lingong-local",
            ))
            .build();
        Client::from_conf(config)
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }
}

/// The attributes of `item` as stored.
pub fn to_attributes(item: &Item) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut attributes: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(&item.body).map_err(|e| StoreError::Invalid(e.to_string()))?;
    attributes.insert("pk".into(), s(&item.key.pk));
    attributes.insert("sk".into(), s(&item.key.sk));
    attributes.insert("version".into(), n(item.version));
    for index in Index::ALL {
        if let Some(entry) = item.index(index) {
            let (pk, sk) = index.attributes();
            attributes.insert(pk.into(), s(&entry.pk));
            attributes.insert(sk.into(), s(&entry.sk));
        }
    }
    if let Some(at) = item.expires_at {
        attributes.insert("ttl".into(), n(at));
    }
    Ok(attributes)
}

/// An item from its stored attributes: a `GetItem`/`Query` answer, or a stream
/// record's image (`aws_lambda_events` uses `serde_dynamo::Item`).
pub fn from_attributes(attributes: impl Into<serde_dynamo::Item>) -> Result<Item, StoreError> {
    use serde_dynamo::AttributeValue as Av;
    let mut attributes = attributes.into().into_inner();
    let mut take_s = |name: &str| match attributes.remove(name) {
        Some(Av::S(value)) => Some(value),
        _ => None,
    };
    let pk = take_s("pk");
    let sk = take_s("sk");
    let mut index_entries: [Option<IndexKey>; 3] = [None, None, None];
    for (slot, index) in Index::ALL.into_iter().enumerate() {
        let (ipk, isk) = index.attributes();
        if let (Some(pk), Some(sk)) = (take_s(ipk), take_s(isk)) {
            index_entries[slot] = Some(IndexKey { pk, sk });
        }
    }
    let (Some(pk), Some(sk)) = (pk, sk) else {
        return Err(StoreError::Corrupt {
            pk: String::new(),
            sk: String::new(),
            reason: "item without pk/sk".into(),
        });
    };
    let corrupt = |reason: String| StoreError::Corrupt {
        pk: pk.clone(),
        sk: sk.clone(),
        reason,
    };
    let number = |value: Option<Av>| -> Result<Option<i64>, StoreError> {
        match value {
            None => Ok(None),
            Some(Av::N(text)) => text
                .parse()
                .map(Some)
                .map_err(|_| corrupt(format!("bad number {text}"))),
            Some(other) => Err(corrupt(format!("expected a number, found {other:?}"))),
        }
    };
    let version = number(attributes.remove("version"))?.unwrap_or(1);
    let expires_at = number(attributes.remove("ttl"))?;
    let body: Map<String, Value> =
        serde_dynamo::from_item(attributes).map_err(|e| corrupt(e.to_string()))?;
    let version = u64::try_from(version).map_err(|_| corrupt("negative version".into()))?;
    Ok(Item {
        key: Key { pk, sk },
        version,
        indexes: index_entries,
        expires_at,
        body,
    })
}

fn key_attributes(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), s(&key.pk)), ("sk".to_owned(), s(&key.sk))])
}

/// The condition expression, names and values for `condition`.
fn condition_expression(
    condition: Condition,
) -> (
    String,
    HashMap<String, String>,
    Option<HashMap<String, AttributeValue>>,
) {
    let names = HashMap::from([("#pk".to_owned(), "pk".to_owned())]);
    match condition {
        Condition::Absent => ("attribute_not_exists(#pk)".into(), names, None),
        Condition::Exists => ("attribute_exists(#pk)".into(), names, None),
        Condition::Version(v) => {
            let mut names = names;
            names.insert("#v".into(), "version".into());
            (
                "attribute_exists(#pk) AND #v = :expected".into(),
                names,
                Some(HashMap::from([(":expected".to_owned(), n(v))])),
            )
        }
    }
}

impl DynamoStore {
    fn transact_item(&self, write: &Write) -> Result<TransactWriteItem, StoreError> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        Ok(match write {
            Write::Put { item, condition } => {
                let mut put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_attributes(item)?));
                if let Some(condition) = condition {
                    let (expression, names, values) = condition_expression(*condition);
                    put = put
                        .condition_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(values);
                }
                TransactWriteItem::builder()
                    .put(put.build().map_err(built)?)
                    .build()
            }
            Write::Delete { key, condition } => {
                let mut delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)));
                if let Some(condition) = condition {
                    let (expression, names, values) = condition_expression(*condition);
                    delete = delete
                        .condition_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(values);
                }
                TransactWriteItem::builder()
                    .delete(delete.build().map_err(built)?)
                    .build()
            }
            Write::Check { key, condition } => {
                let (expression, names, values) = condition_expression(*condition);
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    .condition_expression(expression)
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(built)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        })
    }

    async fn write_one(&self, write: Write) -> Result<(), StoreError> {
        let failed = StoreError::ConditionFailed { index: 0 };
        match write {
            Write::Put { item, condition } => {
                let mut request = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(to_attributes(&item)?));
                if let Some(condition) = condition {
                    let (expression, names, values) = condition_expression(condition);
                    request = request
                        .condition_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(values);
                }
                match request.send().await {
                    Ok(_) => Ok(()),
                    Err(SdkError::ServiceError(e))
                        if e.err().is_conditional_check_failed_exception() =>
                    {
                        Err(failed)
                    }
                    Err(e) => Err(unavailable("PutItem", e)),
                }
            }
            Write::Delete { key, condition } => {
                let mut request = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(&key)));
                if let Some(condition) = condition {
                    let (expression, names, values) = condition_expression(condition);
                    request = request
                        .condition_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(values);
                }
                match request.send().await {
                    Ok(_) => Ok(()),
                    Err(SdkError::ServiceError(e))
                        if e.err().is_conditional_check_failed_exception() =>
                    {
                        Err(failed)
                    }
                    Err(e) => Err(unavailable("DeleteItem", e)),
                }
            }
            check @ Write::Check { .. } => self.transact(vec![check]).await,
        }
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let items = writes
            .iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                let reasons: Vec<Option<String>> = match e.err() {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => {
                        t.cancellation_reasons().iter().map(|r| r.code().map(str::to_owned)).collect()
                    }
                    _ => Vec::new(),
                };
                if let Some(index) = reasons
                    .iter()
                    .position(|code| code.as_deref() == Some("ConditionalCheckFailed"))
                {
                    Err(StoreError::ConditionFailed { index })
                } else if reasons
                    .iter()
                    .any(|code| code.as_deref() == Some("TransactionConflict"))
                {
                    Err(StoreError::Contention)
                } else {
                    Err(StoreError::Unavailable(format!(
                        "transaction cancelled: {reasons:?}"
                    )))
                }
            }
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_in_progress_exception() => {
                Err(StoreError::Contention)
            }
            Err(e) => Err(StoreError::Unavailable(format!(
                "TransactWriteItems: {}",
                e.code().unwrap_or("no error code")
            ))),
        }
    }
}

#[async_trait]
impl ItemStore for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        output.item.map(from_attributes).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending: Vec<HashMap<String, AttributeValue>> =
                chunk.iter().map(key_attributes).collect();
            let mut attempt = 0u32;
            while !pending.is_empty() {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| unavailable("BatchGetItem", e))?;
                for attributes in output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    out.push(from_attributes(attributes)?);
                }
                if let Some(mut unprocessed) = output.unprocessed_keys.filter(|u| !u.is_empty()) {
                    if let Some(rest) = unprocessed.remove(&self.table) {
                        pending = rest.keys;
                    }
                    attempt += 1;
                    if attempt > 8 {
                        return Err(StoreError::Unavailable(
                            "BatchGetItem kept returning unprocessed keys".into(),
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
                }
            }
        }
        Ok(out)
    }

    async fn write(&self, mut writes: Vec<Write>) -> Result<(), StoreError> {
        check_batch(&writes)?;
        if writes.len() == 1 {
            match writes.pop() {
                Some(write) => self.write_one(write).await,
                None => Ok(()),
            }
        } else {
            self.transact(writes).await
        }
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        if query.limit == 0 || query.limit > 1000 {
            return Err(StoreError::Invalid("query limit must be 1 to 1000".into()));
        }
        let (pk_name, sk_name) = match query.index {
            Some(index) => index.attributes(),
            None => ("pk", "sk"),
        };
        let mut names = HashMap::from([("#p".to_owned(), pk_name.to_owned())]);
        let mut values = HashMap::from([(":p".to_owned(), s(&query.pk))]);
        let mut expression = "#p = :p".to_owned();
        match &query.range {
            SortKeyRange::All => {}
            SortKeyRange::BeginsWith(prefix) => {
                names.insert("#s".into(), sk_name.into());
                values.insert(":s".into(), s(prefix));
                expression.push_str(" AND begins_with(#s, :s)");
            }
            SortKeyRange::Between(low, high) => {
                names.insert("#s".into(), sk_name.into());
                values.insert(":lo".into(), s(low));
                values.insert(":hi".into(), s(high));
                expression.push_str(" AND #s BETWEEN :lo AND :hi");
            }
        }
        let mut start = match &query.after {
            None => None,
            Some(cursor) => {
                let position = cursor
                    .position()
                    .ok_or_else(|| StoreError::Invalid("bad cursor".into()))?;
                let mut key = key_attributes(&position.key);
                if let (Some(index), Some(entry)) = (query.index, position.index_key) {
                    let (ipk, isk) = index.attributes();
                    key.insert(ipk.into(), s(&entry.pk));
                    key.insert(isk.into(), s(&entry.sk));
                }
                Some(key)
            }
        };
        let want = query.limit as usize + 1;
        let mut found: Vec<Item> = Vec::with_capacity(want);
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(|i| i.name().to_owned()))
                .key_condition_expression(&expression)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(!query.descending)
                .consistent_read(query.index.is_none())
                .limit(i32::try_from(want - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query", e))?;
            for attributes in output.items.unwrap_or_default() {
                found.push(from_attributes(attributes)?);
            }
            match output.last_evaluated_key {
                Some(last) if found.len() < want => start = Some(last),
                _ => break,
            }
        }
        let next = if found.len() > query.limit as usize {
            found.truncate(query.limit as usize);
            found.last().map(|item| Cursor::after(item, query.index))
        } else {
            None
        };
        Ok(Page { items: found, next })
    }
}
