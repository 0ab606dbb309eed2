//! The storage port: a single table of items with a partition key, a sort key, three
//! global secondary indexes, an optimistic version and an optional expiry time.
//!
//! The port is deliberately the shape of one DynamoDB table, because the product runs on
//! DynamoDB; the embedded adapter implements exactly the same semantics, and one
//! conformance suite (`tests/tests/store_conformance.rs`) holds both to them. The key
//! design that decides which items exist is in [`crate::keys`], once, for both adapters.

use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most writes one atomic [`ItemStore::write`] may hold (DynamoDB's transaction limit).
pub const MAX_WRITES: usize = 100;
/// Largest item, in bytes of its JSON body, either adapter accepts. DynamoDB's own limit
/// is 400 KB including attribute names; this leaves room for the key attributes.
pub const MAX_ITEM_BYTES: usize = 350_000;
/// Attribute names the table itself uses; a body may not contain them.
pub const RESERVED_ATTRIBUTES: [&str; 10] = [
    "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "ttl", "version",
];

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl Key {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Key {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One of the table's global secondary indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Index {
    /// `gsi1pk`/`gsi1sk`.
    Gsi1,
    /// `gsi2pk`/`gsi2sk`.
    Gsi2,
    /// `gsi3pk`/`gsi3sk`.
    Gsi3,
}

impl Index {
    /// All indexes.
    pub const ALL: [Index; 3] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];

    /// The index name in the table definition.
    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
            Index::Gsi3 => "gsi3",
        }
    }

    /// The partition and sort key attribute names.
    pub fn attributes(self) -> (&'static str, &'static str) {
        match self {
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            Index::Gsi2 => ("gsi2pk", "gsi2sk"),
            Index::Gsi3 => ("gsi3pk", "gsi3sk"),
        }
    }

    fn slot(self) -> usize {
        match self {
            Index::Gsi1 => 0,
            Index::Gsi2 => 1,
            Index::Gsi3 => 2,
        }
    }
}

/// An item's entry in one index: the item appears in the index only if it has one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IndexKey {
    /// The index partition key.
    pub pk: String,
    /// The index sort key.
    pub sk: String,
}

/// One stored item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Primary key.
    pub key: Key,
    /// Optimistic version: 1 when created, +1 on every update.
    pub version: u64,
    /// Entries in `gsi1`, `gsi2`, `gsi3`.
    pub indexes: [Option<IndexKey>; 3],
    /// Unix time (seconds) after which the item may be deleted by the store (TTL).
    /// Readers must treat an expired item as gone: deletion may lag.
    pub expires_at: Option<i64>,
    /// The record itself.
    pub body: Map<String, Value>,
}

impl Item {
    /// A new item (version 1, no index entries, no expiry) holding `body`.
    pub fn new(key: Key, body: Map<String, Value>) -> Item {
        Item {
            key,
            version: 1,
            indexes: [None, None, None],
            expires_at: None,
            body,
        }
    }

    /// Sets the entry in `index`.
    pub fn with_index(
        mut self,
        index: Index,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> Item {
        self.indexes[index.slot()] = Some(IndexKey {
            pk: pk.into(),
            sk: sk.into(),
        });
        self
    }

    /// The entry in `index`, if the item appears there.
    pub fn index(&self, index: Index) -> Option<&IndexKey> {
        self.indexes[index.slot()].as_ref()
    }

    /// Whether the item's expiry time has passed at Unix time `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Checks the item fits both adapters: no reserved names in the body, keys not
    /// empty, body not too large.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.key.pk.is_empty() || self.key.sk.is_empty() {
            return Err(StoreError::Invalid("empty key".into()));
        }
        if let Some(name) = self
            .body
            .keys()
            .find(|k| RESERVED_ATTRIBUTES.contains(&k.as_str()))
        {
            return Err(StoreError::Invalid(format!(
                "body uses reserved attribute `{name}`"
            )));
        }
        for entry in self.indexes.iter().flatten() {
            if entry.pk.is_empty() || entry.sk.is_empty() {
                return Err(StoreError::Invalid("empty index key".into()));
            }
        }
        let size = serde_json::to_vec(&self.body)
            .map(|b| b.len())
            .unwrap_or(usize::MAX);
        if size > MAX_ITEM_BYTES {
            return Err(StoreError::Invalid(format!(
                "item of {size} bytes is too large"
            )));
        }
        Ok(())
    }
}

