//! Registering for a training course (一键培训): `POST /api/courses/{id}/register`, from
//! the plain form on the public `/training/` page (or JSON). The same checks as every
//! public form (honeypot, proof of work, rate limits per address and per phone number);
//! one place per phone number per course, and a retry gets the first registration back.
//! A full, cancelled or started course answers 409 with a clear message.

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
    app::{EventError, register_action},
    events::{Course, PublicCourse},
    i18n::t,
    job::is_id,
    station::Station,
};
use lingong_site::{FormState, outreach::CourseView};
use minijinja::{context, value::Serde};
use serde_json::json;

use crate::{
    AppState,
    reply::{Failure, Flavor, context_of, internal, page},
    request::{self, Submitted},
};

fn view(station: &Station, lang: Lang, course: &Course) -> CourseView {
    CourseView::new(station, lang, &PublicCourse::of(course))
}

/// `POST /api/courses/{id}/register`: name, phone, consent.
pub async fn register(
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
    let action = register_action(&id);
    let crate::guard::Admitted { key, reservation } =
        match crate::guard::admit(&state, &headers, &submitted, &station, &action, "phone").await {
            Ok(admitted) => admitted,
            Err(failure) => return failure.respond(&state, &station),
        };
    let result = state
        .app
        .register_for_course(
            Some(station.id.as_str()),
            &id,
            &submitted.input,
            key.as_ref(),
        )
        .await;
    match result {
        Ok(filed) => {
            if !filed.replayed {
                reservation.keep();
            }
            let registration = &filed.record;
            let mut response = match flavor {
                Flavor::Json => (
                    StatusCode::CREATED,
                    Json(json!({
                        "id": registration.id,
                        "course_id": registration.course_id,
                        "status": "registered",
                        "message": t(lang, if filed.replayed { "events.registered_before" } else { "events.registered" }),
                    })),
                )
                    .into_response(),
                Flavor::Html => match state.app.course(&station, &id).await {
                    Ok(Some(course)) => page(
                        &state,
                        StatusCode::CREATED,
                        "pages/course_registered.html",
                        context! {
                            course => Serde(view(&station, lang, &course)),
                            replayed => filed.replayed,
                            ..context_of(&station, lang, "training/")
                        },
                    ),
                    Ok(None) => Failure::NotFound { flavor, lang }.respond(&state, &station),
                    Err(e) => internal(&e, flavor, lang).respond(&state, &station),
                },
            };
            if filed.replayed {
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            response
        }
        Err(error) => failure(&state, &station, &id, submitted, error).await,
    }
}

async fn failure(
    state: &AppState,
    station: &Station,
    id: &str,
    submitted: Submitted,
    error: EventError,
) -> Response {
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    match error {
        EventError::Invalid(invalid) if flavor == Flavor::Html => {
            let course = match state.app.course(station, id).await {
                Ok(Some(course)) => course,
                Ok(None) => return Failure::NotFound { flavor, lang }.respond(state, station),
                Err(e) => return internal(&e, flavor, lang).respond(state, station),
            };
            let form =
                FormState::from_input_labelled(&submitted.input, Some(&invalid), lang, "events");
            page(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/course_register.html",
                context! {
                    form => Serde(form),
                    course => Serde(view(station, lang, &course)),
                    ..context_of(station, lang, "training/")
                },
            )
        }
        EventError::Invalid(invalid) => Failure::Invalid {
            flavor,
            lang,
            invalid,
        }
        .respond(state, station),
        EventError::Closed(closed) => {
            let message = t(lang, closed.message_key());
            match flavor {
                Flavor::Json => (
                    StatusCode::CONFLICT,
                    Json(json!({ "errors": [{ "field": "_course", "message": message }] })),
                )
                    .into_response(),
                Flavor::Html => page(
                    state,
                    StatusCode::CONFLICT,
                    "pages/error.html",
                    context! {
                        heading => t(lang, "events.closed_title"),
                        message => format!("{message} {}", t(lang, "events.see_other_courses")),
                        ..context_of(station, lang, "training/")
                    },
                ),
            }
        }
        EventError::NotFound | EventError::UnknownStation => {
            Failure::NotFound { flavor, lang }.respond(state, station)
        }
        EventError::KeyReused => Failure::KeyReused { flavor, lang }.respond(state, station),
        EventError::Busy => Failure::Busy { flavor, lang }.respond(state, station),
        e @ (EventError::Store(_) | EventError::Secret(_) | EventError::Audit(_)) => {
            internal(&e, flavor, lang).respond(state, station)
        }
    }
}
