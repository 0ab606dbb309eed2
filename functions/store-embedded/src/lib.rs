//! The embedded store: [`ItemStore`] on a single [redb](https://docs.rs/redb) file.
//!
//! Why redb: it is an embedded, pure-Rust database with ACID transactions and
//! copy-on-write B-trees, so a crash or a killed process never leaves a half-written
//! batch, and a restart loses nothing that was acknowledged (every commit is durable).
//! One write transaction applies a whole batch of conditional writes atomically, which is
//! exactly the port's contract. A hand-rolled write-then-rename file would have to
//! rewrite everything on every change and re-implement indexes.
//!
//! Layout: table `items` maps `(pk, sk)` to the item as JSON; tables `gsi1`, `gsi2`,
//! `gsi3` map `(index pk, index sk, pk, sk)` to nothing, so an index query is a range
//! scan followed by item reads. The order of keys is byte order of UTF-8, as in DynamoDB.
//!
//! Like a DynamoDB stream, the store keeps a change log: every write appends the item's
//! old and new image to table `changes` in the same transaction, so no change is ever
//! lost or recorded without its write. Consumers keep checkpoints in `checkpoints`;
//! changes every consumer has passed are pruned; changes a consumer gave up on are kept
//! in `parked`.

use std::{ops::Bound, path::Path, sync::Arc};

use async_trait::async_trait;
use lingong_core::changes::{Change, ChangeLog};
use lingong_core::store::{
    Cursor, Index, Item, ItemStore, Key, Page, Query, StoreError, Write, check_batch,
    condition_holds,
};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<(&str, &str, &str, &str), ()> = TableDefinition::new("gsi1");
const GSI2: TableDefinition<(&str, &str, &str, &str), ()> = TableDefinition::new("gsi2");
const GSI3: TableDefinition<(&str, &str, &str, &str), ()> = TableDefinition::new("gsi3");
const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");
const CHECKPOINTS: TableDefinition<&str, u64> = TableDefinition::new("checkpoints");
const PARKED: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("parked");

/// The largest string used as an open upper bound in range scans.
const TOP: &str = "\u{10FFFF}";

fn index_table(
    index: Index,
) -> TableDefinition<'static, (&'static str, &'static str, &'static str, &'static str), ()> {
    match index {
        Index::Gsi1 => GSI1,
        Index::Gsi2 => GSI2,
        Index::Gsi3 => GSI3,
    }
}

/// The embedded store. Cheap to clone; all clones share one open database.
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
    /// The newest change's sequence number, to wake consumers.
    latest: Arc<tokio::sync::watch::Sender<u64>>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn decode(bytes: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        pk: String::new(),
        sk: String::new(),
        reason: e.to_string(),
    })
}

