//! Intake forms of the public board: "report this posting" (`POST
//! /api/jobs/{id}/report`) and consultation/complaints, 咨询维权 (`POST
//! /api/complaints`). JSON in, JSON out; a plain form gets a confirmation page, or the
//! form again with every problem marked.

use std::sync::Arc;

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use lingong_core::{
    Lang,
    app::{Filed, ReportError, Submission, SubmitError, report_action},
    i18n::t,
    job::{Source, is_id},
    report::ReportReason,
    station::Station,
};
use lingong_site::FormState;
use minijinja::{context, value::Serde};
use serde::Serialize;
use serde_json::json;

use crate::{
    AppState, guard,
    reply::{Failure, Flavor, context_of, internal, page},
    request::{self, Submitted},
};

fn replayed<T>(mut response: Response, filed: &Filed<T>) -> Response {
    if filed.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

fn report_reasons(lang: Lang) -> Vec<Choice> {
    ReportReason::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str(),
            label: t(lang, &format!("report.reason_{}", r.as_str())),
        })
        .collect()
}

/// `POST /api/jobs/{id}/report`: anyone reports a posting (reason from a fixed list,
/// optional details). Stored once however often it is sent.
pub async fn report_job(
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
    if !is_id(&id) {
        return Failure::NotFound { flavor, lang }.respond(&state, &station);
    }
    let action = report_action(&id);
    let crate::guard::Admitted { key, reservation } =
        match guard::admit(&state, &headers, &submitted, &station, &action, "phone").await {
            Ok(admitted) => admitted,
            Err(failure) => return failure.respond(&state, &station),
        };
    let result = state
        .app
        .report_job(
            Some(station.id.as_str()),
            &id,
            &submitted.input,
            key.as_ref(),
            &crate::staff::client_address(&headers),
        )
        .await;
    match result {
        Ok(filed) => {
            if !filed.replayed {
                reservation.keep();
            }
            let report = &filed.record;
            let response = match flavor {
                Flavor::Json => (
                    StatusCode::CREATED,
                    Json(json!({ "id": report.id, "job_id": report.job_id, "status": report.status.as_str() })),
                )
                    .into_response(),
                Flavor::Html => page(
                    &state,
                    StatusCode::CREATED,
                    "pages/report_received.html",
                    context! { job_id => &report.job_id, ..context_of(&station, lang, &format!("jobs/{}/", report.job_id)) },
                ),
            };
            replayed(response, &filed)
        }
        Err(ReportError::Invalid(invalid)) if flavor == Flavor::Html => {
            let form =
                FormState::from_input_labelled(&submitted.input, Some(&invalid), lang, "report");
            let job_title = match state.app.job(&station, &id).await {
                Ok(job) => job.map(|j| lingong_core::board::mask_numbers(j.title.as_str())),
                Err(_) => None,
            };
            page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/report_job.html",
                context! {
                    form => Serde(form),
                    job_id => &id,
                    job_title,
                    report_reasons => Serde(report_reasons(lang)),
                    ..context_of(&station, lang, &format!("jobs/{id}/"))
                },
            )
        }
        Err(ReportError::Invalid(invalid)) => Failure::Invalid {
            flavor,
            lang,
            invalid,
        }
        .respond(&state, &station),
        Err(ReportError::NotFound | ReportError::UnknownStation) => {
            Failure::NotFound { flavor, lang }.respond(&state, &station)
        }
        Err(ReportError::KeyReused) => {
            Failure::KeyReused { flavor, lang }.respond(&state, &station)
        }
        Err(e @ (ReportError::Store(_) | ReportError::Secret(_))) => {
            internal(&e, flavor, lang).respond(&state, &station)
        }
    }
}

/// `POST /api/complaints`: a request for advice or help (咨询维权). Answers with a
/// reference number and the 12333 hotline.
pub async fn file_complaint(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (submitted, station) = match request::read_public(&state, &headers, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let crate::guard::Admitted { key, reservation } = match crate::guard::admit(
        &state,
        &headers,
        &submitted,
        &station,
        "file_complaint",
        "phone",
    )
    .await
    {
        Ok(admitted) => admitted,
        Err(failure) => return failure.respond(&state, &station),
    };
    let result = state
        .app
        .file_complaint(Submission {
            station: Some(station.id.as_str()),
            input: &submitted.input,
            idempotency_key: key.as_ref(),
            source: Source::Online,
        })
        .await;
    match result {
        Ok(filed) => {
            if !filed.replayed {
                reservation.keep();
            }
            let complaint = &filed.record;
            let response = match flavor {
                Flavor::Json => (
                    StatusCode::CREATED,
                    Json(json!({
                        "id": complaint.id,
                        "reference": complaint.reference,
                        "status": complaint.status.as_str(),
                        "message": t(lang, "rights.received"),
                        "hotline": station.hotline,
                    })),
                )
                    .into_response(),
                Flavor::Html => page(
                    &state,
                    StatusCode::CREATED,
                    "pages/complaint_received.html",
                    context! { reference => &complaint.reference, ..context_of(&station, lang, "rights/") },
                ),
            };
            replayed(response, &filed)
        }
        Err(error) => complaint_failure(&state, &station, submitted, error),
    }
}

fn complaint_failure(
    state: &AppState,
    station: &Station,
    submitted: Submitted,
    error: SubmitError,
) -> Response {
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    match (error, flavor) {
        (SubmitError::Invalid(invalid), Flavor::Html) => {
            let form =
                FormState::from_input_labelled(&submitted.input, Some(&invalid), lang, "rights");
            page(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/rights.html",
                context! { form => Serde(form), ..context_of(station, lang, "rights/") },
            )
        }
        (SubmitError::Invalid(invalid), Flavor::Json) => Failure::Invalid {
            flavor,
            lang,
            invalid,
        }
        .respond(state, station),
        (SubmitError::KeyReused, _) => Failure::KeyReused { flavor, lang }.respond(state, station),
        (SubmitError::UnknownStation | SubmitError::Refused, _) => {
            Failure::NotFound { flavor, lang }.respond(state, station)
        }
        (e @ (SubmitError::Store(_) | SubmitError::Secret(_)), _) => {
            internal(&e, flavor, lang).respond(state, station)
        }
    }
}
