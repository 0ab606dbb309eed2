//! Job routes: post (JSON or form), list (JSON), and the employer's manage link.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use lingong_core::{
    app::{ConfirmOutcome, JobFilter, ManageError, Submission},
    job::{AWAITING_CONFIRMATION, Job, JobStatus, Source},
    problem::{FieldError, Invalid},
    secrets::ManageToken,
    station::Station,
    store::Cursor,
};
use lingong_site::FormState;
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppState,
    reply::{Failure, Flavor, context_of, internal, page, submit_failure},
    request::{self, header_lang},
};

/// `POST /api/jobs`: an employer posts a job.
pub async fn post(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
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
        lingong_core::app::POST_JOB,
        "contact_phone",
    )
    .await
    {
        Ok(admitted) => admitted,
        Err(failure) => return failure.respond(&state, &station),
    };
    let result = state
        .app
        .post_job(Submission {
            station: Some(station.id.as_str()),
            input: &submitted.input,
            idempotency_key: key.as_ref(),
            source: Source::Online,
        })
        .await;
    match result {
        Ok(saved) => {
            if !saved.replayed {
                reservation.keep();
            }
            let job = &saved.record;
            let manage_url = state.absolute(
                &headers,
                &state.manage_path("jobs", &station, &job.id, saved.token.as_str()),
            );
            let mut response = match flavor {
                Flavor::Json => (
                    StatusCode::CREATED,
                    Json(json!({
                        "id": job.id,
                        "status": job.status,
                        "status_reason": job.status_reason,
                        "manage_url": manage_url,
                    })),
                )
                    .into_response(),
                Flavor::Html => page(
                    &state,
                    StatusCode::CREATED,
                    "pages/job_posted.html",
                    context! {
                        job => Serde(json!({"status": job.status})),
                        awaiting_confirmation => job.status_reason.as_deref() == Some(AWAITING_CONFIRMATION),
                        manage_url,
                        ..context_of(&station, lang, "post/")
                    },
                ),
            };
            if saved.replayed {
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            response
        }
        Err(error) => submit_failure(
            &state,
            &station,
            submitted,
            error,
            "pages/post_job.html",
            "post/",
        ),
    }
}

