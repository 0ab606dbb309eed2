//! Reports on postings count distinct reporters, through the real router on both
//! stores: one address reporting again and again (also all at once) never takes a
//! posting down; three addresses do, the employer's manage page says why, and staff
//! see who reported (masked), when and why.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lingong_core::job::JobStatus;
use lingong_tests::{
    Backend, TestApi,
    console::{get_as, login, with_staff},
};
use serde_json::{Value, json};

lingong_tests::on_both_backends!(
    three_reports_from_one_address_do_not_take_a_posting_down,
    three_reporters_send_it_to_review_and_the_employer_sees_why,
);

fn job() -> Value {
    json!({
        "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong",
        "address": "城中区南关街某小区", "start_date": "2026-11-30", "end_date": "2026-12-02",
        "headcount": 2, "daily_wage_yuan": 220, "pay_terms": "daily",
        "employer_name": "城中区某物业公司", "contact_name": "王经理",
        "contact_phone": "13800000077", "description": "打扫楼道和电梯间，工具由物业提供。"
    })
}

async fn post(api: &TestApi) -> (String, String) {
    let posted = api.post_json("/api/jobs", &job(), &[]).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let body = posted.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["manage_url"].as_str().unwrap().to_owned(),
    )
}

async fn report(api: &TestApi, id: &str, from: &str, reason: &str) {
    let answer = api
        .post_json(
            &format!("/api/jobs/{id}/report"),
            &json!({"reason": reason, "details": "电话里说先交 200 元押金"}),
            &[("x-forwarded-for", from)],
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

async fn status(api: &TestApi, id: &str) -> JobStatus {
    let station = api.state.app.stations.default_station().clone();
    api.state
        .app
        .job(&station, id)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn three_reports_from_one_address_do_not_take_a_posting_down(backend: Backend) {
    let api = Arc::new(with_staff(backend).await);
    let (id, _) = post(&api).await;
    for reason in ["fee", "scam", "fee"] {
        report(&api, &id, "198.51.100.7", reason).await;
    }
    assert_eq!(status(&api, &id).await, JobStatus::Published);
    // Another address, three at once: it counts once too.
    let burst: Vec<_> = (0..3)
        .map(|_| {
            let (api, id) = (api.clone(), id.clone());
            tokio::spawn(async move { report(&api, &id, "2001:db8::99", "scam").await })
        })
        .collect();
    for call in burst {
        call.await.unwrap();
    }
    assert_eq!(status(&api, &id).await, JobStatus::Published);
    // Every report is kept for staff; two reporters counted.
    let station = api.state.app.stations.default_station().clone();
    let reports = api
        .state
        .app
        .all_reports_on_job(&station.id, &id)
        .await
        .unwrap();
    assert_eq!(reports.len(), 6);
    assert_eq!(reports.iter().filter(|r| r.counted).count(), 2);
    // A third reporter is the third: the posting leaves the board.
    report(&api, &id, "203.0.113.20", "unsafe").await;
    assert_eq!(status(&api, &id).await, JobStatus::PendingReview);
}

async fn three_reporters_send_it_to_review_and_the_employer_sees_why(backend: Backend) {
    let api = with_staff(backend).await;
    let (id, manage_url) = post(&api).await;
    report(&api, &id, "198.51.100.1", "fee").await;
    report(&api, &id, "198.51.100.2", "scam").await;
    assert_eq!(status(&api, &id).await, JobStatus::Published);
    report(&api, &id, "198.51.100.3", "fee").await;
    assert_eq!(status(&api, &id).await, JobStatus::PendingReview);

    // The employer still reaches the posting by their link, and learns why it is off
    // the board (how many reported, and for what; never the details).
    let path = manage_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap();
    let page = api.get(&path, &[("accept-language", "zh-CN")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("有 3 位访客举报了这条招工"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("要求交钱、押金或扣身份证"),
        "{}",
        page.body
    );
    assert!(page.body.contains("像是骗局"), "{}", page.body);
    assert!(!page.body.contains("200 元押金"), "{}", page.body);

    // Staff see each reporter masked, with time and reason, on the job's page.
    let (cookie, _) = login(&api, "clerk").await;
    let staff_page = get_as(&api, &format!("/staff/jobs/{id}"), Some(&cookie)).await;
    assert_eq!(staff_page.status, 200, "{}", staff_page.body);
    assert!(
        staff_page.body.contains("198.51.*.*"),
        "{}",
        staff_page.body
    );
    assert!(
        !staff_page.body.contains("198.51.100.1"),
        "{}",
        staff_page.body
    );
    assert!(
        staff_page.body.contains("200 元押金"),
        "{}",
        staff_page.body
    );
    assert_eq!(staff_page.body.matches("<code>#").count(), 3);
}
