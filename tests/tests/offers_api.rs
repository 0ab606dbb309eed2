//! The offer, application and SMS-reply routes through the real router, on DynamoDB
//! Local and on the embedded store: signed links, plain forms, JSON, bad input answered
//! clearly in Chinese or English with nothing changed, and retries with one effect.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_core::matching::offer::link_signature;
use lingong_tests::{
    Backend, TestApi, count_records,
    flow::{app_on, latest_code, unique_phone},
    test_api,
};
use serde_json::{Value, json};

const STATION: &str = "xining-chengzhong";

lingong_tests::on_both_backends!(
    offer_links_show_the_job_and_take_answers,
    applying_from_the_board_is_checked_and_idempotent,
    an_invented_number_cannot_apply_or_learn_the_contact,
    a_code_dies_after_five_wrong_tries,
    a_code_works_for_ten_minutes_then_expires,
    codes_are_limited_per_number_even_in_a_burst,
    the_form_without_scripts_asks_the_code_again_when_it_is_wrong,
    sms_replies_need_a_valid_signature_and_a_mobile_number,
);

async fn post_job(api: &TestApi, headcount: u32) -> String {
    let body = json!({
        "title": "超市夜间理货", "trade": "moving", "district": "chengxi",
        "address": "城西区五四大街某超市", "start_date": "2026-11-30", "end_date": "2026-11-30",
        "headcount": headcount, "daily_wage_yuan": 260, "pay_terms": "daily",
        "employer_name": "城西区某连锁超市", "contact_name": "刘主管", "contact_phone": unique_phone(),
        "description": "晚 8 点到凌晨 2 点卸货、上架。",
    });
    let answer = api.post_json("/api/jobs", &body, &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn sign_up(api: &TestApi, name: &str) -> String {
    let body = json!({
        "name": name, "phone": unique_phone(), "trades": ["moving"], "districts": ["chengxi"],
        "channel": "sms", "consent": true,
    });
    let answer = api.post_json("/api/workers", &body, &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["id"].as_str().unwrap().to_owned()
}

async fn offer_paths(api: &TestApi, job_id: &str) -> Vec<String> {
    let app = app_on(api.state.app.store.clone(), api.clock.clone());
    let station = app.stations.default_station().clone();
    app.run_wave(&station, job_id).await.unwrap();
    app.offers_of_job(&station, job_id)
        .await
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "/api/offers/{}?sig={}",
                o.id,
                link_signature(&app.secrets, &station.id, &o.id)
            )
        })
        .collect()
}

