//! The complaints desk (维权) through the real router on both stores: a complaint filed on
//! the public form about a job is linked to the employer; staff move it through its
//! states with notes (a resent form counts once, a stale one is refused), see it on the
//! employer's page, file one at the desk, and the station report counts complaints
//! opened and closed in the period.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use chrono::Duration;
use lingong_core::clock::Clock;
use lingong_core::{
    app::ErasedBy,
    complaint::ComplaintStatus,
    keys,
    records::complaint_from_item,
    station_report::ReportPeriod,
    store::{Index, Query, query_all},
};
use lingong_tests::{
    Backend, TestApi,
    console::{get_as, login, post_form_as, with_staff},
};
use serde_json::json;

lingong_tests::on_both_backends!(
    a_complaint_moves_through_its_states_and_is_counted,
    a_complaint_filed_at_the_desk_is_audited_and_erasure_keeps_the_case,
);

async fn post_job(api: &TestApi) -> (String, String) {
    let answer = api
        .post_json(
            "/api/jobs",
            &json!({
                "title": "装修小工", "trade": "construction", "district": "chengzhong",
                "address": "城中区某小区", "start_date": "2026-11-30", "end_date": "2026-12-02",
                "headcount": 2, "daily_wage_yuan": 220, "pay_terms": "daily",
                "employer_name": "某装饰公司", "contact_name": "赵经理",
                "contact_phone": "13800000011", "description": "搬运材料、清理现场，干满三天。"
            }),
            &[],
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let id = answer.json()["id"].as_str().unwrap().to_owned();
    let station = api.state.app.stations.default_station().clone();
    let job = api.state.app.job(&station, &id).await.unwrap().unwrap();
    (id, job.employer_id)
}

async fn complaints_in(
    api: &TestApi,
    status: ComplaintStatus,
) -> Vec<lingong_core::complaint::Complaint> {
    let station = api.state.app.stations.default_station().id.clone();
    query_all(
        &*api.store.store,
        Query::index_newest_first(
            Index::Gsi3,
            keys::complaints(&station, status.as_str()),
            100,
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|i| complaint_from_item(i).unwrap())
    .collect()
}

async fn a_complaint_moves_through_its_states_and_is_counted(backend: Backend) {
    let api = with_staff(backend).await;
    let (job_id, employer_id) = post_job(&api).await;
    let filed = api
        .post_json(
            "/api/complaints",
            &json!({
                "kind": "unpaid", "name": "韩建国", "phone": "13700000201",
                "employer_name": "某装饰公司", "job_id": job_id,
                "description": "干了三天活，说好日结，到现在一分钱没给。", "consent": true
            }),
            &[("idempotency-key", "complaint-flow-1")],
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let reference = filed.json()["reference"].as_str().unwrap().to_owned();
    let complaint = complaints_in(&api, ComplaintStatus::Received)
        .await
        .remove(0);
    assert_eq!(complaint.employer_id.as_deref(), Some(employer_id.as_str()));

    let (cookie, csrf) = login(&api, "clerk").await;
    let home = get_as(&api, "/staff/", Some(&cookie)).await;
    assert!(
        home.body.contains("<strong>1</strong> 条维权投诉待处理"),
        "{}",
        home.body
    );
    let queue = get_as(&api, "/staff/complaints", Some(&cookie)).await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(&reference) && queue.body.contains("已收到 (1)"));
    let page = get_as(
        &api,
        &format!("/staff/complaints/{}", complaint.id),
        Some(&cookie),
    )
    .await;
    assert!(
        page.body.contains("13700000201"),
        "staff see the number to call back"
    );
    assert!(page.body.contains("某装饰公司"));

    let step = |status: &'static str, note: &'static str, version: u64| {
        let (api, cookie, csrf, id) = (&api, cookie.clone(), csrf.clone(), complaint.id.clone());
        async move {
            post_form_as(
                api,
                &format!("/staff/complaints/{id}/step"),
                Some(&cookie),
                &[
                    ("_csrf", &csrf),
                    ("status", status),
                    ("note", note),
                    ("version", &version.to_string()),
                ],
                "203.0.113.1",
            )
            .await
        }
    };
    let moved = step("in_progress", "已电话联系用人方，答应周五前结清。", 1).await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    // The same form again (a double click): one note, not two.
    let again = step("in_progress", "已电话联系用人方，答应周五前结清。", 1).await;
    assert_eq!(again.status, 303, "{}", again.body);
    // A colleague's older form with another note: refused, nothing written.
    let stale = step("resolved", "已解决。", 1).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("刚被别人改过"));
    // Bad input: an unknown state, a note too short, a move the workflow forbids.
    assert_eq!(step("paid", "已经处理好了。", 2).await.status, 422);
    assert_eq!(step("resolved", "好", 2).await.status, 422);
    let backwards = step("received", "退回去重新处理。", 2).await;
    assert_eq!(backwards.status, 422, "{}", backwards.body);

    let current = complaints_in(&api, ComplaintStatus::InProgress).await;
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].notes.len(), 1);
    assert_eq!(current[0].version, 2);
    assert!(
        complaints_in(&api, ComplaintStatus::Received)
            .await
            .is_empty()
    );

    // A day later (a new session) it is referred to 12333: closed, with the time.
    api.clock.advance(Duration::days(1));
    let (cookie, csrf) = login(&api, "clerk").await;
    let step = |status: &'static str, note: &'static str, version: u64| {
        let (api, cookie, csrf, id) = (&api, cookie.clone(), csrf.clone(), complaint.id.clone());
        async move {
            post_form_as(
                api,
                &format!("/staff/complaints/{id}/step"),
                Some(&cookie),
                &[
                    ("_csrf", &csrf),
                    ("status", status),
                    ("note", note),
                    ("version", &version.to_string()),
                ],
                "203.0.113.1",
            )
            .await
        }
    };
    let referred = step(
        "referred_12333",
        "用人方仍不付款，已指导本人拨打12333并转交材料。",
        2,
    )
    .await;
    assert_eq!(referred.status, 303, "{}", referred.body);
    let closed = complaints_in(&api, ComplaintStatus::Referred12333).await;
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].closed_at, Some(api.clock.now()));
    assert_eq!(closed[0].notes.len(), 2);
    let tab = get_as(
        &api,
        "/staff/complaints?status=referred_12333",
        Some(&cookie),
    )
    .await;
    assert!(tab.body.contains(&reference));
    let employer = get_as(
        &api,
        &format!("/staff/employers/{employer_id}"),
        Some(&cookie),
    )
    .await;
    assert!(employer.body.contains(&reference) && employer.body.contains("已转12333"));

    // Every step is in the audit log, by the clerk.
    let station = api.state.app.stations.default_station().clone();
    let history = lingong_core::audit::of_target(
        &*api.store.store,
        &station.id,
        "complaint",
        &complaint.id,
        10,
    )
    .await
    .unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history
            .iter()
            .all(|e| e.actor == "clerk" && e.action == "complaint.step")
    );

    // The daily report for the 28th counts it opened; the one for the 29th closed.
    api.clock.advance(Duration::days(1));
    let report = api
        .state
        .app
        .station_report(&station, ReportPeriod::Daily)
        .await
        .unwrap();
    assert_eq!(
        (
            report.current.complaints_opened,
            report.current.complaints_closed
        ),
        (0, 1)
    );
    assert_eq!(
        (
            report.previous.complaints_opened,
            report.previous.complaints_closed
        ),
        (1, 0)
    );
}

