//! End to end: the real `lingong serve` binary, on the embedded store and on DynamoDB
//! Local. Post a job and sign a worker up over HTTP, kill the server without warning,
//! start it again on the same data, and find both.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_tests::{dynamodb_endpoint, serve, unique_name};
use serde_json::{Value, json};

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client.post(url).json(body).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post_restart_and_find(args: Vec<String>) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let client = reqwest::Client::new();
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let job = json!({
        "title": "小区楼道保洁",
        "trade": "cleaning",
        "district": "chengzhong",
        "address": "城中区南关街某小区",
        "start_date": (today + chrono::Duration::days(1)).to_string(),
        "end_date": (today + chrono::Duration::days(2)).to_string(),
        "headcount": 2,
        "daily_wage_yuan": 220,
        "pay_terms": "daily",
        "employer_name": "城中区某物业公司",
        "contact_name": "王经理",
        "contact_phone": "13800000001",
        "description": "打扫楼道和电梯间，工具由物业提供。"
    });
    let worker = json!({
        "name": "马秀英", "phone": "13900000002", "trades": ["cleaning"],
        "districts": ["chengzhong"], "channel": "sms", "consent": true
    });

    let (job_id, job_link, worker_link) = {
        let server = serve(&args).await;
        let (status, posted) = post(&client, &format!("{}/api/jobs", server.base), &job).await;
        assert_eq!(status, 201, "{posted}");
        let (status, signed) =
            post(&client, &format!("{}/api/workers", server.base), &worker).await;
        assert_eq!(status, 201, "{signed}");
        let relative = |url: &str| {
            url.strip_prefix(&server.base)
                .expect("links use the served address")
                .to_owned()
        };
        (
            posted["id"].as_str().unwrap().to_owned(),
            relative(posted["manage_url"].as_str().unwrap()),
            relative(signed["manage_url"].as_str().unwrap()),
        )
        // Dropping `server` kills the process (SIGKILL): no clean shutdown.
    };

    let server = serve(&args).await;
    let (status, list) = get_json(&client, &format!("{}/api/jobs", server.base)).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [job_id.as_str()], "the job survived the restart");
    let (status, mine) = get_json(&client, &format!("{}{job_link}", server.base)).await;
    assert_eq!(status, 200, "the employer's link still works");
    assert_eq!(mine["job"]["contact_phone"], "13800000001");
    let (status, me) = get_json(&client, &format!("{}{worker_link}", server.base)).await;
    assert_eq!(
        status, 200,
        "the worker's link still works (same secret after restart)"
    );
    assert_eq!(me["worker"]["name"], "马秀英");
    // The pages are served too.
    let home = client
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("小区楼道保洁"));
}

#[tokio::test]
async fn embedded_store_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    post_restart_and_find(vec!["--data".into(), data.path().display().to_string()]).await;
}

#[tokio::test]
async fn dynamodb_store_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    post_restart_and_find(vec![
        "--data".into(),
        data.path().display().to_string(),
        "--dynamodb-endpoint".into(),
        dynamodb_endpoint(),
        "--table".into(),
        unique_name("lingong-e2e"),
    ])
    .await;
}

#[tokio::test]
async fn demo_data_is_seeded_once() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let client = reqwest::Client::new();
    let count = |base: String| {
        let client = client.clone();
        async move {
            let (_, list) = get_json(&client, &format!("{base}/api/jobs?limit=100")).await;
            list["jobs"].as_array().unwrap().len()
        }
    };
    let first = {
        let server = serve(&["--demo", "--data", &dir]).await;
        count(server.base.clone()).await
    };
    assert!(first >= 10, "demo jobs are on the board");
    let server = serve(&["--demo", "--data", &dir]).await;
    assert_eq!(
        count(server.base.clone()).await,
        first,
        "a second --demo adds nothing"
    );
}
