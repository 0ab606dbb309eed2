//! The staff's matching desk and the records that follow a match, through the real
//! router on both stores: offering by hand (logged with the worker's factors),
//! recording days and pay, cancelling a place (it goes back to the job), holding a
//! worker from matching, and the parked-notice queue.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_tests::{
    Backend, TestApi,
    console::{get_as, login, post_form_as, with_staff},
};
use serde_json::json;

fn job_body(headcount: u32) -> serde_json::Value {
    json!({
        "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong",
        "address": "城中区南关街某小区", "start_date": "2026-11-30", "end_date": "2026-12-02",
        "headcount": headcount, "daily_wage_yuan": 220, "pay_terms": "daily",
        "employer_name": "城中区某物业公司", "contact_name": "王经理",
        "contact_phone": "13800000001", "description": "打扫楼道和电梯间，工具由物业提供。"
    })
}

async fn sign_up(api: &TestApi, name: &str, phone: &str) -> String {
    let answer = api
        .post_json(
            "/api/workers",
            &json!({"name": name, "phone": phone, "trades": ["cleaning"], "districts": ["chengzhong"], "consent": true}),
            &[("x-forwarded-for", phone)],
        )
        .await;
    assert!(
        answer.status == 201 || answer.status == 200,
        "{}",
        answer.body
    );
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn worker_id(api: &TestApi, phone: &str) -> String {
    let station = api.state.app.stations.default_station().clone();
    let phone = lingong_core::phone::MobileNumber::parse("phone", phone).unwrap();
    api.state
        .app
        .worker_by_phone(&station, &phone)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn apply(api: &TestApi, job_id: &str, name: &str, phone: &str) {
    let code = api.phone_code(phone, &[("x-forwarded-for", phone)]).await;
    let answer = api
        .post_json(
            &format!("/api/jobs/{job_id}/apply"),
            &json!({"name": name, "phone": phone, "consent": true, "code": code}),
            &[("x-forwarded-for", phone)],
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

lingong_tests::on_both_backends!(
    staff_offer_by_hand_and_see_why,
    placements_are_recorded_and_cancelled,
    a_held_worker_leaves_matching,
);

async fn staff_offer_by_hand_and_see_why(backend: Backend) {
    let api = with_staff(backend).await;
    let worker = sign_up(&api, "马秀英", "13900000002").await;
    let job = api.post_json("/api/jobs", &job_body(2), &[]).await.json();
    let id = job["id"].as_str().unwrap();
    let (cookie, csrf) = login(&api, "clerk").await;
    let path = format!("/staff/jobs/{id}/offer");
    let answer = post_form_as(
        &api,
        &path,
        Some(&cookie),
        &[("_csrf", &csrf), ("phone", "139 0000 0002")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    // Offering the same worker again is refused; an unknown number is not found.
    let again = post_form_as(
        &api,
        &path,
        Some(&cookie),
        &[("_csrf", &csrf), ("phone", "13900000002")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(again.status, 422);
    let unknown = post_form_as(
        &api,
        &path,
        Some(&cookie),
        &[("_csrf", &csrf), ("phone", "13700009999")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(unknown.status, 404);
    let page = get_as(&api, &format!("/staff/jobs/{id}"), Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("马秀英"));
    assert!(page.body.contains("139****0002"));
    assert!(
        !page.body.contains("13900000002"),
        "the desk shows masked numbers"
    );
    assert!(
        page.body.contains("人工"),
        "the offer is marked as made by hand"
    );
    // The audit log keeps the override and the worker's factors.
    let station = lingong_core::station::StationId::parse("xining-chengzhong").unwrap();
    let audit = lingong_core::audit::of_target(&*api.store.store, &station, "job", id, 10)
        .await
        .unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "job.offer_by_staff")
        .unwrap();
    assert_eq!(entry.actor, "clerk");
    assert_eq!(entry.after["worker_id"], worker);
    assert!(entry.after["factors"]["waited_hours"].is_number());
}

async fn placements_are_recorded_and_cancelled(backend: Backend) {
    let api = with_staff(backend).await;
    let job = api.post_json("/api/jobs", &job_body(2), &[]).await.json();
    let id = job["id"].as_str().unwrap().to_owned();
    apply(&api, &id, "马秀英", "13900000002").await;
    apply(&api, &id, "李桂兰", "13900000003").await;
    let listed = api.get("/api/jobs", &[]).await.json();
    assert!(
        listed["jobs"].as_array().unwrap().is_empty(),
        "two of two places taken: filled"
    );
    // They applied from the board, which signed them up.
    let worker_a = worker_id(&api, "13900000002").await;
    let worker_b = worker_id(&api, "13900000003").await;
    let (cookie, csrf) = login(&api, "clerk").await;

    let record = format!("/staff/jobs/{id}/placements/{worker_a}/record");
    let bad = post_form_as(
        &api,
        &record,
        Some(&cookie),
        &[("_csrf", &csrf), ("days_worked", "0"), ("wage_paid", "660")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(bad.status, 422);
    let done = post_form_as(
        &api,
        &record,
        Some(&cookie),
        &[("_csrf", &csrf), ("days_worked", "3"), ("wage_paid", "660")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(done.status, 303);

    let cancel = format!("/staff/jobs/{id}/placements/{worker_b}/cancel");
    let answer = post_form_as(
        &api,
        &cancel,
        Some(&cookie),
        &[("_csrf", &csrf), ("reason", "本人生病不能来")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    // The place went back: the job is on the board again with one place open.
    let listed = api.get("/api/jobs", &[]).await.json();
    assert_eq!(listed["jobs"][0]["id"], id.as_str());
    assert_eq!(listed["jobs"][0]["open_places"], 1);
    // And the worker's days are free again (the job runs 30 November – 2 December).
    let station = api.state.app.stations.default_station().clone();
    for day in ["2026-11-30", "2026-12-01", "2026-12-02"] {
        let key = lingong_core::keys::worker_day(&station.id, &worker_b, day.parse().unwrap());
        assert!(api.store.store.get(&key).await.unwrap().is_none(), "{day}");
    }
    let held =
        lingong_core::keys::worker_day(&station.id, &worker_a, "2026-12-01".parse().unwrap());
    assert!(api.store.store.get(&held).await.unwrap().is_some());
    // Cancelling twice is harmless.
    let again = post_form_as(
        &api,
        &cancel,
        Some(&cookie),
        &[("_csrf", &csrf), ("reason", "本人生病不能来")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(again.status, 303);
    assert_eq!(
        api.get("/api/jobs", &[]).await.json()["jobs"][0]["open_places"],
        1
    );

    let page = get_as(&api, &format!("/staff/jobs/{id}"), Some(&cookie)).await;
    assert!(page.body.contains("已完工"));
    assert!(page.body.contains("已取消"));
    assert!(page.body.contains("660"));
}

async fn a_held_worker_leaves_matching(backend: Backend) {
    use lingong_core::store::{Index, Query, query_all};
    let api = with_staff(backend).await;
    let worker = sign_up(&api, "马秀英", "13900000002").await;
    let in_index = || async {
        query_all(
            &*api.store.store,
            Query::index_newest_first(
                Index::Gsi1,
                "ST#xining-chengzhong#SKILL#cleaning#chengzhong",
                10,
            ),
        )
        .await
        .unwrap()
        .len()
    };
    assert_eq!(in_index().await, 1);
    let (cookie, csrf) = login(&api, "clerk").await;
    let hold = post_form_as(
        &api,
        &format!("/staff/workers/{worker}/hold"),
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("reason", "多次接活后未到岗"),
            ("back", "/staff/notices"),
        ],
        "203.0.113.1",
    )
    .await;
    assert_eq!(hold.status, 303);
    assert_eq!(hold.headers["location"], "/staff/notices");
    assert_eq!(
        in_index().await,
        0,
        "a held worker is out of the matching index"
    );
    let release = post_form_as(
        &api,
        &format!("/staff/workers/{worker}/release"),
        Some(&cookie),
        &[("_csrf", &csrf)],
        "203.0.113.1",
    )
    .await;
    assert_eq!(release.status, 303);
    assert_eq!(in_index().await, 1);
    // The parked-notice queue renders (empty here).
    let queue = get_as(&api, "/staff/notices", Some(&cookie)).await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("待处理通知"));
}