async fn offer_links_show_the_job_and_take_answers(backend: Backend) {
    let api = test_api(backend).await;
    sign_up(&api, "韩建国").await;
    sign_up(&api, "赵德明").await;
    let job_id = post_job(&api, 1).await;
    let paths = offer_paths(&api, &job_id).await;
    assert_eq!(paths.len(), 2);

    // A page without JavaScript: the job, the reasons, two forms.
    let page = api.get(&paths[0], &[]).await;
    assert_eq!(page.status, 200);
    for text in [
        "超市夜间理货",
        "城西区五四大街某超市",
        "接受，我去",
        "不去",
        "为什么推荐给我",
        "近 7 天上工 0 天",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    assert!(!page.body.contains("刘主管"), "no contact before accepting");
    let english = api.get(&paths[0], &[("accept-language", "en")]).await;
    assert!(english.body.contains("Accept, I will go") && english.body.contains("Why me?"));

    // Forged or missing signatures find nothing, in the reader's language.
    let forged = paths[0].replace("sig=", "sig=x");
    let not_found = api.get(&forged, &[("accept", "application/json")]).await;
    assert_eq!(not_found.status, 404);
    assert!(not_found.body.contains("没有找到"));
    let not_found = api
        .get(
            &forged,
            &[("accept", "application/json"), ("accept-language", "en")],
        )
        .await;
    assert!(
        not_found.body.contains("Not found") || not_found.body.contains("not found"),
        "{}",
        not_found.body
    );
    let unsigned = paths[0].split('?').next().unwrap().to_owned();
    assert_eq!(api.get(&unsigned, &[]).await.status, 404);

    // An answer that is neither accept nor decline changes nothing.
    let odd = api.post_form(&paths[0], &[("action", "maybe")]).await;
    assert_eq!(odd.status, 422);
    // JSON clients: accept, accept again (same place), the other is told it is full.
    let accept = |path: String| {
        let api = &api;
        async move {
            api.post_json(&path, &json!({ "action": "accept" }), &[])
                .await
        }
    };
    let first = accept(paths[0].clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json()["result"], "accepted");
    assert_eq!(
        accept(paths[0].clone()).await.json()["result"],
        "already_accepted"
    );
    let late = accept(paths[1].clone()).await;
    assert_eq!(late.status, 409);
    assert_eq!(late.json()["result"], "full");
    assert!(late.json()["message"].as_str().unwrap().contains("很抱歉"));
    // Now the page shows whom to call.
    let shown = api
        .get(&paths[0], &[("accept", "application/json")])
        .await
        .json();
    assert_eq!(shown["offer"]["status"], "accepted");
    assert_eq!(shown["offer"]["contact_name"], "刘主管");
}

fn form(pairs: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    pairs.to_vec()
}

async fn applying_from_the_board_is_checked_and_idempotent(backend: Backend) {
    let api = test_api(backend).await;
    let job_id = post_job(&api, 1).await;
    let path = format!("/api/jobs/{job_id}/apply");
    let before = count_records(&*api.store.store, STATION).await;

    // Every problem at once, in Chinese, the form shown again; nothing stored.
    let bad = form(&[
        ("name", String::new()),
        ("phone", "12345".into()),
        ("_lang", "zh-CN".into()),
    ]);
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = api.post_form(&path, &bad).await;
    assert_eq!(answer.status, 422);
    for text in [
        "请填写此项",
        "11 位中国大陆手机号",
        "请阅读并同意个人信息处理说明",
    ] {
        assert!(answer.body.contains(text), "{text} missing");
    }
    let en = api
        .post_json(
            &path,
            &json!({ "name": "Li", "phone": "138", "_lang": "en" }),
            &[],
        )
        .await;
    assert_eq!(en.status, 422);
    let errors: Vec<Value> = en.json()["errors"].as_array().unwrap().clone();
    assert!(errors.iter().any(|e| e["field"] == "phone"));
    assert!(
        errors.iter().any(|e| e["field"] == "consent"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("accept the personal information notice")),
        "{errors:?}"
    );
    assert_eq!(count_records(&*api.store.store, STATION).await, before);

    // A good application, in two steps that need no script: the number first, and a
    // code goes to it by SMS (nothing else is stored, no contact shown)...
    let phone = unique_phone();
    let step_one = [
        ("name", "马秀英"),
        ("phone", phone.as_str()),
        ("consent", "true"),
        ("_nonce", "apply-nonce-0001"),
        ("_lang", "zh-CN"),
    ];
    let asked = api.post_form(&path, &step_one).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("验证码已用短信发到"), "{}", asked.body);
    assert!(asked.body.contains("name=\"code\""), "{}", asked.body);
    assert!(!asked.body.contains("刘主管"), "no contact before the code");
    let (_, workers, _) = count_records(&*api.store.store, STATION).await;
    assert_eq!(workers, before.1);
    // ...then the code from the SMS: signed up, placed, the contact shown, a manage link.
    let code = latest_code(&api.state.app, &phone).await.unwrap();
    let good = [
        ("name", "马秀英"),
        ("phone", phone.as_str()),
        ("consent", "true"),
        ("code", code.as_str()),
        ("_nonce", "apply-nonce-0001"),
        ("_lang", "zh-CN"),
    ];
    let placed = api.post_form(&path, &good).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert!(placed.body.contains("报名成功") && placed.body.contains("刘主管"));
    assert!(
        placed.body.contains("manage?token="),
        "manage link for the new sign-up"
    );
    // The same form again (a double click): the same place, the same link.
    let again = api.post_form(&path, &good).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("已经报名过"));
    // Full now: the next applicant hears so (409) and is not signed up.
    let (_, workers_before, _) = count_records(&*api.store.store, STATION).await;
    let other_phone = unique_phone();
    let code = api.phone_code(&other_phone, &[]).await;
    let other = api
        .post_json(
            &path,
            &json!({ "name": "韩建国", "phone": other_phone, "consent": true, "code": code }),
            &[],
        )
        .await;
    assert_eq!(other.status, 409);
    assert_eq!(other.json()["result"], "full");
    let (_, workers_after, _) = count_records(&*api.store.store, STATION).await;
    assert_eq!(workers_after, workers_before);
    // No such job.
    let missing = api
        .post_json(
            "/api/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/apply",
            &json!({"name": "x"}),
            &[],
        )
        .await;
    assert_eq!(missing.status, 404);
}

