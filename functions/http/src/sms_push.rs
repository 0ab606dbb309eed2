//! Pushes from the mainland SMS gateways, in each gateway's own documented format:
//! workers' replies (上行, `1`/`2`/`TD`/`3`/`4`) and delivery reports (状态报告).
//!
//! | route | gateway's format | answer it expects |
//! |---|---|---|
//! | `POST /api/sms/aliyun/{secret}/up` | Alibaba SmsUp: a JSON array of `{phone_number, content, send_time, dest_code, sequence_id}` | `{"code":0,"msg":"接收成功"}` |
//! | `POST /api/sms/aliyun/{secret}/report` | Alibaba SmsReport: a JSON array of `{phone_number, success, err_code, err_msg, biz_id, out_id, report_time…}` | the same |
//! | `POST /api/sms/tencent/{secret}/up` | Tencent SMS reply: one JSON object `{mobile, nationcode, sign, text, time, extend}` | `{"result":0,"errmsg":"OK"}` |
//! | `POST /api/sms/tencent/{secret}/report` | Tencent status report: a JSON array of `{mobile, report_status, errmsg, sid, user_receive_time…}` | the same |
//!
//! Neither gateway signs its pushes, so the path's secret ([`push_path_secret`]) is the
//! credential. A wrong secret or an unreadable body is refused and stores nothing; a
//! store failure answers a failure code so the gateway pushes again later. Gateways
//! retry, so every push is idempotent: replies by the gateway's sequence id (or, for
//! Tencent, by number, time and text), reports by the notice's state.
//!
//! [`push_path_secret`]: lingong_core::app::sms::push_path_secret

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use lingong_core::{
    app::sms::{InboundError, verify_push_path},
    notices::delivery::DeliveryReport,
    secrets::sha256_hex,
};
use serde::Deserialize;
use serde_json::json;

use crate::{AppState, MAX_BODY_BYTES};

/// Most items one push may carry (Alibaba batches up to a few hundred).
const MAX_ITEMS: usize = 1000;

/// One reply as Alibaba's SmsUp pushes it.
#[derive(Debug, Deserialize)]
struct AliyunReply {
    phone_number: String,
    content: String,
    /// A number in newer pages, a string in older ones.
    sequence_id: serde_json::Value,
}

/// One delivery report as Alibaba's SmsReport pushes it.
#[derive(Debug, Deserialize)]
struct AliyunReport {
    success: bool,
    #[serde(default)]
    err_code: Option<String>,
    biz_id: String,
    #[serde(default)]
    report_time: Option<String>,
}

/// One reply as Tencent Cloud pushes it.
#[derive(Debug, Deserialize)]
struct TencentReply {
    mobile: String,
    nationcode: String,
    text: String,
    time: i64,
}

/// One delivery report as Tencent Cloud pushes it.
#[derive(Debug, Deserialize)]
struct TencentReport {
    report_status: String,
    #[serde(default)]
    errmsg: Option<String>,
    sid: String,
    #[serde(default)]
    user_receive_time: Option<String>,
}

/// How a push ended, answered in the pushing gateway's own format.
enum Answer {
    /// Taken (or taken before).
    Ok,
    /// The path's secret is wrong: nothing was read.
    Refused,
    /// The body is not the gateway's format.
    Unreadable,
    /// The store failed: push again later.
    TryLater,
}

fn answer(gateway: &str, outcome: Answer) -> Response {
    let (status, code, message) = match outcome {
        Answer::Ok => (StatusCode::OK, 0, "接收成功"),
        Answer::Refused => (StatusCode::NOT_FOUND, 404, "not found"),
        Answer::Unreadable => (StatusCode::BAD_REQUEST, 400, "格式不对 / unreadable body"),
        Answer::TryLater => (
            StatusCode::SERVICE_UNAVAILABLE,
            503,
            "暂时无法处理，请稍后重试 / try again later",
        ),
    };
    let body = if gateway == "tencent" {
        let message = if code == 0 { "OK" } else { message };
        json!({ "result": code, "errmsg": message })
    } else {
        json!({ "code": code, "msg": message })
    };
    (status, Json(body)).into_response()
}

/// A gateway's local time (`2026-12-07 08:03:04`, China time) as UTC.
fn china_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text?.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads a JSON array (or, for a single item, a bare object) of at most [`MAX_ITEMS`].
fn items<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Option<Vec<T>> {
    if body.len() > MAX_BODY_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let list = match value {
        serde_json::Value::Array(list) => list,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => return None,
    };
    if list.len() > MAX_ITEMS {
        return None;
    }
    list.into_iter()
        .map(|item| serde_json::from_value(item).ok())
        .collect()
}

