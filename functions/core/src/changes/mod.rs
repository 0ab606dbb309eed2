//! Changes to stored items, as a table's change stream delivers them: the item before
//! and after one write. Background work (rebuilding the board, matching, notices)
//! consumes changes in order and must be idempotent: a stream delivers each change at
//! least once, and a retried batch is delivered again whole.
//!
//! On AWS the changes come from the DynamoDB stream (one Lambda per consumer); locally
//! from the embedded store's change log, which `lingong serve` feeds to the same
//! consumers in-process.

mod runner;

pub use runner::{BATCH, MAX_ATTEMPTS, run as run_consumer, spawn as spawn_consumers};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::{Item, Key, StoreError};

/// One write's effect on one item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The item's key.
    pub key: Key,
    /// The item before the write (`None` if it was created).
    pub old: Option<Item>,
    /// The item after the write (`None` if it was deleted).
    pub new: Option<Item>,
}

impl Change {
    /// The record type, from the sort key's first segment (`JOB`, `WKR`, `SKILL`, …).
    pub fn record_type(&self) -> &str {
        self.key.sk.split('#').next().unwrap_or("")
    }

    /// The station the item belongs to, from either image.
    pub fn station(&self) -> Option<&str> {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .and_then(|item| item.body.get("station"))
            .and_then(|v| v.as_str())
    }
}

/// A batch could not be handled completely.
#[derive(Debug, thiserror::Error)]
#[error("{consumer} failed at change {first_failed}: {reason}")]
pub struct ConsumeError {
    /// Which consumer.
    pub consumer: &'static str,
    /// Position in the batch of the first change not handled; it and every later change
    /// will be delivered again (DynamoDB streams' `ReportBatchItemFailures` semantics).
    pub first_failed: usize,
    /// What went wrong (for the log; no personal data).
    pub reason: String,
}

impl ConsumeError {
    /// A store failure at position `at`.
    pub fn store(consumer: &'static str, at: usize, error: &StoreError) -> ConsumeError {
        ConsumeError {
            consumer,
            first_failed: at,
            reason: error.to_string(),
        }
    }
}

/// A step of background work driven by changes.
#[async_trait]
pub trait ChangeConsumer: Send + Sync {
    /// A stable name (used for checkpoints and logs).
    fn name(&self) -> &'static str;

    /// Handles `changes` in order. Must be safe to call again with the same changes.
    async fn consume(&self, changes: &[Change]) -> Result<(), ConsumeError>;
}

/// A durable, ordered log of changes with one checkpoint per consumer: what the local
/// runner reads instead of a DynamoDB stream.
#[async_trait]
pub trait ChangeLog: Send + Sync {
    /// Up to `limit` changes after sequence number `after`, oldest first.
    async fn changes_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Change)>, StoreError>;

    /// The last sequence number `consumer` finished (0 if none).
    async fn checkpoint(&self, consumer: &str) -> Result<u64, StoreError>;

    /// Records that `consumer` finished everything up to `seq`.
    async fn set_checkpoint(&self, consumer: &str, seq: u64) -> Result<(), StoreError>;

    /// Keeps changes that could not be handled after every retry, for staff to see.
    async fn park(
        &self,
        consumer: &str,
        seq: u64,
        change: &Change,
        reason: &str,
    ) -> Result<(), StoreError>;

    /// Waits until a change newer than `seen` may exist (or a while has passed).
    async fn wait_for_changes(&self, seen: u64);
}