/// Query of `GET /api/jobs`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    station: Option<String>,
    trade: Option<String>,
    district: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/jobs?trade=&district=`: published jobs, newest first, public fields only.
pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = header_lang(&headers);
    let flavor = Flavor::Json;
    let default = state.app.stations.default_station().clone();
    let Ok(Query(query)) = query else {
        return Failure::Malformed { flavor, lang }.respond(&state, &default);
    };
    let Some(station) = state.app.station(query.station.as_deref()).cloned() else {
        return Failure::NotFound { flavor, lang }.respond(&state, &default);
    };
    let mut problems = Vec::new();
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let trade = nonempty(&query.trade);
    let district = nonempty(&query.district);
    if trade.as_deref().is_some_and(|t| station.trade(t).is_none()) {
        problems.push(FieldError::new("trade", "error.unknown_trade"));
    }
    if district
        .as_deref()
        .is_some_and(|d| station.district(d).is_none())
    {
        problems.push(FieldError::new("district", "error.unknown_district"));
    }
    let limit = match nonempty(&query.limit).map(|l| l.parse::<u32>()) {
        None => 50,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        Some(_) => {
            problems.push(
                FieldError::new("limit", "error.headcount")
                    .with("min", 1u32)
                    .with("max", 100u32),
            );
            50
        }
    };
    let cursor = match nonempty(&query.cursor) {
        None => None,
        Some(text) => match Cursor::parse(&text) {
            Some(cursor) => Some(cursor),
            None => {
                problems.push(FieldError::new("cursor", "error.bad_cursor"));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Failure::Invalid {
            flavor,
            lang,
            invalid: Invalid(problems),
        }
        .respond(&state, &station);
    }
    let filter = JobFilter { trade, district };
    match state
        .app
        .published_jobs(&station, &filter, limit, cursor)
        .await
    {
        Ok((jobs, next)) => {
            let jobs: Vec<_> = jobs.iter().map(Job::public).collect();
            let mut response =
                Json(json!({ "jobs": jobs, "next": next.as_ref().map(Cursor::as_str) }))
                    .into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=30"),
            );
            response
        }
        Err(e) => internal(&e, flavor, lang).respond(&state, &station),
    }
}

/// Query of the manage link.
#[derive(Debug, Default, Deserialize)]
pub struct ManageQuery {
    token: Option<String>,
    station: Option<String>,
    done: Option<String>,
}

fn job_form_values(job: &Job) -> BTreeMap<String, Vec<String>> {
    let pairs = [
        ("title", job.title.to_string()),
        ("trade", job.trade.clone()),
        ("district", job.district.clone()),
        ("address", job.address.to_string()),
        ("start_date", job.dates.start.to_string()),
        ("end_date", job.dates.end.to_string()),
        ("headcount", job.headcount.to_string()),
        ("daily_wage_yuan", job.daily_wage.to_string()),
        ("pay_terms", job.pay_terms.as_str().to_owned()),
        ("employer_name", job.employer_name.to_string()),
        ("contact_name", job.contact_name.to_string()),
        ("contact_phone", job.contact_phone.as_str().to_owned()),
        (
            "contact_email",
            job.contact_email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
        ),
        ("description", job.description.to_string()),
        ("requirements", job.requirements.to_string()),
    ];
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), vec![v]))
        .collect()
}

fn manage_page_response(
    state: &AppState,
    (station, lang): (&Station, lingong_core::Lang),
    status: StatusCode,
    job: &Job,
    form: FormState,
    action_url: &str,
    done: Option<&str>,
) -> Response {
    let done = done.filter(|d| matches!(*d, "saved" | "closed"));
    page(
        state,
        status,
        "pages/manage_job.html",
        context! {
            job => Serde(json!({
                "status": job.status,
                "placed": job.placed,
                "headcount": job.headcount,
                "reason": job.status_reason_text(lang),
            })),
            editable => job.status.is_open(),
            form => Serde(form),
            action_url,
            done,
            ..context_of(station, lang, ""),
        },
    )
}

fn manage_failure(error: ManageError, flavor: Flavor, lang: lingong_core::Lang) -> Failure {
    match error {
        ManageError::NotFound => Failure::NotFound { flavor, lang },
        ManageError::Locked(_) => Failure::Locked { flavor, lang },
        ManageError::Busy => Failure::Busy { flavor, lang },
        ManageError::Invalid(invalid) => Failure::Invalid {
            flavor,
            lang,
            invalid,
        },
        e @ (ManageError::Store(_) | ManageError::Secret(_)) => internal(&e, flavor, lang),
    }
}

/// `GET /api/jobs/{id}/manage?token=…`: the employer's page (or JSON) for their job.
pub async fn manage_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ManageQuery>,
) -> Response {
    let (flavor, lang, station) =
        match request::link_request(&state, &headers, query.station.as_deref()) {
            Ok(found) => found,
            Err(response) => return *response,
        };
    let token = ManageToken::from_link(query.token.as_deref().unwrap_or(""));
    match state
        .app
        .job_for_manage(Some(station.id.as_str()), &id, &token)
        .await
    {
        Ok(job) => match flavor {
            Flavor::Json => Json(json!({ "job": job_json(&job) })).into_response(),
            Flavor::Html => {
                let form = FormState::empty().with_values(job_form_values(&job));
                let action_url = state.manage_path("jobs", &station, &job.id, token.as_str());
                manage_page_response(
                    &state,
                    (&station, lang),
                    StatusCode::OK,
                    &job,
                    form,
                    &action_url,
                    query.done.as_deref(),
                )
            }
        },
        Err(e) => manage_failure(e, flavor, lang).respond(&state, &station),
    }
}

/// The employer's own view of their job (they may see their contact details).
fn job_json(job: &Job) -> serde_json::Value {
    let mut value = serde_json::to_value(job.public()).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        // Their own text as they typed it, unmasked.
        map.insert("title".into(), json!(job.title));
        map.insert("address".into(), json!(job.address));
        map.insert("employer_name".into(), json!(job.employer_name));
        map.insert("description".into(), json!(job.description));
        map.insert("requirements".into(), json!(job.requirements));
        map.insert("placed".into(), json!(job.placed));
        map.insert("contact_name".into(), json!(job.contact_name));
        map.insert("contact_phone".into(), json!(job.contact_phone));
        map.insert("contact_email".into(), json!(job.contact_email));
        map.insert("updated_at".into(), json!(job.updated_at));
    }
    value
}

/// `POST /api/jobs/{id}/manage?token=…`: edit (`action=edit`, the job's fields) or
/// close (`action=close`). Forms send `_action`.
pub async fn manage_action(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ManageQuery>,
    body: Body,
) -> Response {
    let (submitted, station) =
        match request::read_at(&state, &headers, body, query.station.as_deref()).await {
            Ok(read) => read,
            Err(response) => return response,
        };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let token = ManageToken::from_link(query.token.as_deref().unwrap_or(""));
    let action = submitted
        .input
        .one("_action")
        .or_else(|| submitted.input.one("action"))
        .unwrap_or("edit")
        .to_owned();
    let station_id = Some(station.id.as_str());
    let result = match action.as_str() {
        "close" => state.app.close_job(station_id, &id, &token).await,
        "edit" => {
            state
                .app
                .edit_job(station_id, &id, &token, &submitted.input)
                .await
        }
        _ => {
            return Failure::Invalid {
                flavor,
                lang,
                invalid: Invalid::one(FieldError::new("action", "error.invalid")),
            }
            .respond(&state, &station);
        }
    };
    match (result, flavor) {
        (Ok(job), Flavor::Json) => Json(json!({ "job": job_json(&job) })).into_response(),
        (Ok(job), Flavor::Html) => {
            let done = if action == "close" { "closed" } else { "saved" };
            let path = format!(
                "{}&done={done}",
                state.manage_path("jobs", &station, &job.id, token.as_str())
            );
            Redirect::to(&path).into_response()
        }
        (Err(ManageError::Invalid(invalid)), Flavor::Html) => {
            match state.app.job_for_manage(station_id, &id, &token).await {
                Ok(job) => {
                    let form = FormState::from_input(&submitted.input, Some(&invalid), lang);
                    let action_url = state.manage_path("jobs", &station, &job.id, token.as_str());
                    manage_page_response(
                        &state,
                        (&station, lang),
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &job,
                        form,
                        &action_url,
                        None,
                    )
                }
                Err(e) => manage_failure(e, flavor, lang).respond(&state, &station),
            }
        }
        (Err(e), _) => manage_failure(e, flavor, lang).respond(&state, &station),
    }
}

/// Query of a posting's confirmation link.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmQuery {
    sig: Option<String>,
    station: Option<String>,
}

/// `GET /api/jobs/{id}/confirm?sig=…`: a verified employer's number was used to post;
/// the page asks its owner to publish it (opening the link changes nothing).
pub async fn confirm_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ConfirmQuery>,
) -> Response {
    let (_, lang, station) = match request::link_request(&state, &headers, query.station.as_deref())
    {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let sig = query.sig.as_deref().unwrap_or("");
    match state
        .app
        .job_to_confirm(Some(station.id.as_str()), &id, sig)
        .await
    {
        Ok(Some(job)) => page(
            &state,
            StatusCode::OK,
            "pages/confirm_posting.html",
            context! {
                job => Serde(json!({
                    "title": job.title,
                    "dates": format!("{} – {}", job.dates.start, job.dates.end),
                    "wage": job.daily_wage.to_string(),
                    "address": job.address,
                })),
                waiting => job.status == JobStatus::PendingReview && job.status_reason.as_deref() == Some(AWAITING_CONFIRMATION),
                published => job.status == JobStatus::Published,
                action_url => state.app.confirmation_path(&station, &job.id),
                ..context_of(&station, lang, "")
            },
        ),
        Ok(None) => Failure::NotFound {
            flavor: Flavor::Html,
            lang,
        }
        .respond(&state, &station),
        Err(e) => internal(&e, Flavor::Html, lang).respond(&state, &station),
    }
}

/// `POST /api/jobs/{id}/confirm?sig=…`: publishes it; safe to repeat.
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ConfirmQuery>,
    body: Body,
) -> Response {
    let (submitted, station) =
        match request::read_at(&state, &headers, body, query.station.as_deref()).await {
            Ok(read) => read,
            Err(response) => return response,
        };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let sig = query.sig.as_deref().unwrap_or("");
    match state
        .app
        .confirm_posting(Some(station.id.as_str()), &id, sig)
        .await
    {
        Ok(Some(outcome)) => {
            let result = match outcome {
                ConfirmOutcome::Published => "published",
                ConfirmOutcome::NotWaiting => "not_waiting",
            };
            match flavor {
                Flavor::Json => Json(json!({ "result": result })).into_response(),
                Flavor::Html => {
                    Redirect::to(&state.app.confirmation_path(&station, &id)).into_response()
                }
            }
        }
        Ok(None) => Failure::NotFound { flavor, lang }.respond(&state, &station),
        Err(e) => internal(&e, flavor, lang).respond(&state, &station),
    }
}
