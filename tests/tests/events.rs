//! Training courses and livestreams through the real router, on DynamoDB Local and on
//! the embedded store: staff create them in the console (session and CSRF required),
//! workers register through the public form once per number, a course is never
//! overbooked however many register at once, full and closed courses answer clearly,
//! attendance is marked once and audited, erasing a worker erases their registrations,
//! and the public /training/ page is rebuilt from the change.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lingong_core::{
    app::{Actor, ErasedBy, EventError},
    changes::Change,
    events::Closed,
    input::RawInput,
    keys,
    staff::Role,
};
use lingong_tests::{
    Backend, TestApi,
    console::{get_as, login, post_form_as, with_staff},
};
use serde_json::json;

const FROM: &str = "203.0.113.7";

fn actor(api: &TestApi, username: &str) -> Actor {
    Actor {
        station: api.state.app.stations.default_station().id.clone(),
        username: username.into(),
        role: Role::Staff,
        session_id: "test-session".into(),
    }
}

/// Staff create a course through the console; returns its id.
async fn create_course(api: &TestApi, cookie: &str, csrf: &str, capacity: &str) -> String {
    let answer = post_form_as(
        api,
        "/staff/courses",
        Some(cookie),
        &[
            ("_csrf", csrf),
            ("_nonce", &format!("course-form-{capacity}-{}", rand_tag())),
            ("title", "家政服务员岗前培训"),
            (
                "description",
                "三天课程：保洁、收纳、老人照护基础。带身份证。",
            ),
            ("trade", "housekeeping"),
            ("place", "城中区零工驿站二楼培训室"),
            ("starts_at", "2026-12-05T09:00"),
            ("ends_at", "2026-12-05T17:00"),
            ("capacity", capacity),
        ],
        FROM,
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.headers["location"].to_str().unwrap();
    location
        .trim_start_matches("/staff/courses/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

fn rand_tag() -> String {
    lingong_core::job::new_id(chrono::Utc::now()).unwrap()
}

fn registration(name: &str, phone: &str) -> RawInput {
    let mut input = RawInput::new();
    input.push("name", name);
    input.push("phone", phone);
    input.push("consent", "true");
    input
}

async fn course(api: &TestApi, id: &str) -> lingong_core::events::Course {
    let station = api.state.app.stations.default_station().clone();
    api.state.app.course(&station, id).await.unwrap().unwrap()
}

lingong_tests::on_both_backends!(
    staff_event_routes_need_a_session_and_csrf,
    registering_twice_with_one_number_is_one_registration,
    concurrent_registrations_never_overbook,
    full_cancelled_and_started_courses_refuse_clearly,
    attendance_is_marked_once_and_audited,
    erasing_a_worker_erases_their_registrations,
    livestreams_take_https_links_only,
    the_training_page_is_rebuilt_from_the_change,
    a_registrant_is_erased_at_their_request,
    staff_correct_a_course_without_losing_registrations,
);

async fn staff_event_routes_need_a_session_and_csrf(backend: Backend) {
    let api = with_staff(backend).await;
    let id = "01KBSM6Y0000000000000000AA";
    for path in ["/staff/events".to_owned(), format!("/staff/courses/{id}")] {
        assert_eq!(get_as(&api, &path, None).await.status, 401, "{path}");
        assert_eq!(
            get_as(&api, &path, Some("forged.x")).await.status,
            401,
            "{path}"
        );
    }
    let actions = [
        "/staff/courses".to_owned(),
        format!("/staff/courses/{id}/cancel"),
        format!("/staff/courses/{id}/registrations/{id}/attendance"),
        format!("/staff/courses/{id}/registrations/{id}/erase"),
        format!("/staff/courses/{id}/edit"),
        "/staff/lives".to_owned(),
        format!("/staff/lives/{id}/cancel"),
    ];
    let (cookie, csrf) = login(&api, "clerk").await;
    for path in &actions {
        let answer = post_form_as(&api, path, None, &[("title", "x")], FROM).await;
        assert_eq!(answer.status, 401, "{path} without a cookie");
        let answer = post_form_as(&api, path, Some(&cookie), &[("_csrf", "forged")], FROM).await;
        assert_eq!(answer.status, 403, "{path} with a forged token");
    }
    // Nothing was created; with the token it works.
    assert!(
        api.state
            .app
            .courses_for_staff(&actor(&api, "clerk"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let id = create_course(&api, &cookie, &csrf, "30").await;
    let page = get_as(&api, &format!("/staff/courses/{id}"), Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("家政服务员岗前培训") && page.body.contains("0 / 30"));
}

async fn registering_twice_with_one_number_is_one_registration(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let id = create_course(&api, &cookie, &csrf, "30").await;
    let path = format!("/api/courses/{id}/register");
    let body = json!({ "name": "马占山", "phone": "139 0000 0301", "consent": true });
    let first = api
        .post_json(&path, &body, &[("idempotency-key", "register-0001")])
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = api
        .post_json(&path, &body, &[("idempotency-key", "register-0001")])
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json()["id"], first.json()["id"]);
    // A new form from the same number (written differently) gets the same place back.
    let other_form = api
        .post_json(
            &path,
            &json!({ "name": "马占山", "phone": "+86 13900000301", "consent": true }),
            &[("idempotency-key", "register-0002")],
        )
        .await;
    assert_eq!(other_form.status, 201);
    assert_eq!(other_form.json()["id"], first.json()["id"]);
    assert_eq!(
        other_form.json()["message"],
        "这个手机号已经报过这个培训班了，不用再报。名额给您留着。"
    );
    // The plain HTML form: a confirmation page, and the count is still one.
    let page = api
        .post_form(
            &path,
            &[
                ("name", "马占山"),
                ("phone", "13900000301"),
                ("consent", "true"),
            ],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    assert!(page.body.contains("报名成功") && page.body.contains("家政服务员岗前培训"));
    assert_eq!(course(&api, &id).await.registered, 1);
    // Bad input: the form again, every problem marked, nothing stored.
    let bad = api
        .post_form(&path, &[("name", ""), ("phone", "12345")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("请填写此项") && bad.body.contains("请阅读并同意"));
    assert_eq!(course(&api, &id).await.registered, 1);
    // The honeypot is refused like on every public form.
    let bot = api
        .post_form(
            &path,
            &[
                ("name", "机器人"),
                ("phone", "13900000399"),
                ("consent", "true"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!(bot.status, 422);
    assert_eq!(course(&api, &id).await.registered, 1);
}

async fn concurrent_registrations_never_overbook(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let id = create_course(&api, &cookie, &csrf, "5").await;
    let app = Arc::new(api.state.app.clone());
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let (app, id) = (app.clone(), id.clone());
            tokio::spawn(async move {
                let input = registration(&format!("学员{n}"), &format!("1390000{n:04}"));
                app.register_for_course(None, &id, &input, None).await
            })
        })
        .collect();
    let mut registered = 0;
    let mut full = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(filed) => {
                assert!(!filed.replayed);
                registered += 1;
            }
            Err(EventError::Closed(Closed::Full)) => full += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!((registered, full), (5, 15));
    let (course, list) = api
        .state
        .app
        .course_registrations(&actor(&api, "clerk"), &id)
        .await
        .unwrap();
    assert_eq!(course.registered, 5);
    assert_eq!(course.places_left(), 0);
    assert_eq!(list.len(), 5);
}

async fn full_cancelled_and_started_courses_refuse_clearly(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let one = create_course(&api, &cookie, &csrf, "1").await;
    let path = format!("/api/courses/{one}/register");
    let ok = api
        .post_json(
            &path,
            &json!({ "name": "马占山", "phone": "13900000301", "consent": true }),
            &[],
        )
        .await;
    assert_eq!(ok.status, 201);
    let second = json!({ "name": "韩梅", "phone": "13900000302", "consent": true });
    let full = api.post_json(&path, &second, &[]).await;
    assert_eq!(full.status, 409);
    assert_eq!(full.json()["errors"][0]["message"], "这个培训班已经报满了");
    let full_en = api
        .post_json(&path, &second, &[("accept-language", "en")])
        .await;
    assert_eq!(
        full_en.json()["errors"][0]["message"],
        "This course is full"
    );
    let page = api
        .post_form(
            &path,
            &[
                ("name", "韩梅"),
                ("phone", "13900000302"),
                ("consent", "true"),
            ],
        )
        .await;
    assert_eq!(page.status, 409);
    assert!(page.body.contains("不能报名") && page.body.contains("这个培训班已经报满了"));

    let other = create_course(&api, &cookie, &csrf, "30").await;
    // Two people registered: one a signed-up worker, one not.
    let worker = api
        .post_json(
            "/api/workers",
            &json!({"name": "李桂兰", "phone": "13900000303", "trades": ["housekeeping"], "districts": ["chengzhong"], "consent": true}),
            &[],
        )
        .await;
    assert_eq!(worker.status, 201, "{}", worker.body);
    let worker_id = worker.json()["id"].as_str().unwrap().to_owned();
    for (name, phone) in [("李桂兰", "13900000303"), ("韩梅", "13900000304")] {
        let registered = api
            .post_json(
                &format!("/api/courses/{other}/register"),
                &json!({ "name": name, "phone": phone, "consent": true }),
                &[],
            )
            .await;
        assert_eq!(registered.status, 201, "{}", registered.body);
    }
    let cancel = post_form_as(
        &api,
        &format!("/staff/courses/{other}/cancel"),
        Some(&cookie),
        &[("_csrf", &csrf)],
        FROM,
    )
    .await;
    assert_eq!(cancel.status, 303);
    // Both are told, once each, however often staff press cancel; the worker's notice is
    // filed under them (so erasing them removes it).
    post_form_as(
        &api,
        &format!("/staff/courses/{other}/cancel"),
        Some(&cookie),
        &[("_csrf", &csrf)],
        FROM,
    )
    .await;
    let station = api.state.app.stations.default_station().clone();
    let told: Vec<lingong_core::notices::Notice> = lingong_core::store::query_all(
        &*api.store.store,
        lingong_core::store::Query::index_newest_first(
            lingong_core::store::Index::Gsi3,
            lingong_core::keys::notices_in(&station.id, "due"),
            100,
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|i| lingong_core::records::notice_from_item(i).unwrap())
    .filter(|n| n.kind == lingong_core::notices::NoticeKind::CourseCancelled)
    .collect();
    let mut numbers: Vec<&str> = told.iter().map(|n| n.to.phone.as_str()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, ["13900000303", "13900000304"]);
    assert_eq!(
        told.iter()
            .find(|n| n.to.phone.as_str() == "13900000303")
            .unwrap()
            .worker_id
            .as_deref(),
        Some(worker_id.as_str())
    );
    assert_eq!(
        told[0].data.event.as_ref().unwrap().title,
        "家政服务员岗前培训"
    );
    let cancelled = api
        .post_json(&format!("/api/courses/{other}/register"), &second, &[])
        .await;
    assert_eq!(cancelled.status, 409);
    assert_eq!(
        cancelled.json()["errors"][0]["message"],
        "这个培训班已经取消了"
    );

    let third = create_course(&api, &cookie, &csrf, "30").await;
    api.clock.advance(chrono::Duration::days(8));
    let started = api
        .post_json(&format!("/api/courses/{third}/register"), &second, &[])
        .await;
    assert_eq!(started.status, 409);
    assert_eq!(
        started.json()["errors"][0]["message"],
        "这个培训班已经开始或结束了，不能再报名"
    );
    assert_eq!(course(&api, &third).await.registered, 0);
    let unknown = api
        .post_json(
            "/api/courses/01KBSM6Y0000000000000000AA/register",
            &second,
            &[],
        )
        .await;
    assert_eq!(unknown.status, 404);
}

async fn attendance_is_marked_once_and_audited(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let id = create_course(&api, &cookie, &csrf, "30").await;
    let filed = api
        .state
        .app
        .register_for_course(None, &id, &registration("马占山", "13900000301"), None)
        .await
        .unwrap();
    let path = format!(
        "/staff/courses/{id}/registrations/{}/attendance",
        filed.record.id
    );
    for _ in 0..2 {
        let answer = post_form_as(
            &api,
            &path,
            Some(&cookie),
            &[("_csrf", &csrf), ("attended", "true")],
            FROM,
        )
        .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
    let page = get_as(&api, &format!("/staff/courses/{id}"), Some(&cookie)).await;
    assert!(page.body.contains("已到 1 人"), "{}", page.body);
    // Masked by default; whole numbers when staff ask, to call.
    assert!(page.body.contains("139****0301") && !page.body.contains("13900000301"));
    let full = get_as(
        &api,
        &format!("/staff/courses/{id}?phones=full"),
        Some(&cookie),
    )
    .await;
    assert!(full.body.contains("tel:13900000301"));
    let station = api.state.app.stations.default_station().id.clone();
    let history =
        lingong_core::audit::of_target(&*api.state.app.store, &station, "course", &id, 50)
            .await
            .unwrap();
    let marks: Vec<_> = history
        .iter()
        .filter(|e| e.action == "course.attendance")
        .collect();
    assert_eq!(marks.len(), 1, "marking twice is one change");
    assert_eq!(marks[0].actor, "clerk");
    assert_eq!(marks[0].after["attended"], true);
    // The log names the registration, never the person.
    let logged = serde_json::to_string(&history).unwrap();
    assert!(!logged.contains("13900000301") && !logged.contains("马占山"));
    assert!(history.iter().any(|e| e.action == "course.create"));
}

async fn erasing_a_worker_erases_their_registrations(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let id = create_course(&api, &cookie, &csrf, "30").await;
    let signed = api
        .post_json(
            "/api/workers",
            &json!({
                "name": "马秀英", "phone": "13987654321", "trades": ["cleaning"],
                "districts": ["chengzhong"], "available_from": "2026-11-30", "consent": true
            }),
            &[],
        )
        .await;
    assert_eq!(signed.status, 201, "{}", signed.body);
    let worker_id = signed.json()["id"].as_str().unwrap().to_owned();
    api.state
        .app
        .register_for_course(None, &id, &registration("马秀英", "139 8765 4321"), None)
        .await
        .unwrap();
    let station = api.state.app.stations.default_station().clone();
    let worker = api
        .state
        .app
        .worker(&station, &worker_id)
        .await
        .unwrap()
        .unwrap();
    let export = api
        .state
        .app
        .export_worker(&station, &worker)
        .await
        .unwrap();
    assert_eq!(export.course_registrations.len(), 1);
    assert_eq!(export.course_registrations[0]["course_id"], id.as_str());
    assert!(
        api.store
            .every_item()
            .await
            .join("\n")
            .contains("13987654321")
    );

    api.state
        .app
        .erase_worker(&station, &worker_id, ErasedBy::Worker)
        .await
        .unwrap();
    let everything = api.store.every_item().await.join("\n");
    for trace in ["13987654321", "马秀英"] {
        assert!(!everything.contains(trace), "{trace} survived the erasure");
    }
    // The place stays counted, naming nobody.
    let (course, list) = api
        .state
        .app
        .course_registrations(&actor(&api, "clerk"), &id)
        .await
        .unwrap();
    assert_eq!(course.registered, 1);
    assert_eq!(list.len(), 1);
    assert!(list[0].registrant.is_none());

    // Someone who never signed up is forgotten after the retention period.
    api.state
        .app
        .register_for_course(None, &id, &registration("韩梅", "13900000302"), None)
        .await
        .unwrap();
    api.clock.advance(chrono::Duration::days(
        i64::from(station.retention_days) + 40,
    ));
    api.state.app.retention_sweep(&station).await.unwrap();
    let everything = api.store.every_item().await.join("\n");
    assert!(!everything.contains("13900000302") && !everything.contains("韩梅"));
    assert_eq!(
        api.state
            .app
            .course(&station, &id)
            .await
            .unwrap()
            .unwrap()
            .registered,
        2
    );
}

async fn livestreams_take_https_links_only(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let fields = |link: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("_nonce", format!("live-{link}")),
            ("title", "城中区直播带岗专场".to_owned()),
            (
                "description",
                "十家企业现场讲岗位，直播间留言报名。".to_owned(),
            ),
            ("starts_at", "2026-12-10T19:30".to_owned()),
            ("platform", "抖音".to_owned()),
            ("link", link.to_owned()),
        ]
    };
    let as_refs = |f: &[(&'static str, String)]| -> Vec<(&'static str, String)> { f.to_vec() };
    let bad = as_refs(&fields("javascript:alert(1)"));
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = post_form_as(&api, "/staff/lives", Some(&cookie), &bad, FROM).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("https://"), "{}", answer.body);
    let good = fields("https://live.douyin.com/123");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let answer = post_form_as(&api, "/staff/lives", Some(&cookie), &good, FROM).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
    let lives = api
        .state
        .app
        .lives_for_staff(&actor(&api, "clerk"), 10)
        .await
        .unwrap();
    assert_eq!(lives.len(), 1, "a form sent twice makes one livestream");
    let page = get_as(&api, "/staff/events", Some(&cookie)).await;
    assert!(page.body.contains("城中区直播带岗专场"));
}

async fn the_training_page_is_rebuilt_from_the_change(backend: Backend) {
    let api = with_staff(backend).await;
    let app = api.state.app.clone();
    let station = app.stations.default_station().clone();
    let sink = Arc::new(lingong_site::publish::MemorySink::default());
    let site =
        lingong_site::site::SiteBuilder::new(station.clone(), "https://lingong.test").unwrap();
    let rebuilder = lingong_site::rebuild::SiteRebuilder::new(app.clone(), site, sink.clone());
    rebuilder.build_all().await.unwrap();
    let page = |path: &str| String::from_utf8(sink.files.lock().unwrap()[path].clone()).unwrap();
    assert!(page("training/index.html").contains("近期没有培训班"));

    let (cookie, csrf) = login(&api, "clerk").await;
    let id = create_course(&api, &cookie, &csrf, "2").await;
    let change = |key| Change {
        key,
        old: None,
        new: None,
    };
    let report = rebuilder
        .rebuild_after_change(&[change(keys::course(&station.id, &id))])
        .await
        .unwrap();
    assert!(
        report.written.iter().all(|p| p.contains("training/")),
        "{:?}",
        report.written
    );
    assert!(page("training/index.html").contains("还剩 2 个名额"));
    assert!(page("en/training/index.html").contains("2 of 2 places left"));
    app.register_for_course(None, &id, &registration("马占山", "13900000301"), None)
        .await
        .unwrap();
    rebuilder
        .rebuild_after_change(&[change(keys::course(&station.id, &id))])
        .await
        .unwrap();
    let training = page("training/index.html");
    assert!(training.contains("还剩 1 个名额"));
    assert!(!training.contains("马占山") && !training.contains("13900000301"));
}

async fn a_registrant_is_erased_at_their_request(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let first = create_course(&api, &cookie, &csrf, "30").await;
    let second = create_course(&api, &cookie, &csrf, "20").await;
    // Someone who never signed up as a worker registers for both courses.
    for course in [&first, &second] {
        let answer = api
            .post_json(
                &format!("/api/courses/{course}/register"),
                &json!({ "name": "祁秀兰", "phone": "13900000381", "consent": true }),
                &[],
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let (_, registrations) = api
        .state
        .app
        .course_registrations(&actor(&api, "clerk"), &first)
        .await
        .unwrap();
    let erase = format!(
        "/staff/courses/{first}/registrations/{}/erase",
        registrations[0].id
    );
    for _ in 0..2 {
        let answer = post_form_as(&api, &erase, Some(&cookie), &[("_csrf", &csrf)], FROM).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
    // Gone from both courses and from the whole table; the places still count.
    let everything = api.store.every_item().await.join("\n");
    assert!(!everything.contains("13900000381") && !everything.contains("祁秀兰"));
    assert_eq!(course(&api, &first).await.registered, 1);
    assert_eq!(course(&api, &second).await.registered, 1);
    let station = api.state.app.stations.default_station().clone();
    let log = lingong_core::audit::of_target(&*api.store.store, &station.id, "course", &first, 20)
        .await
        .unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "registration.erase")
            .count(),
        1,
        "erased once: the second press found nobody named"
    );
}

async fn staff_correct_a_course_without_losing_registrations(backend: Backend) {
    let api = with_staff(backend).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    let id = create_course(&api, &cookie, &csrf, "30").await;
    for (name, phone) in [("马占山", "13900000391"), ("韩梅", "13900000392")] {
        let answer = api
            .post_json(
                &format!("/api/courses/{id}/register"),
                &json!({ "name": name, "phone": phone, "consent": true }),
                &[],
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let page = get_as(&api, &format!("/staff/courses/{id}"), Some(&cookie)).await;
    assert!(
        page.body.contains("value=\"2026-12-05T09:00\""),
        "the form shows the course"
    );
    let edit = |place: &'static str, capacity: &'static str| {
        let (api, cookie, csrf, path) = (
            &api,
            cookie.clone(),
            csrf.clone(),
            format!("/staff/courses/{id}/edit"),
        );
        async move {
            post_form_as(
                api,
                &path,
                Some(&cookie),
                &[
                    ("_csrf", csrf.as_str()),
                    ("title", "家政服务员岗前培训"),
                    (
                        "description",
                        "三天课程：保洁、收纳、老人照护基础。带身份证。",
                    ),
                    ("trade", "housekeeping"),
                    ("place", place),
                    ("starts_at", "2026-12-05T09:30"),
                    ("ends_at", "2026-12-05T17:00"),
                    ("capacity", capacity),
                ],
                FROM,
            )
            .await
        }
    };
    // Fewer places than people registered: refused, nothing changed.
    let below = edit("城中区零工驿站三楼", "1").await;
    assert_eq!(below.status, 422, "{}", below.body);
    assert!(below.body.contains("已经有 2 人报名"));
    // A new room and start time: saved (a resent form changes nothing more).
    for _ in 0..2 {
        let saved = edit("城中区零工驿站三楼", "30").await;
        assert_eq!(saved.status, 303, "{}", saved.body);
    }
    let changed = course(&api, &id).await;
    assert_eq!(changed.place.as_str(), "城中区零工驿站三楼");
    assert_eq!(changed.registered, 2, "registrations are kept");
    // 09:30 in Xining is 01:30 UTC.
    assert!(
        changed
            .starts_at
            .to_rfc3339()
            .starts_with("2026-12-05T01:30"),
        "{}",
        changed.starts_at
    );
    let station = api.state.app.stations.default_station().clone();
    let log = lingong_core::audit::of_target(&*api.store.store, &station.id, "course", &id, 20)
        .await
        .unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "course.edit").count(), 1);
}
