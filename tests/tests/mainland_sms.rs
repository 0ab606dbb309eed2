//! The whole SMS path of a mainland station, on DynamoDB Local and on the embedded
//! store, through the local fakes of Alibaba Cloud SMS and Tencent Cloud SMS (which
//! check every request's signature with the vendor's own code and every template's
//! variables against the filed catalogue): a job is posted; the offer goes out as its
//! filed template with the catalogue's variables; a reply pushed in the gateway's own
//! format accepts it (once, however often pushed); a delivery report marks the notice;
//! a permanent error parks a notice; throttling is retried and sends once; a push to a
//! wrong secret is refused and changes nothing.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::Duration;
use lingong_core::{
    app::sms::push_path_secret,
    keys,
    notices::{
        Notice, NoticeStatus,
        port::{ByChannel, Notifier},
        send::{Handled, NoticeSender},
        sms::{SmsGateway, SmsNotifier},
        sms_catalogue::{catalogue, template_sms},
    },
    records::notice_from_item,
};
use lingong_notify_aliyun::{AliyunConfig, AliyunSms};
use lingong_notify_tencent::{TencentConfig, TencentSms};
use lingong_site::{NoticeTemplates, Renderer};
use lingong_tests::{
    Backend,
    flow::{Fixture, fixture},
};
use serde_json::{Value, json};

lingong_tests::on_both_backends!(
    an_offer_goes_out_by_alibaba_template_and_comes_back_by_reply,
    an_offer_goes_out_by_tencent_template_and_comes_back_by_reply,
    a_stalled_mail_server_never_holds_back_an_sms,
    a_code_asked_for_at_night_goes_out_at_once,
);

#[test]
fn the_fakes_file_every_catalogue_template_with_its_variables() {
    let codes = codes();
    let aliyun: Value = read_json("tools/fake-sms/aliyun-templates.json");
    let tencent: Value = read_json("tools/fake-sms/tencent-templates.json");
    let (catalogue, _) = catalogue().unwrap();
    for (key, template) in &catalogue.templates {
        let code = codes["aliyun"][key].as_str().unwrap();
        let vars: Vec<String> = aliyun[code]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(vars, template.var_order(), "{key}");
        let id = codes["tencent"][key].as_str().unwrap();
        assert_eq!(
            tencent[id].as_u64().unwrap() as usize,
            template.var_order().len(),
            "{key}"
        );
    }
}

fn read_json(path: &str) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    serde_json::from_str(&std::fs::read_to_string(root.join(path)).unwrap()).unwrap()
}

/// The template codes the fakes know for each catalogue template.
fn codes() -> Value {
    read_json("tools/fake-sms/catalogue-codes.json")
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test.sh, which starts the SMS gateway fakes")
    })
}

fn aliyun() -> Arc<dyn SmsGateway> {
    let config = AliyunConfig::from_json(
        &json!({
            "endpoint": env("LINGONG_TEST_ALIYUN_ENDPOINT"),
            "access_key_id": env("LINGONG_TEST_ALIYUN_KEY_ID"),
            "access_key_secret": env("LINGONG_TEST_ALIYUN_KEY_SECRET"),
            "templates": {"*": codes()["aliyun"]},
        })
        .to_string(),
    )
    .unwrap();
    Arc::new(AliyunSms::new(config).unwrap())
}

/// A Tencent SMS app of this test's own, so tests running at once never share the
/// fake's records.
fn tencent(app: &str) -> Arc<dyn SmsGateway> {
    let config = TencentConfig::from_json(
        &json!({
            "endpoint": env("LINGONG_TEST_TENCENT_ENDPOINT"),
            "region": "ap-guangzhou",
            "secret_id": env("LINGONG_TEST_TENCENT_SECRET_ID"),
            "secret_key": env("LINGONG_TEST_TENCENT_SECRET_KEY"),
            "sdk_app_id": app,
            "templates": {"*": codes()["tencent"]},
        })
        .to_string(),
    )
    .unwrap();
    Arc::new(TencentSms::new(config).unwrap())
}

fn sender(f: &Fixture, gateway: Arc<dyn SmsGateway>) -> NoticeSender {
    let sms: Arc<dyn Notifier> = Arc::new(SmsNotifier::new(gateway));
    sender_with(f, sms.clone(), sms)
}

/// SMS through `sms`, e-mail through `email`.
fn sender_with(f: &Fixture, sms: Arc<dyn Notifier>, email: Arc<dyn Notifier>) -> NoticeSender {
    NoticeSender {
        app: f.app.clone(),
        notifier: Arc::new(ByChannel { sms, email }),
        renderer: Arc::new(NoticeTemplates::new(
            Arc::new(Renderer::new().unwrap()),
            "https://lingong.test",
        )),
    }
}

