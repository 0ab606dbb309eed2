//! Offer links, applications from the board, and SMS replies: each turns a request
//! into one use case and its outcome into a page (forms, links) or JSON (API clients,
//! the SMS gateway).

use std::sync::Arc;

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lingong_core::{
    Lang,
    app::{
        Answer, AnswerOutcome, ApplyCodeError, ApplyError, ApplyOutcome, InboundError, OfferError,
        OfferView, RequestCodeError, SendCodeError,
        phone_code::{CODE_FIELD, CODE_MINUTES},
        sms::verify_inbound,
    },
    i18n::t,
    job::Job,
    matching::offer::OfferStatus,
    problem::{FieldError, Invalid},
    station::Station,
};
use lingong_site::{FormState, notices::day_text};
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppState,
    reply::{Failure, Flavor, context_of, internal, page},
    request::{self, MAX_BODY_BYTES, header_lang},
};

/// Query of an offer link.
#[derive(Debug, Default, Deserialize)]
pub struct OfferQuery {
    sig: Option<String>,
    station: Option<String>,
    done: Option<String>,
}

/// The job as the offer and application pages show it (the address too: the worker
/// was chosen for it; never the employer's contact until they hold a place).
fn job_view(job: &Job, station: &Station, lang: Lang) -> serde_json::Value {
    let dates = if job.dates.start == job.dates.end {
        day_text(job.dates.start, lang)
    } else {
        lingong_core::i18n::tf(
            lang,
            "notice.date_range",
            &[
                ("start", day_text(job.dates.start, lang).into()),
                ("end", day_text(job.dates.end, lang).into()),
            ],
        )
    };
    let public = job.public();
    json!({
        "title": public.title,
        "trade": station.trade(&job.trade).map(|t| t.name.get(lang)).unwrap_or(&job.trade),
        "district": station.district(&job.district).map(|d| d.name.get(lang)).unwrap_or(&job.district),
        "address": public.address,
        "dates": dates,
        "wage": lingong_core::i18n::tf(lang, "notice.wage", &[("wage", job.daily_wage.to_string().into())]),
        "pay": job.pay_terms.label(lang),
        "employer": public.employer_name,
        "description": public.description,
        "requirements": public.requirements,
        "open_places": job.open_places(),
    })
}

fn offer_failure(error: OfferError, flavor: Flavor, lang: Lang) -> Failure {
    match error {
        OfferError::NotFound => Failure::NotFound { flavor, lang },
        OfferError::Busy => Failure::Busy { flavor, lang },
        e @ (OfferError::Store(_) | OfferError::Secret(_)) => internal(&e, flavor, lang),
    }
}

fn offer_path(state: &AppState, station: &Station, offer_id: &str) -> String {
    let default = station.id == state.app.stations.default_station().id;
    lingong_core::matching::offer::link_path(&state.app.secrets, &station.id, offer_id, default)
}

fn outcome_name(outcome: &AnswerOutcome) -> &'static str {
    match outcome {
        AnswerOutcome::Placed { newly: true, .. } => "accepted",
        AnswerOutcome::Placed { newly: false, .. } => "already_accepted",
        AnswerOutcome::Declined => "declined",
        AnswerOutcome::Full => "full",
        AnswerOutcome::NotOpen => "not_open",
        AnswerOutcome::BusyDates => "busy_dates",
        AnswerOutcome::AlreadyAccepted => "cannot_decline",
    }
}

fn done_text(done: &str, lang: Lang, station: &Station) -> Option<String> {
    Some(match done {
        "accepted" => t(lang, "offer.accepted_title").to_owned(),
        "already_accepted" => t(lang, "offer.already_accepted").to_owned(),
        "declined" => t(lang, "offer.declined").to_owned(),
        "full" => t(lang, "offer.full").to_owned(),
        "not_open" => t(lang, "offer.not_open").to_owned(),
        "busy_dates" => lingong_core::i18n::tf(
            lang,
            "offer.busy_dates",
            &[("hotline", station.hotline.as_str().into())],
        ),
        "cannot_decline" => lingong_core::i18n::tf(
            lang,
            "offer.cannot_decline",
            &[("hotline", station.hotline.as_str().into())],
        ),
        _ => return None,
    })
}

