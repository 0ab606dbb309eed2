//! Turning outcomes into responses: JSON for API clients, pages for forms. Every
//! failure answers with a message from the catalogue; 500s stay generic and the detail
//! goes to the log.

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use lingong_core::{
    Lang,
    app::SubmitError,
    i18n::t,
    problem::{FieldError, Invalid},
    rejections::{self, Rejection},
    station::Station,
};
use lingong_site::{Chrome, FormState};
use minijinja::{context, value::Serde};
use serde_json::json;

use crate::{AppState, request};

/// Which kind of answer the client gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `application/json`.
    Json,
    /// An HTML page.
    Html,
}

/// Why a request was not carried out.
#[derive(Debug)]
pub enum Failure {
    /// 415: not JSON and not a form.
    UnsupportedMediaType { flavor: Flavor, lang: Lang },
    /// 413: over [`request::MAX_BODY_BYTES`].
    PayloadTooLarge { flavor: Flavor, lang: Lang },
    /// 400: the body could not be read.
    Malformed { flavor: Flavor, lang: Lang },
    /// 422: fields are wrong.
    Invalid {
        flavor: Flavor,
        lang: Lang,
        invalid: Invalid,
    },
    /// 409: an idempotency key reused for a different request.
    KeyReused { flavor: Flavor, lang: Lang },
    /// 404: no such station, record, or a wrong token.
    NotFound { flavor: Flavor, lang: Lang },
    /// 409: the record can no longer be changed.
    Locked { flavor: Flavor, lang: Lang },
    /// 403: staff have barred this employer from posting.
    Refused {
        flavor: Flavor,
        lang: Lang,
        hotline: String,
    },
    /// 429: too many requests from this address or for this number.
    Limited { flavor: Flavor, lang: Lang },
    /// 503: lost too many races; try again.
    Busy { flavor: Flavor, lang: Lang },
    /// 500: something broke; details are logged, not shown.
    Internal { flavor: Flavor, lang: Lang },
}

impl Failure {
    fn parts(&self) -> (StatusCode, Flavor, Lang, Vec<FieldError>) {
        use Failure::*;
        let one = |field: &str, key: &'static str| vec![FieldError::new(field, key)];
        match self {
            UnsupportedMediaType { flavor, lang } => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                *flavor,
                *lang,
                one("_body", "error.unsupported_media_type"),
            ),
            PayloadTooLarge { flavor, lang } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                *flavor,
                *lang,
                vec![
                    FieldError::new("_body", "error.payload_too_large")
                        .with("max_kb", request::MAX_BODY_BYTES / 1024),
                ],
            ),
            Malformed { flavor, lang } => (
                StatusCode::BAD_REQUEST,
                *flavor,
                *lang,
                one("_body", "error.malformed"),
            ),
            Invalid {
                flavor,
                lang,
                invalid,
                ..
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                *flavor,
                *lang,
                invalid.0.clone(),
            ),
            KeyReused { flavor, lang } => (
                StatusCode::CONFLICT,
                *flavor,
                *lang,
                one("idempotency_key", "error.idempotency_reused"),
            ),
            NotFound { flavor, lang } => (
                StatusCode::NOT_FOUND,
                *flavor,
                *lang,
                one("_request", "error.not_found"),
            ),
            Locked { flavor, lang } => (
                StatusCode::CONFLICT,
                *flavor,
                *lang,
                one("_status", "error.locked"),
            ),
            Refused {
                flavor,
                lang,
                hotline,
            } => (
                StatusCode::FORBIDDEN,
                *flavor,
                *lang,
                vec![
                    FieldError::new("_request", "error.employer_refused")
                        .with("hotline", hotline.as_str()),
                ],
            ),
            Limited { flavor, lang } => (
                StatusCode::TOO_MANY_REQUESTS,
                *flavor,
                *lang,
                one("_request", "error.rate_limited"),
            ),
            Busy { flavor, lang } => (
                StatusCode::SERVICE_UNAVAILABLE,
                *flavor,
                *lang,
                one("_request", "error.busy"),
            ),
            Internal { flavor, lang } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                *flavor,
                *lang,
                one("_request", "error.internal"),
            ),
        }
    }

    /// The response, with pages framed as `station`'s.
    pub fn respond(self, state: &AppState, station: &Station) -> Response {
        let (status, flavor, lang, errors) = self.parts();
        if is_bad_input(status) {
            rejections::note(Rejection::BadInput);
        }
        match flavor {
            Flavor::Json => {
                let errors: Vec<_> = errors.iter().map(|e| e.localized(lang)).collect();
                (status, Json(json!({ "errors": errors }))).into_response()
            }
            Flavor::Html => {
                let heading = if status == StatusCode::NOT_FOUND {
                    t(lang, "page.not_found_title")
                } else {
                    t(lang, "page.error_title")
                };
                let message = errors
                    .iter()
                    .map(|e| e.message(lang))
                    .collect::<Vec<_>>()
                    .join(" ");
                page(
                    state,
                    status,
                    "pages/error.html",
                    context! { heading => heading, message => message, ..context_of(station, lang, "") },
                )
            }
        }
    }
}