impl RedbStore {
    /// Opens (or creates) the database file `lingong.redb` in `dir`, creating `dir` too.
    pub fn open_dir(dir: &Path) -> Result<RedbStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(unavailable)?;
        Self::open_file(&dir.join("lingong.redb"))
    }

    /// Opens (or creates) the database at `path`.
    pub fn open_file(path: &Path) -> Result<RedbStore, StoreError> {
        let db = Database::create(path).map_err(unavailable)?;
        let txn = db.begin_write().map_err(unavailable)?;
        let latest = {
            txn.open_table(ITEMS).map_err(unavailable)?;
            for index in Index::ALL {
                txn.open_table(index_table(index)).map_err(unavailable)?;
            }
            txn.open_table(CHECKPOINTS).map_err(unavailable)?;
            txn.open_table(PARKED).map_err(unavailable)?;
            let changes = txn.open_table(CHANGES).map_err(unavailable)?;
            let last = changes
                .last()
                .map_err(unavailable)?
                .map(|(seq, _)| seq.value());
            last.unwrap_or(0)
        };
        txn.commit().map_err(unavailable)?;
        Ok(RedbStore {
            db: Arc::new(db),
            latest: Arc::new(tokio::sync::watch::channel(latest).0),
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(unavailable)?
    }

    fn get_sync(db: &Database, key: &Key) -> Result<Option<Item>, StoreError> {
        let txn = db.begin_read().map_err(unavailable)?;
        let table = txn.open_table(ITEMS).map_err(unavailable)?;
        match table
            .get((key.pk.as_str(), key.sk.as_str()))
            .map_err(unavailable)?
        {
            Some(value) => decode(value.value()).map(Some),
            None => Ok(None),
        }
    }

    fn write_sync(db: &Database, writes: Vec<Write>) -> Result<u64, StoreError> {
        check_batch(&writes)?;
        let txn = db.begin_write().map_err(unavailable)?;
        let latest = {
            let mut items = txn.open_table(ITEMS).map_err(unavailable)?;
            let mut current = Vec::with_capacity(writes.len());
            for (position, write) in writes.iter().enumerate() {
                let key = write.key();
                let existing = match items
                    .get((key.pk.as_str(), key.sk.as_str()))
                    .map_err(unavailable)?
                {
                    Some(value) => Some(decode(value.value())?),
                    None => None,
                };
                if let Some(condition) = write.condition()
                    && !condition_holds(condition, existing.as_ref())
                {
                    // Dropping the transaction without commit aborts it.
                    return Err(StoreError::ConditionFailed { index: position });
                }
                current.push(existing);
            }
            let mut indexes = [
                txn.open_table(GSI1).map_err(unavailable)?,
                txn.open_table(GSI2).map_err(unavailable)?,
                txn.open_table(GSI3).map_err(unavailable)?,
            ];
            let mut log = txn.open_table(CHANGES).map_err(unavailable)?;
            let mut seq = log
                .last()
                .map_err(unavailable)?
                .map(|(seq, _)| seq.value())
                .unwrap_or(0);
            for (write, existing) in writes.into_iter().zip(current) {
                if let Some(old) = &existing {
                    for (slot, entry) in old.indexes.iter().enumerate() {
                        if let Some(entry) = entry {
                            indexes[slot]
                                .remove((
                                    entry.pk.as_str(),
                                    entry.sk.as_str(),
                                    old.key.pk.as_str(),
                                    old.key.sk.as_str(),
                                ))
                                .map_err(unavailable)?;
                        }
                    }
                }
                let change = match &write {
                    Write::Put { item, .. } => Some(Change {
                        key: item.key.clone(),
                        old: existing.clone(),
                        new: Some(item.clone()),
                    }),
                    Write::Delete { key, .. } if existing.is_some() => Some(Change {
                        key: key.clone(),
                        old: existing.clone(),
                        new: None,
                    }),
                    Write::Delete { .. } | Write::Check { .. } => None,
                };
                if let Some(change) = change {
                    seq += 1;
                    let bytes = serde_json::to_vec(&change)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    log.insert(seq, bytes.as_slice()).map_err(unavailable)?;
                }
                match write {
                    Write::Put { item, .. } => {
                        let bytes = serde_json::to_vec(&item)
                            .map_err(|e| StoreError::Invalid(e.to_string()))?;
                        items
                            .insert(
                                (item.key.pk.as_str(), item.key.sk.as_str()),
                                bytes.as_slice(),
                            )
                            .map_err(unavailable)?;
                        for (slot, entry) in item.indexes.iter().enumerate() {
                            if let Some(entry) = entry {
                                indexes[slot]
                                    .insert(
                                        (
                                            entry.pk.as_str(),
                                            entry.sk.as_str(),
                                            item.key.pk.as_str(),
                                            item.key.sk.as_str(),
                                        ),
                                        (),
                                    )
                                    .map_err(unavailable)?;
                            }
                        }
                    }
                    Write::Delete { key, .. } => {
                        items
                            .remove((key.pk.as_str(), key.sk.as_str()))
                            .map_err(unavailable)?;
                    }
                    Write::Check { .. } => {}
                }
            }
            seq
        };
        txn.commit().map_err(unavailable)?;
        Ok(latest)
    }

    fn query_sync(db: &Database, query: &Query) -> Result<Page, StoreError> {
        if query.limit == 0 || query.limit > 1000 {
            return Err(StoreError::Invalid("query limit must be 1 to 1000".into()));
        }
        let after = match &query.after {
            Some(cursor) => Some(
                cursor
                    .position()
                    .ok_or_else(|| StoreError::Invalid("bad cursor".into()))?,
            ),
            None => None,
        };
        let txn = db.begin_read().map_err(unavailable)?;
        let items = txn.open_table(ITEMS).map_err(unavailable)?;
        let want = query.limit as usize + 1;
        let mut found: Vec<Item> = Vec::with_capacity(want);
        let pk = query.pk.as_str();
        match query.index {
            None => {
                // The cursor's sort key bounds the scan on the side we are moving away from.
                let after_sk = after.as_ref().map(|p| p.key.sk.as_str());
                let lower = match after_sk {
                    Some(sk) if !query.descending => Bound::Excluded((pk, sk)),
                    _ => Bound::Included((pk, "")),
                };
                let upper = match after_sk {
                    Some(sk) if query.descending => Bound::Excluded((pk, sk)),
                    _ => Bound::Included((pk, TOP)),
                };
                let range = items
                    .range::<(&str, &str)>((lower, upper))
                    .map_err(unavailable)?;
                in_order(range, query.descending, |entry| {
                    let (key, value) = entry.map_err(unavailable)?;
                    if query.range.contains(key.value().1) {
                        found.push(decode(value.value())?);
                    }
                    Ok(found.len() < want)
                })?;
            }
            Some(index) => {
                let table = txn.open_table(index_table(index)).map_err(unavailable)?;
                let position = after.as_ref().and_then(|p| {
                    p.index_key
                        .as_ref()
                        .map(|ik| (ik.sk.as_str(), p.key.pk.as_str(), p.key.sk.as_str()))
                });
                let lower = match position {
                    Some((isk, ipk, sk)) if !query.descending => {
                        Bound::Excluded((pk, isk, ipk, sk))
                    }
                    _ => Bound::Included((pk, "", "", "")),
                };
                let upper = match position {
                    Some((isk, ipk, sk)) if query.descending => Bound::Excluded((pk, isk, ipk, sk)),
                    _ => Bound::Included((pk, TOP, TOP, TOP)),
                };
                let range = table
                    .range::<(&str, &str, &str, &str)>((lower, upper))
                    .map_err(unavailable)?;
                in_order(range, query.descending, |entry| {
                    let (key, _) = entry.map_err(unavailable)?;
                    let (_, isk, item_pk, item_sk) = key.value();
                    if !query.range.contains(isk) {
                        return Ok(true);
                    }
                    if let Some(value) = items.get((item_pk, item_sk)).map_err(unavailable)? {
                        found.push(decode(value.value())?);
                    }
                    Ok(found.len() < want)
                })?;
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

/// Feeds `entries` to `visit` forwards or backwards until it returns `false`.
fn in_order<T>(
    entries: impl DoubleEndedIterator<Item = T>,
    descending: bool,
    mut visit: impl FnMut(T) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let mut step = |entry| visit(entry);
    if descending {
        for entry in entries.rev() {
            if !step(entry)? {
                break;
            }
        }
    } else {
        for entry in entries {
            if !step(entry)? {
                break;
            }
        }
    }
    Ok(())
}

#[async_trait]
impl ItemStore for RedbStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.blocking(move |db| Self::get_sync(db, &key)).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let keys = keys.to_vec();
        self.blocking(move |db| {
            let mut out = Vec::with_capacity(keys.len());
            for key in &keys {
                if let Some(item) = Self::get_sync(db, key)? {
                    out.push(item);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let latest = self
            .blocking(move |db| Self::write_sync(db, writes))
            .await?;
        self.latest.send_if_modified(|seen| {
            let newer = latest > *seen;
            *seen = (*seen).max(latest);
            newer
        });
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let query = query.clone();
        self.blocking(move |db| Self::query_sync(db, &query)).await
    }
}

#[async_trait]
impl ChangeLog for RedbStore {
    async fn changes_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Change)>, StoreError> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let log = txn.open_table(CHANGES).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in log
                .range((Bound::Excluded(after), Bound::Unbounded))
                .map_err(unavailable)?
            {
                let (seq, value) = entry.map_err(unavailable)?;
                let change: Change =
                    serde_json::from_slice(value.value()).map_err(|e| StoreError::Corrupt {
                        pk: "changes".into(),
                        sk: seq.value().to_string(),
                        reason: e.to_string(),
                    })?;
                out.push((seq.value(), change));
                if out.len() >= limit {
                    break;
                }
            }
            Ok(out)
        })
        .await
    }

    async fn checkpoint(&self, consumer: &str) -> Result<u64, StoreError> {
        let consumer = consumer.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let table = txn.open_table(CHECKPOINTS).map_err(unavailable)?;
            Ok(table
                .get(consumer.as_str())
                .map_err(unavailable)?
                .map(|v| v.value())
                .unwrap_or(0))
        })
        .await
    }

    async fn set_checkpoint(&self, consumer: &str, seq: u64) -> Result<(), StoreError> {
        let consumer = consumer.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut table = txn.open_table(CHECKPOINTS).map_err(unavailable)?;
                table.insert(consumer.as_str(), seq).map_err(unavailable)?;
                // Prune what every consumer has passed.
                let mut lowest = u64::MAX;
                for entry in table.iter().map_err(unavailable)? {
                    let (_, value) = entry.map_err(unavailable)?;
                    lowest = lowest.min(value.value());
                }
                let mut log = txn.open_table(CHANGES).map_err(unavailable)?;
                // Keep the newest entry so the next sequence number survives a restart.
                let last = log
                    .last()
                    .map_err(unavailable)?
                    .map(|(seq, _)| seq.value())
                    .unwrap_or(0);
                let upto = lowest.min(last.saturating_sub(1));
                if upto > 0 {
                    log.retain_in(..=upto, |_, _| false).map_err(unavailable)?;
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn park(
        &self,
        consumer: &str,
        seq: u64,
        change: &Change,
        reason: &str,
    ) -> Result<(), StoreError> {
        let consumer = consumer.to_owned();
        let record = serde_json::json!({ "change": change, "reason": reason });
        let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut table = txn.open_table(PARKED).map_err(unavailable)?;
                table
                    .insert((consumer.as_str(), seq), bytes.as_slice())
                    .map_err(unavailable)?;
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }

    async fn wait_for_changes(&self, seen: u64) {
        let mut receiver = self.latest.subscribe();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            receiver.wait_for(|latest| *latest > seen),
        )
        .await;
    }
}

impl RedbStore {
    /// Every item in the store, in key order: for diagnostics and tests ("is anything
    /// about this person left?"), never for a request.
    pub async fn all_items(&self) -> Result<Vec<Item>, StoreError> {
        self.blocking(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let table = txn.open_table(ITEMS).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in table.iter().map_err(unavailable)? {
                let (_, value) = entry.map_err(unavailable)?;
                out.push(decode(value.value())?);
            }
            Ok(out)
        })
        .await
    }

    /// Changes a consumer gave up on: (consumer, sequence number, the record as JSON).
    pub async fn parked(&self) -> Result<Vec<(String, u64, serde_json::Value)>, StoreError> {
        self.blocking(|db| {
            let txn = db.begin_read().map_err(unavailable)?;
            let table = txn.open_table(PARKED).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in table.iter().map_err(unavailable)? {
                let (key, value) = entry.map_err(unavailable)?;
                let (consumer, seq) = key.value();
                let record =
                    serde_json::from_slice(value.value()).unwrap_or(serde_json::Value::Null);
                out.push((consumer.to_owned(), seq, record));
            }
            Ok(out)
        })
        .await
    }
}