/// What must be true of the stored item for a write to happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// No item has the key.
    Absent,
    /// An item has the key.
    Exists,
    /// An item has the key and this version.
    Version(u64),
}

/// One write in an atomic batch.
// Puts dominate batches, so boxing the item would add an allocation to nearly every
// write to save a few bytes on the rare delete or check. (The lint fires when a test
// dependency turns on serde_json's `preserve_order`, which makes `Item` larger.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Store the item, replacing any item with its key.
    Put {
        /// The item.
        item: Item,
        /// Condition on the item being replaced.
        condition: Option<Condition>,
    },
    /// Remove the item with the key (nothing happens if there is none).
    Delete {
        /// The key.
        key: Key,
        /// Condition on the item being removed.
        condition: Option<Condition>,
    },
    /// Write nothing, but fail the batch unless the condition holds.
    Check {
        /// The key.
        key: Key,
        /// The condition.
        condition: Condition,
    },
}

impl Write {
    /// A put that must not replace anything.
    pub fn create(item: Item) -> Write {
        Write::Put {
            item,
            condition: Some(Condition::Absent),
        }
    }

    /// A put that replaces version `expected` of the item.
    pub fn replace(item: Item, expected: u64) -> Write {
        Write::Put {
            item,
            condition: Some(Condition::Version(expected)),
        }
    }

    /// A put with no condition (for items whose last write simply wins).
    pub fn put(item: Item) -> Write {
        Write::Put {
            item,
            condition: None,
        }
    }

    /// An unconditional delete.
    pub fn delete(key: Key) -> Write {
        Write::Delete {
            key,
            condition: None,
        }
    }

    /// The key this write touches.
    pub fn key(&self) -> &Key {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Delete { key, .. } | Write::Check { key, .. } => key,
        }
    }

    /// The condition, if any.
    pub fn condition(&self) -> Option<Condition> {
        match self {
            Write::Put { condition, .. } | Write::Delete { condition, .. } => *condition,
            Write::Check { condition, .. } => Some(*condition),
        }
    }
}

/// Checks a batch both adapters can apply: 1–100 writes, each key at most once, items
/// well formed.
pub fn check_batch(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() || writes.len() > MAX_WRITES {
        return Err(StoreError::Invalid(format!(
            "a batch holds 1 to {MAX_WRITES} writes, not {}",
            writes.len()
        )));
    }
    let mut keys = std::collections::HashSet::new();
    for write in writes {
        if !keys.insert(write.key()) {
            return Err(StoreError::Invalid("a batch touches one key twice".into()));
        }
        if let Write::Put { item, .. } = write {
            item.check()?;
        }
    }
    Ok(())
}

/// Whether `condition` holds for `current` (the stored item, if any). Adapters that
/// evaluate conditions themselves use this so both agree.
pub fn condition_holds(condition: Condition, current: Option<&Item>) -> bool {
    match (condition, current) {
        (Condition::Absent, None) => true,
        (Condition::Absent, Some(_)) => false,
        (Condition::Exists, current) => current.is_some(),
        (Condition::Version(v), Some(item)) => item.version == v,
        (Condition::Version(_), None) => false,
    }
}

/// Which part of a partition a query reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortKeyRange {
    /// Every sort key.
    All,
    /// Sort keys starting with the text.
    BeginsWith(String),
    /// Sort keys between the two, both inclusive.
    Between(String, String),
}

impl SortKeyRange {
    /// Whether `sk` is in the range.
    pub fn contains(&self, sk: &str) -> bool {
        match self {
            SortKeyRange::All => true,
            SortKeyRange::BeginsWith(prefix) => sk.starts_with(prefix.as_str()),
            SortKeyRange::Between(low, high) => low.as_str() <= sk && sk <= high.as_str(),
        }
    }
}

/// A read of one partition of the table or of an index, in sort-key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// `None` for the table, else the index.
    pub index: Option<Index>,
    /// The partition key value.
    pub pk: String,
    /// Which sort keys.
    pub range: SortKeyRange,
    /// Largest sort key first.
    pub descending: bool,
    /// Most items in the page (1–1000).
    pub limit: u32,
    /// Continue after this position (from a previous page's `next`).
    pub after: Option<Cursor>,
}

