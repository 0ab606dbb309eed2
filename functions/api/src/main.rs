//! The API as one Lambda function: every `/api/*` route is the same axum router that
//! `lingong serve` runs, so the two cannot drift apart. One function rather than one
//! per route: the routes share all their wiring, a warm function serves them all, and
//! the whole router stays tested in one place.

use std::sync::Arc;

use lambda_http::{RequestExt, request::RequestContext};
use lingong_http::{
    AppState,
    client_ip::{self, EdgeTrust, Peer},
};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = Arc::new(AppState {
        app: lingong_aws_wiring::app().await?,
        site: lingong_site::Renderer::new()?,
        public_base_url: std::env::var("PUBLIC_BASE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    });
    // What API Gateway saw as the caller: the only address a client cannot forge.
    // Through CloudFront, the origin secret (set by the template) proves the viewer
    // headers are CloudFront's own (see lingong_http::client_ip).
    let trust = EdgeTrust {
        origin_secret: std::env::var("ORIGIN_VERIFY_SECRET")
            .ok()
            .filter(|s| !s.is_empty()),
    };
    let router = client_ip::behind_edge(lingong_http::router(state), trust).layer(
        axum::middleware::map_request(|mut request: axum::extract::Request| async move {
            if let Some(peer) = source_ip(&request) {
                request.extensions_mut().insert(Peer(peer));
            }
            request
        }),
    );
    lambda_http::run(router).await
}

/// The caller's address from the HTTP API's request context (`sourceIp`).
fn source_ip<B>(request: &axum::http::Request<B>) -> Option<std::net::IpAddr> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref()?.parse().ok(),
        _ => None,
    }
}
