//! The audit log: every staff action, who did it, when, and the record before and after.
//! An entry is written in the same atomic batch as the change it describes, so the log
//! cannot miss an action or record one that did not happen.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    job::new_id,
    keys,
    secrets::SecretError,
    station::StationId,
    store::{Index, Item, ItemStore, Query, StoreError, Write, from_item, to_body},
};

/// One staff action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The station.
    pub station: StationId,
    /// Who (staff username, or `system` for scheduled steps).
    pub actor: String,
    /// What (`job.approve`, `employer.verify`, …).
    pub action: String,
    /// The kind of record acted on.
    pub target_kind: String,
    /// Its id.
    pub target_id: String,
    /// The record before (as stored), if any.
    pub before: Value,
    /// The record after, if any.
    pub after: Value,
    /// Why, when the action asks for a reason.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The write that records `entry`, to put in the same batch as the change.
pub fn record(entry: &AuditEntry) -> Result<Write, AuditError> {
    let id = new_id(entry.at)?;
    let item = Item::new(keys::audit(&entry.station, entry.at, &id), to_body(entry)?).with_index(
        Index::Gsi3,
        keys::audit_by_target(&entry.station, &entry.target_kind, &entry.target_id),
        keys::time_id(entry.at, &id),
    );
    Ok(Write::create(item))
}

/// Why an audit entry could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// No randomness for the entry id.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The entry could not be encoded.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The newest entries of the month containing `month_of`, newest first.
pub async fn month(
    store: &dyn ItemStore,
    station: &StationId,
    month_of: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = Query::partition(keys::audit_partition(station, month_of), limit);
    query.descending = true;
    store
        .query(&query)
        .await?
        .items
        .iter()
        .map(from_item)
        .collect()
}

/// The entries about one record, newest first.
pub async fn of_target(
    store: &dyn ItemStore,
    station: &StationId,
    kind: &str,
    id: &str,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let query =
        Query::index_newest_first(Index::Gsi3, keys::audit_by_target(station, kind, id), limit);
    store
        .query(&query)
        .await?
        .items
        .iter()
        .map(from_item)
        .collect()
}
