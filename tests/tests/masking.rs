//! Phone numbers typed into a posting's free text never reach the public whole, however
//! they are split: not through `GET /api/jobs`, not on the board's pages, feeds or
//! `jobs.json`. Invisible and bidirectional control characters never get into the
//! records. On both stores, through the real router and the real site builder.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{path::Path, sync::Arc};

use lingong_core::mask::digit_value;
use lingong_site::{publish::DirSink, rebuild::SiteRebuilder, site::SiteBuilder};
use lingong_tests::{Backend, TestApi, test_api};
use serde_json::{Value, json};

/// The mobile number hidden in the posting: 139 2468 0135. Its middle digits (2468)
/// must never be shown; the masked form shows 139****0135.
const MOBILE_MIDDLE: &str = "2468";
/// The landline hidden in it: 0971 8123456 (the local number's start must not show).
const LANDLINE_LOCAL: &str = "8123";

fn posting() -> Value {
    json!({
        "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong",
        "address": "城中区南关街某小区，电话139.2468.0135",
        "start_date": "2026-11-30", "end_date": "2026-12-02",
        "headcount": 2, "daily_wage_yuan": 220, "pay_terms": "daily",
        "employer_name": "某物业 一三九 二四六八 〇一三五",
        "contact_name": "王经理", "contact_phone": "13800000001",
        "description": "打扫楼道和电梯间，有意者打139\u{3000}2468\u{00A0}0135，或座机0971–812/3456，或1_3_9,2_4_6_8,0_1_3_5。",
    })
}

/// The digits of `text`, in whatever form they were written, as ASCII.
fn digits(text: &str) -> String {
    text.chars()
        .filter_map(digit_value)
        .map(|d| char::from(b'0' + d))
        .collect()
}

fn every_file(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            every_file(&path, out);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

async fn built_site(api: &TestApi) -> Vec<(String, String)> {
    let app = api.state.app.clone();
    let dir = tempfile::tempdir().unwrap();
    let site = SiteBuilder::new(
        app.stations.default_station().clone(),
        "https://lingong.example.cn",
    )
    .unwrap();
    SiteRebuilder::new(app, site, Arc::new(DirSink::new(dir.path())))
        .build_all()
        .await
        .unwrap();
    let mut files = Vec::new();
    every_file(dir.path(), &mut files);
    files
}

lingong_tests::on_both_backends!(
    split_numbers_in_a_posting_are_masked_in_the_api_and_on_the_board,
    invisible_and_bidi_characters_never_get_into_a_posting,
);

async fn split_numbers_in_a_posting_are_masked_in_the_api_and_on_the_board(backend: Backend) {
    let api = test_api(backend).await;
    let answer = api.post_json("/api/jobs", &posting(), &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let id = answer.json()["id"].as_str().unwrap().to_owned();

    let list = api.get("/api/jobs", &[]).await;
    assert_eq!(list.status, 200);
    let jobs = list.json()["jobs"].as_array().unwrap().clone();
    assert_eq!(jobs.len(), 1);
    for field in ["address", "employer_name", "description"] {
        let text = jobs[0][field].as_str().unwrap();
        let shown = digits(text);
        assert!(
            !shown.contains(MOBILE_MIDDLE) && !shown.contains(LANDLINE_LOCAL),
            "GET /api/jobs shows the number in {field}: {text:?}"
        );
        assert!(text.contains("139****0135"), "{field}: {text:?}");
    }
    assert!(
        jobs[0]["description"]
            .as_str()
            .unwrap()
            .contains("0971-****456")
    );

    let files = built_site(&api).await;
    let page = files
        .iter()
        .find(|(path, _)| path.contains(&id) && path.ends_with(".html"))
        .unwrap_or_else(|| panic!("no page for job {id}"));
    assert!(page.1.contains("139****0135"), "{}", page.0);
    for (path, text) in &files {
        for shown in [
            "139.2468.0135",
            "二四六八",
            "139\u{3000}2468",
            "2_4_6_8",
            "812/3456",
            "8123456",
            "13924680135",
        ] {
            assert!(!text.contains(shown), "{path} shows {shown:?}");
        }
    }
    let feeds_and_data: Vec<&(String, String)> = files
        .iter()
        .filter(|(path, text)| {
            (path.ends_with(".json") || path.ends_with(".xml")) && text.contains(&id)
        })
        .collect();
    assert!(
        !feeds_and_data.is_empty(),
        "jobs.json or a feed lists the job"
    );
}

async fn invisible_and_bidi_characters_never_get_into_a_posting(backend: Backend) {
    let api = test_api(backend).await;
    let mut body = posting();
    body["title"] = json!("\u{FEFF}小区\u{200B}楼道保洁");
    body["description"] = json!("打扫楼道和电梯间，\u{2028}工具由物业提供。\u{200D}");
    body["address"] = json!("城中区\u{2060}南关街某小区");
    let answer = api.post_json("/api/jobs", &body, &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let list = api.get("/api/jobs", &[]).await;
    let job = &list.json()["jobs"][0];
    assert_eq!(job["title"], "小区楼道保洁");
    assert_eq!(job["address"], "城中区南关街某小区");
    assert_eq!(job["description"], "打扫楼道和电梯间，\n工具由物业提供。");
    for item in api.store.every_item().await {
        for c in ['\u{FEFF}', '\u{200B}', '\u{200D}', '\u{2060}', '\u{2028}'] {
            assert!(!item.contains(c), "{c:?} stored: {item}");
        }
    }

    // A bidirectional control is refused, and nothing is stored.
    let mut bidi = posting();
    bidi["employer_name"] = json!("某物业\u{061C}公司");
    let answer = api.post_json("/api/jobs", &bidi, &[]).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("employer_name"), "{}", answer.body);
    assert_eq!(
        api.get("/api/jobs", &[]).await.json()["jobs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