impl Query {
    /// All items of a table partition, in ascending sort-key order, up to `limit`.
    pub fn partition(pk: impl Into<String>, limit: u32) -> Query {
        Query {
            index: None,
            pk: pk.into(),
            range: SortKeyRange::All,
            descending: false,
            limit,
            after: None,
        }
    }

    /// An index partition, newest (largest sort key) first, up to `limit`.
    pub fn index_newest_first(index: Index, pk: impl Into<String>, limit: u32) -> Query {
        Query {
            index: Some(index),
            pk: pk.into(),
            range: SortKeyRange::All,
            descending: true,
            limit,
            after: None,
        }
    }
}

/// One page of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// Items in the page.
    pub items: Vec<Item>,
    /// Where the next page starts; `None` when there are no more items.
    pub next: Option<Cursor>,
}

/// An opaque position in a query, safe to hand to clients (it holds only keys).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor(String);

/// The position a [`Cursor`] stands for: the last item's primary key and, for index
/// queries, its index key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The item's primary key.
    pub key: Key,
    /// The item's key in the queried index, if an index was queried.
    pub index_key: Option<IndexKey>,
}

impl Cursor {
    /// The cursor after `item` in a query of `index`.
    pub fn after(item: &Item, index: Option<Index>) -> Cursor {
        let position = Position {
            key: item.key.clone(),
            index_key: index.and_then(|i| item.index(i).cloned()),
        };
        let json = serde_json::to_vec(&position).unwrap_or_default();
        Cursor(URL_SAFE_NO_PAD.encode(json))
    }

    /// Reads a cursor a client sent back.
    pub fn parse(text: &str) -> Option<Cursor> {
        let cursor = Cursor(text.to_owned());
        cursor.position().map(|_| cursor)
    }

    /// The position the cursor stands for.
    pub fn position(&self) -> Option<Position> {
        let bytes = URL_SAFE_NO_PAD.decode(self.0.as_bytes()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The cursor's text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write's condition did not hold; nothing in the batch was written. `index` is the
    /// position of the (first) failing write in the batch.
    #[error("condition failed on write {index}")]
    ConditionFailed {
        /// Position of the failing write.
        index: usize,
    },
    /// Another writer touched the same items at the same moment; try again.
    #[error("conflicting concurrent write")]
    Contention,
    /// The request is malformed (a bug in the caller).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A stored item could not be read back as the expected record.
    #[error("corrupt item {pk}/{sk}: {reason}")]
    Corrupt {
        /// Partition key.
        pk: String,
        /// Sort key.
        sk: String,
        /// Why.
        reason: String,
    },
    /// The backend failed or is unreachable, or throttled us past retrying.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Whether a write failed its condition (at any position).
    pub fn is_condition_failed(&self) -> bool {
        matches!(self, StoreError::ConditionFailed { .. })
    }
}

/// The storage port.
#[async_trait]
pub trait ItemStore: Send + Sync + 'static {
    /// The item with `key`, read consistently. Expired items are still returned:
    /// callers decide (see [`Item::is_expired`]).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// The items with these keys that exist, in no particular order (consistent reads).
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;

    /// Applies every write or none. See [`check_batch`] for the limits.
    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// One page of a query.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;
}

/// Reads every page of `query` (for bounded partitions such as one worker's items).
pub async fn query_all(store: &dyn ItemStore, mut query: Query) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    loop {
        let page = store.query(&query).await?;
        items.extend(page.items);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(items),
        }
    }
}

/// A JSON body from any serialisable record.
pub fn to_body<T: Serialize>(record: &T) -> Result<Map<String, Value>, StoreError> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(StoreError::Invalid(
            "a record must serialise to an object".into(),
        )),
        Err(e) => Err(StoreError::Invalid(e.to_string())),
    }
}

/// A record from an item's body.
pub fn from_item<T: for<'de> Deserialize<'de>>(item: &Item) -> Result<T, StoreError> {
    serde_json::from_value(Value::Object(item.body.clone())).map_err(|e| StoreError::Corrupt {
        pk: item.key.pk.clone(),
        sk: item.key.sk.clone(),
        reason: e.to_string(),
    })
}