async fn notice(f: &Fixture, id: &str) -> Notice {
    let item = f
        .app
        .store
        .get(&keys::notice(&f.station.id, id))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no notice {id}"));
    notice_from_item(&item).unwrap()
}

/// POSTs `body` to the API router over the fixture's store, as a gateway pushes it.
async fn push(f: &Fixture, path: &str, body: &Value) -> (u16, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let state = Arc::new(lingong_http::AppState {
        app: f.app.clone(),
        site: Renderer::new().unwrap(),
        public_base_url: Some("https://lingong.test".into()),
    });
    let response = lingong_http::router(state)
        .oneshot(
            axum::http::Request::post(path)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn control(method: reqwest::Method, url: String, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the fake answers");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

/// Every SMS the Alibaba fake accepted so far.
async fn aliyun_all() -> Vec<Value> {
    let all = control(
        reqwest::Method::GET,
        format!("{}/_fake/sent", env("LINGONG_TEST_ALIYUN_ENDPOINT")),
        None,
    )
    .await;
    all.as_array()
        .cloned()
        .or_else(|| all["sent"].as_array().cloned())
        .unwrap_or_default()
}

/// What the Alibaba fake accepted for `notice_id` (its OutId).
async fn aliyun_sent(notice_id: &str) -> Vec<Value> {
    aliyun_all()
        .await
        .into_iter()
        .filter(|m| m["out_id"] == notice_id)
        .collect()
}

/// Queues `outcome` at the Alibaba fake for the next SMS to `phone`.
async fn aliyun_script(phone: &str, code: &str) {
    control(
        reqwest::Method::POST,
        format!("{}/_fake/script", env("LINGONG_TEST_ALIYUN_ENDPOINT")),
        Some(json!([{ "code": code, "phone": phone }])),
    )
    .await;
}

async fn an_offer_goes_out_by_alibaba_template_and_comes_back_by_reply(backend: Backend) {
    let f = fixture(backend).await;
    let worker = f
        .sign_up("短信接活", &["cleaning"], &["chengzhong"], &[])
        .await;
    let phone = worker.phone.as_str().to_owned();
    // 1. A job is posted and offered to the worker.
    let job = f.post_job(1, &[]).await;
    f.wave(&job.id).await;
    let sender = sender(&f, aliyun());
    let offer_id = format!("{}.{}.offer", job.id, worker.id);
    assert!(matches!(
        sender.process(&f.station, &offer_id).await.unwrap(),
        Handled::Sent(_)
    ));
    // 2. It went out as the filed offer template, with the catalogue's variables.
    let sent = aliyun_sent(&offer_id).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["template_code"], codes()["aliyun"]["offer"]);
    assert_eq!(sent[0]["sign_name"], f.station.sms_signature.as_str());
    assert_eq!(sent[0]["phone"], phone.as_str());
    let offered = notice(&f, &offer_id).await;
    let expected = template_sms(&offered, &f.station).unwrap();
    for (name, value) in &expected.params {
        assert_eq!(sent[0]["params"][name], value.as_str(), "{name}");
    }
    assert!(
        !sent[0]["params"].to_string().contains("小区楼道保洁"),
        "no free text in a template SMS"
    );
    // 3. The worker replies "1"; the gateway pushes it in its own format, twice.
    let secret = push_path_secret(&f.app.secrets, "aliyun");
    let reply = json!([{
        "phone_number": phone, "content": "1", "send_time": "2026-11-28 10:01:00",
        "dest_code": "", "sequence_id": 1_234_567_890u64,
    }]);
    for _ in 0..2 {
        let (status, body) = push(&f, &format!("/api/sms/aliyun/{secret}/up"), &reply).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"code": 0, "msg": "接收成功"}));
    }
    assert_eq!(f.job(&job.id).await.placed, 1);
    // 4. The delivery report marks the offer's notice delivered.
    let biz_id = offered.receipt.clone().unwrap().message_id.unwrap();
    let report = json!([{
        "phone_number": phone, "send_time": "2026-11-28 10:00:01",
        "report_time": "2026-11-28 10:00:05", "success": true, "err_code": "DELIVERED",
        "err_msg": "用户接收成功", "sms_size": "2", "biz_id": biz_id, "out_id": offer_id,
    }]);
    let (status, _) = push(&f, &format!("/api/sms/aliyun/{secret}/report"), &report).await;
    assert_eq!(status, 200);
    assert!(notice(&f, &offer_id).await.delivered_at.is_some());
    // 5. A permanent error (an illegal number) parks the worker's confirmation.
    let placed_id = format!("{}.{}.placed", job.id, worker.id);
    aliyun_script(&phone, "isv.MOBILE_NUMBER_ILLEGAL").await;
    assert_eq!(
        sender.process(&f.station, &placed_id).await.unwrap(),
        Handled::Parked
    );
    assert_eq!(notice(&f, &placed_id).await.status, NoticeStatus::Parked);
    assert!(aliyun_sent(&placed_id).await.is_empty());
    // 6. Throttling is retried and the employer's notice goes out once.
    let employer_id = format!("{}.{}.worker_placed", job.id, worker.id);
    aliyun_script(job.contact_phone.as_str(), "isv.BUSINESS_LIMIT_CONTROL").await;
    assert!(matches!(
        sender.process(&f.station, &employer_id).await.unwrap(),
        Handled::Waiting(_)
    ));
    f.clock.advance(Duration::hours(1));
    f.app.sweep().await.unwrap();
    assert!(matches!(
        sender.process(&f.station, &employer_id).await.unwrap(),
        Handled::Sent(_)
    ));
    assert!(matches!(
        sender.process(&f.station, &employer_id).await.unwrap(),
        Handled::Skipped
    ));
    let employer_sent = aliyun_sent(&employer_id).await;
    assert_eq!(employer_sent.len(), 1);
    assert_eq!(
        employer_sent[0]["template_code"],
        codes()["aliyun"]["worker_placed"]
    );
    // A report that the phone never got it parks the notice for staff.
    let biz_id = notice(&f, &employer_id)
        .await
        .receipt
        .unwrap()
        .message_id
        .unwrap();
    let failed = json!([{
        "phone_number": job.contact_phone.as_str(), "send_time": "2026-11-28 11:00:01",
        "report_time": "2026-11-28 11:00:09", "success": false, "err_code": "MK:0001",
        "err_msg": "停机", "sms_size": "1", "biz_id": biz_id, "out_id": employer_id,
    }]);
    let (status, _) = push(&f, &format!("/api/sms/aliyun/{secret}/report"), &failed).await;
    assert_eq!(status, 200);
    let parked = notice(&f, &employer_id).await;
    assert_eq!(parked.status, NoticeStatus::Parked);
    assert!(parked.reason.unwrap().contains("MK:0001"));
    // 7. A push to a wrong secret is refused and changes nothing.
    let decline = json!([{
        "phone_number": phone, "content": "2", "send_time": "2026-11-28 11:01:00",
        "dest_code": "", "sequence_id": 99,
    }]);
    let (status, body) = push(&f, "/api/sms/aliyun/not-the-secret/up", &decline).await;
    assert_eq!(status, 404);
    assert_ne!(body["code"], 0);
    let (status, _) = push(
        &f,
        &format!("/api/sms/aliyun/{secret}/up"),
        &json!({"not": "a push"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(f.job(&job.id).await.placed, 1);
}

async fn an_offer_goes_out_by_tencent_template_and_comes_back_by_reply(backend: Backend) {
    let f = fixture(backend).await;
    let app = format!("1400{}", 100_000 + (std::process::id() % 800_000));
    let app = format!("{app}{}", backend_tag(backend));
    let endpoint = env("LINGONG_TEST_TENCENT_ENDPOINT");
    let worker = f
        .sign_up("腾讯短信", &["cleaning"], &["chengzhong"], &[])
        .await;
    let phone = worker.phone.as_str().to_owned();
    let job = f.post_job(1, &[]).await;
    f.wave(&job.id).await;
    let sender = sender(&f, tencent(&app));
    let offer_id = format!("{}.{}.offer", job.id, worker.id);
    // Throttled first (a frequency limit), then sent once on the retry.
    control(
        reqwest::Method::POST,
        format!("{endpoint}/_fake/script?sdk_app_id={app}"),
        Some(json!([{ "code": "LimitExceeded.PhoneNumberThirtySecondLimit" }])),
    )
    .await;
    assert!(matches!(
        sender.process(&f.station, &offer_id).await.unwrap(),
        Handled::Waiting(_)
    ));
    f.clock.advance(Duration::minutes(5));
    f.app.sweep().await.unwrap();
    assert!(matches!(
        sender.process(&f.station, &offer_id).await.unwrap(),
        Handled::Sent(_)
    ));
    let sent = control(
        reqwest::Method::GET,
        format!("{endpoint}/_fake/sent?sdk_app_id={app}"),
        None,
    )
    .await;
    let sent: Vec<Value> = sent
        .as_array()
        .cloned()
        .or_else(|| sent["sent"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["SessionContext"] == offer_id.as_str())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["TemplateId"], codes()["tencent"]["offer"]);
    let offered = notice(&f, &offer_id).await;
    let expected: Vec<String> = template_sms(&offered, &f.station)
        .unwrap()
        .params
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    assert_eq!(sent[0]["TemplateParamSet"], json!(expected));
    // The reply, pushed the Tencent way (one object), twice: accepted once.
    let secret = push_path_secret(&f.app.secrets, "tencent");
    let reply = json!({
        "extend": "", "mobile": phone, "nationcode": "86", "sign": f.station.sms_signature,
        "text": "接受", "time": 1_764_295_260i64,
    });
    for _ in 0..2 {
        let (status, body) = push(&f, &format!("/api/sms/tencent/{secret}/up"), &reply).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"result": 0, "errmsg": "OK"}));
    }
    assert_eq!(f.job(&job.id).await.placed, 1);
    // The status report names the SerialNo.
    let serial = offered.receipt.unwrap().message_id.unwrap();
    let report = json!([{
        "user_receive_time": "2026-11-28 10:06:00", "nationcode": "86", "mobile": phone,
        "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功",
        "sid": serial,
    }]);
    let (status, _) = push(&f, &format!("/api/sms/tencent/{secret}/report"), &report).await;
    assert_eq!(status, 200);
    assert!(notice(&f, &offer_id).await.delivered_at.is_some());
    // A wrong secret: refused in Tencent's own answer shape.
    let (status, body) = push(&f, "/api/sms/tencent/wrong/report", &report).await;
    assert_eq!(status, 404);
    assert_ne!(body["result"], 0);
}

