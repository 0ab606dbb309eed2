//! `lingong serve`: the API and the pages in one process on this machine.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use clap::Args;
use lingong_core::{
    Lang,
    app::JobFilter,
    changes::ChangeConsumer,
    matching::consumer::Matcher,
    notices::{consumer::NotifierConsumer, send::NoticeSender},
};
use lingong_http::AppState;
use lingong_site::{Chrome, FormState, NoticeTemplates, Renderer, static_file};
use minijinja::{context, value::Serde};

use crate::{demo, notices, setup};

/// Options of `lingong serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "LINGONG_ADDR")]
    pub addr: SocketAddr,
    /// Seed realistic demo data (only into an empty station).
    #[arg(long)]
    pub demo: bool,
    /// The public address used in links (default: http://<addr>).
    #[arg(long, env = "LINGONG_PUBLIC_URL")]
    pub public_url: Option<String>,
    #[command(flatten)]
    pub store: setup::StoreArgs,
    /// Send e-mail notices to this SMTP server (e.g. `smtp://127.0.0.1:2525`) instead
    /// of writing them to `<data>/notices/`. SMS are always written there locally.
    #[arg(long, env = "LINGONG_SMTP")]
    pub smtp: Option<String>,
    /// The sender address of e-mail notices.
    #[arg(
        long,
        env = "LINGONG_MAIL_FROM",
        default_value = "notices@lingong.localhost"
    )]
    pub mail_from: String,
    /// Seconds between runs of the scheduled step (offer expiry, held notices).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub sweep_seconds: u64,
}

/// Runs the server until Ctrl-C.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let setup::Wired {
        mut app,
        change_log,
    } = setup::build_app(&args.store).await?;
    if args.demo {
        // The demo shows notices at any hour; real stations keep their quiet hours.
        app.stations = Arc::new((*app.stations).clone().without_quiet_hours());
        println!("Demo: SMS quiet hours are off so notices show at any hour.");
    }
    if args.demo {
        let seeded = demo::seed(&app).await.context("seeding demo data")?;
        if seeded > 0 {
            println!("Seeded {seeded} demo records.");
        }
        let (user, password) = demo::admin_login(&app, &args.store.data)
            .await
            .context("creating the demo administrator")?;
        println!("Staff console: /staff/login  user: {user}  password: {password}");
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let public_base_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let site = Arc::new(Renderer::new()?);
    let notifier = notices::local_notifier(
        args.store.data.clone(),
        args.smtp
            .as_ref()
            .map(|url| lingong_notify_smtp::SmtpSettings {
                url: url.clone(),
                from: args.mail_from.clone(),
                credentials: None,
            }),
    )?;
    let sender = NoticeSender {
        app: app.clone(),
        notifier,
        renderer: Arc::new(NoticeTemplates::new(site.clone(), &public_base_url)),
    };
    let sweeper = app.clone();
    let state = Arc::new(AppState {
        app: app.clone(),
        site: Renderer::new()?,
        public_base_url: Some(public_base_url.clone()),
    });
    let consumers: Vec<Arc<dyn ChangeConsumer>> = vec![
        Arc::new(Matcher { app: app.clone() }),
        Arc::new(NotifierConsumer { sender }),
    ];
    // The scheduled step (a minutely schedule on AWS) runs in-process here.
    let every = std::time::Duration::from_secs(args.sweep_seconds);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(e) = sweeper.sweep().await {
                tracing::error!(error = %e, "scheduled step failed");
            }
        }
    });
    match change_log {
        Some(log) => lingong_core::changes::spawn_consumers(log, consumers),
        None => println!(
            "Note: on DynamoDB the background work (board rebuilds, matching, notices) runs from the table's stream on AWS, not in this process."
        ),
    }
    let router = lingong_http::router(state.clone()).merge(pages(state));
    println!(
        "Lingong 零工驿站 is running on {}.",
        setup::describe(&args.store)
    );
    println!("Open {public_base_url}/ in a browser. Press Ctrl-C to stop.");
    let router = router.layer(axum::middleware::from_fn(peer_address));
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    Ok(())
}

/// The pages, rendered on request.
fn pages(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/",
            get(|s: State<Arc<AppState>>| page(s, Lang::Zh, String::new())),
        )
        .route(
            "/en/",
            get(|s: State<Arc<AppState>>| page(s, Lang::En, String::new())),
        )
        .route(
            "/en",
            get(|s: State<Arc<AppState>>| page(s, Lang::En, String::new())),
        )
        .route("/assets/{file}", get(asset))
        .route(
            "/en/{*path}",
            get(|s: State<Arc<AppState>>, Path(path): Path<String>| page(s, Lang::En, path)),
        )
        .route(
            "/{*path}",
            get(|s: State<Arc<AppState>>, Path(path): Path<String>| page(s, Lang::Zh, path)),
        )
        .with_state(state)
}

async fn asset(Path(file): Path<String>) -> Response {
    match static_file(&file) {
        Some(body) => {
            let kind = if file.ends_with(".css") {
                "text/css; charset=utf-8"
            } else {
                "text/javascript; charset=utf-8"
            };
            ([(header::CONTENT_TYPE, kind)], body).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn page(State(state): State<Arc<AppState>>, lang: Lang, path: String) -> Response {
    let station = state.app.stations.default_station().clone();
    let path = path.trim_matches('/').to_owned();
    let chrome = Chrome::new(&station, lang, &format!("{path}/"));
    let rendered = match path.as_str() {
        "" => {
            let jobs = match state
                .app
                .published_jobs(&station, &JobFilter::default(), 20, None)
                .await
            {
                Ok((jobs, _)) => jobs,
                Err(e) => {
                    tracing::error!(error = %e, "listing jobs failed");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            };
            let jobs: Vec<_> = jobs.iter().map(|j| j.public()).collect();
            let chrome = Chrome::new(&station, lang, "");
            state.site.render(
                "pages/home.html",
                context! { jobs => Serde(jobs), ..minijinja::Value::from(Serde(chrome)) },
            )
        }
        "post" => state.site.render(
            "pages/post_job.html",
            context! { form => Serde(FormState::empty()), ..minijinja::Value::from(Serde(chrome)) },
        ),
        "signup" => state.site.render(
            "pages/sign_up.html",
            context! { form => Serde(FormState::empty()), ..minijinja::Value::from(Serde(chrome)) },
        ),
        "privacy" => state
            .site
            .render("pages/privacy.html", minijinja::Value::from(Serde(chrome))),
        _ => return (StatusCode::NOT_FOUND, Html("404")).into_response(),
    };
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// This server is the edge: whatever `X-Forwarded-For` a client sends is replaced by the
/// TCP peer's address, the one the handlers trust (for login throttling, rate limits).
async fn peer_address(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Ok(value) = axum::http::HeaderValue::from_str(&peer.ip().to_string()) {
        request.headers_mut().insert("x-forwarded-for", value);
    }
    next.run(request).await
}
