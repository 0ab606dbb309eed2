//! Console pages for training courses (一键培训) and livestream recruitment events
//! (直播带岗): list, create and cancel them, see who registered for a course (numbers
//! masked unless staff ask to call) and mark attendance. Creating forms carry a nonce
//! the page made, so a form sent twice makes one course.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use lingong_core::{
    Lang,
    app::EventError,
    events::{Course, EventStatus, LiveEvent, Registration},
    i18n::t,
    idempotency::IdempotencyKey,
    input::RawInput,
    problem::Invalid,
};
use lingong_site::FormState;
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use super::{StaffRequest, authenticate, authenticate_post};
use crate::AppState;

/// The routes of this part of the console.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/staff/events", get(events_page))
        .route("/staff/courses", post(create_course))
        .route("/staff/courses/{id}", get(course_page))
        .route("/staff/courses/{id}/cancel", post(cancel_course))
        .route("/staff/courses/{id}/edit", post(edit_course))
        .route(
            "/staff/courses/{id}/registrations/{registration}/attendance",
            post(mark_attendance),
        )
        .route(
            "/staff/courses/{id}/registrations/{registration}/erase",
            post(erase_registrant),
        )
        .route("/staff/lives", post(create_live))
        .route("/staff/lives/{id}/cancel", post(cancel_live))
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    done: Option<String>,
    phones: Option<String>,
}

/// The message for `?done=<what>` after an action.
fn done_message(lang: Lang, done: Option<&str>) -> Option<&'static str> {
    let key = match done? {
        "course_created" => "staff_events.done_course_created",
        "course_cancelled" => "staff_events.done_course_cancelled",
        "live_created" => "staff_events.done_live_created",
        "live_cancelled" => "staff_events.done_live_cancelled",
        "attendance" => "staff_events.done_attendance",
        "course_edited" => "staff_events.done_course_edited",
        "erased" => "staff_events.done_erased",
        _ => return None,
    };
    Some(t(lang, key))
}

fn fresh_form(state: &AppState) -> FormState {
    FormState {
        nonce: lingong_core::job::new_id(state.app.clock.now()).unwrap_or_default(),
        ..FormState::empty()
    }
}

