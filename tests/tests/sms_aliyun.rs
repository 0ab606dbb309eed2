//! The Alibaba Cloud SMS gateway against the local fake (`tools/fake-sms/aliyun.py`),
//! which checks every signature with Alibaba's own Python signing code and answers as
//! Alibaba documents. The test command starts it (`start_fake_aliyun`) and exports
//! its endpoint and a made-up AccessKey.
//!
//! Tests run at the same time against one fake, so each uses its own phone number
//! (scripted outcomes are tied to it) and notice id (to find its record).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use lingong_core::notices::{
    port::{SendError, TemplateSms},
    sms::{OutgoingSms, SmsGateway},
};
use lingong_notify_aliyun::{AccessKeySecret, AliyunConfig, AliyunSms};
use serde_json::{Value, json};

const ENDPOINT_VAR: &str = "LINGONG_TEST_ALIYUN_ENDPOINT";

/// The fake's endpoint and AccessKey. Panics when the test command did not start it:
/// these tests must never pass without it.
fn fake() -> (String, String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests with scripts/test.sh, which starts the Alibaba Cloud SMS fake (start_fake_aliyun)")
        })
    };
    (
        var(ENDPOINT_VAR),
        var("LINGONG_TEST_ALIYUN_KEY_ID"),
        var("LINGONG_TEST_ALIYUN_KEY_SECRET"),
    )
}

/// Template codes as filed in `tools/fake-sms/aliyun-templates.json`.
fn config() -> AliyunConfig {
    let (endpoint, key_id, key_secret) = fake();
    AliyunConfig::from_json(
        &json!({
            "access_key_id": key_id,
            "access_key_secret": key_secret,
            "endpoint": endpoint,
            "templates": {
                "*": {"offer": "SMS_900000001", "course": "SMS_900000002", "gone": "SMS_404"},
                "st-east": {"offer": "SMS_900000003"}
            }
        })
        .to_string(),
    )
    .unwrap()
}

fn gateway() -> AliyunSms {
    AliyunSms::new(config()).unwrap()
}

fn offer(station: &str) -> TemplateSms {
    TemplateSms {
        station: station.into(),
        signature: "零工驿站".into(),
        template: "offer".into(),
        params: vec![
            ("job".into(), "仓库搬运 2人*半天".into()),
            ("date".into(), "12月8日 8:00+".into()),
            ("place".into(), "朝阳区 A&B 园".into()),
        ],
    }
}

async fn send(
    gateway: &AliyunSms,
    notice_id: &str,
    phone: &str,
    template: &TemplateSms,
) -> Result<String, SendError> {
    let e164 = format!("+86{phone}");
    gateway
        .send_sms(&OutgoingSms {
            notice_id,
            e164: &e164,
            text: "【零工驿站】岗位通知",
            template: Some(template),
        })
        .await
}

async fn script(outcomes: Value) {
    let (endpoint, _, _) = fake();
    let response = reqwest::Client::new()
        .post(format!("{endpoint}/_fake/script"))
        .json(&outcomes)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

/// The fake's record of the message sent for `notice_id`, if it accepted one.
async fn sent(notice_id: &str) -> Vec<Value> {
    let (endpoint, _, _) = fake();
    let all: Vec<Value> = reqwest::get(format!("{endpoint}/_fake/sent"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all.into_iter()
        .filter(|m| m["out_id"] == notice_id)
        .collect()
}

#[tokio::test]
async fn a_template_sms_is_accepted_as_filed() {
    let gateway = gateway();
    let biz_id = send(
        &gateway,
        "N-accepted.offer",
        "13800000101",
        &offer("st-west"),
    )
    .await
    .unwrap();
    assert!(!biz_id.is_empty());
    let records = sent("N-accepted.offer").await;
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["phone"], "13800000101");
    assert_eq!(record["sign_name"], "零工驿站");
    assert_eq!(record["template_code"], "SMS_900000001");
    assert_eq!(
        record["params"],
        json!({"job": "仓库搬运 2人*半天", "date": "12月8日 8:00+", "place": "朝阳区 A&B 园"})
    );
    assert_eq!(record["biz_id"], biz_id.as_str());
}

#[tokio::test]
async fn a_station_uses_its_own_template_code() {
    let gateway = gateway();
    let mut template = offer("st-east");
    template.params.retain(|(name, _)| name != "place");
    send(&gateway, "N-east.offer", "13800000102", &template)
        .await
        .unwrap();
    assert_eq!(
        sent("N-east.offer").await[0]["template_code"],
        "SMS_900000003"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_nothing_is_sent() {
    let mut config = config();
    config.access_key_secret = AccessKeySecret::new("not-the-secret");
    let gateway = AliyunSms::new(config).unwrap();
    let error = send(
        &gateway,
        "N-wrong-secret.offer",
        "13800000103",
        &offer("st-west"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent(m) if m.contains("SignatureDoesNotMatch")),
        "{error}"
    );
    assert!(sent("N-wrong-secret.offer").await.is_empty());
}

#[tokio::test]
async fn a_wrong_key_id_is_refused() {
    let mut config = config();
    config.access_key_id = "LTAI-nobody".into();
    let gateway = AliyunSms::new(config).unwrap();
    let error = send(
        &gateway,
        "N-wrong-id.offer",
        "13800000104",
        &offer("st-west"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent(m) if m.contains("InvalidAccessKeyId.NotFound")),
        "{error}"
    );
    assert!(sent("N-wrong-id.offer").await.is_empty());
}

#[tokio::test]
async fn variables_must_match_the_filed_template() {
    let gateway = gateway();
    let mut missing = offer("st-west");
    missing.params.pop();
    let error = send(&gateway, "N-missing.offer", "13800000105", &missing)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent(m) if m.contains("isv.TEMPLATE_MISSING_PARAMETERS")),
        "{error}"
    );
    let mut extra = offer("st-west");
    extra.params.push(("link".into(), "x".into()));
    let error = send(&gateway, "N-extra.offer", "13800000105", &extra)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent(m) if m.contains("isv.TEMPLATE_PARAMS_ILLEGAL")),
        "{error}"
    );
    assert!(sent("N-missing.offer").await.is_empty());
    assert!(sent("N-extra.offer").await.is_empty());
}

