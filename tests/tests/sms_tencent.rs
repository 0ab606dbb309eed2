//! Tencent Cloud SMS (`lingong-notify-tencent`) against its local fake
//! (`tools/fake-sms/tencent.py`), which checks every signature with Tencent's own SDK
//! code. `scripts/test.sh` starts the fake and exports `LINGONG_TEST_TENCENT_*`.
//!
//! Tests run side by side against one fake, so each uses its own SMS app id: the fake
//! keeps scripts and sent messages per app.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{sync::Arc, time::Duration};

use lingong_core::{
    notices::{
        port::{Address, Message, Notifier, SendError, TemplateSms},
        sms::SmsNotifier,
    },
    phone::MobileNumber,
};
use lingong_notify_tencent::{
    TencentConfig, TencentSms,
    codes::{Verdict, verdict},
};
use serde_json::{Value, json};

const ENDPOINT_VAR: &str = "LINGONG_TEST_TENCENT_ENDPOINT";

/// The fake's endpoint and its key pair. Panics when the test command did not start it:
/// these tests must never pass without it.
fn fake() -> (String, String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests with scripts/test.sh, which starts the Tencent SMS fake (start_fake_tencent)")
        })
    };
    (
        var(ENDPOINT_VAR),
        var("LINGONG_TEST_TENCENT_SECRET_ID"),
        var("LINGONG_TEST_TENCENT_SECRET_KEY"),
    )
}

/// An SMS app id no other test in this run uses.
fn app_id() -> String {
    let name = lingong_tests::unique_name("app");
    let digits: String = name
        .bytes()
        .fold(0u64, |h, b| {
            h.wrapping_mul(1_099_511_628_211).wrapping_add(u64::from(b))
        })
        .to_string();
    format!("1400{digits}")
}

/// A config for the fake under `app`, with `secret_key` and the test templates (ids
/// filed in `tools/fake-sms/tencent-templates.json`: 1000001 takes three variables,
/// 1000002 two; 9999999 is not filed).
fn config(app: &str, secret_key: &str) -> TencentConfig {
    let (endpoint, secret_id, _) = fake();
    TencentConfig::from_json(
        &json!({
            "endpoint": endpoint,
            "region": "ap-beijing",
            "secret_id": secret_id,
            "secret_key": secret_key,
            "sdk_app_id": app,
            "templates": {
                "*": {"offer": "1000001", "course": "1000002", "pay": "9999999"},
                "st-two-vars": {"offer": "1000002"}
            }
        })
        .to_string(),
    )
    .unwrap()
}

fn notifier(config: TencentConfig) -> SmsNotifier {
    SmsNotifier::new(Arc::new(TencentSms::new(config).unwrap()))
}

fn offer(notice_id: &str, station: &str, template: &str) -> Message {
    Message {
        notice_id: notice_id.into(),
        to: Address::Sms(MobileNumber::parse("to", "13800138000").unwrap()),
        from_name: "东区零工驿站".into(),
        subject: None,
        text: "【东区零工驿站】搬运工，12月8日，回复1接受。".into(),
        html: None,
        sms_template: Some(TemplateSms {
            station: station.into(),
            signature: "东区零工驿站".into(),
            template: template.into(),
            params: vec![
                ("job".into(), "搬运工".into()),
                ("date".into(), "12月8日".into()),
                ("code".into(), "K7Q2".into()),
            ],
        }),
    }
}

