//! The station staff console under `/staff/`: server-rendered pages, Chinese first, for a
//! desk PC or a tablet. Every page needs a valid session (a signed `HttpOnly`, `Secure`,
//! `SameSite=Strict` cookie checked against a stored session); every form carries a
//! CSRF token; admin-only actions check the role. Anything else answers 401 or 403.

mod complaints;

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use lingong_core::{
    Lang,
    app::{Actor, LoginError, SessionError, StaffActionError, Submission, SubmitError},
    i18n::t,
    idempotency::IdempotencyKey,
    input::RawInput,
    job::{JobStatus, Source},
    problem::Invalid,
    report::ReportStatus,
    staff::{Role, csrf_ok, csrf_token},
    station::{Moderation, Station},
};
use lingong_site::FormState;
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use crate::{
    AppState,
    reply::{context_of, page},
    request::{self, header_lang},
};

// Training, livestreams and policy pages (issue 6), each console area in its own file.
mod events;
mod policy;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lg_staff";

/// Where the console's stylesheets are served: the console lives on the API's own origin
/// (not behind the public site's CDN), so it serves its assets itself.
const ASSETS_ROOT: &str = "/staff/assets/";

/// The console's routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/staff/login", get(login_page).post(login))
        .route("/staff/assets/{file}", get(asset))
        .route("/staff/logout", post(logout))
        .route("/staff/", get(dashboard))
        .route("/staff", get(|| async { Redirect::permanent("/staff/") }))
        .route("/staff/moderation", get(moderation_page))
        .route("/staff/settings/moderation", post(set_moderation))
        .route("/staff/jobs/{id}/approve", post(approve))
        .route("/staff/jobs/{id}/reject", post(reject))
        .route("/staff/employers", get(employers_page))
        .route("/staff/employers/{id}", get(employer_page))
        .route("/staff/employers/{id}/verify", post(verify_employer))
        .route("/staff/employers/{id}/blacklist", post(blacklist_employer))
        .route(
            "/staff/employers/{id}/unblacklist",
            post(unblacklist_employer),
        )
        .route("/staff/desk", get(desk_page))
        .route("/staff/desk/worker", post(desk_worker))
        .route("/staff/desk/job", post(desk_job))
        .route("/staff/audit", get(audit_page))
        .route("/staff/jobs/{id}", get(job_desk_page))
        .route("/staff/jobs/{id}/offer", post(offer_by_staff))
        .route("/staff/jobs/{id}/wave", post(wave_now))
        .route(
            "/staff/jobs/{id}/placements/{worker}/record",
            post(record_placement),
        )
        .route(
            "/staff/jobs/{id}/placements/{worker}/cancel",
            post(cancel_placement),
        )
        .route("/staff/workers", get(find_worker))
        .route("/staff/workers/{id}", get(worker_page))
        .route("/staff/workers/{id}/erase", post(erase_worker))
        .route("/staff/workers/{id}/hold", post(hold_worker))
        .route("/staff/workers/{id}/release", post(release_worker))
        .route("/staff/notices", get(notices_page))
        .route("/staff/notices/{id}/retry", post(retry_notice))
        .merge(complaints::routes())
        .merge(events::routes())
        .merge(policy::routes())
}

