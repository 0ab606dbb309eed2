//! Cold-start bench for the Lambda binaries.
//!
//! Serves the Lambda runtime API (`/2018-06-01/runtime/...`) on a loopback port, starts a
//! function binary as Lambda would (`AWS_LAMBDA_RUNTIME_API` and the usual variables),
//! hands it one event and measures the time from process start to the answer, and the
//! process's peak resident memory (`VmHWM`) after it. Each case runs `--runs` times in
//! turn with the others so they see the same machine; the table reports the median and
//! the 90th percentile.
//!
//! Usage: `lambda-start --runs 20 --case NAME=BINARY=EVENT_FILE [--case ...]`, with
//! function-specific variables passed through from the environment.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use tokio::sync::Notify;

#[derive(Default)]
struct Runtime {
    event: Mutex<Option<String>>,
    answer: Mutex<Option<(Instant, bool, String)>>,
    answered: Notify,
}

async fn next(State(runtime): State<Arc<Runtime>>) -> impl IntoResponse {
    loop {
        let event = runtime.event.lock().map(|mut e| e.take()).unwrap_or(None);
        if let Some(event) = event {
            let mut headers = HeaderMap::new();
            headers.insert(
                "lambda-runtime-aws-request-id",
                HeaderValue::from_static("bench-request-1"),
            );
            headers.insert(
                "lambda-runtime-deadline-ms",
                HeaderValue::from_static("9999999999999"),
            );
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                HeaderValue::from_static(
                    "arn:aws:lambda:cn-northwest-1:123456789012:function:bench",
                ),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                HeaderValue::from_static("Root=1-00000000-000000000000000000000000"),
            );
            return (StatusCode::OK, headers, event).into_response();
        }
        // The function waits here for its next event after the first; the bench kills
        // it before that matters.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn respond(
    State(runtime): State<Arc<Runtime>>,
    Path(_id): Path<String>,
    body: String,
) -> StatusCode {
    if let Ok(mut answer) = runtime.answer.lock() {
        *answer = Some((Instant::now(), true, body));
    }
    runtime.answered.notify_one();
    StatusCode::ACCEPTED
}

async fn error(State(runtime): State<Arc<Runtime>>, body: String) -> StatusCode {
    if let Ok(mut answer) = runtime.answer.lock() {
        *answer = Some((Instant::now(), false, body));
    }
    runtime.answered.notify_one();
    StatusCode::ACCEPTED
}

struct Case {
    name: String,
    binary: PathBuf,
    event: String,
}

struct Sample {
    start_ms: f64,
    peak_rss_kb: u64,
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

async fn run_once(runtime: &Arc<Runtime>, addr: SocketAddr, case: &Case) -> anyhow::Result<Sample> {
    *runtime.answer.lock().map_err(|_| anyhow::anyhow!("lock"))? = None;
    *runtime.event.lock().map_err(|_| anyhow::anyhow!("lock"))? = Some(case.event.clone());
    let started = Instant::now();
    let mut child = Command::new(&case.binary)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &case.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", case.binary.display()))?;
    let waited = tokio::time::timeout(Duration::from_secs(30), runtime.answered.notified()).await;
    let answer = runtime
        .answer
        .lock()
        .map_err(|_| anyhow::anyhow!("lock"))?
        .take();
    let rss = peak_rss_kb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    if waited.is_err() {
        bail!("{} gave no answer within 30 s", case.name);
    }
    let Some((at, ok, body)) = answer else {
        bail!("{} gave no answer", case.name);
    };
    if !ok {
        bail!("{} answered with an error: {body}", case.name);
    }
    Ok(Sample {
        start_ms: (at - started).as_secs_f64() * 1000.0,
        peak_rss_kb: rss,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut runs = 20usize;
    let mut cases = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().context("--runs N")?.parse()?,
            "--case" => {
                let spec = args.next().context("--case NAME=BINARY=EVENT")?;
                let mut parts = spec.splitn(3, '=');
                let (Some(name), Some(binary), Some(event)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    bail!("--case NAME=BINARY=EVENT_FILE");
                };
                cases.push(Case {
                    name: name.to_owned(),
                    binary: binary.into(),
                    event: std::fs::read_to_string(event)
                        .with_context(|| format!("reading {event}"))?,
                });
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if cases.is_empty() {
        bail!("give at least one --case");
    }
    let runtime = Arc::new(Runtime::default());
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(runtime.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut samples: Vec<Vec<Sample>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (case, out) in cases.iter().zip(samples.iter_mut()) {
            out.push(run_once(&runtime, addr, case).await?);
        }
    }
    let baseline = {
        let mut times: Vec<f64> = samples[0].iter().map(|s| s.start_ms).collect();
        times.sort_by(f64::total_cmp);
        percentile(&times, 0.5)
    };
    println!(
        "| function | binary size (bytes) | start → first answer, median (ms) | p90 (ms) | × {} | peak RSS, max (MB) |",
        cases[0].name
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (case, samples) in cases.iter().zip(&samples) {
        let mut times: Vec<f64> = samples.iter().map(|s| s.start_ms).collect();
        times.sort_by(f64::total_cmp);
        let median = percentile(&times, 0.5);
        let rss = samples.iter().map(|s| s.peak_rss_kb).max().unwrap_or(0);
        let size = std::fs::metadata(&case.binary)
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.1} |",
            case.name,
            size,
            median,
            percentile(&times, 0.9),
            median / baseline,
            rss as f64 / 1024.0
        );
    }
    Ok(())
}
