//! The staff console through the real router, on DynamoDB Local and on the embedded
//! store: sessions, CSRF, login throttling, roles, moderation, employer verification,
//! barring, desk registration and the audit log.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_tests::{
    Backend,
    console::{PASSWORD, get_as, login, post_form_as, with_staff},
};
use serde_json::json;

fn job_body() -> serde_json::Value {
    json!({
        "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong",
        "address": "城中区南关街某小区", "start_date": "2026-11-30", "end_date": "2026-12-02",
        "headcount": 2, "daily_wage_yuan": 220, "pay_terms": "daily",
        "employer_name": "城中区某物业公司", "contact_name": "王经理",
        "contact_phone": "13800000001", "description": "打扫楼道和电梯间，工具由物业提供。"
    })
}

const PAGES: [&str; 14] = [
    "/staff/",
    "/staff/moderation",
    "/staff/employers",
    "/staff/employers/01KBSM6Y0000000000000000AA",
    "/staff/desk",
    "/staff/audit",
    "/staff/jobs/01KBSM6Y0000000000000000AA",
    "/staff/workers",
    "/staff/workers?phone=13900000002",
    "/staff/workers/01KBSM6Y0000000000000000AA",
    "/staff/notices",
    "/staff/complaints",
    "/staff/complaints?status=resolved",
    "/staff/complaints/01KBSM6Y0000000000000000AA",
];
const ACTIONS: [&str; 19] = [
    "/staff/jobs/01KBSM6Y0000000000000000AA/offer",
    "/staff/jobs/01KBSM6Y0000000000000000AA/wave",
    "/staff/jobs/01KBSM6Y0000000000000000AA/placements/01KBSM6Y0000000000000000AB/record",
    "/staff/jobs/01KBSM6Y0000000000000000AA/placements/01KBSM6Y0000000000000000AB/cancel",
    "/staff/workers/01KBSM6Y0000000000000000AA/hold",
    "/staff/workers/01KBSM6Y0000000000000000AA/release",
    "/staff/workers/01KBSM6Y0000000000000000AA/erase",
    "/staff/notices/x.y.offer/retry",
    "/staff/complaints/new",
    "/staff/complaints/01KBSM6Y0000000000000000AA/step",
    "/staff/logout",
    "/staff/settings/moderation",
    "/staff/jobs/01KBSM6Y0000000000000000AA/approve",
    "/staff/jobs/01KBSM6Y0000000000000000AA/reject",
    "/staff/employers/01KBSM6Y0000000000000000AA/verify",
    "/staff/employers/01KBSM6Y0000000000000000AA/blacklist",
    "/staff/employers/01KBSM6Y0000000000000000AA/unblacklist",
    "/staff/desk/worker",
    "/staff/desk/job",
];

lingong_tests::on_both_backends!(
    every_staff_route_needs_a_valid_session,
    forms_without_the_csrf_token_are_refused,
    logins_are_throttled_per_account,
    a_burst_of_guesses_gets_only_the_limit_checked,
    guesses_from_many_addresses_lock_until_an_administrator_unlocks,
    pre_moderation_review_and_rejection,
    only_admins_change_the_moderation_mode,
    employers_are_verified_by_credit_code,
    a_barred_employer_cannot_post,
    desk_registration_records_consent_in_person,
    logging_out_ends_the_session,
    staff_erase_a_worker_at_their_request,
);

