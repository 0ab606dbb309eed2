//! Erasure reaches past the store, end to end with the real `lingong serve`: once a
//! worker is erased, no local notice file holds their number or name, and the server's
//! output (its log) never held their number at all.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{
    io::BufRead,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use lingong_tests::{flow::unique_phone, lingong_bin};
use serde_json::json;

/// A running `lingong serve` whose stdout and stderr are both kept, line by line.
struct Server {
    child: std::process::Child,
    base: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }
}

async fn start(data: &Path) -> Server {
    let mut child = std::process::Command::new(lingong_bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--demo", "--data"])
        .arg(data)
        // Everything the server would log, not only warnings.
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start lingong serve");
    let output = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let kept = output.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(rest) = line.strip_prefix("Open ") {
                let url = rest.split_whitespace().next().unwrap_or("");
                let _ = tx.send(url.trim_end_matches('/').to_owned());
            }
            kept.lock().unwrap().push(line);
        }
    });
    let kept = output.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            kept.lock().unwrap().push(line);
        }
    });
    let base = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
        .await
        .unwrap()
        .expect("lingong serve printed the address to open");
    Server {
        child,
        base,
        output,
    }
}

/// The notice files in `dir` holding `text`.
fn files_holding(dir: &Path, text: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|body| body.contains(text)))
        .collect()
}

/// Waits up to 30 s for a file in `dir` whose name ends with `suffix` and holds `text`.
async fn wait_for(dir: &Path, suffix: &str, text: &str) -> std::path::PathBuf {
    for _ in 0..300 {
        if let Some(found) = files_holding(dir, text)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(suffix))
        {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no {suffix} notice holding {text} in {} after 30 s",
        dir.display()
    );
}

fn link(text: &str, base: &str) -> String {
    let start = text.find(base).expect("a link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn an_erased_worker_leaves_no_notice_file_and_no_number_in_the_log() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let notices = data.path().join("notices");
    let client = reqwest::Client::new();
    let phone = unique_phone();
    let name = "删除测试甲";
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();

    // A worker signs up for the demo jobs' trades and districts: matching offers them one.
    let answer = client
        .post(format!("{}/api/workers", server.base))
        .json(&json!({
            "name": name, "phone": phone,
            "trades": ["moving", "housekeeping", "construction", "cleaning", "temp"],
            "districts": ["chengzhong", "chengxi", "chengdong", "huangzhong", "datong"],
            "available_from": today.to_string(),
            "channel": "sms", "consent": true,
        }))
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body = answer.json::<serde_json::Value>().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let manage_url = body["manage_url"].as_str().unwrap().to_owned();

    // They accept the offer: the employer is told their number.
    let offer = wait_for(&notices, ".offer.sms.txt", &phone).await;
    let url = link(&std::fs::read_to_string(&offer).unwrap(), &server.base);
    let accepted = client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("action=accept&_lang=zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    // (An SMS names nobody: the employer gets the worker's number only.)
    let told = wait_for(&notices, ".worker_placed.sms.txt", &phone).await;
    assert!(std::fs::read_to_string(&told).unwrap().contains(&phone));
    wait_for(&notices, ".placed.sms.txt", &phone).await;

    // The worker deletes everything through their own link.
    let erased = client
        .post(&manage_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("action=delete&confirm=true&_lang=zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);

    // The local copies go as the notices leave the store (the change consumer runs
    // in the background: wait up to 30 s for it).
    let mut left = Vec::new();
    for _ in 0..300 {
        left = files_holding(&notices, &phone);
        left.extend(files_holding(&notices, name));
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        left.is_empty(),
        "notice files outlive the erasure: {left:?}"
    );
    // Other people's notices are still there.
    assert!(std::fs::read_dir(&notices).unwrap().count() > 0);

    let output = server.output();
    assert!(
        output.iter().any(|l| l.contains("notice sent")),
        "the log was captured"
    );
    let leaking: Vec<&String> = output.iter().filter(|l| l.contains(&phone)).collect();
    assert!(leaking.is_empty(), "the log shows the number: {leaking:#?}");
}
