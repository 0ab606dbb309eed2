//! Abuse checks on the public forms, through the real router on both stores: the
//! honeypot, the proof of work (single use, expiring, not too fast) and the rate limits
//! per address and per phone number. A refused submission stores nothing.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use base64::{Engine, engine::general_purpose::STANDARD};
use lingong_tests::{Backend, TestApi, count_records, test_api};
use serde_json::{Value, json};

fn job(n: u32) -> Value {
    json!({
        "title": format!("第{n}号保洁招工"), "trade": "cleaning", "district": "chengzhong",
        "address": "城中区南关街某小区", "start_date": "2026-11-30", "end_date": "2026-12-02",
        "headcount": 2, "daily_wage_yuan": 220, "pay_terms": "daily",
        "employer_name": "城中区某物业公司", "contact_name": "王经理",
        "contact_phone": format!("138000{:05}", n), "description": "打扫楼道和电梯间，工具由物业提供。"
    })
}

/// Fetches a challenge and solves it as the page's script would.
async fn solution(api: &TestApi) -> String {
    let challenge = api.get("/api/challenge", &[]).await.json();
    let number = altcha_lib_rs::solve_challenge(
        challenge["challenge"].as_str().unwrap(),
        challenge["salt"].as_str().unwrap(),
        None,
        challenge["maxnumber"].as_u64(),
        0,
    )
    .unwrap();
    let payload = json!({
        "algorithm": "SHA-256",
        "challenge": challenge["challenge"],
        "number": number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
        "took": 800,
    });
    STANDARD.encode(payload.to_string())
}

async fn jobs_stored(api: &TestApi) -> usize {
    count_records(&*api.store.store, "xining-chengzhong")
        .await
        .0
}

lingong_tests::on_both_backends!(
    the_honeypot_stops_robots,
    a_proof_of_work_is_single_use_and_cannot_be_rushed_or_kept,
    addresses_and_phone_numbers_are_rate_limited,
    a_burst_gets_exactly_the_limit_through,
    retries_count_once,
    enough_reports_send_a_posting_back_to_review,
    a_verified_employers_number_typed_online_waits_for_that_number,
    rejected_requests_are_logged_in_aggregate,
);

