//! Proof of work for public forms, with no third-party service: the ALTCHA scheme
//! (`altcha-lib-rs`). A page's small script fetches a challenge, finds the number whose
//! SHA-256 with the salt matches (a fraction of a second on a phone, real cost for a
//! spam run), and sends the solution with the form. Challenges carry their issue time
//! and expiry in the signed salt; each solution is accepted once.

use altcha_lib_rs::{ChallengeOptions, Payload, create_challenge, verify_solution};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::{
    keys,
    secrets::{Secrets, sha256_hex},
    station::StationId,
    store::{Item, ItemStore, StoreError, Write},
};

/// How long a challenge stays valid.
pub const CHALLENGE_MINUTES: i64 = 20;
/// The least time a person takes to fill a form after the page loaded.
pub const MIN_FILL_SECONDS: i64 = 3;
/// The work asked for (ALTCHA's `maxnumber`): about 50,000 hashes on average.
pub const MAX_NUMBER: u64 = 100_000;

/// A challenge as the page's script receives it (ALTCHA's JSON shape).
#[derive(Clone, Debug, Serialize)]
pub struct Challenge {
    /// `SHA-256`.
    pub algorithm: String,
    /// The hash to find.
    pub challenge: String,
    /// The largest number to try.
    pub maxnumber: u64,
    /// The salt, with the signed `expires` parameter.
    pub salt: String,
    /// The server's signature over the challenge.
    pub signature: String,
}

/// Why a solution was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    /// Not a solution to a challenge this server issued.
    #[error("invalid solution")]
    Invalid,
    /// The challenge expired.
    #[error("challenge expired")]
    Expired,
    /// Sent sooner after the page loaded than a person can fill the form.
    #[error("submitted too fast")]
    TooFast,
    /// The solution was used before.
    #[error("solution already used")]
    Replayed,
}

fn hmac_key(secrets: &Secrets) -> String {
    secrets.sign("altcha-key", "v1")
}

/// A fresh challenge issued at `now`.
pub fn challenge(secrets: &Secrets, now: DateTime<Utc>) -> Result<Challenge, String> {
    let key = hmac_key(secrets);
    // Only one salt parameter: the library rebuilds the salt from a hash map when it
    // verifies, so with two the order (and the hash) could change. The issue time is the
    // expiry less the lifetime.
    let challenge = create_challenge(ChallengeOptions {
        hmac_key: &key,
        max_number: Some(MAX_NUMBER),
        expires: Some(now + Duration::minutes(CHALLENGE_MINUTES)),
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    Ok(Challenge {
        algorithm: "SHA-256".into(),
        challenge: challenge.challenge,
        maxnumber: challenge.maxnumber,
        salt: challenge.salt,
        signature: challenge.signature,
    })
}

fn salt_param(salt: &str, name: &str) -> Option<i64> {
    let (_, query) = salt.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
}

/// Checks a solution (the base64 JSON the script puts in the form) at `now`, and marks
/// it used, so it cannot be sent again.
pub async fn redeem(
    store: &dyn ItemStore,
    secrets: &Secrets,
    station: &StationId,
    solution: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), PowError>, StoreError> {
    let Some(payload) = STANDARD
        .decode(solution.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Payload>(&bytes).ok())
    else {
        return Ok(Err(PowError::Invalid));
    };
    if verify_solution(&payload, &hmac_key(secrets), false).is_err() {
        return Ok(Err(PowError::Invalid));
    }
    let Some(expires) = salt_param(&payload.salt, "expires") else {
        return Ok(Err(PowError::Invalid));
    };
    let issued = expires - CHALLENGE_MINUTES * 60;
    if now.timestamp() > expires {
        return Ok(Err(PowError::Expired));
    }
    if now.timestamp() - issued < MIN_FILL_SECONDS {
        return Ok(Err(PowError::TooFast));
    }
    let mut used = Item::new(
        keys::used_pow(station, &sha256_hex(payload.signature.as_bytes())),
        serde_json::Map::from_iter([(
            "station".to_owned(),
            serde_json::Value::from(station.as_str()),
        )]),
    );
    used.expires_at = Some(expires + 60);
    match store.write(vec![Write::create(used)]).await {
        Ok(()) => Ok(Ok(())),
        Err(StoreError::ConditionFailed { .. }) => Ok(Err(PowError::Replayed)),
        Err(e) => Err(e),
    }
}
