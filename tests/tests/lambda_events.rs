//! The Lambda functions against the real event shapes (JSON fixtures in
//! `tests/fixtures/events/`): API Gateway HTTP API (payload 2.0) requests through the
//! same router `lingong-api` runs, DynamoDB stream batches through the stream runtime
//! every stream consumer uses, EventBridge Scheduler events, and the SDK clients on the
//! functions' HTTPS client.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use async_trait::async_trait;
use http_body_util::BodyExt;
use lingong_core::changes::{Change, ChangeConsumer, ConsumeError};
use lingong_tests::{Backend, test_api};
use tower::ServiceExt;

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/events")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

async fn invoke(api: &lingong_tests::TestApi, event: &str) -> (u16, axum::http::HeaderMap, String) {
    let request = lambda_http::request::from_str(event).unwrap();
    let response = lingong_http::router(api.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn api_gateway_requests_reach_the_router() {
    let api = test_api(Backend::Embedded).await;
    let post = fixture("apigw-v2-post-job.json");
    let (status, _, body) = invoke(&api, &post).await;
    assert_eq!(status, 201, "{body}");
    let posted: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(posted["status"], "published");
    // The retried event (same Idempotency-Key) gets the first answer back.
    let (status, headers, again) = invoke(&api, &post).await;
    assert_eq!(status, 201);
    assert_eq!(again, body);
    assert_eq!(headers["idempotent-replayed"], "true");

    let (status, _, body) = invoke(&api, &fixture("apigw-v2-list-jobs.json")).await;
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed["jobs"][0]["id"], posted["id"]);

    // A base64-encoded form body, as API Gateway delivers it.
    let (status, headers, page) = invoke(&api, &fixture("apigw-v2-form-sign-up.json")).await;
    assert_eq!(status, 201, "{page}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.contains("登记成功"));
}

#[tokio::test]
async fn links_built_behind_api_gateway_use_the_forwarded_host() {
    let mut api = test_api(Backend::Embedded).await;
    std::sync::Arc::get_mut(&mut api.state)
        .unwrap()
        .public_base_url = None;
    let (status, _, body) = invoke(&api, &fixture("apigw-v2-post-job.json")).await;
    assert_eq!(status, 201);
    let posted: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        posted["manage_url"].as_str().unwrap().starts_with(
            "https://abcdef1234.execute-api.cn-northwest-1.amazonaws.com.cn/api/jobs/"
        ),
        "{posted}"
    );
}

/// Records the changes it gets; fails at one position when told to.
struct Recorder {
    seen: Mutex<Vec<Change>>,
    fail_at: Option<usize>,
}

#[async_trait]
impl ChangeConsumer for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    async fn consume(&self, changes: &[Change]) -> Result<(), ConsumeError> {
        for (i, change) in changes.iter().enumerate() {
            if Some(i) == self.fail_at {
                return Err(ConsumeError {
                    consumer: "recorder",
                    first_failed: i,
                    reason: "told to".into(),
                });
            }
            self.seen.lock().unwrap().push(change.clone());
        }
        Ok(())
    }
}

fn stream_event() -> aws_lambda_events::dynamodb::Event {
    serde_json::from_str(&fixture("dynamodb-stream-jobs.json")).unwrap()
}

#[tokio::test]
async fn stream_records_become_changes_with_both_images() {
    let recorder = Recorder {
        seen: Mutex::new(Vec::new()),
        fail_at: None,
    };
    let response = lingong_aws_wiring::stream::handle(&recorder, stream_event()).await;
    assert!(response.batch_item_failures.is_empty());
    let seen = recorder.seen.into_inner().unwrap();
    assert_eq!(seen.len(), 3);
    let versions: Vec<(Option<u64>, Option<u64>)> = seen
        .iter()
        .map(|c| {
            (
                c.old.as_ref().map(|i| i.version),
                c.new.as_ref().map(|i| i.version),
            )
        })
        .collect();
    assert_eq!(
        versions,
        vec![(None, Some(1)), (Some(1), Some(2)), (Some(2), None)]
    );
    let inserted = seen[0].new.as_ref().unwrap();
    assert_eq!(
        inserted.key.pk,
        "ST#xining-chengzhong#JOB#01KBSM6Y0000000000000000AA"
    );
    assert_eq!(inserted.body["title"], "小区楼道保洁");
    assert_eq!(inserted.body["daily_wage"], 22000);
    assert_eq!(inserted.body["dates"]["start"], "2026-11-30");
    assert!(inserted.body["contact_email"].is_null());
    assert_eq!(
        inserted.index(lingong_core::store::Index::Gsi1).unwrap().pk,
        "ST#xining-chengzhong#PUB#T#cleaning"
    );
    assert!(
        seen[1]
            .new
            .as_ref()
            .unwrap()
            .index(lingong_core::store::Index::Gsi1)
            .is_none()
    );
    assert_eq!(seen[1].station(), Some("xining-chengzhong"));
    assert_eq!(seen[2].record_type(), "JOB");
}

#[tokio::test]
async fn a_failed_change_is_reported_by_its_sequence_number() {
    let recorder = Recorder {
        seen: Mutex::new(Vec::new()),
        fail_at: Some(1),
    };
    let response = lingong_aws_wiring::stream::handle(&recorder, stream_event()).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        response.batch_item_failures[0].item_identifier.as_deref(),
        Some("111000000000000000002")
    );
    // The response serialises as Lambda expects.
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json["batchItemFailures"][0]["itemIdentifier"],
        "111000000000000000002"
    );
}

#[tokio::test]
async fn an_unreadable_record_is_reported_not_skipped() {
    let mut event = stream_event();
    event.records[2].change.old_image = serde_dynamo::Item::from(std::collections::HashMap::<
        String,
        serde_dynamo::AttributeValue,
    >::from([(
        "station".to_owned(),
        serde_dynamo::AttributeValue::S("no keys".into()),
    )]));
    let recorder = Recorder {
        seen: Mutex::new(Vec::new()),
        fail_at: None,
    };
    let response = lingong_aws_wiring::stream::handle(&recorder, event).await;
    assert_eq!(
        recorder.seen.lock().unwrap().len(),
        2,
        "the readable records before it are handled"
    );
    assert_eq!(
        response.batch_item_failures[0].item_identifier.as_deref(),
        Some("111000000000000000003")
    );
}

#[test]
fn scheduler_events_parse() {
    let event: aws_lambda_events::eventbridge::EventBridgeEvent<serde_json::Value> =
        serde_json::from_str(&fixture("scheduler-weekly-report.json")).unwrap();
    assert_eq!(event.source, "aws.scheduler");
    assert_eq!(event.detail_type, "Scheduled Event");
    assert_eq!(
        event.time.unwrap().to_rfc3339(),
        "2026-11-30T00:00:00+00:00"
    );
}

/// The HTTPS client the functions give every SDK client: building a client loads its
/// trust store at once (a certificate it cannot parse would stop the cold start), and
/// requests go through it (here to DynamoDB Local, over plain HTTP).
#[tokio::test]
async fn sdk_clients_work_on_the_functions_https_client() {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .http_client(lingong_aws_wiring::https_client().unwrap())
        .region(aws_sdk_dynamodb::config::Region::new("cn-northwest-1"))
        .endpoint_url(lingong_tests::dynamodb_endpoint())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    client.list_tables().limit(1).send().await.unwrap();
}
