//! The HTTP API: one axum [`Router`] that runs unchanged on AWS Lambda
//! (`lambda_http::run`) and in the local server (`lingong serve`).
//!
//! Handlers only turn a request into a use-case call on [`lingong_core::App`] and its
//! result into a response: JSON for API clients, an HTML page for plain forms (which
//! work with no JavaScript). Every error is a clear message in Chinese or English and
//! changes nothing.

pub mod client_ip;
mod courses;
pub mod guard;
mod intake;
mod jobs;
// Matching and notices (issue 4): offer links, applications, SMS replies.
pub mod offers;
pub mod paid;
mod reply;
mod request;
pub mod sms_push;
pub mod staff;
mod workers;

use std::sync::Arc;

use axum::{
    Router,
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware,
    response::Response,
    routing::get,
};
use lingong_core::{App, station::Station};
use lingong_site::Renderer;

pub use request::MAX_BODY_BYTES;

/// What every handler shares, built once at start.
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// The page renderer.
    pub site: Renderer,
    /// The public origin absolute links are built on, e.g. `https://lingong.example.cn`.
    /// `None` takes it from the request (`X-Forwarded-Host`/`Host`), as behind an API
    /// gateway whose address the deployment cannot know in advance.
    pub public_base_url: Option<String>,
}

impl AppState {
    /// The path of the link that manages `kind` record `id` (`jobs` or `workers`).
    pub fn manage_path(&self, kind: &str, station: &Station, id: &str, token: &str) -> String {
        let default = station.id == self.app.stations.default_station().id;
        lingong_core::app::manage_path(kind, &station.id, id, token, default)
    }

    /// `path` as an absolute URL for a person to keep.
    pub fn absolute(&self, headers: &HeaderMap, path: &str) -> String {
        let origin = match &self.public_base_url {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => {
                let host = headers
                    .get("x-forwarded-host")
                    .or_else(|| headers.get(header::HOST))
                    .and_then(|v| v.to_str().ok())
                    .filter(|h| {
                        h.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
                    })
                    .unwrap_or("localhost");
                let scheme = headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .filter(|p| *p == "http")
                    .unwrap_or("https");
                format!("{scheme}://{host}")
            }
        };
        format!("{origin}{path}")
    }
}