async fn sms_replies_need_a_valid_signature_and_a_mobile_number(backend: Backend) {
    let api = test_api(backend).await;
    let key = lingong_core::app::sms::inbound_key(&api.state.app.secrets);
    let now = lingong_core::Clock::now(&*api.clock)
        .timestamp()
        .to_string();
    let call = |body: Value, key: String, ts: String| {
        let api = &api;
        async move {
            let sig =
                lingong_core::app::sms::inbound_signature(&key, &ts, body.to_string().as_bytes());
            api.post_json(
                "/api/sms/inbound",
                &body,
                &[
                    ("x-lingong-timestamp", ts.as_str()),
                    ("x-lingong-signature", sig.as_str()),
                ],
            )
            .await
        }
    };
    // A wrong key is refused.
    let forged = call(
        json!({"from": "13800000000", "text": "1"}),
        "wrong".into(),
        now.clone(),
    )
    .await;
    assert_eq!(forged.status, 401);
    // Not a mainland mobile: a clear error.
    let bad = call(
        json!({"from": "+1 415 555 0100", "text": "1"}),
        key.clone(),
        now.clone(),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("手机号"));
    // Missing fields.
    let empty = call(json!({}), key.clone(), now.clone()).await;
    assert_eq!(empty.status, 422);
    // A stranger's "1": nothing happens.
    let stranger = call(
        json!({"from": "13011112222", "text": "1"}),
        key.clone(),
        now.clone(),
    )
    .await;
    assert_eq!(stranger.status, 200);
    assert_eq!(stranger.json()["result"], "unknown_number");
    // A form-encoded call works the same (some gateways post forms).
    let sig = lingong_core::app::sms::inbound_signature(&key, &now, b"from=13011112222&text=TD");
    let request = axum::http::Request::post("/api/sms/inbound")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-lingong-timestamp", now.as_str())
        .header("x-lingong-signature", sig.as_str())
        .body(axum::body::Body::from("from=13011112222&text=TD"))
        .unwrap();
    let answer = api.call(request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["result"], "unsubscribed");
}

/// A JSON application for `phone`, with `code` if one is given.
fn application(phone: &str, code: Option<&str>, lang: &str) -> Value {
    let mut body = json!({ "name": "冒名者", "phone": phone, "consent": true, "_lang": lang });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    body
}

/// An address of its own for each request, so these tests meet only the limits they
/// are about (the per-address quota is tested elsewhere).
fn fresh_address() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

async fn apply_json(api: &TestApi, path: &str, body: &Value) -> lingong_tests::Answer {
    let address = fresh_address();
    api.post_json(path, body, &[("x-forwarded-for", address.as_str())])
        .await
}

async fn code_for(api: &TestApi, phone: &str) -> String {
    let address = fresh_address();
    api.phone_code(phone, &[("x-forwarded-for", address.as_str())])
        .await
}

async fn places_taken(api: &TestApi, job_id: &str) -> u16 {
    let app = &api.state.app;
    let station = app.stations.default_station().clone();
    app.job(&station, job_id).await.unwrap().unwrap().placed
}