async fn every_staff_route_needs_a_valid_session(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, _) = login(&api, "clerk").await;
    let forged = cookie.replacen('.', ".x", 1);
    let expired_clock = api.clock.clone();
    for path in PAGES {
        assert_eq!(
            get_as(&api, path, None).await.status,
            401,
            "{path} without a cookie"
        );
        assert_eq!(
            get_as(&api, path, Some(&forged)).await.status,
            401,
            "{path} with a forged cookie"
        );
        assert_eq!(
            get_as(&api, path, Some("garbage")).await.status,
            401,
            "{path} with garbage"
        );
    }
    for path in ACTIONS {
        let answer = post_form_as(&api, path, None, &[("reason", "x")], "203.0.113.9").await;
        assert_eq!(answer.status, 401, "{path} without a cookie");
        let answer = post_form_as(&api, path, Some(&forged), &[], "203.0.113.9").await;
        assert_eq!(answer.status, 401, "{path} with a forged cookie");
    }
    // Nine hours later the session has expired.
    expired_clock.advance(chrono::Duration::hours(9));
    for path in PAGES {
        assert_eq!(
            get_as(&api, path, Some(&cookie)).await.status,
            401,
            "{path} with an expired cookie"
        );
    }
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let api = with_staff(backend).await;
    let posted = api.post_json("/api/jobs", &job_body(), &[]).await.json();
    let id = posted["id"].as_str().unwrap();
    let (cookie, csrf) = login(&api, "admin").await;
    let path = format!("/staff/jobs/{id}/reject");
    for token in ["", "forged", &csrf[..csrf.len() - 1]] {
        let answer = post_form_as(
            &api,
            &path,
            Some(&cookie),
            &[("_csrf", token), ("reason", "虚假信息")],
            "203.0.113.1",
        )
        .await;
        assert_eq!(answer.status, 403, "token {token:?}");
    }
    // A token from another session does not work either.
    let (_, other_csrf) = login(&api, "clerk").await;
    let answer = post_form_as(
        &api,
        &path,
        Some(&cookie),
        &[("_csrf", &other_csrf), ("reason", "虚假信息")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 403);
    // Nothing changed.
    let list = api.get("/api/jobs", &[]).await.json();
    assert_eq!(list["jobs"][0]["status"], "published");
    // With the right token it works.
    let answer = post_form_as(
        &api,
        &path,
        Some(&cookie),
        &[("_csrf", &csrf), ("reason", "虚假信息")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    assert!(
        api.get("/api/jobs", &[]).await.json()["jobs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn logins_are_throttled_per_account(backend: Backend) {
    let api = with_staff(backend).await;
    // Five wrong passwords for one account from one address.
    for attempt in 0..5 {
        let answer = post_form_as(
            &api,
            "/staff/login",
            None,
            &[("username", "clerk"), ("password", "wrong password")],
            "198.51.100.7",
        )
        .await;
        assert_eq!(answer.status, 401, "attempt {attempt}");
        assert!(answer.body.contains("用户名或密码不对"));
        assert!(!answer.headers.contains_key("set-cookie"));
    }
    // From that address even the right password is refused for a while…
    let answer = post_form_as(
        &api,
        "/staff/login",
        None,
        &[("username", "clerk"), ("password", PASSWORD)],
        "198.51.100.7",
    )
    .await;
    assert_eq!(answer.status, 429);
    assert!(!answer.headers.contains_key("set-cookie"));
    // …but a stranger's guesses do not lock the account's owner out.
    let answer = post_form_as(
        &api,
        "/staff/login",
        None,
        &[("username", "clerk"), ("password", PASSWORD)],
        "192.0.2.200",
    )
    .await;
    assert_eq!(answer.status, 303);
    // Another account is not affected.
    let answer = post_form_as(
        &api,
        "/staff/login",
        None,
        &[("username", "admin"), ("password", PASSWORD)],
        "198.51.100.7",
    )
    .await;
    assert_eq!(answer.status, 303);
    // An unknown user fails the same way as a wrong password.
    let answer = post_form_as(
        &api,
        "/staff/login",
        None,
        &[("username", "nobody"), ("password", PASSWORD)],
        "192.0.2.201",
    )
    .await;
    assert_eq!(answer.status, 401);
    // After the window, the address may try again.
    api.clock.advance(chrono::Duration::minutes(16));
    let answer = post_form_as(
        &api,
        "/staff/login",
        None,
        &[("username", "clerk"), ("password", PASSWORD)],
        "198.51.100.7",
    )
    .await;
    assert_eq!(answer.status, 303);
}

/// A burst of guesses at once runs at most the limit's number of password checks:
/// the right password hidden inside the burst does not get in.
async fn a_burst_of_guesses_gets_only_the_limit_checked(backend: Backend) {
    let api = std::sync::Arc::new(with_staff(backend).await);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            // The right password is the 30th guess.
            let password = if i == 29 { PASSWORD } else { "wrong password" };
            post_form_as(
                &api,
                "/staff/login",
                None,
                &[("username", "clerk"), ("password", password)],
                "198.51.100.9",
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert_eq!(checked, 5, "{statuses:?}");
}

/// Guesses spread over many addresses still hit an account-wide ceiling; an
/// administrator lifts it (`lingong staff unlock`) and the owner gets in at once.
async fn guesses_from_many_addresses_lock_until_an_administrator_unlocks(backend: Backend) {
    let api = with_staff(backend).await;
    for i in 0..50 {
        let from = format!("198.51.{}.{}", 100 + i / 200, i % 200);
        let answer = post_form_as(
            &api,
            "/staff/login",
            None,
            &[("username", "clerk"), ("password", "wrong password")],
            &from,
        )
        .await;
        assert_eq!(answer.status, 401, "guess {i}");
    }
    let right = [("username", "clerk"), ("password", PASSWORD)];
    let answer = post_form_as(&api, "/staff/login", None, &right, "192.0.2.50").await;
    assert_eq!(answer.status, 429);
    let station = api.state.app.stations.default_station().clone();
    api.state.app.unlock_staff(&station, "clerk").await.unwrap();
    let answer = post_form_as(&api, "/staff/login", None, &right, "192.0.2.50").await;
    assert_eq!(answer.status, 303);
}

async fn pre_moderation_review_and_rejection(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "admin").await;
    let answer = post_form_as(
        &api,
        "/staff/settings/moderation",
        Some(&cookie),
        &[("_csrf", &csrf), ("moderation", "pre")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    let posted = api.post_json("/api/jobs", &job_body(), &[]).await.json();
    assert_eq!(posted["status"], "pending_review");
    assert!(
        api.get("/api/jobs", &[]).await.json()["jobs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let queue = get_as(&api, "/staff/moderation", Some(&cookie)).await;
    assert!(queue.body.contains("小区楼道保洁"));
    assert!(
        queue.body.contains("138****0001"),
        "staff see the masked number"
    );
    assert!(!queue.body.contains("13800000001"));
    let id = posted["id"].as_str().unwrap();
    let answer = post_form_as(
        &api,
        &format!("/staff/jobs/{id}/approve"),
        Some(&cookie),
        &[("_csrf", &csrf)],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    assert_eq!(api.get("/api/jobs", &[]).await.json()["jobs"][0]["id"], id);

    // A second posting is rejected with a reason the employer sees on their page.
    let mut other = job_body();
    other["title"] = json!("高薪轻松日结五百");
    let second = api.post_json("/api/jobs", &other, &[]).await.json();
    let second_id = second["id"].as_str().unwrap();
    let answer = post_form_as(
        &api,
        &format!("/staff/jobs/{second_id}/reject"),
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("reason", "工资与工作内容不符，请致电驿站核实"),
        ],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    let link = second["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://lingong.test")
        .to_owned();
    let mine = api
        .get(&link, &[("accept", "application/json")])
        .await
        .json();
    assert_eq!(mine["job"]["status"], "rejected");
    let page = api.get(&link, &[]).await;
    assert!(
        page.body.contains("工资与工作内容不符"),
        "the employer sees the reason"
    );
    let audit = get_as(&api, "/staff/audit", Some(&cookie)).await;
    for action in ["station.moderation", "job.approve", "job.reject"] {
        assert!(audit.body.contains(action), "audit log lacks {action}");
    }
}

async fn only_admins_change_the_moderation_mode(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let answer = post_form_as(
        &api,
        "/staff/settings/moderation",
        Some(&cookie),
        &[("_csrf", &csrf), ("moderation", "pre")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        api.post_json("/api/jobs", &job_body(), &[]).await.json()["status"],
        "published"
    );
}

async fn employers_are_verified_by_credit_code(backend: Backend) {
    let api = with_staff(backend).await;
    let posted = api.post_json("/api/jobs", &job_body(), &[]).await.json();
    assert_eq!(
        api.get("/api/jobs", &[]).await.json()["jobs"][0]["employer_verified"],
        false
    );
    let (cookie, csrf) = login(&api, "clerk").await;
    let employers = get_as(&api, "/staff/employers", Some(&cookie)).await;
    let employer_id = employers
        .body
        .split("/staff/employers/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let path = format!("/staff/employers/{employer_id}/verify");
    let wrong = post_form_as(
        &api,
        &path,
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("credit_code", "91350100M000100Y44"),
            ("licence_name", "西宁某物业服务有限公司"),
        ],
        "203.0.113.1",
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("校验码"));
    let right = post_form_as(
        &api,
        &path,
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("credit_code", "91350100M000100Y43"),
            ("licence_name", "西宁某物业服务有限公司"),
        ],
        "203.0.113.1",
    )
    .await;
    assert_eq!(right.status, 303);
    let job = &api.get("/api/jobs", &[]).await.json()["jobs"][0];
    assert_eq!(job["id"], posted["id"]);
    assert_eq!(
        job["employer_verified"], true,
        "the verified mark reaches open postings"
    );
    let page = get_as(
        &api,
        &format!("/staff/employers/{employer_id}"),
        Some(&cookie),
    )
    .await;
    assert!(page.body.contains("91350100M000100Y43"));
    assert!(
        page.body.contains("employer.verify"),
        "the history shows the action"
    );
}

async fn a_barred_employer_cannot_post(backend: Backend) {
    let api = with_staff(backend).await;
    api.post_json("/api/jobs", &job_body(), &[]).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let employers = get_as(&api, "/staff/employers", Some(&cookie)).await;
    let employer_id = employers
        .body
        .split("/staff/employers/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let answer = post_form_as(
        &api,
        &format!("/staff/employers/{employer_id}/blacklist"),
        Some(&cookie),
        &[("_csrf", &csrf), ("reason", "多名工人反映拖欠工资")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    assert!(
        api.get("/api/jobs", &[]).await.json()["jobs"]
            .as_array()
            .unwrap()
            .is_empty(),
        "their postings came down"
    );
    let mut again = job_body();
    again["title"] = json!("再招保洁两人");
    let refused = api.post_json("/api/jobs", &again, &[]).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("12333")
    );
    // Lifting the bar lets them post again.
    let answer = post_form_as(
        &api,
        &format!("/staff/employers/{employer_id}/unblacklist"),
        Some(&cookie),
        &[("_csrf", &csrf)],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    assert_eq!(api.post_json("/api/jobs", &again, &[]).await.status, 201);
}

async fn desk_registration_records_consent_in_person(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let fields = [
        ("_csrf", csrf.as_str()),
        ("name", "马秀英"),
        ("phone", "13900000002"),
        ("trades", "cleaning"),
        ("districts", "chengzhong"),
        ("channel", "sms"),
        ("consent_in_person", "true"),
    ];
    let answer = post_form_as(
        &api,
        "/staff/desk/worker",
        Some(&cookie),
        &fields,
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    // Without the staff member confirming consent, nothing is stored.
    let mut without = fields.to_vec();
    without.retain(|(k, _)| *k != "consent_in_person");
    without.retain(|(k, _)| *k != "phone");
    without.push(("phone", "13900000003"));
    let refused = post_form_as(
        &api,
        "/staff/desk/worker",
        Some(&cookie),
        &without,
        "203.0.113.1",
    )
    .await;
    assert_eq!(refused.status, 422);
    let (_, workers, _) =
        lingong_tests::count_records(&*api.store.store, "xining-chengzhong").await;
    assert_eq!(workers, 1);
    // Signing up online with the number finds the desk registration: its owner is
    // sent their manage link.
    let signed = api
        .post_json(
            "/api/workers",
            &json!({"name": "马秀英", "phone": "13900000002", "trades": ["cleaning"], "districts": ["chengzhong"], "consent": true}),
            &[],
        )
        .await;
    assert_eq!(
        signed.status, 202,
        "the desk registration is the same worker"
    );
    assert_eq!(signed.json()["status"], "link_sent");
}

async fn logging_out_ends_the_session(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let answer = post_form_as(
        &api,
        "/staff/logout",
        Some(&cookie),
        &[("_csrf", &csrf)],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303);
    assert!(
        answer.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        get_as(&api, "/staff/", Some(&cookie)).await.status,
        401,
        "the old cookie no longer works"
    );
}

async fn staff_erase_a_worker_at_their_request(backend: Backend) {
    let api = with_staff(backend).await;
    let signed = api
        .post_json(
            "/api/workers",
            &json!({"name": "马秀英", "phone": "13900000002", "trades": ["cleaning"], "districts": ["chengzhong"], "consent": true}),
            &[],
        )
        .await
        .json();
    let (cookie, csrf) = login(&api, "clerk").await;
    let found = get_as(
        &api,
        "/staff/workers?phone=139%200000%200002",
        Some(&cookie),
    )
    .await;
    assert_eq!(found.status, 303);
    let page_path = found.headers["location"].to_str().unwrap().to_owned();
    let page = get_as(&api, &page_path, Some(&cookie)).await;
    assert!(page.body.contains("马秀英") && page.body.contains("139****0002"));
    let erase = format!("{page_path}/erase");
    let unconfirmed = post_form_as(
        &api,
        &erase,
        Some(&cookie),
        &[("_csrf", &csrf)],
        "203.0.113.1",
    )
    .await;
    assert_eq!(unconfirmed.status, 422);
    let done = post_form_as(
        &api,
        &erase,
        Some(&cookie),
        &[("_csrf", &csrf), ("confirm", "true")],
        "203.0.113.1",
    )
    .await;
    assert_eq!(done.status, 303);
    assert_eq!(
        get_as(&api, "/staff/workers?phone=13900000002", Some(&cookie))
            .await
            .status,
        404
    );
    let link = signed["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://lingong.test")
        .to_owned();
    assert_eq!(
        api.get(&link, &[]).await.status,
        404,
        "the manage link leads nowhere now"
    );
    let audit = get_as(&api, "/staff/audit", Some(&cookie)).await;
    assert!(audit.body.contains("worker.erase"));
    assert!(!audit.body.contains("马秀英"));
}
