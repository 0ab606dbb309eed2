//! `lingong serve`: the API, the public board and the background work in one process on
//! this machine. The board is the generated static site in `<data>/site`, built in full
//! at start and rebuilt incrementally by a change consumer after every write.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use clap::Args;
use lingong_core::{
    changes::ChangeConsumer,
    matching::consumer::Matcher,
    notices::{consumer::NotifierConsumer, send::NoticeSender},
};
use lingong_http::AppState;
use lingong_site::{NoticeTemplates, Renderer, rebuild::SiteRebuilder, static_file};

use crate::{demo, notices, setup, site};

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
    /// Where SMS go: `file` writes them to `<data>/notices/`; `aliyun` or `tencent`
    /// sends them through that mainland gateway by filed templates.
    #[arg(long, value_enum, default_value = "file", env = "LINGONG_SMS")]
    pub sms: notices::SmsChoice,
    /// The gateway's settings as JSON (credentials and template codes; default
    /// `<data>/sms-gateway.json` if it exists, else the environment variables).
    #[arg(long, env = "LINGONG_SMS_CONFIG")]
    pub sms_config: Option<std::path::PathBuf>,
    /// Send SMS at any hour, ignoring the stations' quiet hours: for trying out a
    /// gateway's settings; a real station keeps its quiet hours.
    #[arg(long)]
    pub no_quiet_hours: bool,
    /// Seconds one request may take in all, reading its body included (a client that
    /// stops mid-request gets 408 and its connection closed).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub request_timeout: u64,
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
    if args.demo || args.no_quiet_hours {
        // The demo shows notices at any hour; real stations keep their quiet hours.
        app.stations = Arc::new((*app.stations).clone().without_quiet_hours());
        println!("SMS quiet hours are off: notices go out at any hour.");
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
    let renderer = Arc::new(Renderer::new()?);
    let sms_config = args.sms_config.clone().or_else(|| {
        let default = args.store.data.join("sms-gateway.json");
        default.exists().then_some(default)
    });
    let gateway = notices::sms_gateway(args.sms, sms_config.as_deref())?;
    match &gateway {
        Some(gateway) => println!(
            "SMS go through {} by filed templates (`lingong sms-templates` lists them).",
            gateway.name()
        ),
        None => println!(
            "SMS are written to {} (no gateway: `--sms aliyun` or `--sms tencent` sends real SMS).",
            args.store.data.join("notices").display()
        ),
    }
    let notifier = notices::local_notifier(
        args.store.data.clone(),
        args.smtp
            .as_ref()
            .map(|url| lingong_notify_smtp::SmtpSettings {
                url: url.clone(),
                from: args.mail_from.clone(),
                credentials: None,
                extra_root_pem: None,
                send_timeout: None,
            }),
        gateway,
    )?;
    let sender = NoticeSender {
        app: app.clone(),
        notifier,
        renderer: Arc::new(NoticeTemplates::new(renderer.clone(), &public_base_url)),
    };
    let sweeper = app.clone();
    // The public board: built in full now, then kept current by the change consumer.
    let site_dir = args.store.data.join("site");
    std::fs::create_dir_all(&site_dir)
        .with_context(|| format!("creating {}", site_dir.display()))?;
    let board = Arc::new(site::rebuilder(&app, &site_dir, &public_base_url)?);
    board.build_all().await.context("building the board")?;
    tokio::spawn(expiry_sweeps(app.clone(), board.clone()));
    let state = Arc::new(AppState {
        app: app.clone(),
        site: Renderer::new()?,
        public_base_url: Some(public_base_url.clone()),
    });
    let consumers: Vec<Arc<dyn ChangeConsumer>> = vec![
        Arc::new(Matcher { app: app.clone() }),
        Arc::new(NotifierConsumer { sender }),
        board.clone(), // the public board (site rebuild)
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
    let rebuild_on_write = change_log.is_none();
    match change_log {
        Some(log) => lingong_core::changes::spawn_consumers(log, consumers),
        None => {
            println!(
                "Note: on DynamoDB the background work (matching, notices) runs from the table's stream on AWS, not in this process; the board here is rebuilt after each change made through this server."
            );
        }
    }
    let mut api = lingong_http::router(state);
    if rebuild_on_write {
        let wake = Arc::new(tokio::sync::Notify::new());
        tokio::spawn(rebuild_when_woken(board.clone(), wake.clone()));
        api = api.layer(axum::middleware::map_response(
            move |request_method: axum::http::Method, response: Response| {
                let wake = wake.clone();
                async move {
                    if request_method != axum::http::Method::GET && response.status().is_success() {
                        wake.notify_one();
                    }
                    response
                }
            },
        ));
    }
    // /api/* and the staff console (/staff/*) go to the API router (with its own 404s);
    // everything else is the board.
    let site_dir = Arc::new(site_dir);
    let router = Router::new().route("/assets/{file}", get(asset)).fallback(
        move |request: axum::extract::Request| {
            let (api, site_dir) = (api.clone(), site_dir.clone());
            async move {
                let path = request.uri().path();
                if path == "/api"
                    || path.starts_with("/api/")
                    || path == "/staff"
                    || path.starts_with("/staff/")
                {
                    match tower::ServiceExt::oneshot(api, request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                } else {
                    site::serve_file(axum::extract::State(site_dir), request).await
                }
            }
        },
    );
    println!(
        "Lingong 零工驿站 is running on {}.",
        setup::describe(&args.store)
    );
    println!("Open {public_base_url}/ in a browser. Press Ctrl-C to stop.");
    let deadline = Duration::from_secs(args.request_timeout);
    let router = router
        .layer(axum::middleware::from_fn(move |request, next| {
            request_deadline(deadline, request, next)
        }))
        .layer(axum::middleware::from_fn(peer_address));
    serve_connections(listener, router).await
}

/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Serves HTTP/1 connections until Ctrl-C, closing those that stop sending their
/// headers for [`HEADER_READ_TIMEOUT`] (a slow-headers attack holds nothing for long);
/// [`request_deadline`] bounds the rest of each request, its body included.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    router: Router,
) -> anyhow::Result<()> {
    use hyper_util::{
        rt::{TokioIo, TokioTimer},
        server::graceful::GracefulShutdown,
    };
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pause, do not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut ctrl_c => break,
        };
        let service = tower::ServiceExt::map_request(
            router.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                request.map(axum::body::Body::new)
            },
        );
        let connection = http.serve_connection(
            TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(service),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-request is not the server's error.
            let _ = connection.await;
        });
    }
    // Let requests in flight finish, for a while.
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}

