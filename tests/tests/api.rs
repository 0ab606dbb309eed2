//! The HTTP API through the real router, on DynamoDB Local and on the embedded store:
//! posting, sign-up, listing, manage links, idempotency and every kind of bad request.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_core::{
    keys,
    store::{Index, Query, query_all},
};
use lingong_tests::{Answer, Backend, TestApi, count_records, test_api};
use serde_json::{Value, json};

const STATION: &str = "xining-chengzhong";

fn job_body() -> Value {
    json!({
        "title": "小区楼道保洁",
        "trade": "cleaning",
        "district": "chengzhong",
        "address": "城中区南关街某小区",
        "start_date": "2026-11-30",
        "end_date": "2026-12-02",
        "headcount": 3,
        "daily_wage_yuan": 220,
        "pay_terms": "daily",
        "employer_name": "城中区某物业公司",
        "contact_name": "王经理",
        "contact_phone": "+86 138-0000-0001",
        "contact_email": "wang@example.com",
        "description": "打扫楼道和电梯间，工具由物业提供。"
    })
}

fn worker_body() -> Value {
    json!({
        "name": "马秀英",
        "phone": "13900000002",
        "trades": ["cleaning", "housekeeping"],
        "districts": ["chengzhong", "chengdong"],
        "available_from": "2026-11-28",
        "expected_daily_wage_yuan": 200,
        "channel": "sms",
        "consent": true
    })
}

fn path_of(url: &str) -> String {
    url.strip_prefix("http://lingong.test")
        .expect("manage links are absolute")
        .to_owned()
}

async fn records(api: &TestApi) -> (usize, usize, usize) {
    count_records(&*api.store.store, STATION).await
}

lingong_tests::on_both_backends!(
    a_posted_job_is_listed_without_contact_details,
    invalid_jobs_get_every_error_in_chinese_or_english_and_store_nothing,
    an_idempotency_key_gives_one_job_and_the_first_answer,
    concurrent_retries_with_one_key_store_one_job,
    plain_forms_post_without_javascript,
    bad_requests_are_refused_clearly,
    signing_up_again_sends_the_link_to_the_number_and_changes_nothing,
    workers_can_be_listed_for_matching_by_trade_and_district,
    the_employer_manages_the_job_through_the_link,
    the_worker_manages_their_sign_up_through_the_link,
    a_stranger_asking_for_the_link_does_not_kill_the_owners_link,
    the_edit_form_tells_nobody_whether_a_number_is_registered,
    listing_filters_and_pages,
);

async fn a_posted_job_is_listed_without_contact_details(backend: Backend) {
    let api = test_api(backend).await;
    let answer = api.post_json("/api/jobs", &job_body(), &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let posted = answer.json();
    assert_eq!(posted["status"], "published");
    let id = posted["id"].as_str().unwrap();
    assert!(
        posted["manage_url"]
            .as_str()
            .unwrap()
            .contains(&format!("/api/jobs/{id}/manage?token="))
    );

    let list = api.get("/api/jobs", &[]).await;
    assert_eq!(list.status, 200);
    let jobs = list.json()["jobs"].as_array().unwrap().clone();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["id"], id);
    assert_eq!(jobs[0]["daily_wage_yuan"], 220.0);
    assert_eq!(jobs[0]["open_places"], 3);
    for secret in ["13800000001", "138****0001", "wang@example.com", "王经理"] {
        assert!(
            !list.body.contains(secret),
            "the public list leaks {secret}"
        );
    }
    assert_eq!(records(&api).await, (1, 0, 1));
}

async fn invalid_jobs_get_every_error_in_chinese_or_english_and_store_nothing(backend: Backend) {
    let api = test_api(backend).await;
    let mut body = job_body();
    body["daily_wage_yuan"] = json!(120);
    body["start_date"] = json!("2026-11-27");
    body["headcount"] = json!(0);
    body["contact_phone"] = json!("12345");
    body["title"] = json!("保洁\u{0007}");
    let zh = api.post_json("/api/jobs", &body, &[]).await;
    assert_eq!(zh.status, 422);
    let errors = zh.json()["errors"].as_array().unwrap().clone();
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e["field"] == field)
            .and_then(|e| e["message"].as_str())
            .unwrap_or_else(|| panic!("no error for {field}: {errors:?}"))
            .to_owned()
    };
    assert!(
        message("daily_wage_yuan").contains("150"),
        "the floor is named"
    );
    assert!(message("daily_wage_yuan").contains("保洁"));
    assert!(message("start_date").contains("今天"));
    assert!(message("headcount").contains("200"));
    assert!(message("contact_phone").contains("手机号"));
    assert!(message("title").contains("特殊字符"));

    let en = api
        .post_json("/api/jobs", &body, &[("accept-language", "en-GB,en;q=0.9")])
        .await;
    assert_eq!(en.status, 422);
    assert!(en.body.contains("floor of 150 yuan"), "{}", en.body);
    assert_eq!(records(&api).await, (0, 0, 0));
}

