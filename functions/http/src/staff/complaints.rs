//! The complaints desk (维权): the queue by state, one complaint with its steps and the
//! form to move it on, and intake at the desk for someone who came in or phoned.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use lingong_core::{
    app::{ComplaintStep, StaffActionError, Submission, SubmitError},
    complaint::{Complaint, ComplaintKind, ComplaintStatus},
    i18n::t,
    idempotency::IdempotencyKey,
    job::Source,
};
use lingong_site::FormState;
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use super::{Flash, StaffRequest, authenticate, authenticate_post, flash};
use crate::AppState;

/// Routes of the complaints desk.
pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/staff/complaints", get(queue))
        .route("/staff/complaints/new", post(file_at_desk))
        .route("/staff/complaints/{id}", get(complaint_page))
        .route("/staff/complaints/{id}/step", post(step))
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    status: Option<String>,
    done: Option<String>,
}

fn local(staff: &StaffRequest, at: DateTime<Utc>) -> String {
    at.with_timezone(&staff.station.time_zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A complaint as the console shows it. Staff see the full number: calling back is
/// what it is kept for.
pub(super) fn complaint_json(staff: &StaffRequest, complaint: &Complaint) -> serde_json::Value {
    let lang = staff.lang;
    json!({
        "id": complaint.id,
        "reference": complaint.reference,
        "kind": t(lang, &format!("rights.kind_{}", complaint.kind.as_str())),
        "status": complaint.status.as_str(),
        "status_name": t(lang, &format!("complaint_status.{}", complaint.status.as_str())),
        "closed": complaint.status.is_closed(),
        "source": t(lang, &format!("staff_complaints.source_{}", complaint.source.as_str())),
        "name": complaint.name.as_ref().map(|n| n.as_str().to_owned()),
        "phone": complaint.phone.as_ref().map(|p| p.as_str().to_owned()),
        "employer_name": complaint.employer_name.as_ref().map(|n| n.as_str().to_owned()),
        "employer_id": complaint.employer_id,
        "worker_id": complaint.worker_id,
        "job_id": complaint.job_id,
        "description": complaint.description.as_str(),
        "created": local(staff, complaint.created_at),
        "closed_at": complaint.closed_at.map(|at| local(staff, at)),
        "version": complaint.version,
        "next": ComplaintStatus::ALL
            .into_iter()
            .filter(|s| complaint.status.can_become(*s))
            .map(|s| json!({
                "value": s.as_str(),
                "name": t(lang, &format!("complaint_status.{}", s.as_str())),
            }))
            .collect::<Vec<_>>(),
        "notes": complaint.notes.iter().map(|n| json!({
            "at": local(staff, n.at),
            "by": n.by,
            "status": n.status.map(|s| t(lang, &format!("complaint_status.{}", s.as_str()))),
            "text": n.text,
        })).collect::<Vec<_>>(),
    })
}

async fn queue(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<QueueQuery>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let status = query
        .status
        .as_deref()
        .and_then(ComplaintStatus::parse)
        .unwrap_or(ComplaintStatus::Received);
    let loaded = async {
        let counts = state.app.complaint_counts_by_state(&staff.actor).await?;
        let list = state
            .app
            .complaints_in_state(&staff.actor, status, 200)
            .await?;
        Ok::<_, StaffActionError>((counts, list))
    }
    .await;
    let done = flash(&Flash {
        done: query.done,
        station: None,
    });
    match loaded {
        Ok((counts, list)) => staff.render(
            &state,
            StatusCode::OK,
            "staff/complaints.html",
            context! {
                current => status.as_str(),
                tabs => Serde(counts.iter().map(|(s, n)| json!({
                    "value": s.as_str(),
                    "name": t(staff.lang, &format!("complaint_status.{}", s.as_str())),
                    "count": n,
                })).collect::<Vec<_>>()),
                complaints => Serde(list.iter().map(|c| complaint_json(&staff, c)).collect::<Vec<_>>()),
                kinds => Serde(kinds(&staff)),
                form => Serde(FormState::empty()),
                done => done.map(|k| t(staff.lang, &k)),
            },
        ),
        Err(e) => staff.failure(&state, e),
    }
}

fn kinds(staff: &StaffRequest) -> Vec<serde_json::Value> {
    ComplaintKind::ALL
        .into_iter()
        .map(|k| json!({ "value": k.as_str(), "name": t(staff.lang, &format!("rights.kind_{}", k.as_str())) }))
        .collect()
}

async fn complaint_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<Flash>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let loaded = async {
        let complaint = state.app.complaint_for_staff(&staff.actor, &id).await?;
        let employer = match &complaint.employer_id {
            Some(employer) => Some(state.app.employer_for_staff(&staff.actor, employer).await?),
            None => None,
        };
        Ok::<_, StaffActionError>((complaint, employer))
    }
    .await;
    match loaded {
        Ok((complaint, employer)) => staff.render(
            &state,
            StatusCode::OK,
            "staff/complaint.html",
            context! {
                complaint => Serde(complaint_json(&staff, &complaint)),
                employer => employer.map(|e| context! { id => e.id, name => e.name.as_str().to_owned(), verified => e.verified, blacklisted => e.blacklisted }),
                done => flash(&query).map(|k| t(staff.lang, &k)),
            },
        ),
        Err(e) => staff.failure(&state, e),
    }
}

async fn step(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let step = ComplaintStep {
        status: input.text("status"),
        note: input.text("note"),
        employer_id: input.text("employer_id"),
        version: input.text("version"),
    };
    match state.app.advance_complaint(&staff.actor, &id, &step).await {
        Ok(_) => {
            Redirect::to(&format!("/staff/complaints/{id}?done=complaint_step")).into_response()
        }
        Err(StaffActionError::Busy) => {
            staff.message(&state, StatusCode::CONFLICT, "staff_complaints.changed")
        }
        Err(e) => staff.failure(&state, e),
    }
}

/// Someone at the desk or on the phone: staff fill the same form as the public one and
/// tick that consent was given in person. A resent form files once (its content is the
/// idempotency key).
async fn file_at_desk(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (staff, mut input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    if input.flag("consent_in_person") == Some(true) {
        input.push("consent", "true");
    }
    let key = IdempotencyKey::from_fingerprint(&input.fingerprint("desk_complaint"));
    let result = state
        .app
        .file_complaint(Submission {
            station: Some(staff.actor.station.as_str()),
            input: &input,
            idempotency_key: Some(&key),
            source: Source::Desk,
        })
        .await;
    match result {
        Ok(filed) => {
            if !filed.replayed
                && let Err(e) = state
                    .app
                    .audit_desk_entry(&staff.actor, "complaint", &filed.record.id)
                    .await
            {
                return staff.failure(&state, e);
            }
            Redirect::to(&format!(
                "/staff/complaints/{}?done=complaint_filed",
                filed.record.id
            ))
            .into_response()
        }
        Err(SubmitError::Invalid(invalid)) => {
            let form = FormState::from_input(&input, Some(&invalid), staff.lang);
            staff.render(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "staff/complaints.html",
                context! {
                    current => "received",
                    tabs => Serde(Vec::<serde_json::Value>::new()),
                    complaints => Serde(Vec::<serde_json::Value>::new()),
                    kinds => Serde(kinds(&staff)),
                    form => Serde(form),
                    open => true,
                },
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "desk complaint failed");
            staff.message(&state, StatusCode::SERVICE_UNAVAILABLE, "error.busy")
        }
    }
}