async fn the_honeypot_stops_robots(backend: Backend) {
    let api = test_api(backend).await;
    let mut body = job(1);
    body["website"] = json!("http://spam.example");
    let answer = api.post_json("/api/jobs", &body, &[]).await;
    assert_eq!(answer.status, 422);
    assert_eq!(jobs_stored(&api).await, 0);
    let page = api
        .post_form(
            "/api/workers",
            &[
                ("name", "机器人"),
                ("phone", "13900000001"),
                ("website", "x"),
                ("consent", "true"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("安全检查"));
    assert_eq!(
        count_records(&*api.store.store, "xining-chengzhong")
            .await
            .1,
        0
    );
}

async fn a_proof_of_work_is_single_use_and_cannot_be_rushed_or_kept(backend: Backend) {
    let api = test_api(backend).await;
    // Sent the moment the challenge was issued: no person types that fast.
    let rushed = solution(&api).await;
    let mut body = job(1);
    body["_altcha"] = json!(rushed);
    let answer = api.post_json("/api/jobs", &body, &[]).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("太快"), "{}", answer.body);

    api.clock.advance(chrono::Duration::seconds(30));
    let answer = api.post_json("/api/jobs", &body, &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    // The same solution again, for another posting: refused.
    let mut other = job(2);
    other["_altcha"] = json!(rushed);
    let replay = api.post_json("/api/jobs", &other, &[]).await;
    assert_eq!(replay.status, 422);
    // A forged one: refused.
    let mut forged = job(3);
    forged["_altcha"] = json!(STANDARD.encode(r#"{"algorithm":"SHA-256","challenge":"00","number":1,"salt":"ab?expires=9999999999&issued=1","signature":"00"}"#));
    assert_eq!(api.post_json("/api/jobs", &forged, &[]).await.status, 422);
    // One kept past its expiry: refused.
    let kept = solution(&api).await;
    api.clock.advance(chrono::Duration::minutes(21));
    let mut late = job(4);
    late["_altcha"] = json!(kept);
    let answer = api.post_json("/api/jobs", &late, &[]).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("刷新"));
    assert_eq!(jobs_stored(&api).await, 1);
}

async fn addresses_and_phone_numbers_are_rate_limited(backend: Backend) {
    let api = test_api(backend).await;
    let from = [("x-forwarded-for", "198.51.100.23")];
    // Without a proof of work, ten postings an hour from one address.
    for n in 0..10 {
        assert_eq!(
            api.post_json("/api/jobs", &job(n), &from).await.status,
            201,
            "posting {n}"
        );
    }
    let limited = api.post_json("/api/jobs", &job(10), &from).await;
    assert_eq!(limited.status, 429);
    assert!(
        limited.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("频繁")
    );
    assert_eq!(jobs_stored(&api).await, 10);
    // Another address is not affected; with a proof of work the limit is higher.
    let elsewhere = [("x-forwarded-for", "198.51.100.24")];
    assert_eq!(
        api.post_json("/api/jobs", &job(11), &elsewhere)
            .await
            .status,
        201
    );
    api.clock.advance(chrono::Duration::seconds(5));
    let mut worked = job(12);
    worked["_altcha"] = json!(solution(&api).await);
    api.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(api.post_json("/api/jobs", &worked, &from).await.status, 201);

    // Five submissions an hour for one phone number, from any address.
    for n in 0..5 {
        let address = format!("203.0.113.{n}");
        let mut body = job(100 + n);
        body["contact_phone"] = json!("13912345678");
        assert_eq!(
            api.post_json("/api/jobs", &body, &[("x-forwarded-for", &address)])
                .await
                .status,
            201
        );
    }
    let mut body = job(200);
    body["contact_phone"] = json!("+86 139 1234 5678");
    assert_eq!(
        api.post_json("/api/jobs", &body, &[("x-forwarded-for", "203.0.113.99")])
            .await
            .status,
        429
    );
    // An hour later it is open again.
    api.clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        api.post_json("/api/jobs", &body, &[("x-forwarded-for", "203.0.113.99")])
            .await
            .status,
        201
    );
}

async fn retries_count_once(backend: Backend) {
    let api = test_api(backend).await;
    let headers = [
        ("x-forwarded-for", "198.51.100.50"),
        ("idempotency-key", "retry-key-000001"),
    ];
    for _ in 0..15 {
        assert_eq!(
            api.post_json("/api/jobs", &job(1), &headers).await.status,
            201
        );
    }
    // The address has used one of its ten.
    for n in 2..11 {
        let answer = api
            .post_json(
                "/api/jobs",
                &job(n),
                &[("x-forwarded-for", "198.51.100.50")],
            )
            .await;
        assert_eq!(answer.status, 201, "posting {n}");
    }
    assert_eq!(jobs_stored(&api).await, 10);
}

async fn enough_reports_send_a_posting_back_to_review(backend: Backend) {
    use lingong_tests::console::{get_as, login, post_form_as, with_staff};
    let api = with_staff(backend).await;
    let posted = api.post_json("/api/jobs", &job(1), &[]).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let id = posted.json()["id"].as_str().unwrap().to_owned();
    let report = |n: u32, reason: &'static str| {
        let (api, path) = (&api, format!("/api/jobs/{id}/report"));
        async move {
            let from = format!("198.51.100.{n}");
            let answer = api
                .post_json(
                    &path,
                    &json!({"reason": reason, "details": "电话里说先交 200 元押金"}),
                    &[("x-forwarded-for", from.as_str())],
                )
                .await;
            assert_eq!(answer.status, 201, "{}", answer.body);
        }
    };
    report(1, "fee").await;
    report(2, "scam").await;
    assert_eq!(listed(&api).await, 1, "two reports: still on the board");
    report(3, "fee").await;
    assert_eq!(listed(&api).await, 0, "the third report sends it to review");
    let station = api.state.app.stations.default_station().clone();
    let job = api.state.app.job(&station, &id).await.unwrap().unwrap();
    assert_eq!(job.status, lingong_core::job::JobStatus::PendingReview);
    let history = lingong_core::audit::of_target(&*api.store.store, &station.id, "job", &id, 10)
        .await
        .unwrap();
    assert!(
        history
            .iter()
            .any(|e| e.actor == "system" && e.action == "job.review_on_reports")
    );
    // Staff see why in the queue, approve it, and the reports stop counting.
    let (cookie, csrf) = login(&api, "clerk").await;
    let queue = get_as(&api, "/staff/moderation", Some(&cookie)).await;
    assert!(queue.body.contains("被举报 3 次") && queue.body.contains("200 元押金"));
    let approved = post_form_as(
        &api,
        &format!("/staff/jobs/{id}/approve"),
        Some(&cookie),
        &[("_csrf", &csrf)],
        "203.0.113.1",
    )
    .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(listed(&api).await, 1);
    report(4, "wrong_info").await;
    assert_eq!(listed(&api).await, 1, "one new report after review: stays");
}

async fn listed(api: &TestApi) -> usize {
    api.get("/api/jobs", &[]).await.json()["jobs"]
        .as_array()
        .unwrap()
        .len()
}

async fn a_verified_employers_number_typed_online_waits_for_that_number(backend: Backend) {
    use lingong_core::{
        job::{AWAITING_CONFIRMATION, JobStatus},
        notices::{NoticeKind, notice_id},
    };
    use lingong_tests::console::{login, post_form_as, with_staff};
    let api = with_staff(backend).await;
    let first = api.post_json("/api/jobs", &job(7), &[]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let station = api.state.app.stations.default_station().clone();
    let first_id = first.json()["id"].as_str().unwrap().to_owned();
    let employer_id = api
        .state
        .app
        .job(&station, &first_id)
        .await
        .unwrap()
        .unwrap()
        .employer_id;
    let (cookie, csrf) = login(&api, "clerk").await;
    let verified = post_form_as(
        &api,
        &format!("/staff/employers/{employer_id}/verify"),
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("credit_code", "91350100M000100Y43"),
            ("licence_name", "西宁某物业服务有限公司"),
        ],
        "203.0.113.1",
    )
    .await;
    assert_eq!(verified.status, 303);

    // Someone posts with the verified employer's number: it waits, off the board.
    let mut spoof = job(7);
    spoof["title"] = json!("高薪日结，先交押金");
    let posted = api.post_json("/api/jobs", &spoof, &[]).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let body = posted.json();
    assert_eq!(body["status"], "pending_review");
    assert_eq!(body["status_reason"], AWAITING_CONFIRMATION);
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed(&api).await,
        1,
        "only the first posting is on the board"
    );

    // The number's owner is asked; the link's page changes nothing until they press.
    let notice = api
        .state
        .app
        .notice(
            &station,
            &notice_id(&id, &employer_id, NoticeKind::ConfirmPosting),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.to.phone.as_str(), "13800000007");
    let link = notice.data.link_path.unwrap();
    let page = api.get(&link, &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("高薪日结") && page.body.contains("立即发布"));
    assert_eq!(listed(&api).await, 1);
    let forged = link.replace("sig=", "sig=A");
    assert_eq!(api.get(&forged, &[]).await.status, 404);
    assert_eq!(api.post_form(&forged, &[]).await.status, 404);

    // Confirmed (twice: a double tap): published once, with the verified mark, audited.
    for _ in 0..2 {
        let confirmed = api.post_form(&link, &[]).await;
        assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    }
    let job = api.state.app.job(&station, &id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Published);
    assert!(job.employer_verified && job.status_reason.is_none());
    assert_eq!(listed(&api).await, 2);
    let history = lingong_core::audit::of_target(&*api.store.store, &station.id, "job", &id, 10)
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|e| e.action == "job.confirm" && e.actor == "employer")
            .count(),
        1
    );
}