fn offer_page(
    state: &AppState,
    station: &Station,
    lang: Lang,
    view: &OfferView,
    done: Option<&str>,
) -> Response {
    let now = state.app.clock.now();
    let offer = &view.offer;
    let local = offer.expires_at.with_timezone(&station.time_zone);
    let answer_by = format!(
        "{} {}",
        day_text(local.date_naive(), lang),
        local.format(t(lang, "notice.time_format"))
    );
    let job_open =
        view.job.status == lingong_core::job::JobStatus::Published && view.job.open_places() > 0;
    let can_answer = view.placement.is_none()
        && job_open
        && matches!(
            offer.status,
            OfferStatus::Offered | OfferStatus::Expired | OfferStatus::Declined
        );
    let accepted = offer.status == OfferStatus::Accepted || view.placement.is_some();
    let contact = accepted.then(
        || json!({ "name": view.job.contact_name, "phone": view.job.contact_phone.as_str() }),
    );
    let done = done.and_then(|d| done_text(d, lang, station).map(|text| (d.to_owned(), text)));
    page(
        state,
        StatusCode::OK,
        "pages/offer.html",
        context! {
            offer => Serde(json!({
                "status": if accepted { "accepted" } else { offer.status.as_str() },
                "status_label": if accepted { OfferStatus::Accepted.label(lang) } else { offer.status.label(lang) },
                "answer_by": answer_by,
                "late": offer.expires_at <= now,
                "wave": offer.wave,
                "rank": offer.rank,
                "factors": offer.factors,
            })),
            job => Serde(job_view(&view.job, station, lang)),
            contact => Serde(contact),
            can_answer,
            action_url => offer_path(state, station, &offer.id),
            window_days => station.matching.window_days,
            done => done.as_ref().map(|(d, _)| d.clone()),
            done_text => done.map(|(_, text)| text),
            ..context_of(station, lang, ""),
        },
    )
}

fn offer_json(view: &OfferView) -> serde_json::Value {
    let accepted = view.offer.status == OfferStatus::Accepted || view.placement.is_some();
    let mut value = json!({
        "id": view.offer.id,
        "status": view.offer.status,
        "expires_at": view.offer.expires_at,
        "wave": view.offer.wave,
        "rank": view.offer.rank,
        "factors": view.offer.factors,
        "job": view.job.public(),
    });
    if accepted && let Some(map) = value.as_object_mut() {
        map.insert("contact_name".into(), json!(view.job.contact_name));
        map.insert("contact_phone".into(), json!(view.job.contact_phone));
    }
    value
}

/// `GET /api/offers/{id}?sig=…`: the offer's page (or JSON).
pub async fn show(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<OfferQuery>,
) -> Response {
    let (flavor, lang, station) =
        match request::link_request(&state, &headers, query.station.as_deref()) {
            Ok(found) => found,
            Err(response) => return *response,
        };
    let sig = query.sig.as_deref().unwrap_or("");
    match state
        .app
        .offer_by_link(Some(station.id.as_str()), &id, sig)
        .await
    {
        Ok(view) => match flavor {
            Flavor::Json => Json(json!({ "offer": offer_json(&view) })).into_response(),
            Flavor::Html => offer_page(&state, &station, lang, &view, query.done.as_deref()),
        },
        Err(e) => offer_failure(e, flavor, lang).respond(&state, &station),
    }
}

/// `POST /api/offers/{id}?sig=…` with `action=accept` or `action=decline`. Forms are
/// sent back to the offer's page, which shows the outcome; JSON clients get it as JSON.
pub async fn answer(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<OfferQuery>,
    body: Body,
) -> Response {
    let (submitted, station) =
        match request::read_at(&state, &headers, body, query.station.as_deref()).await {
            Ok(read) => read,
            Err(response) => return response,
        };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let answer = match submitted.input.one("action").map(str::trim) {
        Some("accept") => Answer::Accept,
        Some("decline") => Answer::Decline,
        _ => {
            return Failure::Invalid {
                flavor,
                lang,
                invalid: Invalid::one(FieldError::new("action", "error.invalid")),
            }
            .respond(&state, &station);
        }
    };
    let sig = query.sig.as_deref().unwrap_or("");
    match state
        .app
        .answer_offer(Some(station.id.as_str()), &id, sig, answer)
        .await
    {
        Ok(outcome) => match flavor {
            Flavor::Json => {
                let status = match outcome {
                    AnswerOutcome::Full
                    | AnswerOutcome::NotOpen
                    | AnswerOutcome::BusyDates
                    | AnswerOutcome::AlreadyAccepted => StatusCode::CONFLICT,
                    _ => StatusCode::OK,
                };
                let message = done_text(outcome_name(&outcome), lang, &station);
                (
                    status,
                    Json(json!({ "result": outcome_name(&outcome), "message": message })),
                )
                    .into_response()
            }
            Flavor::Html => {
                let path = format!(
                    "{}&done={}",
                    offer_path(&state, &station, &id),
                    outcome_name(&outcome)
                );
                Redirect::to(&path).into_response()
            }
        },
        Err(e) => offer_failure(e, flavor, lang).respond(&state, &station),
    }
}

