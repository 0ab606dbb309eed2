//! Checks on public forms before anything is done: a honeypot field people never see,
//! a proof of work (single use, expiring, not sent faster than a person can type), and
//! rate limits per address and per phone number kept in the table. A retry of a request
//! already done passes straight through, so it gets its first answer back.
//!
//! The limits are reserved at admission, before the work: one conditional increment
//! per limit, so a burst of concurrent requests gets exactly the limit's number
//! through. Only a request that did something keeps its reservation
//! ([`Reservation::keep`]); a replay or a refused form gives it back when the
//! reservation is dropped.

use axum::http::HeaderMap;
use lingong_core::{
    idempotency::IdempotencyKey,
    limits::{self, Limit},
    phone::MobileNumber,
    pow::{self, PowError},
    problem::{FieldError, Invalid},
    rejections::{self, Rejection},
    station::Station,
};

use crate::{
    AppState,
    reply::{Failure, internal},
    request::Submitted,
    staff::client_address,
};

/// The hidden field only robots fill in.
pub const HONEYPOT: &str = "website";
/// The field the page's script puts the proof-of-work solution in.
pub const POW_FIELD: &str = "_altcha";

/// What admission gives a handler: the request key and the limits it reserved.
pub struct Admitted {
    /// The request key (see [`Submitted::idempotency_key`]).
    pub key: Option<IdempotencyKey>,
    /// The reserved hits; keep them once the request did something.
    pub reservation: Reservation,
}

/// Rate-limit hits taken for one request. Dropped without [`Reservation::keep`], they
/// are given back (in the background: a request's answer never waits for it).
#[must_use = "keep the reservation when the request did something, or drop it to give it back"]
pub struct Reservation {
    app: lingong_core::App,
    station: lingong_core::station::StationId,
    /// The request key this request claimed (action, key hash), if any.
    claim: Option<(String, String)>,
    taken: Vec<(Limit, String)>,
    at: chrono::DateTime<chrono::Utc>,
    kept: bool,
}

impl Reservation {
    fn none(state: &AppState, station: &Station) -> Reservation {
        Reservation {
            app: state.app.clone(),
            station: station.id.clone(),
            claim: None,
            taken: Vec::new(),
            at: state.app.clock.now(),
            kept: true,
        }
    }

    /// The request did something: its hits count.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.kept || (self.taken.is_empty() && self.claim.is_none()) {
            return;
        }
        let (app, station, taken, at, claim) = (
            self.app.clone(),
            self.station.clone(),
            std::mem::take(&mut self.taken),
            self.at,
            self.claim.take(),
        );
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Some((action, key_hash)) = claim
                    && let Err(e) =
                        limits::unclaim_request(&*app.store, &station, &action, &key_hash).await
                {
                    tracing::warn!(error = %e, "giving back a request claim failed");
                }
                for (limit, subject) in taken {
                    if let Err(e) =
                        limits::release(&*app.store, &app.secrets, &station, limit, &subject, at)
                            .await
                    {
                        tracing::warn!(error = %e, limit = limit.name, "giving back a rate-limit hit failed");
                    }
                }
            });
        }
    }
}

/// A public form's request key once every check for `action` has passed and its limits
/// are reserved: the one gate each public form goes through.
pub async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    submitted: &Submitted,
    station: &Station,
    action: &str,
    phone_field: &str,
) -> Result<Admitted, Failure> {
    let key = submitted.idempotency_key(headers, action)?;
    let reservation = check(
        state,
        headers,
        submitted,
        station,
        action,
        key.as_ref(),
        phone_field,
    )
    .await?;
    Ok(Admitted { key, reservation })
}

/// Runs every check for a submission of `action` to `station`; `phone_field` names the
/// field holding the submitter's phone number.
async fn check(
    state: &AppState,
    headers: &HeaderMap,
    submitted: &Submitted,
    station: &Station,
    action: &str,
    key: Option<&IdempotencyKey>,
    phone_field: &str,
) -> Result<Reservation, Failure> {
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let invalid = |key: &'static str| Failure::Invalid {
        flavor,
        lang,
        invalid: Invalid::one(FieldError::new("_form", key)),
    };
    let app = &state.app;
    match app.is_replay(station, key, action, &submitted.input).await {
        Ok(true) => return Ok(Reservation::none(state, station)),
        Ok(false) => {}
        Err(e) => return Err(internal(&e, flavor, lang)),
    }
    if submitted
        .input
        .one(HONEYPOT)
        .is_some_and(|v| !v.trim().is_empty())
    {
        rejections::note(Rejection::Honeypot);
        return Err(invalid("error.form_check"));
    }
    let now = app.clock.now();
    let worked = match submitted
        .input
        .one(POW_FIELD)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => false,
        Some(solution) => {
            let redeemed = pow::redeem(&*app.store, &app.secrets, &station.id, solution, now).await;
            if matches!(redeemed, Ok(Err(_))) {
                rejections::note(Rejection::ProofOfWork);
            }
            match redeemed {
                Ok(Ok(())) => true,
                Ok(Err(PowError::TooFast)) => return Err(invalid("error.too_fast")),
                Ok(Err(PowError::Expired)) => return Err(invalid("error.pow_expired")),
                Ok(Err(PowError::Replayed | PowError::Invalid)) => {
                    return Err(invalid("error.form_check"));
                }
                Err(e) => return Err(internal(&e, flavor, lang)),
            }
        }
    };
    // Concurrent retries of one request (same request key) count once: the first to
    // arrive takes the hits, its twins go through to get its answer.
    let claim = match key {
        Some(key) => {
            let key_hash = key.hash();
            match limits::claim_request(&*app.store, &station.id, action, &key_hash, now).await {
                Ok(true) => Some((action.to_owned(), key_hash)),
                Ok(false) => return Ok(Reservation::none(state, station)),
                Err(e) => return Err(internal(&e, flavor, lang)),
            }
        }
        None => None,
    };
    let wanted = subjects(headers, submitted, phone_field, worked);
    let mut reservation = Reservation {
        app: app.clone(),
        station: station.id.clone(),
        claim,
        taken: Vec::new(),
        at: now,
        kept: false,
    };
    match limits::reserve(&*app.store, &app.secrets, &station.id, &wanted, now).await {
        Ok(Ok(())) => {
            reservation.taken = wanted;
            Ok(reservation)
        }
        Ok(Err(_retry_after)) => {
            rejections::note(Rejection::RateLimited);
            Err(Failure::Limited { flavor, lang })
        }
        Err(e) => Err(internal(&e, flavor, lang)),
    }
}

fn subjects(
    headers: &HeaderMap,
    submitted: &Submitted,
    phone_field: &str,
    worked: bool,
) -> Vec<(Limit, String)> {
    // One quota per address; without a proof of work only part of it may be used.
    let address = client_address(headers);
    let mut subjects = vec![(Limit::FORM_ADDRESS, address.clone())];
    if !worked {
        subjects.push((Limit::FORM_ADDRESS_NO_POW, address));
    }
    if let Ok(phone) = MobileNumber::parse(phone_field, submitted.input.text(phone_field)) {
        subjects.push((Limit::FORM_PHONE, phone.as_str().to_owned()));
    }
    subjects
}