/// A request from a logged-in staff member.
struct StaffRequest {
    actor: Actor,
    station: Arc<Station>,
    lang: Lang,
    csrf: String,
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The address a request came from, for rate limits: the last `X-Forwarded-For`
/// entry, which each front end sets to the trusted client address before the router
/// runs (`lingong serve`: the TCP peer; on AWS: [`crate::client_ip::behind_edge`],
/// the CloudFront viewer or API Gateway's peer), or `unknown`.
pub fn client_address(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn unauthorised(state: &AppState, lang: Lang) -> Response {
    let station = state.app.stations.default_station().clone();
    let mut response = page(
        state,
        StatusCode::UNAUTHORIZED,
        "staff/denied.html",
        context! { heading => t(lang, "staff.login_needed"), login => true, assets_root => ASSETS_ROOT, ..context_of(&station, lang, "") },
    );
    // A dead or forged cookie is cleared so the browser stops sending it.
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie());
    response
}

fn forbidden(state: &AppState, station: &Station, lang: Lang, key: &str) -> Response {
    page(
        state,
        StatusCode::FORBIDDEN,
        "staff/denied.html",
        context! { heading => t(lang, key), login => false, assets_root => ASSETS_ROOT, ..context_of(station, lang, "") },
    )
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<StaffRequest, Response> {
    let lang = header_lang(headers);
    let Some(value) = cookie_value(headers, SESSION_COOKIE) else {
        return Err(unauthorised(state, lang));
    };
    match state.app.staff_session(value).await {
        Ok(actor) => {
            let Some(station) = state.app.station(Some(actor.station.as_str())).cloned() else {
                return Err(unauthorised(state, lang));
            };
            let csrf = csrf_token(&state.app.secrets, &actor.session_id);
            Ok(StaffRequest {
                actor,
                station,
                lang,
                csrf,
            })
        }
        Err(SessionError::Missing | SessionError::Disabled) => Err(unauthorised(state, lang)),
        Err(SessionError::Store(e)) => {
            tracing::error!(error = %e, "session check failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response())
        }
    }
}

/// Authenticates a POST and checks its CSRF token; returns the form's fields.
async fn authenticate_post(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StaffRequest, RawInput), Response> {
    let staff = authenticate(state, headers).await?;
    let submitted = request::read(headers, body)
        .await
        .map_err(|failure| failure.respond(state, &staff.station))?;
    let token = submitted.input.one("_csrf").unwrap_or("");
    if !csrf_ok(&state.app.secrets, &staff.actor.session_id, token) {
        lingong_core::rejections::note(lingong_core::rejections::Rejection::Csrf);
        return Err(forbidden(
            state,
            &staff.station,
            staff.lang,
            "staff.csrf_failed",
        ));
    }
    Ok((staff, submitted.input))
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("lg_staff=; Path=/staff; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

impl StaffRequest {
    fn render(
        &self,
        state: &AppState,
        status: StatusCode,
        template: &str,
        extra: minijinja::Value,
    ) -> Response {
        let nav = context! {
            user => self.actor.username.clone(),
            admin => self.actor.role == Role::Admin,
            csrf => self.csrf.clone(),
        };
        page(
            state,
            status,
            template,
            // Later maps win: the page's own values over the chrome, the nav over both.
            minijinja::value::merge_maps([
                context_of(&self.station, self.lang, ""),
                extra,
                context! { staff => nav, assets_root => ASSETS_ROOT },
            ]),
        )
    }

    fn failure(&self, state: &AppState, error: StaffActionError) -> Response {
        match error {
            StaffActionError::NotFound => {
                self.message(state, StatusCode::NOT_FOUND, "error.not_found")
            }
            StaffActionError::Forbidden => {
                forbidden(state, &self.station, self.lang, "staff.admin_only")
            }
            StaffActionError::Transition(_) => {
                self.message(state, StatusCode::CONFLICT, "staff.not_in_that_state")
            }
            StaffActionError::Busy => {
                self.message(state, StatusCode::SERVICE_UNAVAILABLE, "error.busy")
            }
            StaffActionError::Invalid(invalid) => self.invalid(state, &invalid),
            e @ (StaffActionError::Store(_) | StaffActionError::Audit(_)) => {
                tracing::error!(error = %e, "staff action failed");
                self.message(state, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
            }
        }
    }

    fn message(&self, state: &AppState, status: StatusCode, key: &str) -> Response {
        self.render(
            state,
            status,
            "staff/message.html",
            context! { message => t(self.lang, key) },
        )
    }

    fn invalid(&self, state: &AppState, invalid: &Invalid) -> Response {
        let messages: Vec<String> = invalid.0.iter().map(|e| e.message(self.lang)).collect();
        self.render(
            state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "staff/message.html",
            context! { message => messages.join(" ") },
        )
    }
}

#[derive(Debug, Default, Deserialize)]
struct Flash {
    done: Option<String>,
    station: Option<String>,
}

fn flash(query: &Flash) -> Option<String> {
    query
        .done
        .as_deref()
        .filter(|d| d.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(|d| format!("staff.done_{d}"))
}

// ----- login and logout -----

async fn login_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<Flash>,
) -> Response {
    let lang = header_lang(&headers);
    let station = state
        .app
        .station(query.station.as_deref())
        .unwrap_or(state.app.stations.default_station())
        .clone();
    page(
        &state,
        StatusCode::OK,
        "staff/login.html",
        context! { error => None::<String>, username => "", assets_root => ASSETS_ROOT, ..context_of(&station, lang, "") },
    )
}

async fn login(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let default = state.app.stations.default_station().clone();
    let submitted = match request::read(&headers, body).await {
        Ok(s) => s,
        Err(failure) => return failure.respond(&state, &default),
    };
    let lang = submitted.lang;
    let input = submitted.input;
    let station = state
        .app
        .station(input.one("station"))
        .cloned()
        .unwrap_or(default);
    let username = input.text("username").to_owned();
    let result = state
        .app
        .login(
            &station,
            &username,
            input.text("password"),
            &client_address(&headers),
        )
        .await;
    let again = |status: StatusCode, key: &str| {
        page(
            &state,
            status,
            "staff/login.html",
            context! { error => t(lang, key), username => username.clone(), assets_root => ASSETS_ROOT, ..context_of(&station, lang, "") },
        )
    };
    match result {
        Ok((cookie, _)) => {
            let mut response = Redirect::to("/staff/").into_response();
            let set = format!(
                "{SESSION_COOKIE}={}; Path=/staff; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
                cookie.value,
                lingong_core::staff::SESSION_HOURS * 3600
            );
            if let Ok(value) = HeaderValue::from_str(&set) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(LoginError::Wrong) => again(StatusCode::UNAUTHORIZED, "staff.login_wrong"),
        Err(LoginError::Throttled { .. }) => {
            again(StatusCode::TOO_MANY_REQUESTS, "staff.login_throttled")
        }
        Err(e @ (LoginError::Store(_) | LoginError::Secret(_))) => {
            tracing::error!(error = %e, "login failed");
            again(StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
    }
}

async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    if let Err(e) = state.app.logout(&staff.actor).await {
        tracing::error!(error = %e, "logout failed");
    }
    let mut response = Redirect::to("/staff/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie());
    response
}

// ----- dashboard, moderation -----

async fn dashboard(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let app = &state.app;
    let counts = async {
        let pending = app.moderation_queue(&staff.actor, 100).await?.len();
        let published = app
            .jobs_in_state(&staff.actor, JobStatus::Published, 1000)
            .await?
            .len();
        let moderation = app.moderation(&staff.station).await?;
        let open_complaints = app.open_complaints(&staff.actor).await?;
        let parked = app.parked_notices(&staff.station, 200).await?.len();
        Ok::<_, lingong_core::store::StoreError>((
            pending,
            published,
            moderation,
            open_complaints,
            parked,
        ))
    }
    .await;
    match counts {
        Ok((pending, published, moderation, open_complaints, parked)) => staff.render(
            &state,
            StatusCode::OK,
            "staff/dashboard.html",
            context! { pending, published, open_complaints, parked, moderation => moderation_name(moderation) },
        ),
        Err(e) => staff.failure(&state, e.into()),
    }
}

fn moderation_name(mode: Moderation) -> &'static str {
    match mode {
        Moderation::Post => "post",
        Moderation::Pre => "pre",
    }
}

fn job_rows(jobs: &[lingong_core::job::Job], station: &Station, lang: Lang) -> serde_json::Value {
    json!(jobs
        .iter()
        .map(|job| json!({
            "id": job.id,
            "title": job.title,
            "trade": station.trade(&job.trade).map(|t| t.name.get(lang).to_owned()).unwrap_or_default(),
            "district": station.district(&job.district).map(|d| d.name.get(lang).to_owned()).unwrap_or_default(),
            "wage": job.daily_wage.to_string(),
            "dates": format!("{} – {}", job.dates.start, job.dates.end),
            "headcount": job.headcount,
            "employer": job.employer_name,
            "employer_id": job.employer_id,
            "verified": job.employer_verified,
            "vouched": job.vouched(),
            "phone": job.contact_phone.masked(),
            "description": job.description,
            "status": job.status,
            "reason": job.status_reason_text(lang),
        }))
        .collect::<Vec<_>>())
}

/// The job rows with each job's open reports beside it.
fn with_reports(
    mut rows: serde_json::Value,
    reports: Vec<Vec<serde_json::Value>>,
) -> serde_json::Value {
    if let Some(rows) = rows.as_array_mut() {
        for (row, reports) in rows.iter_mut().zip(reports) {
            row["reports"] = serde_json::Value::from(reports);
        }
    }
    rows
}

async fn moderation_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<Flash>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let app = &state.app;
    let loaded = async {
        let pending = app.moderation_queue(&staff.actor, 100).await?;
        let published = app
            .jobs_in_state(&staff.actor, JobStatus::Published, 100)
            .await?;
        let moderation = app.moderation(&staff.station).await?;
        // What the public reported about each posting waiting for review.
        let mut reports = Vec::with_capacity(pending.len());
        for job in &pending {
            let open = app
                .reports_on_job(&staff.actor.station, &job.id, ReportStatus::Received)
                .await?;
            reports.push(
                open.iter()
                    .map(|r| {
                        json!({
                            "reason": t(staff.lang, &format!("report.reason_{}", r.reason.as_str())),
                            "details": r.details,
                        })
                    })
                    .collect::<Vec<_>>(),
            );
        }
        Ok::<_, lingong_core::store::StoreError>((pending, reports, published, moderation))
    }
    .await;
    match loaded {
        Ok((pending, reports, published, moderation)) => staff.render(
            &state,
            StatusCode::OK,
            "staff/moderation.html",
            context! {
                pending => Serde(with_reports(job_rows(&pending, &staff.station, staff.lang), reports)),
                published => Serde(job_rows(&published, &staff.station, staff.lang)),
                moderation => moderation_name(moderation),
                done => flash(&query).map(|k| t(staff.lang, &k)),
            },
        ),
        Err(e) => staff.failure(&state, e.into()),
    }
}

async fn set_moderation(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let mode = match input.text("moderation") {
        "pre" => Moderation::Pre,
        "post" => Moderation::Post,
        _ => return staff.message(&state, StatusCode::UNPROCESSABLE_ENTITY, "error.invalid"),
    };
    match state.app.set_moderation(&staff.actor, mode).await {
        Ok(()) => Redirect::to("/staff/moderation?done=moderation").into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn approve(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state.app.approve_job(&staff.actor, &id).await {
        Ok(_) => Redirect::to("/staff/moderation?done=approved").into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn reject(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state
        .app
        .reject_job(&staff.actor, &id, input.text("reason"))
        .await
    {
        Ok(_) => Redirect::to("/staff/moderation?done=rejected").into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

// ----- employers -----

fn employer_json(employer: &lingong_core::employer::Employer) -> serde_json::Value {
    json!({
        "id": employer.id,
        "name": employer.name,
        "contact_name": employer.contact_name,
        "phone": employer.contact_phone.masked(),
        "verified": employer.verified,
        "credit_code": employer.credit_code,
        "licence_name": employer.licence_name,
        "blacklisted": employer.blacklisted,
        "blacklist_reason": employer.blacklist_reason,
        "created_at": employer.created_at.format("%Y-%m-%d").to_string(),
    })
}

async fn employers_page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    match state.app.employers(&staff.actor, 200).await {
        Ok(employers) => {
            let rows: Vec<_> = employers.iter().map(employer_json).collect();
            staff.render(
                &state,
                StatusCode::OK,
                "staff/employers.html",
                context! { employers => Serde(rows) },
            )
        }
        Err(e) => staff.failure(&state, e.into()),
    }
}

async fn employer_page(
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
        let employer = state.app.employer_for_staff(&staff.actor, &id).await?;
        let jobs = state.app.jobs_of_employer(&staff.actor, &id).await?;
        let complaints = state
            .app
            .complaints_of_employer(&staff.actor, &id, 50)
            .await?;
        let history = lingong_core::audit::of_target(
            &*state.app.store,
            &staff.actor.station,
            "employer",
            &id,
            50,
        )
        .await?;
        Ok::<_, StaffActionError>((employer, jobs, complaints, history))
    }
    .await;
    match loaded {
        Ok((employer, jobs, complaints, history)) => staff.render(
            &state,
            StatusCode::OK,
            "staff/employer.html",
            context! {
                employer => Serde(employer_json(&employer)),
                jobs => Serde(job_rows(&jobs, &staff.station, staff.lang)),
                complaints => Serde(complaints.iter().map(|c| complaints::complaint_json(&staff, c)).collect::<Vec<_>>()),
                history => Serde(history),
                done => flash(&query).map(|k| t(staff.lang, &k)),
            },
        ),
        Err(e) => staff.failure(&state, e),
    }
}

async fn verify_employer(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state
        .app
        .verify_employer(
            &staff.actor,
            &id,
            input.text("credit_code"),
            input.text("licence_name"),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/employers/{id}?done=verified")).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn blacklist_employer(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state
        .app
        .blacklist_employer(&staff.actor, &id, input.text("reason"))
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/employers/{id}?done=blacklisted")).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn unblacklist_employer(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state.app.unblacklist_employer(&staff.actor, &id).await {
        Ok(_) => Redirect::to(&format!("/staff/employers/{id}?done=unblacklisted")).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

// ----- desk registration -----

async fn desk_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<Flash>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    staff.render(
        &state,
        StatusCode::OK,
        "staff/desk.html",
        context! {
            worker_form => Serde(FormState::empty()),
            job_form => Serde(FormState::empty()),
            done => flash(&query).map(|k| t(staff.lang, &k)),
        },
    )
}

async fn desk_worker(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (staff, mut input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    // Consent was given in person to the staff member at the desk, who ticks the box to
    // say so; the record says it was given in person.
    if input.flag("consent_in_person") == Some(true) {
        input.push("consent", "true");
    }
    let result = state
        .app
        .sign_up(Submission {
            station: Some(staff.actor.station.as_str()),
            input: &input,
            idempotency_key: None,
            source: Source::Desk,
        })
        .await;
    desk_result(
        &state,
        &staff,
        input,
        result.map(|saved| saved.record.id),
        "worker",
    )
    .await
}

async fn desk_job(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    // A resent form (double click, reload) posts the job once.
    let key = IdempotencyKey::from_fingerprint(&input.fingerprint("desk_job"));
    let result = state
        .app
        .post_job(Submission {
            station: Some(staff.actor.station.as_str()),
            input: &input,
            idempotency_key: Some(&key),
            source: Source::Desk,
        })
        .await;
    desk_result(
        &state,
        &staff,
        input,
        result.map(|saved| saved.record.id),
        "job",
    )
    .await
}

async fn desk_result(
    state: &AppState,
    staff: &StaffRequest,
    input: RawInput,
    result: Result<String, SubmitError>,
    kind: &str,
) -> Response {
    match result {
        Ok(id) => {
            tracing::info!(station = %staff.actor.station, user = %staff.actor.username, kind, id, "desk registration");
            if let Err(e) = state.app.audit_desk_entry(&staff.actor, kind, &id).await {
                return staff.failure(state, e);
            }
            Redirect::to(&format!("/staff/desk?done=desk_{kind}")).into_response()
        }
        Err(SubmitError::Invalid(invalid)) => {
            let form = FormState::from_input(&input, Some(&invalid), staff.lang);
            let empty = FormState::empty();
            let (worker_form, job_form) = if kind == "worker" {
                (form, empty)
            } else {
                (empty, form)
            };
            staff.render(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "staff/desk.html",
                context! { worker_form => Serde(worker_form), job_form => Serde(job_form), open => kind },
            )
        }
        Err(SubmitError::Refused) => {
            staff.message(state, StatusCode::FORBIDDEN, "staff.employer_barred")
        }
        Err(e) => {
            tracing::error!(error = %e, "desk registration failed");
            staff.message(state, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
    }
}

// ----- audit log -----

async fn audit_page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let now = state.app.clock.now();
    match lingong_core::audit::month(&*state.app.store, &staff.actor.station, now, 200).await {
        Ok(entries) => {
            let rows: Vec<BTreeMap<&str, serde_json::Value>> = entries
                .iter()
                .map(|e| {
                    BTreeMap::from([
                        (
                            "at",
                            json!(
                                e.at.with_timezone(&staff.station.time_zone)
                                    .format("%Y-%m-%d %H:%M")
                                    .to_string()
                            ),
                        ),
                        ("actor", json!(e.actor)),
                        ("action", json!(e.action)),
                        (
                            "target",
                            json!(format!("{} {}", e.target_kind, e.target_id)),
                        ),
                        ("before", json!(e.before.to_string())),
                        ("after", json!(e.after.to_string())),
                        ("reason", json!(e.reason)),
                    ])
                })
                .collect();
            staff.render(
                &state,
                StatusCode::OK,
                "staff/audit.html",
                context! { entries => Serde(rows) },
            )
        }
        Err(e) => staff.failure(&state, e.into()),
    }
}

// ----- matching desk, placements, holds, parked notices -----

fn worker_name(workers: &[lingong_core::worker::Worker], id: &str) -> serde_json::Value {
    workers
        .iter()
        .find(|w| w.id == id)
        .map(|w| json!({ "id": w.id, "name": w.name, "phone": w.phone.masked(), "hold": w.hold.as_ref().map(|h| h.reason.clone()) }))
        .unwrap_or_else(|| json!({ "id": id, "name": "—", "phone": "", "hold": null }))
}

async fn job_desk_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<Flash>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let desk = match state.app.job_desk(&staff.actor, &id).await {
        Ok(desk) => desk,
        Err(e) => return staff.failure(&state, e),
    };
    let tz = staff.station.time_zone;
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%m-%d %H:%M").to_string();
    let offers: Vec<_> = desk
        .offers
        .iter()
        .map(|o| {
            json!({
                "worker": worker_name(&desk.workers, &o.worker_id),
                "wave": o.wave,
                "rank": o.rank,
                "status": o.status.label(staff.lang),
                "offered_at": time(o.offered_at),
                "expires_at": time(o.expires_at),
            })
        })
        .collect();
    let placements: Vec<_> = desk
        .placements
        .iter()
        .map(|p| {
            json!({
                "worker": worker_name(&desk.workers, &p.worker_id),
                "status": p.status.as_str(),
                "days_worked": p.days_worked,
                "wage_paid": p.wage_paid.map(|m| m.to_string()),
                "dates": format!("{} – {}", p.start, p.end),
            })
        })
        .collect();
    let decisions: Vec<_> = desk
        .decisions
        .iter()
        .map(|d| {
            json!({
                "wave": d.wave,
                "seed": d.seed,
                "created_at": time(d.created_at),
                "found": d.found,
                "ranked": d.ranked,
                "offered": d.offered,
                "truncated": d.truncated,
                "rows": d.rows.iter().map(|r| json!({
                    "worker": worker_name(&desk.workers, &r.worker_id),
                    "rank": r.rank,
                    "offered": r.offered,
                    "factors": r.factors,
                    "excluded": r.excluded.map(|e| format!("{e:?}")),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    // Who reported the posting: the address masked and a short tag of its hash (the
    // same tag is the same reporter), when, and why.
    let reports: Vec<_> = match state
        .app
        .all_reports_on_job(&staff.actor.station, &desk.job.id)
        .await
    {
        Ok(reports) => reports
            .iter()
            .map(|r| {
                json!({
                    "who": r.reporter_hint.clone().unwrap_or_else(|| "—".into()),
                    "tag": r.reporter.as_deref().map(|k| k.get(..6).unwrap_or(k).to_owned()),
                    "at": time(r.created_at),
                    "reason": t(staff.lang, &format!("report.reason_{}", r.reason.as_str())),
                    "details": r.details,
                    "counted": r.counted,
                    "reviewed": r.status == ReportStatus::Reviewed,
                })
            })
            .collect(),
        Err(e) => return staff.failure(&state, e.into()),
    };
    staff.render(
        &state,
        StatusCode::OK,
        "staff/job.html",
        context! {
            job => Serde(job_rows(std::slice::from_ref(&desk.job), &staff.station, staff.lang)),
            placed => desk.job.placed,
            open => desk.job.open_places(),
            unvouched_offers => staff.station.matching.unvouched_offers,
            offers => Serde(offers),
            reports => Serde(reports),
            placements => Serde(placements),
            decisions => Serde(decisions),
            done => flash(&query).map(|k| t(staff.lang, &k)),
        },
    )
}

async fn offer_by_staff(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let worker = match state
        .app
        .worker_by_phone_for_staff(&staff.actor, input.text("phone"))
        .await
    {
        Ok(worker) => worker,
        Err(e) => return staff.failure(&state, e),
    };
    match state
        .app
        .offer_by_staff(&staff.actor, &id, &worker.id)
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/jobs/{id}?done=offered")).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn wave_now(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state.app.wave_by_staff(&staff.actor, &id).await {
        Ok(_) => Redirect::to(&format!("/staff/jobs/{id}?done=wave")).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn record_placement(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, worker)): Path<(String, String)>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state
        .app
        .record_placement(
            &staff.actor,
            &id,
            &worker,
            input.text("days_worked"),
            input.text("wage_paid"),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/jobs/{id}?done=recorded")).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn cancel_placement(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, worker)): Path<(String, String)>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state
        .app
        .cancel_placement(&staff.actor, &id, &worker, input.text("reason"))
        .await
    {
        Ok(_) => Redirect::to(&format!("/staff/jobs/{id}?done=cancelled")).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn hold_worker(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let back = input
        .one("back")
        .filter(|b| b.starts_with("/staff/"))
        .unwrap_or("/staff/")
        .to_owned();
    match state
        .app
        .hold_by_staff(&staff.actor, &id, Some(input.text("reason")))
        .await
    {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn release_worker(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let back = input
        .one("back")
        .filter(|b| b.starts_with("/staff/"))
        .unwrap_or("/staff/")
        .to_owned();
    match state.app.hold_by_staff(&staff.actor, &id, None).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

async fn notices_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<Flash>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    match state.app.parked_notices(&staff.station, 200).await {
        Ok(notices) => {
            let tz = staff.station.time_zone;
            let rows: Vec<_> = notices
                .iter()
                .map(|n| {
                    json!({
                        "id": n.id,
                        "kind": n.kind.as_str(),
                        "to": n.masked_address(),
                        "attempts": n.attempts,
                        "reason": n.reason,
                        "job_id": n.job_id,
                        "created_at": n.created_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
                    })
                })
                .collect();
            staff.render(
                &state,
                StatusCode::OK,
                "staff/notices.html",
                context! { notices => Serde(rows), done => flash(&query).map(|k| t(staff.lang, &k)) },
            )
        }
        Err(e) => staff.failure(&state, e.into()),
    }
}

async fn retry_notice(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, _) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    match state.app.retry_notice(&staff.actor, &id).await {
        Ok(_) => Redirect::to("/staff/notices?done=retried").into_response(),
        Err(e) => staff.failure(&state, e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct FindWorker {
    phone: Option<String>,
    done: Option<String>,
}

/// `GET /staff/workers?phone=…`: the desk looks a worker up by the number they give.
async fn find_worker(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<FindWorker>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    match query.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => staff.render(&state, StatusCode::OK, "staff/find_worker.html", context! {
                not_found => false,
                done => flash(&Flash { done: query.done.clone(), station: None }).map(|k| t(staff.lang, &k)),
            }),
        Some(phone) => match state.app.worker_by_phone_for_staff(&staff.actor, phone).await {
            Ok(worker) => Redirect::to(&format!("/staff/workers/{}", worker.id)).into_response(),
            Err(StaffActionError::NotFound) => {
                staff.render(&state, StatusCode::NOT_FOUND, "staff/find_worker.html", context! { not_found => true })
            }
            Err(e) => staff.failure(&state, e),
        },
    }
}

async fn worker_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<Flash>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let worker = match state.app.worker(&staff.station, &id).await {
        Ok(Some(worker)) => worker,
        Ok(None) => return staff.failure(&state, StaffActionError::NotFound),
        Err(e) => return staff.failure(&state, e.into()),
    };
    let export = match state.app.export_worker(&staff.station, &worker).await {
        Ok(export) => export,
        Err(e) => return staff.failure(&state, e.into()),
    };
    let names = |slugs: &[String], trades: bool| -> Vec<String> {
        slugs
            .iter()
            .map(|s| {
                let name = if trades {
                    staff
                        .station
                        .trade(s)
                        .map(|t| t.name.get(staff.lang).to_owned())
                } else {
                    staff
                        .station
                        .district(s)
                        .map(|d| d.name.get(staff.lang).to_owned())
                };
                name.unwrap_or_else(|| s.clone())
            })
            .collect()
    };
    let view = json!({
        "id": worker.id,
        "name": worker.name,
        "phone": worker.phone.masked(),
        "trades": names(&worker.trades, true),
        "districts": names(&worker.districts, false),
        "status": worker.status.as_str(),
        "auto_matching": worker.auto_matching,
        "hold": worker.hold.as_ref().map(|h| h.reason.clone()),
        "consent": format!("{} · {:?} · {}", worker.consent.version, worker.consent.method, worker.consent.accepted_at.with_timezone(&staff.station.time_zone).format("%Y-%m-%d")),
        "offers": export.offers.len(),
        "placements": export.placements.len(),
    });
    staff.render(
        &state,
        StatusCode::OK,
        "staff/worker.html",
        context! { worker => Serde(view), done => flash(&query).map(|k| t(staff.lang, &k)) },
    )
}

/// Staff erase a worker's data at their request (at the desk or by phone).
async fn erase_worker(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    if input.flag("confirm") != Some(true) {
        return staff.message(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.confirm_delete",
        );
    }
    match state
        .app
        .erase_worker(
            &staff.station,
            &id,
            lingong_core::app::ErasedBy::Staff(staff.actor.username.clone()),
        )
        .await
    {
        Ok(_) => Redirect::to("/staff/workers?done=erased").into_response(),
        Err(e) => staff.failure(&state, e.into()),
    }
}

/// `GET /staff/assets/{file}`: the console's stylesheets.
async fn asset(Path(file): Path<String>) -> Response {
    match lingong_site::static_file(&file) {
        Some(body) => {
            let kind = if file.ends_with(".css") {
                "text/css; charset=utf-8"
            } else {
                "text/javascript; charset=utf-8"
            };
            (
                [
                    (header::CONTENT_TYPE, kind),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                body,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
