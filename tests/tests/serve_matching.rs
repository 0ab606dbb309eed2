//! End to end with the real `lingong serve` binary: the demo's postings reach its
//! workers as notices within seconds, written to the data directory and printed;
//! accepting through a notice's link tells the employer. With `--smtp`, e-mail notices
//! go to a real SMTP server (the test command's sink).

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{path::Path, time::Duration};

use lingong_tests::{
    flow::{mails_to, smtp_address, unique_mailbox, unique_phone},
    serve,
};
use serde_json::json;

/// Waits up to 30 s for files in `dir` whose names end with `suffix`.
async fn files_ending(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    for _ in 0..300 {
        let found: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {suffix} notice in {} after 30 s", dir.display());
}

fn link(text: &str, base: &str) -> String {
    let start = text.find(base).expect("a link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn the_demo_offers_jobs_and_tells_the_employer_when_one_is_accepted() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().display().to_string();
    let served = serve(&["--demo", "--data", &data_arg]).await;
    let notices = data.path().join("notices");
    let offers = files_ending(&notices, ".offer.sms.txt").await;
    let text = std::fs::read_to_string(&offers[0]).unwrap();
    assert!(text.contains("【零工驿站】岗位通知："), "{text}");
    assert!(text.contains("回复TD退订"));
    let url = link(&text, &served.base);
    let client = reqwest::Client::new();
    let page = client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    // Accept with the page's plain form; follow the redirect back to the page.
    let accepted = client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("action=accept&_lang=zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let body = accepted.text().await.unwrap();
    assert!(body.contains("已确认上岗"), "{body}");
    let employer = files_ending(&notices, ".worker_placed.sms.txt").await;
    let told = std::fs::read_to_string(&employer[0]).unwrap();
    assert!(
        told.contains("接活通知") && told.contains("已确定参加您的招工"),
        "{told}"
    );
    let placed = files_ending(&notices, ".placed.sms.txt").await;
    assert!(
        std::fs::read_to_string(&placed[0])
            .unwrap()
            .contains("上岗确认")
    );
}

#[tokio::test]
async fn with_smtp_e_mail_notices_go_to_the_mail_server() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().display().to_string();
    let smtp = format!("smtp://{}", smtp_address());
    let served = serve(&["--data", &data_arg, "--smtp", &smtp]).await;
    let client = reqwest::Client::new();
    let worker_mail = unique_mailbox("serve-worker");
    let employer_mail = unique_mailbox("serve-employer");
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let worker = client
        .post(format!("{}/api/workers", served.base))
        .json(&json!({
            "name": "张红霞", "phone": unique_phone(), "trades": ["cleaning"],
            "districts": ["chengxi"], "channel": "email", "email": worker_mail, "consent": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(worker.status(), 201);
    let job = client
        .post(format!("{}/api/jobs", served.base))
        .json(&json!({
            "title": "写字楼开荒保洁", "trade": "cleaning", "district": "chengxi",
            "address": "城西区海晏路某写字楼",
            "start_date": (today + chrono::Duration::days(1)).to_string(),
            "end_date": (today + chrono::Duration::days(1)).to_string(),
            "headcount": 1, "daily_wage_yuan": 220, "pay_terms": "on_completion",
            "employer_name": "西宁某保洁服务公司", "contact_name": "杨经理",
            "contact_phone": unique_phone(), "contact_email": employer_mail,
            "description": "擦玻璃、清理地面胶渍。",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(job.status(), 201);
    let mut offer = Vec::new();
    for _ in 0..300 {
        offer = mails_to(&worker_mail);
        if !offer.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(offer.len(), 1, "the offer reaches the worker by e-mail");
    let url = link(&offer[0].text, &served.base);
    let accepted = client
        .post(&url)
        .header("accept", "application/json")
        .json(&json!({ "action": "accept" }))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let mut told = Vec::new();
    for _ in 0..300 {
        told = mails_to(&employer_mail);
        if !told.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(told.len(), 1);
    assert!(told[0].text.contains("张红霞"));
}

/// A client that stops mid-request holds nothing for long: unfinished headers get the
/// connection closed, a body that stops coming gets 408 and the connection closed.
#[tokio::test]
async fn connections_that_stop_mid_request_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().display().to_string();
    let served = serve(&["--data", &data_arg, "--request-timeout", "2"]).await;
    let address = served.base.trim_start_matches("http://").to_owned();
    // Headers that never end.
    let mut slow_headers = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow_headers
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // A body that stops after 10 of 100 bytes.
    let mut slow_body = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow_body
        .write_all(
            b"POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"title\":",
        )
        .await
        .unwrap();
    // Both are answered or closed by the server; the outer limit only guards the test.
    let mut answer = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(60), slow_body.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept a stalled body open");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let mut rest = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(60), slow_headers.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the server kept unfinished headers open");
    // The server still answers others.
    let health = reqwest::get(format!("{}/api/health", served.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