/// Limits are reserved before the work: 30 postings sent at once from one address, each
/// with its own number, give exactly the address's ten, never more.
async fn a_burst_gets_exactly_the_limit_through(backend: Backend) {
    let api = std::sync::Arc::new(test_api(backend).await);
    let mut tasks = Vec::new();
    for n in 0..30 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            api.post_json(
                "/api/jobs",
                &job(300 + n),
                &[("x-forwarded-for", "198.51.100.77")],
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(jobs_stored(&api).await, 10);
}

/// A log sink the test reads back: every line written while it is the default.
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

async fn rejected_requests_are_logged_in_aggregate(backend: Backend) {
    use lingong_core::rejections::{Rejection, total};
    let api = test_api(backend).await;
    let log = CapturedLog::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    // On this test's thread only; the test's runtime runs every task on it.
    let _default = tracing::subscriber::set_default(subscriber);

    let (honeypots, limited_before) = (40, total(Rejection::RateLimited));
    let honeypot_before = total(Rejection::Honeypot);
    for n in 0..honeypots {
        let mut body = job(n);
        body["website"] = json!("http://spam.example");
        assert_eq!(api.post_json("/api/jobs", &body, &[]).await.status, 422);
    }
    // One address without a proof of work: past its limit, every posting is refused.
    let mut refused = 0;
    for n in 100..125 {
        if api.post_json("/api/jobs", &job(n), &[]).await.status == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 10, "{refused} refused");
    // The guard counted each rejection…
    assert!(total(Rejection::Honeypot) >= honeypot_before + honeypots as u64);
    assert!(total(Rejection::RateLimited) >= limited_before + refused);
    // …and wrote no line per request: at most a few lines of counts.
    let lines = log.lines();
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("honeypot filled") || l.contains("rate limited")),
        "a line per rejected request: {lines:#?}"
    );
    let rejection_lines = lines.iter().filter(|l| l.contains("rejected")).count();
    assert!(
        rejection_lines < 5,
        "{rejection_lines} lines for {} rejections",
        honeypots as u64 + refused
    );
    // What is left is written as one line of counts.
    lingong_core::rejections::flush();
    for line in log
        .lines()
        .iter()
        .filter(|l| l.contains("rejected requests"))
    {
        assert!(line.contains("counts="), "{line}");
    }
}