/// Hands one reply to the SMS use case. `Err` only when the gateway should push again.
async fn reply(state: &AppState, from: &str, text: &str, message_id: &str) -> Result<(), ()> {
    match state
        .app
        .sms_inbound(None, from, text, Some(message_id))
        .await
    {
        Ok(_) => Ok(()),
        // Not a mainland mobile number, an empty text: pushing again will not help.
        Err(InboundError::Invalid(_) | InboundError::UnknownStation) => {
            tracing::info!("an SMS reply push item was not usable; skipped");
            Ok(())
        }
        Err(e @ (InboundError::Busy | InboundError::Store(_))) => {
            tracing::error!(error = %e, "an SMS reply could not be recorded; the gateway will push again");
            Err(())
        }
    }
}

/// Records one delivery report. `Err` only when the gateway should push again.
async fn report(state: &AppState, report: DeliveryReport) -> Result<(), ()> {
    match state.app.sms_delivery(&report).await {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "a delivery report could not be recorded; the gateway will push again");
            Err(())
        }
    }
}

/// `POST /api/sms/{gateway}/{secret}/up`: workers' replies.
pub async fn replies(
    State(state): State<Arc<AppState>>,
    Path((gateway, secret)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !verify_push_path(&state.app.secrets, &gateway, &secret) {
        tracing::warn!("an SMS push with a wrong path secret was refused");
        return answer(&gateway, Answer::Refused);
    }
    let mut failed = false;
    match gateway.as_str() {
        "aliyun" => {
            let Some(list) = items::<AliyunReply>(&body) else {
                return answer(&gateway, Answer::Unreadable);
            };
            for item in &list {
                let sequence = match &item.sequence_id {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let id = format!("aliyun-up-{sequence}");
                failed |= reply(&state, &item.phone_number, &item.content, &id)
                    .await
                    .is_err();
            }
        }
        _ => {
            let Some(list) = items::<TencentReply>(&body) else {
                return answer(&gateway, Answer::Unreadable);
            };
            for item in &list {
                if item.nationcode.trim_start_matches('+') != "86" {
                    continue;
                }
                // Tencent gives no id for a reply: the same number, second and text is
                // the same reply pushed again.
                let fingerprint =
                    sha256_hex(format!("{}\n{}\n{}", item.mobile, item.time, item.text).as_bytes());
                let id = format!("tencent-up-{}", &fingerprint[..32]);
                failed |= reply(&state, &item.mobile, &item.text, &id).await.is_err();
            }
        }
    }
    answer(&gateway, if failed { Answer::TryLater } else { Answer::Ok })
}

/// `POST /api/sms/{gateway}/{secret}/report`: delivery reports.
pub async fn reports(
    State(state): State<Arc<AppState>>,
    Path((gateway, secret)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !verify_push_path(&state.app.secrets, &gateway, &secret) {
        tracing::warn!("an SMS push with a wrong path secret was refused");
        return answer(&gateway, Answer::Refused);
    }
    let now = state.app.clock.now();
    let reports: Vec<DeliveryReport> = match gateway.as_str() {
        "aliyun" => {
            let Some(list) = items::<AliyunReport>(&body) else {
                return answer(&gateway, Answer::Unreadable);
            };
            list.into_iter()
                .map(|item| DeliveryReport {
                    provider: "aliyun".into(),
                    message_id: item.biz_id,
                    delivered: item.success,
                    code: item
                        .err_code
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| "DELIVERED".into()),
                    at: china_time(item.report_time.as_deref()).unwrap_or(now),
                })
                .collect()
        }
        _ => {
            let Some(list) = items::<TencentReport>(&body) else {
                return answer(&gateway, Answer::Unreadable);
            };
            list.into_iter()
                .map(|item| DeliveryReport {
                    provider: "tencent".into(),
                    message_id: item.sid,
                    delivered: item.report_status.eq_ignore_ascii_case("SUCCESS"),
                    code: item
                        .errmsg
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| item.report_status.clone()),
                    at: china_time(item.user_receive_time.as_deref()).unwrap_or(now),
                })
                .collect()
        }
    };
    let mut failed = false;
    for item in reports {
        // Codes are the gateway's and the carrier's; keep them short and printable.
        let item = DeliveryReport {
            code: item
                .code
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(32)
                .collect(),
            ..item
        };
        failed |= report(&state, item).await.is_err();
    }
    answer(&gateway, if failed { Answer::TryLater } else { Answer::Ok })
}