async fn an_idempotency_key_gives_one_job_and_the_first_answer(backend: Backend) {
    let api = test_api(backend).await;
    let key = [("idempotency-key", "post-2026-11-28-0001")];
    let first = api.post_json("/api/jobs", &job_body(), &key).await;
    assert_eq!(first.status, 201);
    for _ in 0..3 {
        let again = api.post_json("/api/jobs", &job_body(), &key).await;
        assert_eq!(again.status, 201);
        assert_eq!(
            again.json(),
            first.json(),
            "a retry gets the first answer, manage link included"
        );
        assert_eq!(again.headers["idempotent-replayed"], "true");
    }
    let mut other = job_body();
    other["headcount"] = json!(5);
    let conflict = api.post_json("/api/jobs", &other, &key).await;
    assert_eq!(conflict.status, 409);
    assert!(
        conflict.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    assert_eq!(records(&api).await, (1, 0, 1));
    // The manage link from the replay works.
    let link = path_of(first.json()["manage_url"].as_str().unwrap());
    assert_eq!(
        api.get(&link, &[("accept", "application/json")])
            .await
            .status,
        200
    );
    // A key that is too short is refused before anything happens.
    let short = api
        .post_json("/api/jobs", &job_body(), &[("idempotency-key", "x")])
        .await;
    assert_eq!(short.status, 422);
}

async fn concurrent_retries_with_one_key_store_one_job(backend: Backend) {
    let api = std::sync::Arc::new(test_api(backend).await);
    let calls = (0..8).map(|_| {
        let api = api.clone();
        tokio::spawn(async move {
            api.post_json(
                "/api/jobs",
                &job_body(),
                &[("idempotency-key", "same-key-concurrent")],
            )
            .await
        })
    });
    let answers: Vec<Answer> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|a| a.unwrap())
        .collect();
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 201, "{}", a.body);
            a.json()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry names the same job");
    assert_eq!(records(&api).await, (1, 0, 1));
}

async fn plain_forms_post_without_javascript(backend: Backend) {
    let api = test_api(backend).await;
    let fields = [
        ("_lang", "zh-CN"),
        ("_nonce", ""),
        ("station", STATION),
        ("title", "超市夜间理货 <b>急招</b>"),
        ("trade", "moving"),
        ("district", "chengxi"),
        ("address", "城西区五四大街"),
        ("start_date", "2026-11-29"),
        ("end_date", "2026-11-30"),
        ("headcount", "4"),
        ("daily_wage_yuan", "260"),
        ("pay_terms", "daily"),
        ("employer_name", "城西区某超市"),
        ("contact_name", "刘主管"),
        ("contact_phone", "13800000003"),
        ("contact_email", ""),
        ("description", "晚上卸货、上架、整理仓库。"),
        ("requirements", ""),
    ];
    let page = api.post_form("/api/jobs", &fields).await;
    assert_eq!(page.status, 201, "{}", page.body);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("招工已提交"));
    assert!(
        page.body.contains("manage?token="),
        "the page shows the manage link"
    );
    // The same form sent again (double click, browser resend) is one job.
    let again = api.post_form("/api/jobs", &fields).await;
    assert_eq!(again.status, 201);
    assert_eq!(records(&api).await.0, 1);

    // A form with mistakes comes back with what was typed and each error beside it.
    let mut wrong = fields.to_vec();
    wrong.retain(|(k, _)| *k != "daily_wage_yuan" && *k != "contact_phone");
    wrong.push(("daily_wage_yuan", "100"));
    wrong.push(("contact_phone", "555"));
    let page = api.post_form("/api/jobs", &wrong).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("有 2 处需要修改"), "{}", page.body);
    assert!(page.body.contains("最低标准 180 元"));
    assert!(
        page.body
            .contains("value=\"超市夜间理货 &lt;b&gt;急招&lt;/b&gt;\""),
        "values are kept, escaped"
    );
    assert!(page.body.contains("aria-invalid=\"true\""));
    assert_eq!(records(&api).await.0, 1);

    // In English when the form says so.
    let mut english = wrong.clone();
    english.retain(|(k, _)| *k != "_lang");
    english.push(("_lang", "en"));
    let page = api.post_form("/api/jobs", &english).await;
    assert!(page.body.contains("2 things need fixing"), "{}", page.body);
    assert!(page.body.contains("<html lang=\"en\">"));
}

