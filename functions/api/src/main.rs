//! The API as one Lambda function: every `/api/*` route is the same axum router that
//! `lingong serve` runs, so the two cannot drift apart. One function rather than one
//! per route: the routes share all their wiring, a warm function serves them all, and
//! the whole router stays tested in one place.

use std::sync::Arc;

use lingong_http::AppState;

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
    lambda_http::run(lingong_http::router(state)).await
}