async fn an_invented_number_cannot_apply_or_learn_the_contact(backend: Backend) {
    let api = test_api(backend).await;
    let job_id = post_job(&api, 3).await;
    let path = format!("/api/jobs/{job_id}/apply");
    let before = count_records(&*api.store.store, STATION).await;
    // Four invented numbers, no code: each refused, clearly, in the reader's language.
    for (i, lang) in ["zh-CN", "en", "zh-CN", "en"].into_iter().enumerate() {
        let answer = apply_json(&api, &path, &application(&unique_phone(), None, lang)).await;
        assert_eq!(answer.status, 422, "{i}: {}", answer.body);
        let errors = answer.json()["errors"].clone();
        assert_eq!(errors[0]["field"], "code", "{errors}");
        let message = errors[0]["message"].as_str().unwrap();
        if lang == "en" {
            assert!(message.contains("code we sent"), "{message}");
        } else {
            assert!(message.contains("短信验证码"), "{message}");
        }
        assert!(!answer.body.contains("刘主管") && !answer.body.contains("contact_phone"));
    }
    // A made-up code is no better.
    let guessed = apply_json(
        &api,
        &path,
        &application(&unique_phone(), Some("123456"), "zh-CN"),
    )
    .await;
    assert_eq!(guessed.status, 422, "{}", guessed.body);
    assert!(
        guessed.body.contains("验证码已过期或已失效"),
        "{}",
        guessed.body
    );
    // Nothing stored: no worker, no place taken.
    assert_eq!(count_records(&*api.store.store, STATION).await, before);
    assert_eq!(places_taken(&api, &job_id).await, 0);
}

async fn a_code_dies_after_five_wrong_tries(backend: Backend) {
    let api = test_api(backend).await;
    let job_id = post_job(&api, 1).await;
    let path = format!("/api/jobs/{job_id}/apply");
    let phone = unique_phone();
    let code = code_for(&api, &phone).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    // Five wrong tries, straight at the use case (the route's per-number form quota
    // would refuse the later ones first).
    for i in 1..=5 {
        let mut input = lingong_core::input::RawInput::new();
        for (name, value) in [
            ("name", "冒名者"),
            ("phone", phone.as_str()),
            ("consent", "true"),
            ("code", wrong),
        ] {
            input.push(name, value);
        }
        let refused = api
            .state
            .app
            .apply_to_job(None, &job_id, &input, None)
            .await;
        let Err(lingong_core::app::ApplyError::Invalid(invalid)) = refused else {
            panic!("{i}: {refused:?}");
        };
        let expected = if i < 5 {
            "error.code_wrong"
        } else {
            "error.code_used_up"
        };
        assert_eq!(invalid.0[0].field, "code");
        assert_eq!(invalid.0[0].key, expected, "{i}");
    }
    // The right code after that: the code is dead, nothing happens.
    let late = apply_json(&api, &path, &application(&phone, Some(&code), "zh-CN")).await;
    assert_eq!(late.status, 422, "{}", late.body);
    assert!(late.body.contains("输错次数太多"), "{}", late.body);
    let (_, workers, _) = count_records(&*api.store.store, STATION).await;
    assert_eq!(workers, 0);
    assert_eq!(places_taken(&api, &job_id).await, 0);
    // A new code (a minute later) works.
    api.clock.advance(chrono::Duration::seconds(61));
    let fresh = code_for(&api, &phone).await;
    let placed = apply_json(&api, &path, &application(&phone, Some(&fresh), "zh-CN")).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
}

async fn a_code_works_for_ten_minutes_then_expires(backend: Backend) {
    let api = test_api(backend).await;
    let job_id = post_job(&api, 2).await;
    let path = format!("/api/jobs/{job_id}/apply");
    // Right code, nine and a half minutes later: the application goes through.
    let phone = unique_phone();
    let code = code_for(&api, &phone).await;
    api.clock.advance(chrono::Duration::seconds(570));
    let placed = apply_json(&api, &path, &application(&phone, Some(&code), "zh-CN")).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!(placed.json()["contact_name"], "刘主管");
    // A code is used once: the same code again finds nothing live.
    let again = apply_json(&api, &path, &application(&phone, Some(&code), "zh-CN")).await;
    assert_eq!(again.status, 422, "{}", again.body);
    // Right code, eleven minutes later: expired, nothing stored.
    let late_phone = unique_phone();
    let code = code_for(&api, &late_phone).await;
    api.clock.advance(chrono::Duration::minutes(11));
    let before = count_records(&*api.store.store, STATION).await;
    let late = apply_json(&api, &path, &application(&late_phone, Some(&code), "en")).await;
    assert_eq!(late.status, 422, "{}", late.body);
    assert!(late.body.contains("expired"), "{}", late.body);
    assert_eq!(count_records(&*api.store.store, STATION).await, before);
    assert_eq!(places_taken(&api, &job_id).await, 1);
}