fn backend_tag(backend: Backend) -> &'static str {
    match backend {
        Backend::Dynamo => "1",
        _ => "2",
    }
}

/// SMS and e-mail go in separate lanes: with a mail server that accepts connections
/// and never answers, the SMS offer behind the e-mail one in the same stream batch is
/// sent while the e-mail is still being tried.
async fn a_stalled_mail_server_never_holds_back_an_sms(backend: Backend) {
    use lingong_core::changes::{Change, ChangeConsumer};
    use lingong_core::notices::consumer::NotifierConsumer;
    let f = fixture(backend).await;
    let by_mail = f
        .sign_up(
            "邮件求职",
            &["cleaning"],
            &["chengzhong"],
            &[("channel", "email"), ("email", "stall@example.com")],
        )
        .await;
    let by_sms = f
        .sign_up("短信求职", &["cleaning"], &["chengzhong"], &[])
        .await;
    let job = f.post_job(2, &[]).await;
    f.wave(&job.id).await;
    // A mail server that takes the connection and never says a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stall = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let smtp = lingong_notify_smtp::SmtpNotifier::new(&lingong_notify_smtp::SmtpSettings {
        url: format!("smtp://{address}"),
        from: "notices@lingong.test".into(),
        credentials: None,
        extra_root_pem: None,
        send_timeout: Some(std::time::Duration::from_secs(8)),
    })
    .unwrap();
    let sender = sender_with(&f, Arc::new(SmsNotifier::new(aliyun())), Arc::new(smtp));
    let mail_id = format!("{}.{}.offer", job.id, by_mail.id);
    let sms_id = format!("{}.{}.offer", job.id, by_sms.id);
    // The stream batch: the e-mail offer first, the SMS offer after it.
    let mut changes = Vec::new();
    for id in [&mail_id, &sms_id] {
        let key = keys::notice(&f.station.id, id);
        let item = f.app.store.get(&key).await.unwrap().unwrap();
        changes.push(Change {
            key,
            old: None,
            new: Some(item),
        });
    }
    let consumer = Arc::new(NotifierConsumer { sender });
    let running = {
        let consumer = consumer.clone();
        tokio::spawn(async move { consumer.consume(&changes).await })
    };
    // The SMS goes out while the e-mail is still stuck at the mail server.
    let mut sms_sent = false;
    for _ in 0..300 {
        if notice(&f, &sms_id).await.status == NoticeStatus::Sent {
            sms_sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(sms_sent, "the SMS waited for the mail server");
    assert_eq!(notice(&f, &mail_id).await.status, NoticeStatus::Sending);
    running.await.unwrap().unwrap();
    // The stalled e-mail ended at its deadline and waits for a retry; it is not lost.
    assert_ne!(notice(&f, &mail_id).await.status, NoticeStatus::Sending);
    stall.abort();
}

/// A station on one server in China: `lingong serve --sms aliyun`, with the gateway's
/// settings in the data directory, sends its offers as filed templates, and takes the
/// worker's reply at the push URL `lingong sms-push-urls` prints.
#[tokio::test]
async fn lingong_serve_sends_real_sms_through_a_mainland_gateway() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("sms-gateway.json"),
        json!({
            "endpoint": env("LINGONG_TEST_ALIYUN_ENDPOINT"),
            "access_key_id": env("LINGONG_TEST_ALIYUN_KEY_ID"),
            "access_key_secret": env("LINGONG_TEST_ALIYUN_KEY_SECRET"),
            "templates": {"*": codes()["aliyun"]},
        })
        .to_string(),
    )
    .unwrap();
    let data_arg = data.path().display().to_string();
    let served =
        lingong_tests::serve(&["--data", &data_arg, "--sms", "aliyun", "--no-quiet-hours"]).await;
    let client = reqwest::Client::new();
    let worker_phone = lingong_tests::flow::unique_phone();
    let employer_phone = lingong_tests::flow::unique_phone();
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let signed = client
        .post(format!("{}/api/workers", served.base))
        .json(&json!({
            "name": "服务器短信", "phone": worker_phone, "trades": ["cleaning"],
            "districts": ["chengxi"], "channel": "sms", "consent": true,
            "auto_matching": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 201);
    let posted = client
        .post(format!("{}/api/jobs", served.base))
        .json(&json!({
            "title": "写字楼开荒保洁", "trade": "cleaning", "district": "chengxi",
            "address": "城西区海晏路某写字楼",
            "start_date": (today + chrono::Duration::days(1)).to_string(),
            "end_date": (today + chrono::Duration::days(1)).to_string(),
            "headcount": 1, "daily_wage_yuan": 220, "pay_terms": "daily",
            "employer_name": "西宁某保洁服务公司", "contact_name": "杨经理",
            "contact_phone": employer_phone, "description": "开荒保洁，工具由公司提供。",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    // The offer reaches the fake gateway as the filed offer template.
    let offer = wait_for_sms(&worker_phone, codes()["aliyun"]["offer"].as_str().unwrap()).await;
    assert_eq!(offer["sign_name"], "零工驿站");
    // The push URL, as an operator gets it for the gateway's console.
    let urls = std::process::Command::new(lingong_tests::lingong_bin())
        .args(["sms-push-urls", "--gateway", "aliyun", "--data", &data_arg])
        .args(["--public-url", &served.base])
        .env_remove("LINGONG_SECRET")
        .output()
        .unwrap();
    assert!(urls.status.success());
    let urls = String::from_utf8(urls.stdout).unwrap();
    let up = urls
        .split_whitespace()
        .find(|w| w.ends_with("/up"))
        .unwrap()
        .to_owned();
    let answer = client
        .post(&up)
        .json(&json!([{
            "phone_number": worker_phone, "content": "1", "send_time": "2026-12-07 10:00:00",
            "dest_code": "", "sequence_id": "777001",
        }]))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // The employer hears of it through the gateway too.
    let told = wait_for_sms(
        &employer_phone,
        codes()["aliyun"]["worker_placed"].as_str().unwrap(),
    )
    .await;
    assert_eq!(told["params"]["phone"], worker_phone.as_str());
}

/// Waits up to 30 s for the Alibaba fake to take an SMS of `code` to `phone`.
async fn wait_for_sms(phone: &str, code: &str) -> Value {
    for _ in 0..300 {
        if let Some(found) = aliyun_all()
            .await
            .into_iter()
            .find(|m| m["phone"] == phone && m["template_code"] == code)
        {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no SMS {code} to {phone} at the gateway after 30 s");
}

/// A one-time code answers what the person is doing that minute: asked for at 22:30,
/// it goes out then (other SMS wait for the morning), as its filed 验证码 template.
async fn a_code_asked_for_at_night_goes_out_at_once(backend: Backend) {
    let f = fixture(backend).await;
    f.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-28T22:30:00+08:00")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let phone = lingong_tests::flow::unique_phone();
    let number = lingong_core::phone::MobileNumber::parse("phone", &phone).unwrap();
    f.app
        .send_phone_code(&f.station, &number, lingong_core::Lang::Zh)
        .await
        .unwrap();
    let phone_key = f.app.secrets.phone_key(&f.station.id, &number);
    let id = format!(
        "code-{}.{}.phone_code",
        lingong_core::Clock::now(&*f.clock).timestamp(),
        &phone_key[..16]
    );
    let sender = sender(&f, aliyun());
    assert!(matches!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Sent(_)
    ));
    let sent = aliyun_sent(&id).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["template_code"], codes()["aliyun"]["phone_code"]);
    assert_eq!(sent[0]["phone"], phone.as_str());
}
