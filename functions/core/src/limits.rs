//! Rate limits kept in the table: fixed-window counters that expire by TTL. Used for
//! login attempts (per account and per address), public forms (per address and per
//! phone number) and the station's daily SMS budget. Counting is exact under
//! concurrency (optimistic versions), and a limit that is reached refuses before
//! anything else happens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    keys,
    secrets::Secrets,
    station::StationId,
    store::{Item, ItemStore, StoreError, Write, from_item, to_body},
};

/// One kind of limit: how many hits per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// A stable name, part of the key (`login-account`, `form-ip`, …).
    pub name: &'static str,
    /// Hits allowed per window.
    pub max: u32,
    /// Window length in seconds.
    pub window_secs: i64,
}

impl Limit {
    /// Failed logins per account: 5 per 15 minutes.
    pub const LOGIN_ACCOUNT: Limit = Limit {
        name: "login-account",
        max: 5,
        window_secs: 15 * 60,
    };
    /// Failed logins per address: 20 per 15 minutes.
    pub const LOGIN_ADDRESS: Limit = Limit {
        name: "login-address",
        max: 20,
        window_secs: 15 * 60,
    };
    /// Public form submissions per address: 20 per hour.
    pub const FORM_ADDRESS: Limit = Limit {
        name: "form-address",
        max: 20,
        window_secs: 3600,
    };
    /// Public form submissions per address without a proof of work (a browser with
    /// JavaScript off, or a script): 10 per hour.
    pub const FORM_ADDRESS_NO_POW: Limit = Limit {
        name: "form-address-nopow",
        max: 10,
        window_secs: 3600,
    };
    /// Public form submissions per phone number: 5 per hour.
    pub const FORM_PHONE: Limit = Limit {
        name: "form-phone",
        max: 5,
        window_secs: 3600,
    };
}

/// Whether a hit was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Under the limit; the hit was counted.
    Allowed,
    /// The limit is reached; try again after this time.
    Limited {
        /// When the window ends.
        retry_after: DateTime<Utc>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Counter {
    station: StationId,
    count: u32,
}

fn window(limit: Limit, now: DateTime<Utc>) -> (i64, i64) {
    let start = now.timestamp() - now.timestamp().rem_euclid(limit.window_secs);
    (start, start + limit.window_secs)
}

/// Counts a hit against `limit` for `subject` (an account name, an address, a phone
/// number: hashed with the deployment secret, never stored as is).
pub async fn hit(
    store: &dyn ItemStore,
    secrets: &Secrets,
    station: &StationId,
    limit: Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Verdict, StoreError> {
    let (start, end) = window(limit, now);
    let subject_key = secrets.sign("limit-subject", subject);
    let key = keys::rate_limit(station, limit.name, &subject_key, start);
    let retry_after = DateTime::from_timestamp(end, 0).unwrap_or(now);
    for _ in 0..10 {
        let current = store.get(&key).await?;
        let count = match &current {
            Some(item) if !item.is_expired(now.timestamp()) => from_item::<Counter>(item)?.count,
            _ => 0,
        };
        if count >= limit.max {
            return Ok(Verdict::Limited { retry_after });
        }
        let mut item = Item::new(
            key.clone(),
            to_body(&Counter {
                station: station.clone(),
                count: count + 1,
            })?,
        );
        item.expires_at = Some(end);
        let write = match &current {
            Some(old) => {
                item.version = old.version + 1;
                Write::replace(item, old.version)
            }
            None => Write::create(item),
        };
        match store.write(vec![write]).await {
            Ok(()) => return Ok(Verdict::Allowed),
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contention)
}

/// Whether `subject` is at the limit now, without counting a hit.
pub async fn is_limited(
    store: &dyn ItemStore,
    secrets: &Secrets,
    station: &StationId,
    limit: Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (start, _) = window(limit, now);
    let subject_key = secrets.sign("limit-subject", subject);
    let key = keys::rate_limit(station, limit.name, &subject_key, start);
    Ok(match store.get(&key).await? {
        Some(item) if !item.is_expired(now.timestamp()) => {
            from_item::<Counter>(&item)?.count >= limit.max
        }
        _ => false,
    })
}
