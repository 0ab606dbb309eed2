//! The HTTP API: one axum [`Router`] that runs unchanged on AWS Lambda
//! (`lambda_http::run`) and in the local server (`lingong serve`).
//!
//! Handlers only turn a request into a use-case call on [`lingong_core::App`] and its
//! result into a response: JSON for API clients, an HTML page for plain forms (which
//! work with no JavaScript). Every error is a clear message in Chinese or English and
//! changes nothing.

mod jobs;
mod reply;
mod request;
mod workers;

use std::sync::Arc;

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
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
    /// The public origin links are built on, e.g. `https://lingong.example.cn`, without a
    /// trailing slash.
    pub public_base_url: String,
}

impl AppState {
    /// The link that manages `kind` record `id` (`jobs` or `workers`).
    pub fn manage_url(&self, kind: &str, station: &Station, id: &str, token: &str) -> String {
        let station_param = if station.id == self.app.stations.default_station().id {
            String::new()
        } else {
            format!("&station={}", station.id)
        };
        format!(
            "{}/api/{kind}/{id}/manage?token={token}{station_param}",
            self.public_base_url.trim_end_matches('/')
        )
    }
}

/// The API routes, all under `/api`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/health", get(|| async { "ok" }))
        .route("/api/jobs", get(jobs::list).post(jobs::post))
        .route("/api/jobs/{id}/manage", get(jobs::manage_page).post(jobs::manage_action))
        .route("/api/workers", axum::routing::post(workers::sign_up))
        .route("/api/workers/{id}/manage", get(workers::manage_page).post(workers::manage_action))
        .fallback(reply::not_found)
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers every API answer carries. Answers are personal (manage links, form errors
/// with what was typed) so they are never cached and never sent on as a referrer.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
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