#[tokio::test]
async fn an_unfiled_template_code_is_refused() {
    let gateway = gateway();
    let mut gone = offer("st-west");
    gone.template = "gone".into();
    let error = send(&gateway, "N-gone.gone", "13800000106", &gone)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent(m) if m.contains("isv.SMS_TEMPLATE_ILLEGAL")),
        "{error}"
    );
}

#[tokio::test]
async fn each_scripted_answer_maps_as_the_table_says() {
    let gateway = gateway();
    let phone = "13800000107";
    let cases = [
        ("isv.BUSINESS_LIMIT_CONTROL", "retryable"),
        ("Throttling.User", "retryable"),
        ("isv.AMOUNT_NOT_ENOUGH", "retryable"),
        ("isv.OUT_OF_SERVICE", "retryable"),
        ("isp.SYSTEM_ERROR", "retryable"),
        ("ServiceUnavailable", "retryable"),
        ("isv.MOBILE_NUMBER_ILLEGAL", "permanent"),
        ("isv.SMS_TEMPLATE_ILLEGAL", "permanent"),
        ("isv.SMS_SIGNATURE_ILLEGAL", "permanent"),
        ("isv.TEMPLATE_MISSING_PARAMETERS", "permanent"),
        ("isv.INVALID_JSON_PARAM", "permanent"),
        ("isv.PARAM_LENGTH_LIMIT", "permanent"),
        ("InternalError", "unknown"),
        ("isv.SOMETHING_NEW", "unknown"),
    ];
    for (i, (code, expected)) in cases.iter().enumerate() {
        script(json!([{"code": code, "phone": phone}])).await;
        let notice = format!("N-scripted-{i}.offer");
        let error = send(&gateway, &notice, phone, &offer("st-west"))
            .await
            .unwrap_err();
        let kind = match &error {
            SendError::Retryable(_) => "retryable",
            SendError::Permanent(_) => "permanent",
            SendError::Unknown(_) => "unknown",
        };
        assert_eq!(kind, *expected, "{code}: {error}");
        assert!(error.to_string().contains(code), "{error}");
        assert!(sent(&notice).await.is_empty(), "{code} recorded a message");
    }
}

#[tokio::test]
async fn a_proxy_error_page_is_an_unknown_outcome() {
    let gateway = gateway();
    let phone = "13800000108";
    script(json!([{"status": 502, "body": "<html>502 Bad Gateway</html>", "phone": phone}])).await;
    let error = send(&gateway, "N-proxy.offer", phone, &offer("st-west"))
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::Unknown(_)), "{error}");
}

#[tokio::test]
async fn a_hang_is_an_unknown_outcome_at_the_deadline() {
    let mut config = config();
    config.deadline = Duration::from_secs(1);
    let gateway = AliyunSms::new(config).unwrap();
    let phone = "13800000109";
    script(json!([{"hang": true, "phone": phone}])).await;
    // The outer guard only stops a broken deadline from hanging the test run; the
    // message says which way the call ended (the fake itself gives up after a minute
    // and closes the connection, which reads differently).
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        send(&gateway, "N-hang.offer", phone, &offer("st-west")),
    )
    .await
    .expect("the deadline did not end the call")
    .unwrap_err();
    assert!(
        matches!(&error, SendError::Unknown(m) if m.contains("deadline")),
        "{error}"
    );
    // The next message to the same number goes through: the hang was one request.
    send(&gateway, "N-after-hang.offer", phone, &offer("st-west"))
        .await
        .unwrap();
}