/// Answers 408 when a request (reading its body included) takes longer than
/// `deadline` (`--request-timeout`).
async fn request_deadline(
    deadline: Duration,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Moves jobs past their last day off the board: at start, then at the top of every
/// hour (so within the first hour of a new station day). A scheduled sweep, not TTL:
/// the job stays on record as `expired` (TTL would delete it), and the end date is a
/// calendar day in the station's time zone.
async fn expiry_sweeps(app: lingong_core::App, board: Arc<SiteRebuilder>) {
    loop {
        for station in app.stations.all() {
            if let Err(e) = app.expire_jobs(station).await {
                tracing::error!(station = %station.id, error = %e, "expiry sweep failed");
            }
        }
        if let Err(e) = board.refresh_day().await {
            tracing::error!(error = %e, "refreshing the data wall failed");
        }
        let now = chrono::Utc::now();
        let past_hour = u64::from(chrono::Timelike::minute(&now)) * 60
            + u64::from(chrono::Timelike::second(&now));
        tokio::time::sleep(Duration::from_secs(3600 - past_hour.min(3599) + 5)).await;
    }
}

/// On DynamoDB (no local change log), rebuilds the board after writes made through
/// this server, and every few minutes for writes made elsewhere.
async fn rebuild_when_woken(board: Arc<SiteRebuilder>, wake: Arc<tokio::sync::Notify>) {
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(300), wake.notified()).await;
        if let Err(e) = board.build_all().await {
            tracing::error!(error = %e, "rebuilding the board failed");
        }
    }
}

async fn asset(Path(file): Path<String>) -> Response {
    match static_file(&file) {
        Some(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    lingong_site::publish::content_type(&file),
                ),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
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
