//! Worker routes: sign-up (JSON or form) and the worker's manage link.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use lingong_core::{
    app::{ErasedBy, ManageError, Outcome, Submission, phone_code::CODE_FIELD},
    job::Source,
    problem::{FieldError, Invalid},
    secrets::ManageToken,
    station::Station,
    worker::Worker,
};
use lingong_site::FormState;
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppState, guard,
    reply::{Failure, Flavor, context_of, internal, page, submit_failure},
    request::{self, header_lang},
};

/// `POST /api/workers`: a worker signs up (or updates their sign-up).
pub async fn sign_up(
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
        lingong_core::app::SIGN_UP,
        "phone",
    )
    .await
    {
        Ok(admitted) => admitted,
        Err(failure) => return failure.respond(&state, &station),
    };
    let result = state
        .app
        .sign_up(Submission {
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
            if saved.outcome == Outcome::LinkSent {
                // Nothing about the record, and no link, to whoever typed the number.
                let message = lingong_core::i18n::t(lang, "confirm.worker_link_sent");
                let mut response = match flavor {
                    Flavor::Json => (
                        StatusCode::ACCEPTED,
                        Json(json!({ "status": "link_sent", "message": message })),
                    )
                        .into_response(),
                    Flavor::Html => page(
                        &state,
                        StatusCode::ACCEPTED,
                        "pages/worker_saved.html",
                        context! { link_sent => true, ..context_of(&station, lang, "signup/") },
                    ),
                };
                if saved.replayed {
                    response
                        .headers_mut()
                        .insert("idempotent-replayed", HeaderValue::from_static("true"));
                }
                return response;
            }
            let worker = &saved.record;
            let manage_url = state.absolute(
                &headers,
                &state.manage_path("workers", &station, &worker.id, saved.token.as_str()),
            );
            let updated = saved.outcome == Outcome::Updated;
            let status = if updated {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let mut response = match flavor {
                Flavor::Json => (
                    status,
                    Json(json!({ "id": worker.id, "manage_url": manage_url, "updated": updated })),
                )
                    .into_response(),
                Flavor::Html => page(
                    &state,
                    status,
                    "pages/worker_saved.html",
                    context! { manage_url, updated, ..context_of(&station, lang, "signup/") },
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
            "pages/sign_up.html",
            "signup/",
        ),
    }
}

/// Query of the manage link.
#[derive(Debug, Default, Deserialize)]
pub struct ManageQuery {
    token: Option<String>,
    station: Option<String>,
    done: Option<String>,
}

fn worker_form_values(worker: &Worker) -> BTreeMap<String, Vec<String>> {
    let mut values = BTreeMap::new();
    let mut one = |k: &str, v: String| {
        values.insert(k.to_owned(), vec![v]);
    };
    one("name", worker.name.to_string());
    one("phone", worker.phone.as_str().to_owned());
    one("available_from", worker.available_from.to_string());
    one(
        "expected_daily_wage_yuan",
        worker
            .expected_daily_wage
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    one(
        "email",
        worker
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
    );
    one("channel", worker.channel.as_str().to_owned());
    one("auto_matching", worker.auto_matching.to_string());
    one("consent", "true".to_owned());
    values.insert("trades".into(), worker.trades.clone());
    values.insert("districts".into(), worker.districts.clone());
    values
}

/// The worker's own view of their record.
fn worker_json(worker: &Worker) -> serde_json::Value {
    json!({
        "id": worker.id,
        "station": worker.station,
        "name": worker.name,
        "phone": worker.phone,
        "trades": worker.trades,
        "districts": worker.districts,
        "available_from": worker.available_from,
        "expected_daily_wage_yuan": worker.expected_daily_wage.map(|m| m.yuan_f64()),
        "email": worker.email,
        "channel": worker.channel,
        "auto_matching": worker.auto_matching,
        "status": worker.status,
        "consent": worker.consent,
        "created_at": worker.created_at,
        "updated_at": worker.updated_at,
    })
}

fn manage_page_response(
    state: &AppState,
    (station, lang): (&Station, lingong_core::Lang),
    status: StatusCode,
    worker: &Worker,
    form: FormState,
    action_url: &str,
    done: Option<&str>,
) -> Response {
    manage_page_with_code(
        state,
        (station, lang),
        status,
        worker,
        form,
        action_url,
        done,
        (false, None),
    )
}

/// The manage page; `(code_step, code_sent)` shows the code field for a new number and
/// says where the code went.
#[allow(clippy::too_many_arguments)]
fn manage_page_with_code(
    state: &AppState,
    (station, lang): (&Station, lingong_core::Lang),
    status: StatusCode,
    worker: &Worker,
    form: FormState,
    action_url: &str,
    done: Option<&str>,
    (code_step, code_sent): (bool, Option<String>),
) -> Response {
    let done = done.filter(|d| matches!(*d, "saved" | "withdrawn"));
    page(
        state,
        status,
        "pages/manage_worker.html",
        context! {
            worker => Serde(json!({"status": worker.status})),
            form => Serde(form),
            action_url,
            done,
            code_step,
            code_sent,
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

/// `GET /api/workers/{id}/manage?token=…`: the worker's page (or JSON) for their record.
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
        .worker_for_manage(Some(station.id.as_str()), &id, &token)
        .await
    {
        Ok(worker) => match flavor {
            Flavor::Json => Json(json!({ "worker": worker_json(&worker) })).into_response(),
            Flavor::Html => {
                let form = FormState::empty().with_values(worker_form_values(&worker));
                let action_url = state.manage_path("workers", &station, &worker.id, token.as_str());
                manage_page_response(
                    &state,
                    (&station, lang),
                    StatusCode::OK,
                    &worker,
                    form,
                    &action_url,
                    query.done.as_deref(),
                )
            }
        },
        Err(e) => manage_failure(e, flavor, lang).respond(&state, &station),
    }
}

/// `POST /api/workers/{id}/manage?token=…`: edit (`action=edit`, the sign-up fields),
/// pause offers (`action=withdraw`) or delete everything (`action=delete` with
/// `confirm=true`). Forms send `_action`.
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
    if action == "delete" {
        return erase(
            &state,
            &station,
            &id,
            &token,
            submitted.input.flag("confirm") == Some(true),
            flavor,
            lang,
        )
        .await;
    }
    let code_typed = submitted
        .input
        .one(CODE_FIELD)
        .is_some_and(|c| !c.trim().is_empty());
    // A new number on the form without scripts: first a code goes to it, and the form
    // comes back asking for it (JSON clients ask `POST /api/phone-codes` themselves).
    if action == "edit" && flavor == Flavor::Html && !code_typed {
        match state
            .app
            .request_edit_code(station_id, &id, &token, &submitted.input)
            .await
        {
            Ok(None) => {}
            Ok(Some(phone)) => {
                let worker = match state.app.worker_for_manage(station_id, &id, &token).await {
                    Ok(worker) => worker,
                    Err(e) => return manage_failure(e, flavor, lang).respond(&state, &station),
                };
                let sent = lingong_core::i18n::tf(
                    lang,
                    "phone_code.sent_new",
                    &[("phone", phone.masked().into())],
                );
                let action_url = state.manage_path("workers", &station, &worker.id, token.as_str());
                return manage_page_with_code(
                    &state,
                    (&station, lang),
                    StatusCode::OK,
                    &worker,
                    FormState::from_input(&submitted.input, None, lang),
                    &action_url,
                    None,
                    (true, Some(sent)),
                );
            }
            Err(ManageError::Invalid(invalid)) => {
                let worker = match state.app.worker_for_manage(station_id, &id, &token).await {
                    Ok(worker) => worker,
                    Err(e) => return manage_failure(e, flavor, lang).respond(&state, &station),
                };
                let code_step = invalid.0.iter().any(|e| e.field == CODE_FIELD);
                let action_url = state.manage_path("workers", &station, &worker.id, token.as_str());
                return manage_page_with_code(
                    &state,
                    (&station, lang),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &worker,
                    FormState::from_input(&submitted.input, Some(&invalid), lang),
                    &action_url,
                    None,
                    (code_step, None),
                );
            }
            Err(e) => return manage_failure(e, flavor, lang).respond(&state, &station),
        }
    }
    let result = match action.as_str() {
        "withdraw" => state.app.withdraw_worker(station_id, &id, &token).await,
        "edit" => {
            state
                .app
                .edit_worker(station_id, &id, &token, &submitted.input)
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
        (Ok(worker), Flavor::Json) => {
            Json(json!({ "worker": worker_json(&worker) })).into_response()
        }
        (Ok(worker), Flavor::Html) => {
            let done = if action == "withdraw" {
                "withdrawn"
            } else {
                "saved"
            };
            let path = format!(
                "{}&done={done}",
                state.manage_path("workers", &station, &worker.id, token.as_str())
            );
            Redirect::to(&path).into_response()
        }
        (Err(ManageError::Invalid(invalid)), Flavor::Html) => {
            match state.app.worker_for_manage(station_id, &id, &token).await {
                Ok(worker) => {
                    let code_step = invalid.0.iter().any(|e| e.field == CODE_FIELD);
                    let form = FormState::from_input(&submitted.input, Some(&invalid), lang);
                    let action_url =
                        state.manage_path("workers", &station, &worker.id, token.as_str());
                    manage_page_with_code(
                        &state,
                        (&station, lang),
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &worker,
                        form,
                        &action_url,
                        None,
                        (code_step, None),
                    )
                }
                Err(e) => manage_failure(e, flavor, lang).respond(&state, &station),
            }
        }
        (Err(e), _) => manage_failure(e, flavor, lang).respond(&state, &station),
    }
}

/// The worker deletes their data through their manage link.
async fn erase(
    state: &AppState,
    station: &Station,
    id: &str,
    token: &ManageToken,
    confirmed: bool,
    flavor: Flavor,
    lang: lingong_core::Lang,
) -> Response {
    if !confirmed {
        return Failure::Invalid {
            flavor,
            lang,
            invalid: Invalid::one(FieldError::new("confirm", "error.confirm_delete")),
        }
        .respond(state, station);
    }
    if let Err(e) = state
        .app
        .worker_for_manage(Some(station.id.as_str()), id, token)
        .await
    {
        return manage_failure(e, flavor, lang).respond(state, station);
    }
    match state.app.erase_worker(station, id, ErasedBy::Worker).await {
        Ok(_) => match flavor {
            Flavor::Json => Json(json!({ "deleted": true })).into_response(),
            Flavor::Html => page(
                state,
                StatusCode::OK,
                "pages/worker_deleted.html",
                context_of(station, lang, ""),
            ),
        },
        Err(e) => internal(&e, flavor, lang).respond(state, station),
    }
}

/// `GET /api/workers/{id}/export?token=…`: everything held about the worker, as a JSON
/// file to keep.
pub async fn export(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ManageQuery>,
) -> Response {
    let lang = header_lang(&headers);
    let flavor = Flavor::Json;
    let default = state.app.stations.default_station().clone();
    let Some(station) = state.app.station(query.station.as_deref()).cloned() else {
        return Failure::NotFound { flavor, lang }.respond(&state, &default);
    };
    let token = ManageToken::from_link(query.token.as_deref().unwrap_or(""));
    let worker = match state
        .app
        .worker_for_manage(Some(station.id.as_str()), &id, &token)
        .await
    {
        Ok(worker) => worker,
        Err(e) => return manage_failure(e, flavor, lang).respond(&state, &station),
    };
    match state.app.export_worker(&station, &worker).await {
        Ok(export) => {
            let mut response = Json(export).into_response();
            response.headers_mut().insert(
                axum::http::header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"lingong-my-data.json\""),
            );
            response
        }
        Err(e) => internal(&e, flavor, lang).respond(&state, &station),
    }
}

/// `POST /api/workers/link`: "I lost my link" (`phone`, + `_lang`, `station`). The link
/// goes to the number's owner; the answer is the same whether it is registered or not.
pub async fn resend_link(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (submitted, station) = match request::read_public(&state, &headers, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    let reservation = match guard::admit(
        &state,
        &headers,
        &submitted,
        &station,
        "resend_link",
        "phone",
    )
    .await
    {
        Ok(admitted) => admitted.reservation,
        Err(failure) => return failure.respond(&state, &station),
    };
    match state
        .app
        .resend_manage_link(Some(station.id.as_str()), &submitted.input)
        .await
    {
        Ok(()) => {
            reservation.keep();
            let message = lingong_core::i18n::t(lang, "confirm.worker_link_maybe_sent");
            match flavor {
                Flavor::Json => (
                    StatusCode::ACCEPTED,
                    Json(json!({ "status": "accepted", "message": message })),
                )
                    .into_response(),
                Flavor::Html => page(
                    &state,
                    StatusCode::ACCEPTED,
                    "pages/worker_saved.html",
                    context! { link_sent => true, maybe => true, ..context_of(&station, lang, "privacy/") },
                ),
            }
        }
        Err(error) => submit_failure(
            &state,
            &station,
            submitted,
            error,
            "pages/privacy.html",
            "privacy/",
        ),
    }
}
