//! An in-memory [`ItemStore`]: the same semantics as the DynamoDB and embedded stores
//! (the conformance suite runs on it too), nothing kept on disk. For simulations and
//! benchmarks with a million records, and for tests of use cases that need no
//! durability.

use std::{
    collections::{BTreeMap, BTreeSet},
    ops::Bound,
    sync::Mutex,
};

use async_trait::async_trait;

use crate::store::{
    Cursor, Item, ItemStore, Key, Page, Query, StoreError, Write, check_batch, condition_holds,
};

type IndexEntry = (String, String, String, String);

#[derive(Default)]
struct State {
    items: BTreeMap<(String, String), Item>,
    indexes: [BTreeSet<IndexEntry>; 3],
}

/// The store, in memory.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

/// The largest string used as an open upper bound.
const TOP: &str = "\u{10FFFF}";

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of items held.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether the store holds no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every item held (diagnostics and tests: "is anything about this person left?").
    pub fn all_items(&self) -> Vec<Item> {
        self.lock().items.values().cloned().collect()
    }
}

impl State {
    fn unindex(&mut self, item: &Item) {
        for (slot, entry) in item.indexes.iter().enumerate() {
            if let Some(entry) = entry {
                self.indexes[slot].remove(&(
                    entry.pk.clone(),
                    entry.sk.clone(),
                    item.key.pk.clone(),
                    item.key.sk.clone(),
                ));
            }
        }
    }

    fn index(&mut self, item: &Item) {
        for (slot, entry) in item.indexes.iter().enumerate() {
            if let Some(entry) = entry {
                self.indexes[slot].insert((
                    entry.pk.clone(),
                    entry.sk.clone(),
                    item.key.pk.clone(),
                    item.key.sk.clone(),
                ));
            }
        }
    }
}

#[async_trait]
impl ItemStore for MemoryStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        Ok(self
            .lock()
            .items
            .get(&(key.pk.clone(), key.sk.clone()))
            .cloned())
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let state = self.lock();
        Ok(keys
            .iter()
            .filter_map(|k| state.items.get(&(k.pk.clone(), k.sk.clone())).cloned())
            .collect())
    }

    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_batch(&writes)?;
        let mut state = self.lock();
        for (position, write) in writes.iter().enumerate() {
            let key = write.key();
            let current = state.items.get(&(key.pk.clone(), key.sk.clone()));
            if let Some(condition) = write.condition()
                && !condition_holds(condition, current)
            {
                return Err(StoreError::ConditionFailed { index: position });
            }
        }
        for write in writes {
            match write {
                Write::Put { item, .. } => {
                    let slot = (item.key.pk.clone(), item.key.sk.clone());
                    if let Some(old) = state.items.remove(&slot) {
                        state.unindex(&old);
                    }
                    state.index(&item);
                    state.items.insert(slot, item);
                }
                Write::Delete { key, .. } => {
                    if let Some(old) = state.items.remove(&(key.pk, key.sk)) {
                        state.unindex(&old);
                    }
                }
                Write::Check { .. } => {}
            }
        }
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
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
        let state = self.lock();
        let want = query.limit as usize + 1;
        let mut found: Vec<Item> = Vec::with_capacity(want.min(64));
        let pk = query.pk.clone();
        match query.index {
            None => {
                let after_sk = after.as_ref().map(|p| p.key.sk.clone());
                let lower = match &after_sk {
                    Some(sk) if !query.descending => Bound::Excluded((pk.clone(), sk.clone())),
                    _ => Bound::Included((pk.clone(), String::new())),
                };
                let upper = match &after_sk {
                    Some(sk) if query.descending => Bound::Excluded((pk.clone(), sk.clone())),
                    _ => Bound::Included((pk.clone(), TOP.to_owned())),
                };
                let range = state.items.range((lower, upper));
                let mut visit = |(key, item): (&(String, String), &Item)| {
                    if query.range.contains(&key.1) {
                        found.push(item.clone());
                    }
                    found.len() < want
                };
                if query.descending {
                    for entry in range.rev() {
                        if !visit(entry) {
                            break;
                        }
                    }
                } else {
                    for entry in range {
                        if !visit(entry) {
                            break;
                        }
                    }
                }
            }
            Some(index) => {
                let slot = match index {
                    crate::store::Index::Gsi1 => 0,
                    crate::store::Index::Gsi2 => 1,
                    crate::store::Index::Gsi3 => 2,
                };
                let position = after.as_ref().and_then(|p| {
                    p.index_key.as_ref().map(|ik| {
                        (
                            pk.clone(),
                            ik.sk.clone(),
                            p.key.pk.clone(),
                            p.key.sk.clone(),
                        )
                    })
                });
                let lower = match &position {
                    Some(at) if !query.descending => Bound::Excluded(at.clone()),
                    _ => Bound::Included((pk.clone(), String::new(), String::new(), String::new())),
                };
                let upper = match &position {
                    Some(at) if query.descending => Bound::Excluded(at.clone()),
                    _ => Bound::Included((
                        pk.clone(),
                        TOP.to_owned(),
                        TOP.to_owned(),
                        TOP.to_owned(),
                    )),
                };
                let range = state.indexes[slot].range((lower, upper));
                let mut visit = |(_, isk, item_pk, item_sk): &IndexEntry| {
                    if query.range.contains(isk)
                        && let Some(item) = state.items.get(&(item_pk.clone(), item_sk.clone()))
                    {
                        found.push(item.clone());
                    }
                    found.len() < want
                };
                if query.descending {
                    for entry in range.rev() {
                        if !visit(entry) {
                            break;
                        }
                    }
                } else {
                    for entry in range {
                        if !visit(entry) {
                            break;
                        }
                    }
                }
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
