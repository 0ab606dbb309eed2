//! The public board locally: `lingong build-site` (a full build into a directory) and
//! serving a built site's files (`lingong serve` serves `<data>/site` at `/`).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use clap::Args;
use lingong_core::App;
use lingong_site::{
    publish::{DirSink, Sink, is_site_path},
    rebuild::SiteRebuilder,
    site::SiteBuilder,
};

use crate::setup;

/// Options of `lingong build-site`.
#[derive(Debug, Args)]
pub struct BuildSiteArgs {
    /// The directory to write the site into (created if missing). Files that did not
    /// change since the last build there are not rewritten.
    #[arg(long)]
    pub out: PathBuf,
    /// The public origin of the site, for the sitemap and the feeds.
    #[arg(
        long,
        env = "LINGONG_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub base_url: String,
    #[command(flatten)]
    pub store: setup::StoreArgs,
}

/// A rebuilder of the default station's board from `app` into `dir`.
pub fn rebuilder(app: &App, dir: &Path, base_url: &str) -> anyhow::Result<SiteRebuilder> {
    let station = app.stations.default_station().clone();
    let site = SiteBuilder::new(station, base_url).context("loading the site templates")?;
    let sink: Arc<dyn Sink> = Arc::new(DirSink::new(dir));
    Ok(SiteRebuilder::new(app.clone(), site, sink))
}

/// Runs `lingong build-site`.
pub async fn build(args: BuildSiteArgs) -> anyhow::Result<()> {
    let setup::Wired { app, .. } = setup::build_app(&args.store).await?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let rebuilder = rebuilder(&app, &args.out, &args.base_url)?;
    let report = rebuilder.build_all().await.context("building the site")?;
    println!(
        "Built the board of {} into {}: {} files, {} written, {} deleted, {} unchanged.",
        app.stations.default_station().id,
        args.out.display(),
        report.rendered,
        report.written.len(),
        report.deleted.len(),
        report.rendered - report.written.len(),
    );
    Ok(())
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Serves the built site under `root` (GET and HEAD): `/x/` is `/x/index.html`, `/x`
/// of a folder redirects to `/x/`, anything else is the (language's) 404 page.
pub async fn serve_file(State(root): State<Arc<PathBuf>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = request.uri().path().trim_start_matches('/').to_owned();
    let mut rel = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.clone()
    };
    if rel == "en" {
        rel = "en/index.html".into();
    }
    let mut status = StatusCode::OK;
    let mut file = is_site_path(&rel).then(|| root.join(&rel));
    if let Some(candidate) = &file
        && candidate.is_dir()
    {
        return Redirect::permanent(&format!("/{path}/")).into_response();
    }
    if !file.as_ref().is_some_and(|f| f.is_file()) {
        status = StatusCode::NOT_FOUND;
        rel = if path.starts_with("en/") || path == "en" {
            "en/404.html".into()
        } else {
            "404.html".into()
        };
        file = Some(root.join(&rel));
    }
    let bytes = match file {
        Some(f) => match tokio::fs::read(&f).await {
            Ok(bytes) => bytes,
            Err(_) => return (status, "not found").into_response(),
        },
        None => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let mut response = (status, Body::from(bytes)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(lingong_site::publish::content_type(&rel)),
    );
    // Locally the board changes under the reader's eyes: always revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}
