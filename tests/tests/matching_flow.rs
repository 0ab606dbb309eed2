//! The whole flow on real parts, as it runs on AWS: requests through the router,
//! DynamoDB Local's own change stream handed to the matcher and the notifier exactly
//! as Lambda hands it (`lingong_aws_wiring::stream::handle`), e-mail over SMTP to the
//! sink (read back from its Maildir and parsed), SMS through `aws-sdk-sns` to moto.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use lingong_core::notices::sms::SmsNotifier;
use lingong_core::{
    changes::ChangeConsumer,
    matching::consumer::Matcher,
    notices::{consumer::NotifierConsumer, port::ByChannel, send::NoticeSender},
};
use lingong_notify_smtp::{SmtpNotifier, SmtpSettings};
use lingong_notify_sns::SnsGateway;
use lingong_site::{NoticeTemplates, Renderer};
use lingong_tests::{
    Backend, TestApi,
    flow::{
        TableStream, mails_to, sms_sent_to, smtp_address, sns_client, unique_mailbox, unique_phone,
    },
    test_api,
};
use serde_json::{Value, json};

const BASE: &str = "http://lingong.test";

struct Flow {
    api: TestApi,
    stream: TableStream,
    matcher: Matcher,
    notifier: NotifierConsumer,
}

async fn flow() -> Flow {
    let api = test_api(Backend::Dynamo).await;
    let stream = TableStream::open(&api.store.location).await;
    let app = api.state.app.clone();
    let email = SmtpNotifier::new(&SmtpSettings {
        url: format!("smtp://{}", smtp_address()),
        from: "notices@lingong.test".into(),
        credentials: None,
        extra_root_pem: None,
        send_timeout: None,
    })
    .unwrap();
    let sender = NoticeSender {
        app: app.clone(),
        notifier: Arc::new(ByChannel {
            sms: Arc::new(SmsNotifier::new(Arc::new(SnsGateway::from_client(
                sns_client(),
            )))),
            email: Arc::new(email),
        }),
        renderer: Arc::new(NoticeTemplates::new(
            Arc::new(Renderer::new().unwrap()),
            BASE,
        )),
    };
    Flow {
        api,
        stream,
        matcher: Matcher { app },
        notifier: NotifierConsumer { sender },
    }
}

impl Flow {
    /// Hands every new stream record to both functions until the stream is quiet.
    /// Returns the events, for replaying.
    async fn settle(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        for _ in 0..30 {
            let event = self.stream.next_event().await;
            if event.records.is_empty() {
                return events;
            }
            for consumer in [&self.matcher as &dyn ChangeConsumer, &self.notifier] {
                let response = lingong_aws_wiring::stream::handle(consumer, event.clone()).await;
                assert!(
                    response.batch_item_failures.is_empty(),
                    "{} failed",
                    consumer.name()
                );
            }
            events.push(event);
        }
        panic!("the stream never settled");
    }

    async fn sign_up(&self, name: &str, channel: &str, email: Option<&str>) -> (String, String) {
        let phone = unique_phone();
        let mut body = json!({
            "name": name, "phone": phone, "trades": ["cleaning"], "districts": ["chengzhong"],
            "channel": channel, "consent": true,
        });
        if let Some(email) = email {
            body["email"] = json!(email);
        }
        let answer = self.api.post_json("/api/workers", &body, &[]).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        (answer.json()["id"].as_str().unwrap().to_owned(), phone)
    }

    async fn post_job(&self, headcount: u32, contact_email: Option<&str>) -> (String, String) {
        let phone = unique_phone();
        let mut body = json!({
            "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong",
            "address": "城中区南关街某小区", "start_date": "2026-11-30", "end_date": "2026-12-01",
            "headcount": headcount, "daily_wage_yuan": 220, "pay_terms": "daily",
            "employer_name": "城中区某物业公司", "contact_name": "王经理", "contact_phone": phone,
            "description": "打扫楼道和电梯间，工具由物业提供。",
        });
        if let Some(email) = contact_email {
            body["contact_email"] = json!(email);
        }
        let answer = self.api.post_json("/api/jobs", &body, &[]).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        (answer.json()["id"].as_str().unwrap().to_owned(), phone)
    }
}

