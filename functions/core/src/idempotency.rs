//! Idempotency keys: a request retried with the same key has one effect and gets the
//! first answer back; the same key with a different request is refused.
//!
//! The record of a keyed request is written in the same atomic batch as the records the
//! request creates, so "done" and "remembered" cannot come apart. It expires after
//! [`TTL_HOURS`]; an expired record counts as absent (DynamoDB's TTL deletion lags).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    keys,
    problem::FieldError,
    secrets::sha256_hex,
    station::StationId,
    store::{Condition, Item, ItemStore, StoreError, Write, from_item, to_body},
};

/// How long a key is remembered.
pub const TTL_HOURS: i64 = 24;

/// A client's idempotency key: 8–200 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<IdempotencyKey, FieldError> {
        let text = raw.trim();
        if (8..=200).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err(FieldError::new(field, "error.idempotency_key"))
        }
    }

    /// A key derived from a request's fingerprint, for plain HTML forms sent without a
    /// nonce: the same form body sent twice within the TTL is one request.
    pub fn from_fingerprint(fingerprint: &str) -> IdempotencyKey {
        IdempotencyKey(format!("form:{fingerprint}"))
    }

    /// The hash stored in the key (the key itself is never stored).
    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

/// What was done under a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The station.
    pub station: StationId,
    /// The action (`post_job`, `sign_up`).
    pub action: String,
    /// The fingerprint of the request.
    pub fingerprint: String,
    /// The record the request created or changed.
    pub record_id: String,
    /// `created` or `updated`.
    pub outcome: String,
    /// When first done.
    pub created_at: DateTime<Utc>,
}

/// What a key says about a request about to be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prior {
    /// Not seen (or expired): go ahead; the claim must use this condition.
    Fresh(Condition),
    /// Seen with the same request: answer as the first time.
    Replay(IdempotencyRecord),
    /// Seen with a different request.
    Mismatch,
}

/// Looks up `key` for a request with `fingerprint`.
pub async fn check(
    store: &dyn ItemStore,
    station: &StationId,
    key: &IdempotencyKey,
    action: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Prior, StoreError> {
    let Some(item) = store.get(&keys::idempotency(station, &key.hash())).await? else {
        return Ok(Prior::Fresh(Condition::Absent));
    };
    if item.is_expired(now.timestamp()) {
        return Ok(Prior::Fresh(Condition::Version(item.version)));
    }
    let record: IdempotencyRecord = from_item(&item)?;
    if record.action == action && record.fingerprint == fingerprint {
        Ok(Prior::Replay(record))
    } else {
        Ok(Prior::Mismatch)
    }
}

/// The write that remembers a request, to go in the same batch as its effects.
pub fn claim(
    key: &IdempotencyKey,
    record: &IdempotencyRecord,
    condition: Condition,
) -> Result<Write, StoreError> {
    let mut item = Item::new(
        keys::idempotency(&record.station, &key.hash()),
        to_body(record)?,
    );
    item.expires_at = Some((record.created_at + Duration::hours(TTL_HOURS)).timestamp());
    if let Condition::Version(v) = condition {
        item.version = v + 1;
    }
    Ok(Write::Put {
        item,
        condition: Some(condition),
    })
}
