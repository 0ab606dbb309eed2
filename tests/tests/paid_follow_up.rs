//! "Were you paid?" through the real router and sweep on both stores: the day after the
//! last day of work the sweep asks each placed worker once; the link's page asks the
//! question without changing anything; "not paid" (by link or SMS reply 4) opens one
//! complaint against that employer, however often it is sent, and tells the worker
//! its reference; "paid" is recorded; a forged link finds nothing.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use chrono::Duration;
use lingong_core::{
    app::InboundOutcome,
    complaint::{Complaint, ComplaintKind, ComplaintSource, ComplaintStatus},
    keys,
    notices::{Notice, NoticeKind},
    placement::PaidAnswer,
    records::{complaint_from_item, notice_from_item, placement_from_item},
    store::{Index, Query, query_all},
};
use lingong_tests::{Backend, TestApi, test_api};
use serde_json::json;

lingong_tests::on_both_backends!(
    not_paid_by_link_opens_one_complaint,
    sms_replies_answer_the_newest_follow_up,
);

/// Posts a job and places a new worker on it; returns (job id, worker id).
async fn placed(api: &TestApi, phone: &str, employer_phone: &str) -> (String, String) {
    let job = api
        .post_json(
            "/api/jobs",
            &json!({
                "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong",
                "address": "城中区南关街某小区", "start_date": "2026-11-30", "end_date": "2026-12-02",
                "headcount": 2, "daily_wage_yuan": 220, "pay_terms": "on_completion",
                "employer_name": "城中区某物业公司", "contact_name": "王经理",
                "contact_phone": employer_phone, "description": "打扫楼道和电梯间，工具由物业提供。"
            }),
            &[],
        )
        .await;
    assert_eq!(job.status, 201, "{}", job.body);
    let job_id = job.json()["id"].as_str().unwrap().to_owned();
    // Applying from the board signs the worker up and takes the place.
    let code = api.phone_code(phone, &[("x-forwarded-for", phone)]).await;
    let applied = api
        .post_json(
            &format!("/api/jobs/{job_id}/apply"),
            &json!({"name": "马秀英", "phone": phone, "consent": true, "code": code}),
            &[("x-forwarded-for", phone)],
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let worker_id = applied.json()["worker_id"].as_str().unwrap().to_owned();
    (job_id, worker_id)
}

async fn notices(api: &TestApi, worker_id: &str, kind: NoticeKind) -> Vec<Notice> {
    let station = api.state.app.stations.default_station().id.clone();
    query_all(
        &*api.store.store,
        Query::index_newest_first(
            Index::Gsi2,
            keys::notices_of_worker(&station, worker_id),
            50,
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|i| notice_from_item(i).unwrap())
    .filter(|n| n.kind == kind)
    .collect()
}

async fn complaints(api: &TestApi) -> Vec<Complaint> {
    let station = api.state.app.stations.default_station().id.clone();
    query_all(
        &*api.store.store,
        Query::index_newest_first(Index::Gsi3, keys::complaints(&station, "received"), 50),
    )
    .await
    .unwrap()
    .iter()
    .map(|i| complaint_from_item(i).unwrap())
    .collect()
}

async fn not_paid_by_link_opens_one_complaint(backend: Backend) {
    let api = test_api(backend).await;
    let (job_id, worker_id) = placed(&api, "13900000501", "13800000501").await;
    // On the last day nobody is asked yet; the next morning everyone is, once.
    api.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-02T18:00:00+08:00")
            .unwrap()
            .into(),
    );
    assert_eq!(api.state.app.sweep().await.unwrap().paid_checks, 0);
    api.clock.advance(Duration::hours(8));
    assert_eq!(api.state.app.sweep().await.unwrap().paid_checks, 1);
    assert_eq!(api.state.app.sweep().await.unwrap().paid_checks, 0);
    let asked = notices(&api, &worker_id, NoticeKind::PaidCheck).await;
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].job_id.as_deref(), Some(job_id.as_str()));
    let link = asked[0].data.link_path.clone().unwrap();
    assert!(
        link.starts_with("/api/paid/") && link.len() < 60,
        "short for SMS: {link}"
    );

    // Opening the link asks; it changes nothing.
    let page = api.get(&link, &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("工资结清了吗") && page.body.contains("小区楼道保洁"));
    assert!(complaints(&api).await.is_empty());
    // A forged or altered link finds nothing.
    let forged = link.replace("sig=", "sig=x");
    assert_eq!(api.get(&forged, &[]).await.status, 404);
    let wrong = format!("{}AAAAAAAAAAAAAAAA", &link[..link.find('?').unwrap() - 16])
        + &link[link.find('?').unwrap()..];
    assert_eq!(
        api.post_form(&wrong, &[("answer", "unpaid")]).await.status,
        404
    );
    assert_eq!(
        api.post_form(&link, &[("answer", "maybe")]).await.status,
        422
    );

    // "Not paid", twice (a double click): one complaint, one confirmation.
    let first = api.post_form(&link, &[("answer", "unpaid")]).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let again = api.post_form(&link, &[("answer", "unpaid")]).await;
    assert_eq!(again.status, 303);
    let opened = complaints(&api).await;
    assert_eq!(opened.len(), 1);
    let complaint = &opened[0];
    assert_eq!(complaint.kind, ComplaintKind::Unpaid);
    assert_eq!(complaint.source, ComplaintSource::PaidFollowUp);
    assert_eq!(complaint.status, ComplaintStatus::Received);
    assert_eq!(complaint.job_id.as_deref(), Some(job_id.as_str()));
    assert_eq!(complaint.worker_id.as_deref(), Some(worker_id.as_str()));
    let station = api.state.app.stations.default_station().clone();
    let job = api.state.app.job(&station, &job_id).await.unwrap().unwrap();
    assert_eq!(
        complaint.employer_id.as_deref(),
        Some(job.employer_id.as_str())
    );
    assert!(complaint.description.as_str().contains("小区楼道保洁"));
    let shown = api.get(&format!("{link}&done=unpaid"), &[]).await;
    assert!(shown.body.contains(&complaint.reference) && shown.body.contains("12333"));
    let told = notices(&api, &worker_id, NoticeKind::UnpaidReceived).await;
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].data.reference.as_deref(),
        Some(complaint.reference.as_str())
    );
    // A later "paid" does not close the complaint: staff do, after checking.
    let json = api.post_json(&link, &json!({"answer": "paid"}), &[]).await;
    assert_eq!(json.json()["result"], "complaint_opened");
    assert_eq!(complaints(&api).await.len(), 1);
}