fn link_in(text: &str) -> String {
    let start = text.find(BASE).expect("a link in the notice");
    text[start + BASE.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_posted_job_reaches_workers_and_the_employer_hears_only_when_one_accepts() {
    let mut flow = flow().await;
    let mut workers = Vec::new();
    for name in ["马秀英", "韩建国", "李桂兰"] {
        let email = unique_mailbox("worker");
        let (id, phone) = flow.sign_up(name, "email", Some(&email)).await;
        workers.push((name, id, phone, email));
    }
    let employer = unique_mailbox("employer");
    let (job_id, _) = flow.post_job(1, Some(&employer)).await;
    flow.settle().await;

    // One place, wave factor 2: two of the three are offered the job by e-mail.
    let offered: Vec<_> = workers
        .iter()
        .filter(|w| !mails_to(&w.3).is_empty())
        .collect();
    assert_eq!(offered.len(), 2);
    let (name, _, phone, email) = offered[0];
    let mails = mails_to(email);
    assert_eq!(mails.len(), 1);
    let offer_mail = &mails[0];
    assert_eq!(offer_mail.subject, "岗位通知：小区楼道保洁");
    assert!(offer_mail.from.contains("notices@lingong.test"));
    assert!(offer_mail.text.contains("城中区南关街某小区") && offer_mail.text.contains("220元/天"));
    assert!(offer_mail.html.as_deref().unwrap().contains("查看并回复"));
    // The employer hears nothing yet: no worker's details before they accept.
    assert!(mails_to(&employer).is_empty());

    // The worker opens the link and accepts, with a plain form.
    let path = link_in(&offer_mail.text);
    let page = flow.api.get(&path, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("小区楼道保洁") && page.body.contains("为什么推荐给我"));
    assert!(!page.body.contains("王经理"), "no contact before accepting");
    let accepted = flow.api.post_form(&path, &[("action", "accept")]).await;
    assert_eq!(accepted.status, 303);
    flow.settle().await;

    let to_employer = mails_to(&employer);
    assert_eq!(to_employer.len(), 1);
    assert_eq!(to_employer[0].subject, "有人接活：小区楼道保洁");
    assert!(to_employer[0].text.contains(name) && to_employer[0].text.contains(phone.as_str()));
    assert!(
        to_employer[0]
            .html
            .as_deref()
            .unwrap()
            .contains(phone.as_str())
    );
    let to_worker = mails_to(email);
    assert_eq!(to_worker.len(), 2);
    let placed = to_worker
        .iter()
        .find(|m| m.subject.starts_with("上岗确认"))
        .unwrap();
    assert!(placed.text.contains("王经理"));
    // The job is full: the other offer is closed, and nobody else is written to.
    let job = flow
        .api
        .state
        .app
        .job(flow.api.state.app.stations.default_station(), &job_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.placed, 1);
    let other = offered[1];
    assert_eq!(mails_to(&other.3).len(), 1);
    let late = flow
        .api
        .post_form(
            &link_in(&mails_to(&other.3)[0].text),
            &[("action", "accept")],
        )
        .await;
    assert_eq!(late.status, 303);
    assert!(
        late.headers["location"]
            .to_str()
            .unwrap()
            .ends_with("done=full")
    );
}

#[tokio::test]
async fn a_replayed_stream_batch_sends_each_notice_exactly_once() {
    let mut flow = flow().await;
    let mut emails = Vec::new();
    for n in 0..4 {
        let email = unique_mailbox("replay");
        flow.sign_up(&format!("工人{n}"), "email", Some(&email))
            .await;
        emails.push(email);
    }
    let (job_id, _) = flow.post_job(2, None).await;
    // Only the matcher runs first: the offers and their notices are written.
    let mut batches = Vec::new();
    for _ in 0..10 {
        let event = flow.stream.next_event().await;
        if event.records.is_empty() {
            break;
        }
        let response = lingong_aws_wiring::stream::handle(&flow.matcher, event.clone()).await;
        assert!(response.batch_item_failures.is_empty());
        batches.push(event);
    }
    let new_records = flow.stream.next_event().await;
    batches.push(new_records);
    let mut all = Event::default();
    all.records = batches.into_iter().flat_map(|e| e.records).collect();
    let notices = all
        .records
        .iter()
        .filter(|r| {
            r.change.keys.get("sk") == Some(&serde_dynamo::AttributeValue::S("NOTICE".into()))
        })
        .count();
    assert_eq!(notices, 4, "the batch holds the four offer notices");
    // The same batch, three times, one after another and then three at once.
    for _ in 0..3 {
        let response = lingong_aws_wiring::stream::handle(&flow.notifier, all.clone()).await;
        assert!(response.batch_item_failures.is_empty());
    }
    let (a, b, c) = tokio::join!(
        lingong_aws_wiring::stream::handle(&flow.notifier, all.clone()),
        lingong_aws_wiring::stream::handle(&flow.notifier, all.clone()),
        lingong_aws_wiring::stream::handle(&flow.notifier, all.clone()),
    );
    assert!(
        a.batch_item_failures.is_empty()
            && b.batch_item_failures.is_empty()
            && c.batch_item_failures.is_empty()
    );
    let mut ids = Vec::new();
    for email in &emails {
        let mails = mails_to(email);
        assert_eq!(mails.len(), 1, "{email}: {} mails", mails.len());
        ids.push(mails[0].message_id.clone());
    }
    // Four workers, two places, wave factor two: one offer each, one message each.
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert!(
        ids.iter()
            .all(|id| id.contains(&job_id) && id.contains(".offer@")),
        "{ids:?}"
    );
}

fn signed(body: &Value, secret_key: &str, at: i64) -> Vec<(String, String)> {
    let text = body.to_string();
    let timestamp = at.to_string();
    vec![
        ("x-lingong-timestamp".into(), timestamp.clone()),
        (
            "x-lingong-signature".into(),
            lingong_core::app::sms::inbound_signature(secret_key, &timestamp, text.as_bytes()),
        ),
    ]
}

#[tokio::test]
async fn sms_workers_get_offers_through_sns_and_answer_by_sms() {
    let mut flow = flow().await;
    let (worker_id, worker_phone) = flow.sign_up("马有才", "sms", None).await;
    let (_job_id, employer_phone) = flow.post_job(1, None).await;
    flow.settle().await;
    let e164 = |p: &str| format!("+86{p}");
    let offers = sms_sent_to(&e164(&worker_phone)).await;
    assert_eq!(offers.len(), 1, "{offers:?}");
    assert!(
        offers[0].starts_with("【零工驿站】岗位通知：保洁，城中区"),
        "{}",
        offers[0]
    );
    assert!(offers[0].contains("回复1接受") && offers[0].ends_with("回复TD退订"));

    // The reply "1" comes back through the gateway, signed.
    let key = lingong_core::app::sms::inbound_key(&flow.api.state.app.secrets);
    let now = lingong_core::Clock::now(&*flow.api.clock).timestamp();
    let body = json!({ "from": e164(&worker_phone), "text": "1", "message_id": "gw-0001" });
    let headers = signed(&body, &key, now);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let answer = flow
        .api
        .post_json("/api/sms/inbound", &body, &headers)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["result"], "accepted");
    // The gateway delivers it again: the same answer, nothing new.
    let again = flow
        .api
        .post_json("/api/sms/inbound", &body, &headers)
        .await;
    assert_eq!(again.json()["result"], "accepted");
    flow.settle().await;

    let to_employer = sms_sent_to(&e164(&employer_phone)).await;
    assert_eq!(to_employer.len(), 1, "{to_employer:?}");
    // The worker's number, never their name (names the public typed stay out of SMS).
    assert!(to_employer[0].contains(&worker_phone) && !to_employer[0].contains("马有才"));
    let to_worker = sms_sent_to(&e164(&worker_phone)).await;
    assert_eq!(to_worker.len(), 2, "{to_worker:?}");
    assert!(to_worker[1].contains("上岗确认") && to_worker[1].contains(&employer_phone));
    assert!(!to_worker[1].contains("王经理") && !to_worker[1].contains("小区楼道保洁"));
    let _ = worker_id;

    // Unsigned or stale calls are refused and change nothing.
    let stale = signed(&body, &key, now - 3600);
    let stale: Vec<(&str, &str)> = stale
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = flow.api.post_json("/api/sms/inbound", &body, &stale).await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("签名"));
    let unsigned = flow.api.post_json("/api/sms/inbound", &body, &[]).await;
    assert_eq!(unsigned.status, 401);
}