/// `POST /api/jobs/{id}/apply`: a worker applies from the board (`name`, `phone`,
/// `consent`, hidden `_lang`, `_nonce`, `station`).
pub async fn apply(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (submitted, station) = match request::read_public(&state, &headers, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    // The same checks as every public form: honeypot, proof of work, rate limits.
    let crate::guard::Admitted { key, reservation } = match crate::guard::admit(
        &state,
        &headers,
        &submitted,
        &station,
        lingong_core::app::offers::APPLY,
        "phone",
    )
    .await
    {
        Ok(admitted) => admitted,
        Err(failure) => return failure.respond(&state, &station),
    };
    let job = match state.app.job(&station, &id).await {
        Ok(Some(job)) => job,
        Ok(None) => return Failure::NotFound { flavor, lang }.respond(&state, &station),
        Err(e) => return internal(&e, flavor, lang).respond(&state, &station),
    };
    let action_url = format!("/api/jobs/{id}/apply");
    let code_typed = submitted
        .input
        .one(CODE_FIELD)
        .is_some_and(|c| !c.trim().is_empty());
    // Step 1 of the form without scripts: no code yet, so one is sent to the number
    // (JSON clients ask `POST /api/phone-codes` first and are refused without a code).
    if flavor == Flavor::Html && !code_typed {
        let step = |status, form: FormState, code_sent: Option<String>| {
            page(
                &state,
                status,
                "pages/apply.html",
                context! {
                    form => Serde(form),
                    job => Serde(job_view(&job, &station, lang)),
                    action_url => action_url.clone(),
                    code_step => true,
                    code_sent,
                    ..context_of(&station, lang, "")
                },
            )
        };
        return match state
            .app
            .request_apply_code(Some(station.id.as_str()), &id, &submitted.input)
            .await
        {
            Ok(phone) => {
                reservation.keep();
                let sent = lingong_core::i18n::tf(
                    lang,
                    "phone_code.sent",
                    &[("phone", phone.masked().into())],
                );
                step(
                    StatusCode::OK,
                    FormState::from_input(&submitted.input, None, lang),
                    Some(sent),
                )
            }
            Err(ApplyCodeError::Send(SendCodeError::TooSoon { .. })) => {
                let invalid = Invalid::one(FieldError::new(CODE_FIELD, "error.code_wait"));
                step(
                    StatusCode::TOO_MANY_REQUESTS,
                    FormState::from_input(&submitted.input, Some(&invalid), lang),
                    None,
                )
            }
            Err(ApplyCodeError::Apply(ApplyError::Invalid(invalid)))
            | Err(ApplyCodeError::Send(SendCodeError::Invalid(invalid))) => {
                let form = FormState::from_input(&submitted.input, Some(&invalid), lang);
                page(
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "pages/apply.html",
                    context! {
                        form => Serde(form),
                        job => Serde(job_view(&job, &station, lang)),
                        action_url,
                        ..context_of(&station, lang, "")
                    },
                )
            }
            Err(ApplyCodeError::Apply(ApplyError::NotFound)) => {
                Failure::NotFound { flavor, lang }.respond(&state, &station)
            }
            Err(ApplyCodeError::Closed(closed)) => {
                let outcome = match closed {
                    ApplyOutcome::Full => "full",
                    _ => "not_open",
                };
                page(
                    &state,
                    StatusCode::CONFLICT,
                    "pages/applied.html",
                    context! { outcome, ..context_of(&station, lang, "") },
                )
            }
            Err(e) => internal(&e, flavor, lang).respond(&state, &station),
        };
    }
    let result = state
        .app
        .apply_to_job(
            Some(station.id.as_str()),
            &id,
            &submitted.input,
            key.as_ref(),
        )
        .await;
    let (status, outcome) = match &result {
        Ok(ApplyOutcome::Placed { newly: true, .. }) => (StatusCode::CREATED, "placed"),
        Ok(ApplyOutcome::Placed { newly: false, .. }) => (StatusCode::OK, "placed"),
        Ok(ApplyOutcome::Full) => (StatusCode::CONFLICT, "full"),
        Ok(ApplyOutcome::NotOpen) => (StatusCode::CONFLICT, "not_open"),
        Ok(ApplyOutcome::Blocked) => (StatusCode::FORBIDDEN, "blocked"),
        Ok(ApplyOutcome::BusyDates) => (StatusCode::CONFLICT, "busy_dates"),
        Ok(ApplyOutcome::ConfirmationSent) => (StatusCode::ACCEPTED, "confirmation_sent"),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error"),
    };
    match result {
        Ok(ApplyOutcome::Placed {
            newly,
            worker,
            token,
            ..
        }) => {
            if newly {
                reservation.keep();
            }
            let manage_url = token.map(|token| {
                state.absolute(
                    &headers,
                    &state.manage_path("workers", &station, &worker.id, token.as_str()),
                )
            });
            let contact = json!({ "name": job.contact_name, "phone": job.contact_phone.as_str() });
            match flavor {
                Flavor::Json => (
                    status,
                    Json(json!({
                        "result": outcome,
                        "newly": newly,
                        "worker_id": worker.id,
                        "manage_url": manage_url,
                        "contact_name": job.contact_name,
                        "contact_phone": job.contact_phone,
                    })),
                )
                    .into_response(),
                Flavor::Html => page(
                    &state,
                    status,
                    "pages/applied.html",
                    context! {
                        outcome, newly, manage_url,
                        contact => Serde(contact),
                        job => Serde(job_view(&job, &station, lang)),
                        ..context_of(&station, lang, "")
                    },
                ),
            }
        }
        Ok(_) => {
            let message = match outcome {
                "blocked" | "busy_dates" => lingong_core::i18n::tf(
                    lang,
                    &format!("apply.{outcome}"),
                    &[("hotline", station.hotline.as_str().into())],
                ),
                other => t(lang, &format!("apply.{other}")).to_owned(),
            };
            match flavor {
                Flavor::Json => (
                    status,
                    Json(json!({ "result": outcome, "message": message })),
                )
                    .into_response(),
                Flavor::Html => page(
                    &state,
                    status,
                    "pages/applied.html",
                    context! { outcome, ..context_of(&station, lang, "") },
                ),
            }
        }
        Err(ApplyError::Invalid(invalid)) => match flavor {
            Flavor::Json => Failure::Invalid {
                flavor,
                lang,
                invalid,
            }
            .respond(&state, &station),
            Flavor::Html => {
                // A wrong or dead code keeps the person on the code step.
                let code_step = invalid.0.iter().any(|e| e.field == CODE_FIELD);
                let form = FormState::from_input(&submitted.input, Some(&invalid), lang);
                page(
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "pages/apply.html",
                    context! {
                        form => Serde(form),
                        job => Serde(job_view(&job, &station, lang)),
                        action_url,
                        code_step,
                        ..context_of(&station, lang, "")
                    },
                )
            }
        },
        Err(ApplyError::NotFound) => Failure::NotFound { flavor, lang }.respond(&state, &station),
        Err(ApplyError::KeyReused) => Failure::KeyReused { flavor, lang }.respond(&state, &station),
        Err(ApplyError::Busy) => Failure::Busy { flavor, lang }.respond(&state, &station),
        Err(e @ (ApplyError::Store(_) | ApplyError::Secret(_))) => {
            internal(&e, flavor, lang).respond(&state, &station)
        }
    }
}

/// `POST /api/phone-codes`: a one-time code by SMS to `phone` (with `station`,
/// `_lang`), for clients that apply with JSON: they send the code back as `code`. The
/// form without scripts gets its code from the apply route itself (step 1). Answers 202
/// without saying whether the number is registered.
pub async fn send_code(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (submitted, station) = match request::read_public(&state, &headers, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    // Honeypot, proof of work and the per-address quota; the per-number limits are
    // the code's own (one a minute, five an hour), so no form-per-number hit here.
    let crate::guard::Admitted { reservation, .. } =
        match crate::guard::admit(&state, &headers, &submitted, &station, "phone_code", "").await {
            Ok(admitted) => admitted,
            Err(failure) => return failure.respond(&state, &station),
        };
    match state
        .app
        .request_phone_code(Some(station.id.as_str()), &submitted.input)
        .await
    {
        Ok(_) => {
            reservation.keep();
            (
                StatusCode::ACCEPTED,
                Json(json!({
                    "result": "code_sent",
                    "expires_in": CODE_MINUTES * 60,
                    "message": t(lang, "phone_code.sent_json"),
                })),
            )
                .into_response()
        }
        Err(RequestCodeError::UnknownStation) => {
            Failure::NotFound { flavor, lang }.respond(&state, &station)
        }
        Err(RequestCodeError::Send(SendCodeError::Invalid(invalid))) => Failure::Invalid {
            flavor,
            lang,
            invalid,
        }
        .respond(&state, &station),
        Err(RequestCodeError::Send(SendCodeError::TooSoon { .. })) => {
            Failure::Limited { flavor, lang }.respond(&state, &station)
        }
        Err(RequestCodeError::Send(e)) => internal(&e, flavor, lang).respond(&state, &station),
    }
}

/// Header carrying the Unix time an inbound SMS call was signed at.
pub const TIMESTAMP_HEADER: &str = "x-lingong-timestamp";
/// Header carrying the inbound call's signature (hex HMAC-SHA256, see
/// `lingong_core::app::sms::inbound_signature`).
pub const SIGNATURE_HEADER: &str = "x-lingong-signature";

/// `POST /api/sms/inbound`: an SMS reply forwarded by the gateway, signed with the
/// shared key. Fields `from` (the sender's number), `text`, optional `message_id` (the
/// gateway's id: a redelivery gets the first answer and does nothing again) and
/// `station`.
/// Answers JSON only, never personal data.
pub async fn sms_inbound(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = header_lang(&headers);
    let flavor = Flavor::Json;
    let default = state.app.stations.default_station().clone();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return Failure::PayloadTooLarge { flavor, lang }.respond(&state, &default),
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    if !verify_inbound(
        &state.app.secrets,
        &header(TIMESTAMP_HEADER),
        &bytes,
        &header(SIGNATURE_HEADER),
        state.app.clock.now(),
    ) {
        lingong_core::rejections::note(lingong_core::rejections::Rejection::BadSignature);
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "errors": [{ "field": "_request", "message": t(lang, "sms_inbound.bad_signature") }] })),
        )
            .into_response();
    }
    let mut rebuilt = HeaderMap::new();
    if let Some(kind) = headers.get(axum::http::header::CONTENT_TYPE) {
        rebuilt.insert(axum::http::header::CONTENT_TYPE, kind.clone());
    }
    let submitted = match request::read(&rebuilt, Body::from(bytes)).await {
        Ok(s) => s,
        Err(failure) => return failure.respond(&state, &default),
    };
    let input = &submitted.input;
    let mut problems = Vec::new();
    if input.text("from").trim().is_empty() {
        problems.push(FieldError::new("from", "error.required"));
    }
    if !input.has("text") {
        problems.push(FieldError::new("text", "error.required"));
    }
    if !problems.is_empty() {
        return Failure::Invalid {
            flavor,
            lang,
            invalid: Invalid(problems),
        }
        .respond(&state, &default);
    }
    match state
        .app
        .sms_inbound(
            input.one("station"),
            input.text("from"),
            input.text("text"),
            input.one("message_id"),
        )
        .await
    {
        Ok(outcome) => Json(json!({ "result": outcome.as_str() })).into_response(),
        Err(InboundError::UnknownStation) => {
            Failure::NotFound { flavor, lang }.respond(&state, &default)
        }
        Err(InboundError::Invalid(invalid)) => Failure::Invalid {
            flavor,
            lang,
            invalid,
        }
        .respond(&state, &default),
        Err(InboundError::Busy) => Failure::Busy { flavor, lang }.respond(&state, &default),
        Err(e @ InboundError::Store(_)) => internal(&e, flavor, lang).respond(&state, &default),
    }
}