async fn bad_requests_are_refused_clearly(backend: Backend) {
    let api = test_api(backend).await;
    let big = "字".repeat(30_000);
    let mut body = job_body();
    body["description"] = json!(big);
    let too_large = api.post_json("/api/jobs", &body, &[]).await;
    assert_eq!(too_large.status, 413);
    assert!(
        too_large.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("64 KB")
    );

    let request = axum::http::Request::post("/api/jobs")
        .header("content-type", "text/plain")
        .body(axum::body::Body::from("hello"))
        .unwrap();
    let unsupported = api.call(request).await;
    assert_eq!(unsupported.status, 415);
    assert!(unsupported.body.contains("JSON"));

    for raw in ["{", "[1,2]", "\"text\"", "null"] {
        let request = axum::http::Request::post("/api/jobs")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(raw))
            .unwrap();
        let malformed = api.call(request).await;
        assert_eq!(malformed.status, 400, "{raw}");
    }
    let nested = api
        .post_json("/api/jobs", &json!({"title": {"zh": "x"}}), &[])
        .await;
    assert_eq!(nested.status, 422);
    let form_bytes = axum::http::Request::post("/api/workers")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(vec![0xff, 0xfe, b'=', 0x80]))
        .unwrap();
    let bad_form = api.call(form_bytes).await;
    assert_eq!(bad_form.status, 400);
    assert!(
        bad_form.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let unknown = api.get("/api/nothing-here", &[]).await;
    assert_eq!(unknown.status, 404);
    let other_station = {
        let mut body = job_body();
        body["station"] = json!("atlantis");
        api.post_json("/api/jobs", &body, &[]).await
    };
    assert_eq!(other_station.status, 404);
    assert_eq!(records(&api).await, (0, 0, 0));
}