fn local(staff: &StaffRequest, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&staff.station.time_zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn course_row(staff: &StaffRequest, course: &Course) -> serde_json::Value {
    json!({
        "id": course.id,
        "title": course.title,
        "trade": course.trade.as_deref().and_then(|s| staff.station.trade(s)).map(|t| t.name.get(staff.lang)),
        "place": course.place,
        "starts_at": local(staff, course.starts_at),
        "ends_at": local(staff, course.ends_at),
        "capacity": course.capacity,
        "registered": course.registered,
        "places_left": course.places_left(),
        "cancelled": course.status == EventStatus::Cancelled,
        "description": course.description,
    })
}

fn live_row(staff: &StaffRequest, live: &LiveEvent) -> serde_json::Value {
    json!({
        "id": live.id,
        "title": live.title,
        "starts_at": local(staff, live.starts_at),
        "platform": live.platform,
        "link": live.link,
        "jobs": live.job_ids,
        "cancelled": live.status == EventStatus::Cancelled,
    })
}

impl StaffRequest {
    fn event_failure(&self, state: &AppState, error: EventError) -> Response {
        match error {
            EventError::NotFound | EventError::UnknownStation => {
                self.message(state, StatusCode::NOT_FOUND, "error.not_found")
            }
            EventError::Invalid(invalid) => self.invalid(state, &invalid),
            EventError::Closed(closed) => {
                self.message(state, StatusCode::CONFLICT, closed.message_key())
            }
            EventError::KeyReused => {
                self.message(state, StatusCode::CONFLICT, "error.idempotency_reused")
            }
            EventError::Busy => self.message(state, StatusCode::SERVICE_UNAVAILABLE, "error.busy"),
            e @ (EventError::Store(_) | EventError::Secret(_) | EventError::Audit(_)) => {
                tracing::error!(error = %e, "staff event action failed");
                self.message(state, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn events_listing(
        &self,
        state: &AppState,
        status: StatusCode,
        course_form: FormState,
        live_form: FormState,
        open: &str,
        done: Option<&str>,
    ) -> Response {
        let app = &state.app;
        let loaded = async {
            let courses = app.courses_for_staff(&self.actor, 100).await?;
            let lives = app.lives_for_staff(&self.actor, 100).await?;
            Ok::<_, lingong_core::store::StoreError>((courses, lives))
        }
        .await;
        match loaded {
            Ok((courses, lives)) => {
                let courses: Vec<_> = courses.iter().map(|c| course_row(self, c)).collect();
                let lives: Vec<_> = lives.iter().map(|l| live_row(self, l)).collect();
                self.render(
                    state,
                    status,
                    "staff/events.html",
                    context! {
                        courses => Serde(courses),
                        lives => Serde(lives),
                        course_form => Serde(course_form),
                        live_form => Serde(live_form),
                        open => open,
                        done => done_message(self.lang, done),
                    },
                )
            }
            Err(e) => self.event_failure(state, e.into()),
        }
    }
}

/// `GET /staff/events`: courses and livestreams, newest first, and the forms to add one.
async fn events_page(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    staff
        .events_listing(
            &state,
            StatusCode::OK,
            fresh_form(&state),
            fresh_form(&state),
            "",
            query.done.as_deref(),
        )
        .await
}

fn nonce_key(input: &RawInput) -> Option<IdempotencyKey> {
    input
        .one("_nonce")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .and_then(|n| IdempotencyKey::parse("_nonce", n).ok())
}

async fn invalid_form(
    state: &AppState,
    staff: &StaffRequest,
    input: &RawInput,
    invalid: &Invalid,
    kind: &str,
) -> Response {
    let form = FormState::from_input_labelled(input, Some(invalid), staff.lang, "staff_events");
    let (course_form, live_form) = if kind == "course" {
        (form, fresh_form(state))
    } else {
        (fresh_form(state), form)
    };
    staff
        .events_listing(
            state,
            StatusCode::UNPROCESSABLE_ENTITY,
            course_form,
            live_form,
            kind,
            None,
        )
        .await
}

async fn create_course(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let key = nonce_key(&input);
    match state
        .app
        .create_course(&staff.actor, &input, key.as_ref())
        .await
    {
        Ok(filed) => Redirect::to(&format!(
            "/staff/courses/{}?done=course_created",
            filed.record.id
        ))
        .into_response(),
        Err(EventError::Invalid(invalid)) => {
            invalid_form(&state, &staff, &input, &invalid, "course").await
        }
        Err(e) => staff.event_failure(&state, e),
    }
}

async fn create_live(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let key = nonce_key(&input);
    match state
        .app
        .create_live(&staff.actor, &input, key.as_ref())
        .await
    {
        Ok(_) => Redirect::to("/staff/events?done=live_created").into_response(),
        Err(EventError::Invalid(invalid)) => {
            invalid_form(&state, &staff, &input, &invalid, "live").await
        }
        Err(e) => staff.event_failure(&state, e),
    }
}

async fn cancel_course(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state.app.cancel_course(&staff.actor, &id).await {
        Ok(_) => {
            Redirect::to(&format!("/staff/courses/{id}?done=course_cancelled")).into_response()
        }
        Err(e) => staff.event_failure(&state, e),
    }
}

async fn cancel_live(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state.app.cancel_live(&staff.actor, &id).await {
        Ok(_) => Redirect::to("/staff/events?done=live_cancelled").into_response(),
        Err(e) => staff.event_failure(&state, e),
    }
}

fn registration_row(
    staff: &StaffRequest,
    registration: &Registration,
    full_phones: bool,
) -> serde_json::Value {
    let (name, phone) = match &registration.registrant {
        Some(person) => (
            person.name.as_str().to_owned(),
            if full_phones {
                person.phone.as_str().to_owned()
            } else {
                person.phone.masked()
            },
        ),
        None => (
            t(staff.lang, "staff_events.erased").to_owned(),
            String::new(),
        ),
    };
    json!({
        "id": registration.id,
        "name": name,
        "phone": phone,
        "registered_at": local(staff, registration.created_at),
        "attended": registration.attendance.as_ref().map(|a| a.attended),
        "marked_by": registration.attendance.as_ref().map(|a| a.by.clone()),
        "named": registration.registrant.is_some(),
    })
}

/// `GET /staff/courses/{id}`: the course and its registrations; `?phones=full` shows
/// whole numbers for calling (the view is logged).
async fn course_page(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let (course, registrations) = match state.app.course_registrations(&staff.actor, &id).await {
        Ok(loaded) => loaded,
        Err(e) => return staff.event_failure(&state, e),
    };
    let full = query.phones.as_deref() == Some("full");
    if full {
        tracing::info!(station = %staff.actor.station, user = %staff.actor.username, course = %course.id, "full phone numbers shown");
    }
    let rows: Vec<_> = registrations
        .iter()
        .map(|r| registration_row(&staff, r, full))
        .collect();
    let attended = registrations
        .iter()
        .filter(|r| r.attendance.as_ref().is_some_and(|a| a.attended))
        .count();
    // The edit form, filled with the course as it stands.
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&staff.station.time_zone)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let mut values = RawInput::new();
    values.push("title", course.title.as_str());
    values.push("description", course.description.as_str());
    values.push("trade", course.trade.clone().unwrap_or_default());
    values.push("place", course.place.as_str());
    values.push("starts_at", local(course.starts_at));
    values.push("ends_at", local(course.ends_at));
    values.push("capacity", course.capacity.to_string());
    let edit_form = FormState::from_input(&values, None, staff.lang);
    staff.render(
        &state,
        StatusCode::OK,
        "staff/course.html",
        context! {
            edit_form => Serde(edit_form),
            course => Serde(course_row(&staff, &course)),
            registrations => Serde(rows),
            attended,
            full_phones => full,
            done => done_message(staff.lang, query.done.as_deref()),
        },
    )
}

async fn mark_attendance(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Path((id, registration)): Path<(String, String)>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let Some(attended) = input.flag("attended") else {
        return staff.message(&state, StatusCode::UNPROCESSABLE_ENTITY, "error.invalid");
    };
    match state
        .app
        .mark_attendance(&staff.actor, &id, &registration, attended)
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/courses/{id}?done=attendance")).into_response(),
        Err(e) => staff.event_failure(&state, e),
    }
}

/// Staff erase a registrant at their request (every registration made with the number).
async fn erase_registrant(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Path((id, registration)): Path<(String, String)>,
    body: Body,
) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state
        .app
        .erase_registrant(&staff.actor, &id, &registration)
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/courses/{id}?done=erased")).into_response(),
        Err(e) => staff.event_failure(&state, e),
    }
}

/// Staff correct a course from the form on its page.
async fn edit_course(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state.app.update_course(&staff.actor, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/staff/courses/{id}?done=course_edited")).into_response(),
        Err(e) => staff.event_failure(&state, e),
    }
}
