//! The "were you paid?" link (`/api/paid/{code}?sig=…`): a page with the question and
//! two plain forms; a "not paid" answer opens a complaint and shows its reference.
//! Opening the link changes nothing (link previewers and scanners open links too).

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
    app::paid::{PaidError, PaidOutcome, PaidView, paid_link_path},
    mask::mask_numbers,
    placement::PaidAnswer,
    problem::{FieldError, Invalid},
    station::Station,
};
use lingong_site::notices::day_text;
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppState,
    reply::{Failure, Flavor, context_of, internal, page},
    request,
};

/// Query of a follow-up link.
#[derive(Debug, Default, Deserialize)]
pub struct PaidQuery {
    sig: Option<String>,
    station: Option<String>,
    done: Option<String>,
}

fn failure(error: PaidError, flavor: Flavor, lang: Lang) -> Failure {
    match error {
        PaidError::NotFound => Failure::NotFound { flavor, lang },
        PaidError::Busy => Failure::Busy { flavor, lang },
        e @ PaidError::Store(_) => internal(&e, flavor, lang),
    }
}

fn action_url(state: &AppState, station: &Station, code: &str) -> String {
    let default = station.id == state.app.stations.default_station().id;
    paid_link_path(&state.app.secrets, &station.id, code, default)
}

fn dates(view: &PaidView, lang: Lang) -> String {
    let job = &view.job;
    if job.dates.start == job.dates.end {
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
    }
}

/// `GET /api/paid/{code}?sig=…`: the question (or, once answered, what happened).
pub async fn show(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<PaidQuery>,
) -> Response {
    let (flavor, lang, station) =
        match request::link_request(&state, &headers, query.station.as_deref()) {
            Ok(found) => found,
            Err(response) => return *response,
        };
    let sig = query.sig.as_deref().unwrap_or("");
    let view = match state
        .app
        .paid_check_by_link(Some(station.id.as_str()), &code, sig)
        .await
    {
        Ok(view) => view,
        Err(e) => return failure(e, flavor, lang).respond(&state, &station),
    };
    let check = view.placement.paid_check.clone();
    let answer = check.as_ref().and_then(|c| c.answer);
    let reference = check.as_ref().and_then(|c| c.complaint_reference.clone());
    if flavor == Flavor::Json {
        return Json(json!({
            "job": { "title": mask_numbers(view.job.title.as_str()), "start_date": view.job.dates.start, "end_date": view.job.dates.end },
            "answer": answer.map(PaidAnswer::as_str),
            "reference": reference,
        }))
        .into_response();
    }
    page(
        &state,
        StatusCode::OK,
        "pages/paid.html",
        context! {
            job => Serde(json!({ "title": mask_numbers(view.job.title.as_str()), "dates": dates(&view, lang) })),
            answered_paid => answer == Some(PaidAnswer::Paid),
            just_answered => query.done.as_deref() == Some("paid"),
            reference => reference,
            action_url => action_url(&state, &station, &code),
            ..context_of(&station, lang, ""),
        },
    )
}

/// `POST /api/paid/{code}?sig=…` with `answer=paid` or `answer=unpaid`. Forms go back to
/// the page, which shows the outcome; JSON clients get it as JSON.
pub async fn answer(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<PaidQuery>,
    body: Body,
) -> Response {
    let (submitted, station) =
        match request::read_at(&state, &headers, body, query.station.as_deref()).await {
            Ok(read) => read,
            Err(response) => return response,
        };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let answer = match submitted.input.one("answer").map(str::trim) {
        Some("paid") => PaidAnswer::Paid,
        Some("unpaid") => PaidAnswer::Unpaid,
        _ => {
            return Failure::Invalid {
                flavor,
                lang,
                invalid: Invalid::one(FieldError::new("answer", "error.invalid")),
            }
            .respond(&state, &station);
        }
    };
    let sig = query.sig.as_deref().unwrap_or("");
    match state
        .app
        .answer_paid_check(Some(station.id.as_str()), &code, sig, answer)
        .await
    {
        Ok(outcome) => match flavor {
            Flavor::Json => {
                let body = match &outcome {
                    PaidOutcome::Paid => json!({ "result": "paid" }),
                    PaidOutcome::ComplaintOpened { reference } => {
                        json!({ "result": "complaint_opened", "reference": reference })
                    }
                };
                Json(body).into_response()
            }
            Flavor::Html => {
                let done = match outcome {
                    PaidOutcome::Paid => "paid",
                    PaidOutcome::ComplaintOpened { .. } => "unpaid",
                };
                Redirect::to(&format!(
                    "{}&done={done}",
                    action_url(&state, &station, &code)
                ))
                .into_response()
            }
        },
        Err(e) => failure(e, flavor, lang).respond(&state, &station),
    }
}
