//! Rate limits kept in the table: fixed-window counters that expire by TTL. Used for
//! login attempts (per account and per address), public forms (per address and per
//! phone number), proof-of-work challenges (per address) and the station's daily SMS
//! budget.
//!
//! A limit is a reservation, never a check followed by a count: [`hit`] is one
//! conditional increment that refuses at the limit, taken *before* the work, so a
//! burst of concurrent requests gets exactly the limit's number through; when the work
//! turns out not to count (a replay, a refused form, a right password) the hit is given
//! back with [`release`]. [`reserve`] takes several limits at once, all or none.

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
    /// Failed logins per account from one address: 5 per 15 minutes. Keyed on the
    /// pair, so a stranger's guesses never lock the account's owner out.
    pub const LOGIN_PAIR: Limit = Limit {
        name: "login-pair",
        max: 5,
        window_secs: 15 * 60,
    };
    /// Failed logins per account from one address over a day: 20. The delay grows
    /// from a quarter of an hour to the rest of the day.
    pub const LOGIN_PAIR_DAY: Limit = Limit {
        name: "login-pair-day",
        max: 20,
        window_secs: 24 * 3600,
    };
    /// Failed logins per account from all addresses: 50 per 15 minutes, a ceiling on
    /// guessing from many addresses (an administrator can lift it: `lingong staff
    /// unlock`).
    pub const LOGIN_ACCOUNT: Limit = Limit {
        name: "login-account",
        max: 50,
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
    /// Proof-of-work challenges per address: 60 per hour. A challenge costs nothing
    /// to store, but an unlimited supply lets a script pre-solve them in bulk.
    pub const CHALLENGE_ADDRESS: Limit = Limit {
        name: "challenge-address",
        max: 60,
        window_secs: 3600,
    };
    /// One-time codes sent to one number: 1 per minute.
    pub const PHONE_CODE_GAP: Limit = Limit {
        name: "phone-code-gap",
        max: 1,
        window_secs: 60,
    };
    /// One-time codes sent to one number: 5 per hour.
    pub const PHONE_CODE_HOUR: Limit = Limit {
        name: "phone-code-hour",
        max: 5,
        window_secs: 3600,
    };
    /// Codes one worker's manage link sends to new numbers: 5 per day, so a manage link
    /// is no way to send SMS to many numbers.
    pub const NUMBER_CHANGE: Limit = Limit {
        name: "number-change",
        max: 5,
        window_secs: 24 * 3600,
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
    for attempt in 0..CONTENDED_TRIES {
        if attempt > 0 {
            back_off(attempt).await;
        }
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
    // So many hits on one counter at once that ours never landed: that subject is
    // sending a burst, and a burst is what limits refuse.
    Ok(Verdict::Limited { retry_after })
}

/// Tries at one counter under contention before giving up.
const CONTENDED_TRIES: u32 = 40;

/// A short random pause before trying a contended counter again, growing with the
/// attempt (up to about 64 ms), so concurrent writers spread out instead of colliding
/// again in step.
async fn back_off(attempt: u32) {
    let mut byte = [0u8; 1];
    let jitter = match crate::secrets::random_bytes(&mut byte) {
        Ok(()) => u64::from(byte[0]),
        Err(_) => 128,
    };
    let ceiling = 1u64 << attempt.min(6);
    tokio::time::sleep(std::time::Duration::from_micros(
        (ceiling * 1000 * jitter) / 255 + 200,
    ))
    .await;
}

/// Gives back one hit counted by [`hit`] in the same window (a conditional decrement;
/// nothing happens once the window has passed or the count is zero).
pub async fn release(
    store: &dyn ItemStore,
    secrets: &Secrets,
    station: &StationId,
    limit: Limit,
    subject: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (start, end) = window(limit, at);
    let subject_key = secrets.sign("limit-subject", subject);
    let key = keys::rate_limit(station, limit.name, &subject_key, start);
    for attempt in 0..CONTENDED_TRIES {
        if attempt > 0 {
            back_off(attempt).await;
        }
        let Some(current) = store.get(&key).await? else {
            return Ok(());
        };
        let count = from_item::<Counter>(&current)?.count;
        if count == 0 {
            return Ok(());
        }
        let mut item = Item::new(
            key.clone(),
            to_body(&Counter {
                station: station.clone(),
                count: count - 1,
            })?,
        );
        item.expires_at = Some(end);
        item.version = current.version + 1;
        match store
            .write(vec![Write::replace(item, current.version)])
            .await
        {
            Ok(()) => return Ok(()),
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contention)
}

/// Takes one hit of every `(limit, subject)`, all or none: when one is at its limit,
/// the hits already taken are given back and the latest end of the refusing windows is
/// returned. `Ok(Ok(()))` means every hit was taken.
pub async fn reserve(
    store: &dyn ItemStore,
    secrets: &Secrets,
    station: &StationId,
    wanted: &[(Limit, String)],
    now: DateTime<Utc>,
) -> Result<Result<(), DateTime<Utc>>, StoreError> {
    let mut taken: Vec<&(Limit, String)> = Vec::new();
    for entry in wanted {
        let (limit, subject) = entry;
        let verdict = match hit(store, secrets, station, *limit, subject, now).await {
            Ok(verdict) => verdict,
            Err(e) => {
                give_back(store, secrets, station, &taken, now).await;
                return Err(e);
            }
        };
        match verdict {
            Verdict::Allowed => taken.push(entry),
            Verdict::Limited { retry_after } => {
                give_back(store, secrets, station, &taken, now).await;
                return Ok(Err(retry_after));
            }
        }
    }
    Ok(Ok(()))
}

async fn give_back(
    store: &dyn ItemStore,
    secrets: &Secrets,
    station: &StationId,
    taken: &[&(Limit, String)],
    at: DateTime<Utc>,
) {
    for (limit, subject) in taken {
        if let Err(e) = release(store, secrets, station, *limit, subject, at).await {
            // A hit not given back only makes the limit stricter until the window ends.
            tracing::warn!(error = %e, limit = limit.name, "giving back a rate-limit hit failed");
        }
    }
}

/// Claims the request key `key_hash` of `action` for the request that counts against
/// the limits: `true` for the first to arrive, `false` for a concurrent (or later)
/// retry of it, whose twin's hits already count. A claim lasts a day or until
/// [`unclaim_request`] gives it back.
pub async fn claim_request(
    store: &dyn ItemStore,
    station: &StationId,
    action: &str,
    key_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut item = Item::new(
        keys::request_claim(station, action, key_hash),
        to_body(&Counter {
            station: station.clone(),
            count: 1,
        })?,
    );
    item.expires_at = Some(now.timestamp() + 24 * 3600);
    match store.write(vec![Write::create(item)]).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Gives back a claim made by [`claim_request`] (the request did nothing).
pub async fn unclaim_request(
    store: &dyn ItemStore,
    station: &StationId,
    action: &str,
    key_hash: &str,
) -> Result<(), StoreError> {
    store
        .write(vec![Write::delete(keys::request_claim(
            station, action, key_hash,
        ))])
        .await
}

/// Forgets every hit of `subject` in the current window of `limit` (an administrator
/// lifting a lockout).
pub async fn clear(
    store: &dyn ItemStore,
    secrets: &Secrets,
    station: &StationId,
    limit: Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (start, _) = window(limit, now);
    let subject_key = secrets.sign("limit-subject", subject);
    store
        .write(vec![Write::delete(keys::rate_limit(
            station,
            limit.name,
            &subject_key,
            start,
        ))])
        .await
}