async fn control(method: reqwest::Method, path: &str, app: &str, body: Option<Value>) -> Value {
    let (endpoint, _, _) = fake();
    let mut request =
        reqwest::Client::new().request(method, format!("{endpoint}/_fake/{path}?sdk_app_id={app}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the fake answers");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("JSON from the fake")
}

async fn sent(app: &str) -> Vec<Value> {
    match control(reqwest::Method::GET, "sent", app, None).await {
        Value::Array(items) => items,
        other => panic!("not a list: {other}"),
    }
}

async fn script(app: &str, outcomes: Value) {
    control(reqwest::Method::POST, "script", app, Some(outcomes)).await;
}

#[tokio::test]
async fn a_template_sms_is_accepted_with_the_right_fields() {
    let (_, _, key) = fake();
    let app = app_id();
    let notifier = notifier(config(&app, &key));

    let receipt = notifier
        .send(&offer("01JOB.01WKR.offer", "st-east", "offer"))
        .await
        .unwrap();

    assert_eq!(receipt.provider, "tencent");
    let sent = sent(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let sms = &sent[0];
    assert_eq!(receipt.message_id.as_deref(), sms["SerialNo"].as_str());
    assert!(receipt.message_id.is_some_and(|id| !id.is_empty()));
    assert_eq!(sms["PhoneNumberSet"], json!(["+8613800138000"]));
    assert_eq!(sms["SmsSdkAppId"], json!(app));
    assert_eq!(sms["SignName"], json!("东区零工驿站"));
    assert_eq!(sms["TemplateId"], json!("1000001"));
    assert_eq!(
        sms["TemplateParamSet"],
        json!(["搬运工", "12月8日", "K7Q2"])
    );
    assert_eq!(sms["SessionContext"], json!("01JOB.01WKR.offer"));
    assert_eq!(sms["Region"], json!("ap-beijing"));
}

#[tokio::test]
async fn a_wrong_secret_is_refused_as_permanent_and_nothing_is_recorded() {
    let app = app_id();
    let notifier = notifier(config(&app, "not-the-fakes-key"));

    let result = notifier
        .send(&offer("01JOB.01WKR.offer", "st-east", "offer"))
        .await;

    assert!(
        matches!(&result, Err(SendError::Permanent(text)) if text.contains("AuthFailure.SignatureFailure")),
        "{result:?}"
    );
    assert!(sent(&app).await.is_empty());
}

#[tokio::test]
async fn the_fake_refuses_an_unfiled_template_and_a_wrong_variable_count() {
    let (_, _, key) = fake();
    let app = app_id();
    let notifier = notifier(config(&app, &key));

    // "pay" maps to 9999999, which is not filed with the fake.
    let unfiled = notifier.send(&offer("n-pay", "st-east", "pay")).await;
    assert!(
        matches!(&unfiled, Err(SendError::Permanent(text)) if text.contains("TemplateIncorrectOrUnapproved")),
        "{unfiled:?}"
    );
    // At this station "offer" is 1000002, which takes two variables, not three.
    let miscounted = notifier.send(&offer("n-two", "st-two-vars", "offer")).await;
    assert!(
        matches!(&miscounted, Err(SendError::Permanent(text)) if text.contains("TemplateIncorrectOrUnapproved")),
        "{miscounted:?}"
    );
    assert!(sent(&app).await.is_empty());
}

#[tokio::test]
async fn no_template_id_for_the_template_is_permanent_and_nothing_goes_out() {
    let (_, _, key) = fake();
    let app = app_id();
    let notifier = notifier(config(&app, &key));

    let result = notifier
        .send(&offer("n-x", "st-east", "unknown-kind"))
        .await;
    assert!(matches!(result, Err(SendError::Permanent(_))), "{result:?}");
    let mut free_text = offer("n-y", "st-east", "offer");
    free_text.sms_template = None;
    let result = notifier.send(&free_text).await;
    assert!(matches!(result, Err(SendError::Permanent(_))), "{result:?}");
    assert!(sent(&app).await.is_empty());
}

#[tokio::test]
async fn each_scripted_error_maps_as_the_table_says() {
    let (_, _, key) = fake();
    let app = app_id();
    let notifier = notifier(config(&app, &key));
    // (outcome the fake gives, what the ledger must see). Per-number codes arrive in
    // SendStatusSet, request-level ones in Response.Error; both levels are covered.
    let cases = [
        (
            json!({"code": "LimitExceeded.PhoneNumberThirtySecondLimit"}),
            Verdict::Retryable,
        ),
        (
            json!({"code": "LimitExceeded.PhoneNumberDailyLimit"}),
            Verdict::Retryable,
        ),
        (json!({"code": "RequestLimitExceeded"}), Verdict::Retryable),
        (
            json!({"code": "FailedOperation.InsufficientBalanceInSmsPackage"}),
            Verdict::Retryable,
        ),
        (
            json!({"code": "InvalidParameterValue.IncorrectPhoneNumber"}),
            Verdict::Permanent,
        ),
        (
            json!({"code": "FailedOperation.SignatureIncorrectOrUnapproved"}),
            Verdict::Permanent,
        ),
        (
            json!({"code": "FailedOperation.TemplateIncorrectOrUnapproved"}),
            Verdict::Permanent,
        ),
        (
            json!({"code": "InvalidParameterValue.TemplateParameterFormatError"}),
            Verdict::Permanent,
        ),
        (
            json!({"code": "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"}),
            Verdict::Permanent,
        ),
        (
            json!({"code": "AuthFailure.SecretIdNotFound"}),
            Verdict::Permanent,
        ),
        (json!({"code": "InternalError.Timeout"}), Verdict::Unknown),
        (
            json!({"code": "InternalError.RequestTimeException"}),
            Verdict::Permanent,
        ),
        (
            json!({"code": "FailedOperation.SomethingNewFromTencent"}),
            Verdict::Unknown,
        ),
        (
            json!({"code": "RequestLimitExceeded", "level": "number"}),
            Verdict::Retryable,
        ),
        (
            json!({"code": "InvalidParameterValue.IncorrectPhoneNumber", "level": "request"}),
            Verdict::Permanent,
        ),
        (json!({"http_status": 502}), Verdict::Unknown),
    ];
    script(
        &app,
        Value::Array(cases.iter().map(|(o, _)| o.clone()).collect()),
    )
    .await;

    for (i, (outcome, expected)) in cases.iter().enumerate() {
        if let Some(code) = outcome["code"].as_str() {
            assert_eq!(
                verdict(code),
                *expected,
                "the table and this test disagree on {code}"
            );
        }
        let result = notifier
            .send(&offer(&format!("n-{i}"), "st-east", "offer"))
            .await;
        let got = match &result {
            Err(SendError::Retryable(_)) => Verdict::Retryable,
            Err(SendError::Permanent(_)) => Verdict::Permanent,
            Err(SendError::Unknown(_)) => Verdict::Unknown,
            Ok(id) => panic!("{outcome}: sent as {id:?}"),
        };
        assert_eq!(got, *expected, "{outcome}: {result:?}");
        if let (Some(code), Err(error)) = (outcome["code"].as_str(), &result) {
            assert!(error.to_string().contains(code), "{error}");
        }
    }
    assert!(sent(&app).await.is_empty());

    // With the script used up, the same gateway sends again.
    notifier
        .send(&offer("n-after", "st-east", "offer"))
        .await
        .unwrap();
    assert_eq!(sent(&app).await.len(), 1);
}

#[tokio::test]
async fn a_gateway_that_hangs_gives_an_unknown_outcome_within_the_deadline() {
    let (_, _, key) = fake();
    let app = app_id();
    let notifier = notifier(config(&app, &key).with_deadline(Duration::from_secs(1)));
    script(&app, json!([{"hang": true}])).await;

    let result = notifier.send(&offer("n-hang", "st-east", "offer")).await;

    assert!(matches!(result, Err(SendError::Unknown(_))), "{result:?}");
    // Release the fake's hung handler.
    control(reqwest::Method::POST, "reset", &app, None).await;
}