async fn codes_are_limited_per_number_even_in_a_burst(backend: Backend) {
    let api = test_api(backend).await;
    let phone = unique_phone();
    // Twenty at once for one number (each from its own address): exactly one is sent.
    let answers = futures::future::join_all((0..20).map(|_| {
        let api = &api;
        let phone = phone.clone();
        async move {
            let address = fresh_address();
            api.post_json(
                "/api/phone-codes",
                &json!({ "phone": phone }),
                &[("x-forwarded-for", address.as_str())],
            )
            .await
            .status
        }
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|s| **s == 202).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|s| *s == 202 || *s == 429),
        "{answers:?}"
    );
    // One a minute, five an hour: of six more sends a minute apart, four go.
    let app = &api.state.app;
    let station = app.stations.default_station().clone();
    let number = lingong_core::phone::MobileNumber::parse("phone", &phone).unwrap();
    let mut sent = 1;
    for _ in 0..6 {
        api.clock.advance(chrono::Duration::seconds(61));
        match app
            .send_phone_code(&station, &number, lingong_core::Lang::Zh)
            .await
        {
            Ok(()) => sent += 1,
            Err(lingong_core::app::SendCodeError::TooSoon { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(sent, 5);
    // Another number is not held back by this one.
    code_for(&api, &unique_phone()).await;
    // A number that is not a mobile number gets no code, in plain words.
    let address = fresh_address();
    let bad = api
        .post_json(
            "/api/phone-codes",
            &json!({ "phone": "12345", "_lang": "en" }),
            &[("x-forwarded-for", address.as_str())],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
}

async fn the_form_without_scripts_asks_the_code_again_when_it_is_wrong(backend: Backend) {
    let api = test_api(backend).await;
    let job_id = post_job(&api, 1).await;
    let path = format!("/api/jobs/{job_id}/apply");
    let phone = unique_phone();
    let post = |code: Option<&str>| {
        let api = &api;
        let path = path.clone();
        let mut fields = vec![
            ("name", "马秀英".to_owned()),
            ("phone", phone.clone()),
            ("consent", "true".to_owned()),
            ("_lang", "en".to_owned()),
        ];
        if let Some(code) = code {
            fields.push(("code", code.to_owned()));
        }
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            api.post_form(&path, &pairs).await
        }
    };
    let asked = post(None).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains("We have sent a code by SMS"),
        "{}",
        asked.body
    );
    // Asking again at once: no second SMS; the code already sent still works.
    let again = post(None).await;
    assert_eq!(again.status, 429, "{}", again.body);
    assert!(again.body.contains("asked for too often"), "{}", again.body);
    let code = latest_code(&api.state.app, &phone).await.unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let refused = post(Some(wrong)).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("That code is not right"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("name=\"code\""),
        "still on the code step"
    );
    assert!(!refused.body.contains("刘主管"));
    let placed = post(Some(&code)).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert!(placed.body.contains("刘主管"));
    // The job is full now: the next person hears so and no code is sent for it.
    let late = unique_phone();
    let full = api
        .post_form(
            &path,
            &[
                ("name", "韩建国"),
                ("phone", late.as_str()),
                ("consent", "true"),
                ("_lang", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(full.status, 409, "{}", full.body);
    assert!(full.body.contains("已经招满"), "{}", full.body);
    assert!(latest_code(&api.state.app, &late).await.is_none());
}