/// The page chrome as a template context.
pub fn context_of(station: &Station, lang: Lang, path: &str) -> minijinja::Value {
    minijinja::Value::from(Serde(Chrome::new(station, lang, path)))
}

/// Renders `template` as the response body; a rendering failure is a logged 500.
pub fn page(
    state: &AppState,
    status: StatusCode,
    template: &str,
    context: minijinja::Value,
) -> Response {
    match state.site.render(template, context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// 404 for anything under `/api` that is not a route.
pub async fn not_found(
    state: axum::extract::State<std::sync::Arc<AppState>>,
    headers: HeaderMap,
) -> Response {
    let lang = request::header_lang(&headers);
    let flavor = if headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
    {
        Flavor::Html
    } else {
        Flavor::Json
    };
    let station = state.app.stations.default_station().clone();
    Failure::NotFound { flavor, lang }.respond(&state, &station)
}

/// An answer to a request whose content was wrong (unreadable, too large, of another
/// type, or with wrong fields): counted in aggregate, never logged one by one.
fn is_bad_input(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
    )
}

/// Logs a failure that is ours, not the client's, and answers generically.
pub fn internal(error: &dyn std::fmt::Display, flavor: Flavor, lang: Lang) -> Failure {
    tracing::error!(error = %error, "request failed");
    Failure::Internal { flavor, lang }
}

/// The answer to a public form or API submission that was not stored: JSON errors, or
/// the form (`template`, at `path`) shown again with the values and each field's error.
pub fn submit_failure(
    state: &AppState,
    station: &Station,
    submitted: request::Submitted,
    error: SubmitError,
    template: &str,
    path: &str,
) -> Response {
    let (flavor, lang) = (submitted.flavor, submitted.lang);
    match (error, flavor) {
        (SubmitError::Invalid(invalid), Flavor::Html) => {
            rejections::note(Rejection::BadInput);
            let form = FormState::from_input(&submitted.input, Some(&invalid), lang);
            page(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                template,
                context! { form => Serde(form), ..context_of(station, lang, path) },
            )
        }
        (SubmitError::Invalid(invalid), Flavor::Json) => Failure::Invalid {
            flavor,
            lang,
            invalid,
        }
        .respond(state, station),
        (SubmitError::KeyReused, Flavor::Html) => {
            // The browser sent an old form again with new content: show it back with an
            // empty nonce so the next send is a new request.
            let mut form = FormState::from_input(&submitted.input, None, lang);
            form.nonce = String::new();
            form.notice = Some(t(lang, "error.idempotency_reused").to_owned());
            page(
                state,
                StatusCode::CONFLICT,
                template,
                context! { form => Serde(form), ..context_of(station, lang, path) },
            )
        }
        (SubmitError::KeyReused, Flavor::Json) => {
            Failure::KeyReused { flavor, lang }.respond(state, station)
        }
        (SubmitError::UnknownStation, _) => {
            Failure::NotFound { flavor, lang }.respond(state, station)
        }
        (SubmitError::Refused, _) => Failure::Refused {
            flavor,
            lang,
            hotline: station.hotline.clone(),
        }
        .respond(state, station),
        (e @ (SubmitError::Store(_) | SubmitError::Secret(_)), _) => {
            internal(&e, flavor, lang).respond(state, station)
        }
    }
}