async fn a_complaint_filed_at_the_desk_is_audited_and_erasure_keeps_the_case(backend: Backend) {
    let api = with_staff(backend).await;
    let (job_id, employer_id) = post_job(&api).await;
    let signed = api
        .post_json(
            "/api/workers",
            &json!({"name": "马秀英", "phone": "13900000402", "trades": ["cleaning"], "districts": ["chengzhong"], "consent": true}),
            &[],
        )
        .await;
    assert!(signed.status == 201, "{}", signed.body);
    let worker_id = signed.json()["id"].as_str().unwrap().to_owned();
    let (cookie, csrf) = login(&api, "clerk").await;
    let fields = [
        ("_csrf", csrf.as_str()),
        ("kind", "unpaid"),
        ("name", "马秀英"),
        ("phone", "139 0000 0402"),
        ("job_id", job_id.as_str()),
        ("description", "来窗口说：干了三天，老板只给了一天的钱。"),
        ("consent_in_person", "true"),
    ];
    let filed = post_form_as(
        &api,
        "/staff/complaints/new",
        Some(&cookie),
        &fields,
        "203.0.113.1",
    )
    .await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let again = post_form_as(
        &api,
        "/staff/complaints/new",
        Some(&cookie),
        &fields,
        "203.0.113.1",
    )
    .await;
    assert_eq!(again.status, 303, "a resent desk form files once");
    let received = complaints_in(&api, ComplaintStatus::Received).await;
    assert_eq!(received.len(), 1);
    let complaint = &received[0];
    assert_eq!(
        complaint.source,
        lingong_core::complaint::ComplaintSource::Desk
    );
    assert_eq!(
        complaint.consent.method,
        lingong_core::worker::ConsentMethod::InPerson
    );
    assert_eq!(complaint.employer_id.as_deref(), Some(employer_id.as_str()));
    assert_eq!(complaint.worker_id.as_deref(), Some(worker_id.as_str()));
    let station = api.state.app.stations.default_station().clone();
    let history = lingong_core::audit::of_target(
        &*api.store.store,
        &station.id,
        "complaint",
        &complaint.id,
        10,
    )
    .await
    .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "desk.complaint");
    // Without the in-person consent box: refused, nothing stored.
    let unticked: Vec<_> = fields
        .iter()
        .copied()
        .filter(|(k, _)| *k != "consent_in_person")
        .collect();
    let refused = post_form_as(
        &api,
        "/staff/complaints/new",
        Some(&cookie),
        &unticked,
        "203.0.113.1",
    )
    .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        complaints_in(&api, ComplaintStatus::Received).await.len(),
        1
    );

    // The worker's export shows it; erasing them keeps the case without them in it.
    let worker = api
        .state
        .app
        .worker_by_phone(
            &station,
            &lingong_core::phone::MobileNumber::parse("phone", "13900000402").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let export = api
        .state
        .app
        .export_worker(&station, &worker)
        .await
        .unwrap();
    assert_eq!(export.complaints.len(), 1);
    api.state
        .app
        .erase_worker(&station, &worker_id, ErasedBy::Staff("clerk".into()))
        .await
        .unwrap();
    let kept = complaints_in(&api, ComplaintStatus::Received).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].name, None);
    assert_eq!(kept[0].phone, None);
    assert_eq!(kept[0].worker_id, None);
    assert_eq!(kept[0].employer_id.as_deref(), Some(employer_id.as_str()));
    let everything = api.store.every_item().await.join("\n");
    assert!(!everything.contains("13900000402") && !everything.contains("马秀英"));
    assert!(!everything.contains("老板只给了一天的钱"));
}