/// The API routes, all under `/api`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/health", get(|| async { "ok" }))
        .route("/api/challenge", get(challenge))
        .route("/api/jobs", get(jobs::list).post(jobs::post))
        .route(
            "/api/jobs/{id}/manage",
            get(jobs::manage_page).post(jobs::manage_action),
        )
        .route("/api/workers", axum::routing::post(workers::sign_up))
        // Public board intake (issue 3): report a posting, ask for help (咨询维权).
        .route(
            "/api/jobs/{id}/report",
            axum::routing::post(intake::report_job),
        )
        .route(
            "/api/complaints",
            axum::routing::post(intake::file_complaint),
        )
        .route(
            "/api/workers/{id}/manage",
            get(workers::manage_page).post(workers::manage_action),
        )
        .route("/api/workers/{id}/export", get(workers::export))
        .route(
            "/api/workers/link",
            axum::routing::post(workers::resend_link),
        )
        .merge(staff::routes())
        // Matching and notices (issue 4):
        .route("/api/offers/{id}", get(offers::show).post(offers::answer))
        .route("/api/jobs/{id}/apply", axum::routing::post(offers::apply))
        .route("/api/phone-codes", axum::routing::post(offers::send_code))
        .route(
            "/api/jobs/{id}/confirm",
            get(jobs::confirm_page).post(jobs::confirm),
        )
        .route("/api/sms/inbound", axum::routing::post(offers::sms_inbound))
        // The mainland gateways' own push formats (replies, delivery reports):
        .route(
            "/api/sms/{gateway}/{secret}/up",
            axum::routing::post(sms_push::replies),
        )
        .route(
            "/api/sms/{gateway}/{secret}/report",
            axum::routing::post(sms_push::reports),
        )
        // "Were you paid?" follow-up (issue 6):
        .route("/api/paid/{code}", get(paid::show).post(paid::answer))
        // Training courses (issue 6): registration from the public /training/ page.
        .route(
            "/api/courses/{id}/register",
            axum::routing::post(courses::register),
        )
        .fallback(reply::not_found)
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// `GET /api/challenge`: a fresh proof-of-work challenge for a form's script, at most
/// [`Limit::CHALLENGE_ADDRESS`] per address (counted on the default station: a
/// challenge names no station), reserved before it is made; over it, `429` in the
/// API's JSON error shape.
///
/// [`Limit::CHALLENGE_ADDRESS`]: lingong_core::limits::Limit::CHALLENGE_ADDRESS
async fn challenge(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> Response {
    use axum::response::IntoResponse;
    use lingong_core::limits::{self, Limit, Verdict};
    let station = state.app.stations.default_station();
    let lang = request::header_lang(&headers);
    let flavor = reply::Flavor::Json;
    match limits::hit(
        &*state.app.store,
        &state.app.secrets,
        &station.id,
        Limit::CHALLENGE_ADDRESS,
        &staff::client_address(&headers),
        state.app.clock.now(),
    )
    .await
    {
        Ok(Verdict::Allowed) => {}
        Ok(Verdict::Limited { .. }) => {
            return reply::Failure::Limited { flavor, lang }.respond(&state, station);
        }
        Err(e) => return reply::internal(&e, flavor, lang).respond(&state, station),
    }
    match lingong_core::pow::challenge(&state.app.secrets, state.app.clock.now()) {
        Ok(challenge) => axum::Json(challenge).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "creating a challenge failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Headers every API answer carries. Answers are personal (manage links, form errors
/// with what was typed) so they are never cached and never sent on as a referrer.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(base: Option<&str>) -> AppState {
        AppState {
            app: App {
                store: std::sync::Arc::new(NoStore),
                stations: Arc::new(lingong_core::station::Stations::embedded().unwrap()),
                clock: Arc::new(lingong_core::SystemClock),
                secrets: lingong_core::secrets::Secrets::from_bytes(&[1; 32]).unwrap(),
            },
            site: Renderer::new().unwrap(),
            public_base_url: base.map(str::to_owned),
        }
    }

    struct NoStore;

    #[async_trait::async_trait]
    impl lingong_core::ItemStore for NoStore {
        async fn get(
            &self,
            _: &lingong_core::store::Key,
        ) -> Result<Option<lingong_core::store::Item>, lingong_core::store::StoreError> {
            Ok(None)
        }
        async fn get_many(
            &self,
            _: &[lingong_core::store::Key],
        ) -> Result<Vec<lingong_core::store::Item>, lingong_core::store::StoreError> {
            Ok(Vec::new())
        }
        async fn write(
            &self,
            _: Vec<lingong_core::store::Write>,
        ) -> Result<(), lingong_core::store::StoreError> {
            Ok(())
        }
        async fn query(
            &self,
            _: &lingong_core::store::Query,
        ) -> Result<lingong_core::store::Page, lingong_core::store::StoreError> {
            Ok(lingong_core::store::Page {
                items: Vec::new(),
                next: None,
            })
        }
    }

    #[test]
    fn absolute_links_use_the_configured_origin_or_the_request() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::HOST,
            HeaderValue::from_static("abc.execute-api.example.com"),
        );
        assert_eq!(
            state(Some("https://lingong.example.cn/")).absolute(&headers, "/api/x"),
            "https://lingong.example.cn/api/x"
        );
        assert_eq!(
            state(None).absolute(&headers, "/api/x"),
            "https://abc.execute-api.example.com/api/x"
        );
        headers.insert(
            "x-forwarded-host",
            HeaderValue::from_static("board.example.cn"),
        );
        assert_eq!(
            state(None).absolute(&headers, "/api/x"),
            "https://board.example.cn/api/x"
        );
        // A host header with anything but host characters is not trusted.
        headers.insert(
            "x-forwarded-host",
            HeaderValue::from_static("evil.example/<script>"),
        );
        headers.remove(header::HOST);
        assert_eq!(
            state(None).absolute(&headers, "/api/x"),
            "https://localhost/api/x"
        );
    }
}
