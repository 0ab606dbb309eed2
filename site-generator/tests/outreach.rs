//! The training, livestream and policy pages of the built board: snapshots, a form per
//! course with the anti-abuse fields, nothing personal, staff's text escaped, stored
//! policy pages over the shipped ones, and the sitemap listing them.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use common::{builder, facts, now, station, today};
use lingong_core::{
    Lang,
    board::BoardFacts,
    events::{
        Course, EventStatus, EventTitle, HttpsLink, LiveEvent, Platform, Registrant, Registration,
    },
    phone::MobileNumber,
    policy::{PolicySlug, StoredPolicy},
    records::{course_item, live_item, policy_item, registration_item},
    text::{Address, Description, PersonName},
    worker::{Consent, ConsentMethod},
};

const XSS: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn course(n: u32, capacity: u16, registered: u16, title: &str) -> Course {
    Course {
        id: format!("01KBSM6Y00000000000000C{n:03}"),
        station: station().id.clone(),
        title: EventTitle::parse("title", title).unwrap(),
        description: Description::parse(
            "description",
            &format!("三天课程，带身份证。咨询 13800000001。{XSS}"),
        )
        .unwrap(),
        trade: Some("housekeeping".into()),
        place: Address::parse("place", "城中区零工驿站二楼培训室").unwrap(),
        starts_at: at("2026-12-05T01:00:00Z"),
        ends_at: at("2026-12-05T09:00:00Z"),
        capacity,
        registered,
        status: EventStatus::Open,
        created_by: "clerk".into(),
        created_at: now(),
        updated_at: now(),
        version: 1 + u64::from(registered),
    }
}

