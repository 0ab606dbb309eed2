//! Checks on public forms before anything is done: a honeypot field people never see,
//! a proof of work (single use, expiring, not sent faster than a person can type), and
//! rate limits per address and per phone number kept in the table. A retry of a request
//! already done passes straight through, so it gets its first answer back; only a
//! request that did something counts against the limits ([`record`]), so a burst of
//! identical retries counts once.

use axum::http::HeaderMap;
use lingong_core::{
    idempotency::IdempotencyKey,
    limits::{self, Limit},
    phone::MobileNumber,
    pow::{self, PowError},
    problem::{FieldError, Invalid},
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

/// A public form's request key (see [`Submitted::idempotency_key`]) once every check
/// for `action` has passed: the one gate each public form goes through.
pub async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    submitted: &Submitted,
    station: &Station,
    action: &str,
    phone_field: &str,
) -> Result<Option<IdempotencyKey>, Failure> {
    let key = submitted.idempotency_key(headers, action)?;
    check(
        state,
        headers,
        submitted,
        station,
        action,
        key.as_ref(),
        phone_field,
    )
    .await?;
    Ok(key)
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
) -> Result<(), Failure> {
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let invalid = |key: &'static str| Failure::Invalid {
        flavor,
        lang,
        invalid: Invalid::one(FieldError::new("_form", key)),
    };
    let app = &state.app;
    match app.is_replay(station, key, action, &submitted.input).await {
        Ok(true) => return Ok(()),
        Ok(false) => {}
        Err(e) => return Err(internal(&e, flavor, lang)),
    }
    if submitted
        .input
        .one(HONEYPOT)
        .is_some_and(|v| !v.trim().is_empty())
    {
        tracing::warn!(station = %station.id, action, "honeypot filled");
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
            match pow::redeem(&*app.store, &app.secrets, &station.id, solution, now).await {
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
    for (limit, subject) in subjects(headers, submitted, phone_field, worked) {
        match limits::is_limited(&*app.store, &app.secrets, &station.id, limit, &subject, now).await
        {
            Ok(false) => {}
            Ok(true) => {
                tracing::warn!(station = %station.id, action, limit = limit.name, "rate limited");
                return Err(Failure::Limited { flavor, lang });
            }
            Err(e) => return Err(internal(&e, flavor, lang)),
        }
    }
    Ok(())
}

fn subjects(
    headers: &HeaderMap,
    submitted: &Submitted,
    phone_field: &str,
    worked: bool,
) -> Vec<(Limit, String)> {
    let address_limit = if worked {
        Limit::FORM_ADDRESS
    } else {
        Limit::FORM_ADDRESS_NO_POW
    };
    let mut subjects = vec![(address_limit, client_address(headers))];
    if let Ok(phone) = MobileNumber::parse(phone_field, submitted.input.text(phone_field)) {
        subjects.push((Limit::FORM_PHONE, phone.as_str().to_owned()));
    }
    subjects
}

/// Counts a submission that did something (not a replay) against the limits.
pub async fn record(
    state: &AppState,
    headers: &HeaderMap,
    submitted: &Submitted,
    station: &Station,
    phone_field: &str,
) {
    let app = &state.app;
    let worked = submitted
        .input
        .one(POW_FIELD)
        .is_some_and(|v| !v.trim().is_empty());
    let now = app.clock.now();
    for (limit, subject) in subjects(headers, submitted, phone_field, worked) {
        if let Err(e) =
            limits::hit(&*app.store, &app.secrets, &station.id, limit, &subject, now).await
        {
            // The submission is done; a failed count only loosens the limit once.
            tracing::error!(error = %e, limit = limit.name, "counting a submission failed");
        }
    }
}