async fn signing_up_again_sends_the_link_to_the_number_and_changes_nothing(backend: Backend) {
    let api = test_api(backend).await;
    let first = api.post_json("/api/workers", &worker_body(), &[]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let first = first.json();
    assert_eq!(first["updated"], false);

    // Someone types the same number (however written) with other details: they get no
    // link and no data, and the record is unchanged.
    let mut again = worker_body();
    again["name"] = json!("冒名者");
    again["phone"] = json!("+86 139-0000-0002");
    again["trades"] = json!(["moving"]);
    let second = api.post_json("/api/workers", &again, &[]).await;
    assert_eq!(second.status, 202, "{}", second.body);
    let body = second.json();
    assert_eq!(body["status"], "link_sent");
    assert!(body.get("manage_url").is_none() && body.get("id").is_none());
    assert!(!second.body.contains("马秀英"));
    assert_eq!(records(&api).await, (0, 1, 0));
    let page = api
        .post_form(
            "/api/workers",
            &[
                ("name", "冒名者"),
                ("phone", "13900000002"),
                ("trades", "moving"),
                ("districts", "chengzhong"),
                ("consent", "true"),
                ("_lang", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(page.status, 202, "{}", page.body);
    assert!(page.body.contains("已经登记过") && !page.body.contains("manage?token="));
    // Asked again the same day without a request key: the same answer, no second message.
    let third = api.post_json("/api/workers", &again, &[]).await;
    assert_eq!(third.status, 202, "{}", third.body);

    // The owner gets a fresh link at their number (one a day, however often asked).
    let station = api.state.app.stations.default_station().clone();
    let sent: Vec<lingong_core::notices::Notice> = query_all(
        &*api.store.store,
        Query::index_newest_first(
            Index::Gsi2,
            keys::notices_of_worker(&station.id, first["id"].as_str().unwrap()),
            10,
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|i| lingong_core::records::notice_from_item(i).unwrap())
    .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, lingong_core::notices::NoticeKind::ManageLink);
    assert_eq!(sent[0].to.phone.as_str(), "13900000002");
    let link = sent[0].data.link_path.clone().unwrap();

    // That link works and shows the details as the owner left them; the old one works
    // until the new one is used (a stranger asking must not lock the owner out), then
    // stops.
    let old_link = path_of(first["manage_url"].as_str().unwrap());
    let old = api.get(&old_link, &[("accept", "application/json")]).await;
    assert_eq!(old.status, 200, "{}", old.body);
    let new = api.get(&link, &[("accept", "application/json")]).await;
    assert_eq!(new.status, 200, "{}", new.body);
    let old = api.get(&old_link, &[("accept", "application/json")]).await;
    assert_eq!(old.status, 404);
    assert_eq!(new.json()["worker"]["name"], "马秀英");
    assert_eq!(new.json()["worker"]["trades"], worker_body()["trades"]);
    assert_eq!(new.json()["worker"]["consent"]["version"], "2026-11-01");

    let mut no_consent = worker_body();
    no_consent["consent"] = json!(false);
    no_consent["phone"] = json!("13900000009");
    let refused = api.post_json("/api/workers", &no_consent, &[]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("consent"));
    assert_eq!(records(&api).await, (0, 1, 0));
}

async fn workers_can_be_listed_for_matching_by_trade_and_district(backend: Backend) {
    use lingong_core::store::{Index, Query, query_all};
    let api = test_api(backend).await;
    let answer = api.post_json("/api/workers", &worker_body(), &[]).await;
    assert_eq!(answer.status, 201);
    let id = answer.json()["id"].as_str().unwrap().to_owned();
    let candidates = |trade: &'static str, district: &'static str| {
        let store = api.store.store.clone();
        async move {
            let pk = format!("ST#{STATION}#SKILL#{trade}#{district}");
            query_all(&*store, Query::index_newest_first(Index::Gsi1, pk, 100))
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.body["worker_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(candidates("cleaning", "chengzhong").await, vec![id.clone()]);
    assert_eq!(
        candidates("housekeeping", "chengdong").await,
        vec![id.clone()]
    );
    assert!(candidates("moving", "chengzhong").await.is_empty());

    // Opting out of automated matching (through the manage link) takes the worker out
    // of the index entirely.
    let link = path_of(answer.json()["manage_url"].as_str().unwrap());
    let mut opted_out = worker_body();
    opted_out["auto_matching"] = json!(false);
    opted_out["action"] = json!("edit");
    let edited = api.post_json(&link, &opted_out, &[]).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert!(candidates("cleaning", "chengzhong").await.is_empty());
}

async fn the_employer_manages_the_job_through_the_link(backend: Backend) {
    let api = test_api(backend).await;
    let posted = api.post_json("/api/jobs", &job_body(), &[]).await.json();
    let link = path_of(posted["manage_url"].as_str().unwrap());
    let id = posted["id"].as_str().unwrap();

    // A wrong or missing token finds nothing.
    let forged = format!("/api/jobs/{id}/manage?token=forged");
    assert_eq!(api.get(&forged, &[]).await.status, 404);
    assert_eq!(
        api.get(&format!("/api/jobs/{id}/manage"), &[]).await.status,
        404
    );
    assert_eq!(
        api.get("/api/jobs/not-an-id/manage?token=x", &[])
            .await
            .status,
        404
    );

    // The page shows the job in an edit form.
    let page = api.get(&link, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("管理我的招工"));
    assert!(page.body.contains("value=\"小区楼道保洁\""));

    // Edit through JSON.
    let mut edited = job_body();
    edited["action"] = json!("edit");
    edited["daily_wage_yuan"] = json!(240);
    let answer = api.post_json(&link, &edited, &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["job"]["daily_wage_yuan"], 240.0);
    let mut bad = edited.clone();
    bad["daily_wage_yuan"] = json!(10);
    assert_eq!(api.post_json(&link, &bad, &[]).await.status, 422);

    // Close through the plain form: a redirect back to the page, which says so.
    let closed = api
        .post_form(&link, &[("_action", "close"), ("_lang", "zh-CN")])
        .await;
    assert_eq!(closed.status, 303);
    let location = closed.headers["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("&done=closed"));
    let after = api.get(&location, &[]).await;
    assert!(after.body.contains("招工已关闭"));
    assert!(after.body.contains("已关闭"));
    // Closing again is harmless; editing a closed job is refused.
    assert_eq!(
        api.post_json(&link, &json!({"action": "close"}), &[])
            .await
            .status,
        200
    );
    assert_eq!(api.post_json(&link, &edited, &[]).await.status, 409);
    // It left the board.
    assert!(
        api.get("/api/jobs", &[]).await.json()["jobs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn the_worker_manages_their_sign_up_through_the_link(backend: Backend) {
    let api = test_api(backend).await;
    let signed = api
        .post_json("/api/workers", &worker_body(), &[])
        .await
        .json();
    let link = path_of(signed["manage_url"].as_str().unwrap());
    let page = api.get(&link, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("value=\"马秀英\""));
    assert!(page.body.contains("value=\"cleaning\" checked"));

    let mut changed = worker_body();
    changed["action"] = json!("edit");
    changed["phone"] = json!("13900000077");
    // A new number needs the code sent to it.
    let refused = api.post_json(&link, &changed, &[]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("短信验证码"), "{}", refused.body);
    changed["code"] = json!(api.phone_code("13900000077", &[]).await);
    let answer = api.post_json(&link, &changed, &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The new number is now the worker's identity: signing up with it finds them.
    let mut again = worker_body();
    again["phone"] = json!("13900000077");
    let resigned = api.post_json("/api/workers", &again, &[]).await;
    assert_eq!(resigned.status, 202, "{}", resigned.body);
    // And the old number is free for someone else.
    let mut someone = worker_body();
    someone["name"] = json!("李桂兰");
    let other = api.post_json("/api/workers", &someone, &[]).await;
    assert_eq!(other.status, 201);
    assert_ne!(other.json()["id"], signed["id"]);

    // A worker cannot take a number another worker has.
    let new_link = latest_manage_link(&api, signed["id"].as_str().unwrap()).await;
    let mut taken = worker_body();
    taken["action"] = json!("edit");
    taken["phone"] = json!("13900000002");
    taken["code"] = json!(api.phone_code("13900000002", &[]).await);
    let refused = api.post_json(&new_link, &taken, &[]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("另一位求职者"), "{}", refused.body);

    let withdrawn = api.post_form(&new_link, &[("_action", "withdraw")]).await;
    assert_eq!(withdrawn.status, 303);
    let view = api
        .get(&new_link, &[("accept", "application/json")])
        .await
        .json();
    assert_eq!(view["worker"]["status"], "withdrawn");
    assert_eq!(records(&api).await, (0, 2, 0));
}

async fn listing_filters_and_pages(backend: Backend) {
    let api = test_api(backend).await;
    let plan = [
        ("cleaning", "chengzhong"),
        ("cleaning", "chengxi"),
        ("moving", "chengzhong"),
        ("cleaning", "chengzhong"),
        ("temp", "datong"),
    ];
    for (n, (trade, district)) in plan.iter().enumerate() {
        let mut body = job_body();
        body["trade"] = json!(trade);
        body["district"] = json!(district);
        body["daily_wage_yuan"] = json!(200);
        body["title"] = json!(format!("第{n}号招工"));
        assert_eq!(api.post_json("/api/jobs", &body, &[]).await.status, 201);
        api.clock.advance(chrono::Duration::seconds(1));
    }
    let titles = |answer: Answer| -> Vec<String> {
        answer.json()["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(api.get("/api/jobs?trade=cleaning", &[]).await),
        ["第3号招工", "第1号招工", "第0号招工"]
    );
    assert_eq!(
        titles(api.get("/api/jobs?district=chengzhong", &[]).await),
        ["第3号招工", "第2号招工", "第0号招工"]
    );
    assert_eq!(
        titles(
            api.get("/api/jobs?trade=cleaning&district=chengzhong", &[])
                .await
        ),
        ["第3号招工", "第0号招工"]
    );
    let unknown = api.get("/api/jobs?trade=astronaut", &[]).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(api.get("/api/jobs?cursor=garbage", &[]).await.status, 422);

    let first = api.get("/api/jobs?limit=2", &[]).await.json();
    assert_eq!(first["jobs"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().unwrap();
    let second = api
        .get(&format!("/api/jobs?limit=2&cursor={next}"), &[])
        .await
        .json();
    let third = api
        .get(
            &format!(
                "/api/jobs?limit=2&cursor={}",
                second["next"].as_str().unwrap()
            ),
            &[],
        )
        .await
        .json();
    assert_eq!(third["jobs"].as_array().unwrap().len(), 1);
    assert!(third["next"].is_null());
}

async fn a_stranger_asking_for_the_link_does_not_kill_the_owners_link(backend: Backend) {
    let api = test_api(backend).await;
    let signed = api
        .post_json("/api/workers", &worker_body(), &[])
        .await
        .json();
    let id = signed["id"].as_str().unwrap().to_owned();
    let owners = path_of(signed["manage_url"].as_str().unwrap());
    let json = [("accept", "application/json")];
    // A stranger types the number into "lost your link?" (and into the sign-up form).
    let asked = api
        .post_json("/api/workers/link", &json!({ "phone": "13900000002" }), &[])
        .await;
    assert!(asked.status < 300, "{}", asked.body);
    let again = api.post_json("/api/workers", &worker_body(), &[]).await;
    assert_eq!(again.status, 202, "{}", again.body);
    // The owner's link still works, as often as they like.
    for _ in 0..2 {
        assert_eq!(api.get(&owners, &json).await.status, 200);
    }
    // The link sent to the number works too; once it is used, it is the link and the
    // old one stops working.
    let sent = latest_manage_link(&api, &id).await;
    assert_ne!(sent, owners);
    let opened = api.get(&sent, &json).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert_eq!(opened.json()["worker"]["id"], id.as_str());
    assert_eq!(api.get(&owners, &json).await.status, 404);
    assert_eq!(api.get(&sent, &json).await.status, 200);
    // Nothing about the token is ever shown.
    assert!(!opened.body.contains("token_hash"), "{}", opened.body);
}

async fn the_edit_form_tells_nobody_whether_a_number_is_registered(backend: Backend) {
    let api = test_api(backend).await;
    // A registered number, and a prober with their own manage link.
    let registered = api.post_json("/api/workers", &worker_body(), &[]).await;
    assert_eq!(registered.status, 201);
    let mut prober = worker_body();
    prober["phone"] = json!("13900000031");
    let prober = api.post_json("/api/workers", &prober, &[]).await.json();
    let link = path_of(prober["manage_url"].as_str().unwrap());
    // The same answer for a registered number and a free one, with or without a guess.
    let answer = |phone: &str, code: Option<&str>| {
        let mut body = worker_body();
        body["action"] = json!("edit");
        body["phone"] = json!(phone);
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        body
    };
    for code in [None, Some("123456")] {
        let taken = api
            .post_json(&link, &answer("13900000002", code), &[])
            .await;
        let free = api
            .post_json(&link, &answer("13900000032", code), &[])
            .await;
        assert_eq!(taken.status, 422, "{}", taken.body);
        assert_eq!((taken.status, &taken.body), (free.status, &free.body));
        assert!(!taken.body.contains("另一位求职者"), "{}", taken.body);
    }
    // The form without scripts sends a code to the new number and asks for it, for
    // any number alike; a manage link sends at most five such codes a day.
    let form = |phone: &'static str| {
        vec![
            ("_action", "edit"),
            ("name", "马秀英"),
            ("phone", phone),
            ("trades", "cleaning"),
            ("districts", "chengzhong"),
            ("channel", "sms"),
            ("consent", "true"),
            ("_lang", "zh-CN"),
        ]
    };
    let phones = [
        "13900000002",
        "13900000041",
        "13900000042",
        "13900000043",
        "13900000044",
    ];
    for phone in phones {
        let asked = api.post_form(&link, &form(phone)).await;
        assert_eq!(asked.status, 200, "{phone}: {}", asked.body);
        assert!(
            asked.body.contains("验证码已用短信发到新号码"),
            "{}",
            asked.body
        );
        assert!(asked.body.contains("name=\"code\""));
    }
    let sixth = api.post_form(&link, &form("13900000045")).await;
    assert_eq!(sixth.status, 422, "{}", sixth.body);
    assert!(sixth.body.contains("发送太频繁"), "{}", sixth.body);
    assert!(
        lingong_tests::flow::latest_code(&api.state.app, "13900000045")
            .await
            .is_none()
    );
}

/// The manage link last sent to a worker's number (someone signed up with it again).
async fn latest_manage_link(api: &TestApi, worker_id: &str) -> String {
    let station = api.state.app.stations.default_station().clone();
    query_all(
        &*api.store.store,
        Query::index_newest_first(
            Index::Gsi2,
            keys::notices_of_worker(&station.id, worker_id),
            10,
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|i| lingong_core::records::notice_from_item(i).unwrap())
    .find(|n| n.kind == lingong_core::notices::NoticeKind::ManageLink)
    .and_then(|n| n.data.link_path)
    .unwrap()
}