fn live(n: u32, job_ids: Vec<String>) -> LiveEvent {
    LiveEvent {
        id: format!("01KBSM6Y00000000000000L{n:03}"),
        station: station().id.clone(),
        title: EventTitle::parse("title", "城中区直播带岗专场").unwrap(),
        description: Description::parse("description", &format!("十家企业讲岗位。{XSS}")).unwrap(),
        starts_at: at("2026-12-10T11:30:00Z"),
        platform: Platform::parse("platform", "抖音").unwrap(),
        link: HttpsLink::parse("link", "https://live.douyin.com/123").unwrap(),
        job_ids,
        status: EventStatus::Open,
        created_by: "clerk".into(),
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn with_events() -> BoardFacts {
    let mut facts = facts(3);
    let first_job = facts.board()[0].id.clone();
    for item in [
        course_item(&course(1, 30, 12, "家政服务员岗前培训")).unwrap(),
        course_item(&course(2, 5, 5, "电动车维修入门培训")).unwrap(),
        live_item(&live(
            1,
            vec![first_job, "01KBSM6Y0000000000000000ZZ".into()],
        ))
        .unwrap(),
    ] {
        facts.apply_item(&item).unwrap();
    }
    // A past course and a cancelled one are not listed.
    let mut past = course(3, 10, 0, "已经结束的培训班");
    past.starts_at = at("2026-11-01T01:00:00Z");
    past.ends_at = at("2026-11-01T09:00:00Z");
    let mut cancelled = course(4, 10, 0, "已经取消的培训班");
    cancelled.status = EventStatus::Cancelled;
    for c in [past, cancelled] {
        facts.apply_item(&course_item(&c).unwrap()).unwrap();
    }
    // A registration is not a fact the board keeps.
    let registration = Registration {
        id: "01KBSM6Y00000000000000R001".into(),
        station: station().id.clone(),
        course_id: course(1, 30, 12, "家政服务员岗前培训").id,
        slot: "abc".into(),
        registrant: Some(Registrant {
            name: PersonName::parse("name", "马占山").unwrap(),
            phone: MobileNumber::parse("phone", "13900000301").unwrap(),
        }),
        consent: Consent {
            version: "v1".into(),
            accepted_at: now(),
            method: ConsentMethod::Online,
        },
        attendance: None,
        created_at: now(),
        version: 1,
    };
    facts
        .apply_item(&registration_item(&registration, Some("abc")).unwrap())
        .unwrap();
    facts
}

fn site(facts: &BoardFacts) -> BTreeMap<String, String> {
    builder()
        .render_all(facts, today())
        .unwrap()
        .into_iter()
        .map(|(path, bytes)| (path, String::from_utf8(bytes).unwrap()))
        .collect()
}

fn without_asset_versions(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(at) = rest.find("?v=") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str("VERSION");
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

#[test]
fn training_and_live_pages_list_what_is_coming() {
    let files = site(&with_events());
    let training = &files["training/index.html"];
    assert!(training.contains("家政服务员岗前培训"));
    assert!(training.contains("还剩 18 个名额（共 30 个）"));
    assert!(training.contains("action=\"/api/courses/01KBSM6Y00000000000000C001/register\""));
    // One form per course with places; the full one has none.
    assert_eq!(training.matches("<form").count(), 1);
    assert!(training.contains("已报满"));
    for field in [
        "name=\"website\"",
        "name=\"_altcha\"",
        "name=\"consent\"",
        "data-protect",
    ] {
        assert!(training.contains(field), "{field}");
    }
    assert!(!training.contains("已经结束的培训班") && !training.contains("已经取消的培训班"));
    // Times are the station's: 09:00–17:00 in Xining.
    assert!(training.contains("09:00–17:00"), "{training}");
    let live = &files["en/live/index.html"];
    assert!(live.contains("href=\"https://live.douyin.com/123\""));
    // The featured job still on the board is linked; the unknown id is left out.
    assert_eq!(live.matches("href=\"/en/jobs/").count(), 1);
    insta::assert_snapshot!("training_zh", without_asset_versions(training));
    insta::assert_snapshot!("live_en", without_asset_versions(live));
}

#[test]
fn nothing_personal_and_staff_text_is_inert() {
    let files = site(&with_events());
    for path in [
        "training/index.html",
        "en/training/index.html",
        "live/index.html",
    ] {
        let page = &files[path];
        assert!(!page.contains("<script>alert"), "{path}");
        assert!(!page.contains("<img src=x"), "{path}");
        assert!(
            !page.contains("13800000001"),
            "{path}: phone typed into text is masked"
        );
        assert!(
            !page.contains("马占山") && !page.contains("13900000301"),
            "{path}"
        );
    }
    assert!(
        files["index.html"].contains("href=\"/training/\"")
            && files["en/index.html"].contains("href=\"/en/live/\""),
        "linked from every page's navigation"
    );
    let sitemap = &files["sitemaps/pages.xml"];
    for url in ["/training/", "/en/training/", "/live/", "/en/live/"] {
        assert!(
            sitemap.contains(&format!("https://lingong.example.cn{url}<")),
            "{url}"
        );
    }
}

fn stored(slug: &str, lang: Lang, title: &str, body: &str) -> StoredPolicy {
    StoredPolicy {
        station: station().id.clone(),
        slug: PolicySlug::parse("slug", slug).unwrap(),
        lang,
        title: title.into(),
        summary: "一句话摘要".into(),
        body: body.into(),
        updated_by: "admin".into(),
        updated_at: now(),
        version: 2,
    }
}

#[test]
fn stored_policy_pages_override_and_add_safely() {
    let mut facts = facts(1);
    for page in [
        stored(
            "unpaid-wages",
            Lang::Zh,
            "被拖欠工资怎么办（新）",
            "## 第一步\n\n先打 12333。<script>alert(1)</script>\n\n[点我](javascript:alert(1))",
        ),
        stored(
            "heating-subsidy",
            Lang::Zh,
            "冬季取暖补贴",
            "每年十一月申请，带身份证。",
        ),
    ] {
        facts.apply_item(&policy_item(&page).unwrap()).unwrap();
    }
    let files = site(&facts);
    let page = &files["policy/unpaid-wages/index.html"];
    assert!(page.contains("被拖欠工资怎么办（新）"));
    assert!(page.contains("<h2>第一步</h2>"));
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("javascript:"));
    // The English page is still the shipped one; the added page is Chinese only.
    assert!(!files["en/policy/unpaid-wages/index.html"].contains("（新）"));
    assert!(files["policy/heating-subsidy/index.html"].contains("冬季取暖补贴"));
    assert!(!files.contains_key("en/policy/heating-subsidy/index.html"));
    assert!(files["policy/index.html"].contains("/policy/heating-subsidy/"));
    let sitemap = &files["sitemaps/pages.xml"];
    assert!(sitemap.contains("https://lingong.example.cn/policy/heating-subsidy/<"));
    assert!(!sitemap.contains("/en/policy/heating-subsidy/"));
    insta::assert_snapshot!("policy_override_zh", without_asset_versions(page));
    // Forgetting the stored pages (a revert) brings the shipped text back.
    for (slug, lang) in [("unpaid-wages", "zh-CN"), ("heating-subsidy", "zh-CN")] {
        facts.forget(&lingong_core::keys::policy_page(&station().id, slug, lang));
    }
    let files = site(&facts);
    assert!(!files["policy/unpaid-wages/index.html"].contains("（新）"));
    assert!(!files.contains_key("policy/heating-subsidy/index.html"));
}