async fn sms_replies_answer_the_newest_follow_up(backend: Backend) {
    let api = test_api(backend).await;
    let phone = "13900000502";
    let (job_id, worker_id) = placed(&api, phone, "13800000502").await;
    let app = &api.state.app;
    // Before any follow-up, "4" is not understood as a complaint: the help reply goes.
    let early = app
        .sms_inbound(None, phone, "4", Some("sms-1"))
        .await
        .unwrap();
    assert_eq!(early, InboundOutcome::Help);
    assert!(complaints(&api).await.is_empty());

    api.clock.advance(Duration::days(5));
    assert_eq!(app.sweep().await.unwrap().paid_checks, 1);
    let paid = app
        .sms_inbound(None, phone, "3", Some("sms-2"))
        .await
        .unwrap();
    assert_eq!(paid, InboundOutcome::PaidRecorded);
    let station = app.stations.default_station().clone();
    let item = api
        .store
        .store
        .get(&keys::placement(&station.id, &job_id, &worker_id))
        .await
        .unwrap()
        .unwrap();
    let placement = placement_from_item(&item).unwrap();
    assert_eq!(placement.paid_check.unwrap().answer, Some(PaidAnswer::Paid));
    // Then they write "没付" (not paid after all): one complaint, also when redelivered.
    let unpaid = app
        .sms_inbound(None, phone, "没付", Some("sms-3"))
        .await
        .unwrap();
    assert_eq!(unpaid, InboundOutcome::ComplaintOpened);
    let redelivered = app
        .sms_inbound(None, phone, "没付", Some("sms-3"))
        .await
        .unwrap();
    assert_eq!(redelivered, InboundOutcome::ComplaintOpened);
    let opened = complaints(&api).await;
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].worker_id.as_deref(), Some(worker_id.as_str()));
}
