//! Staff edit the policy pages through the real router, on DynamoDB Local and on the
//! embedded store: a saved page overrides the shipped text on the rebuilt site (raw
//! HTML shown as text), an edit from a stale copy is refused and changes nothing, a
//! resent save is one save, reverting brings the shipped text back, new pages need a
//! valid address, every change is audited with before and after, and every route needs
//! a session and a CSRF token.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lingong_core::{changes::Change, keys};
use lingong_site::publish::MemorySink;
use lingong_tests::{
    Backend, TestApi,
    console::{get_as, login, post_form_as, with_staff},
};

const FROM: &str = "203.0.113.8";
const PAGE: &str = "/staff/policy/unpaid-wages/zh-CN";

async fn rebuilder(api: &TestApi) -> (lingong_site::rebuild::SiteRebuilder, Arc<MemorySink>) {
    let station = api.state.app.stations.default_station().clone();
    let sink = Arc::new(MemorySink::default());
    let site = lingong_site::site::SiteBuilder::new(station, "https://lingong.test").unwrap();
    let rebuilder =
        lingong_site::rebuild::SiteRebuilder::new(api.state.app.clone(), site, sink.clone());
    rebuilder.build_all().await.unwrap();
    (rebuilder, sink)
}

fn file(sink: &MemorySink, path: &str) -> Option<String> {
    sink.files
        .lock()
        .unwrap()
        .get(path)
        .map(|b| String::from_utf8(b.clone()).unwrap())
}

async fn changed(
    api: &TestApi,
    rebuilder: &lingong_site::rebuild::SiteRebuilder,
    slug: &str,
    lang: &str,
) {
    let station = api.state.app.stations.default_station().id.clone();
    rebuilder
        .rebuild_after_change(&[Change {
            key: keys::policy_page(&station, slug, lang),
            old: None,
            new: None,
        }])
        .await
        .unwrap();
}

fn edit<'a>(
    csrf: &'a str,
    version: &'a str,
    title: &'a str,
    body: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("version", version),
        ("title", title),
        ("summary", "被拖欠工资时一步一步怎么办"),
        ("body", body),
    ]
}

lingong_tests::on_both_backends!(
    policy_routes_need_a_session_and_csrf,
    a_saved_page_overrides_the_shipped_text_safely,
    a_stale_edit_is_refused,
    reverting_restores_the_shipped_text,
    staff_add_a_page_with_a_valid_address,
);

async fn policy_routes_need_a_session_and_csrf(backend: Backend) {
    let api = with_staff(backend).await;
    for path in ["/staff/policy", PAGE, "/staff/policy/new?slug=abc&lang=en"] {
        assert_eq!(get_as(&api, path, None).await.status, 401, "{path}");
    }
    let (cookie, _) = login(&api, "clerk").await;
    for path in [PAGE.to_owned(), format!("{PAGE}/revert")] {
        let answer = post_form_as(&api, &path, None, &[("version", "0")], FROM).await;
        assert_eq!(answer.status, 401, "{path}");
        let answer = post_form_as(
            &api,
            &path,
            Some(&cookie),
            &edit("forged", "0", "新标题", "新的正文，足够长的一段文字。"),
            FROM,
        )
        .await;
        assert_eq!(answer.status, 403, "{path}");
    }
    let station = api.state.app.stations.default_station().id.clone();
    assert!(
        api.store
            .store
            .get(&keys::policy_page(&station, "unpaid-wages", "zh-CN"))
            .await
            .unwrap()
            .is_none()
    );
    // The list and the editor open with a session; the editor holds the shipped text.
    let list = get_as(&api, "/staff/policy", Some(&cookie)).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("unpaid-wages") && list.body.contains("原文"));
    let editor = get_as(&api, PAGE, Some(&cookie)).await;
    assert_eq!(editor.status, 200);
    assert!(editor.body.contains("name=\"version\" value=\"0\""));
    assert!(
        editor.body.contains("12333"),
        "the shipped Markdown is in the editor"
    );
}

async fn a_saved_page_overrides_the_shipped_text_safely(backend: Backend) {
    let api = with_staff(backend).await;
    let (rebuilder, sink) = rebuilder(&api).await;
    let shipped = file(&sink, "policy/unpaid-wages/index.html").unwrap();
    let (cookie, csrf) = login(&api, "clerk").await;
    let body = "## 第一步\n\n先打 12333 问清楚。<script>alert('x')</script>\n\n[坏链接](javascript:alert(1))";
    let answer = post_form_as(
        &api,
        PAGE,
        Some(&cookie),
        &edit(&csrf, "0", "被拖欠工资怎么办（修订）", body),
        FROM,
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    changed(&api, &rebuilder, "unpaid-wages", "zh-CN").await;
    let page = file(&sink, "policy/unpaid-wages/index.html").unwrap();
    assert_ne!(page, shipped);
    assert!(page.contains("被拖欠工资怎么办（修订）"));
    assert!(page.contains("<h2>第一步</h2>"));
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;"));
    assert!(!page.contains("javascript:"));
    assert!(
        file(&sink, "policy/index.html")
            .unwrap()
            .contains("被拖欠工资怎么办（修订）")
    );
    // The English page is untouched.
    assert!(
        !file(&sink, "en/policy/unpaid-wages/index.html")
            .unwrap()
            .contains("修订")
    );
    // Audited with before (nothing stored) and after.
    let station = api.state.app.stations.default_station().id.clone();
    let history = lingong_core::audit::of_target(
        &*api.state.app.store,
        &station,
        "policy",
        "unpaid-wages.zh-CN",
        10,
    )
    .await
    .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "policy.save");
    assert!(history[0].before.is_null());
    assert_eq!(history[0].after["title"], "被拖欠工资怎么办（修订）");
}

async fn a_stale_edit_is_refused(backend: Backend) {
    let api = with_staff(backend).await;
    let (admin, admin_csrf) = login(&api, "admin").await;
    let (clerk, clerk_csrf) = login(&api, "clerk").await;
    // Both opened version 0; the clerk saves first.
    let first = edit(
        &clerk_csrf,
        "0",
        "甲的标题",
        "甲写的正文，足够长的一段文字。",
    );
    let answer = post_form_as(&api, PAGE, Some(&clerk), &first, FROM).await;
    assert_eq!(answer.status, 303);
    // The same save sent again (a double click) is one save.
    let again = post_form_as(&api, PAGE, Some(&clerk), &first, FROM).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let stale = post_form_as(
        &api,
        PAGE,
        Some(&admin),
        &edit(
            &admin_csrf,
            "0",
            "乙的标题",
            "乙写的正文，也足够长的一段文字。",
        ),
        FROM,
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("已被别人修改过"));
    assert!(
        stale.body.contains("乙写的正文"),
        "the editor's text is kept on the page"
    );
    let station = api.state.app.stations.default_station().id.clone();
    let stored = api
        .store
        .store
        .get(&keys::policy_page(&station, "unpaid-wages", "zh-CN"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.body["title"], "甲的标题");
    // From the current version the admin's edit goes through (a minute later).
    api.clock.advance(chrono::Duration::minutes(1));
    let fresh = post_form_as(
        &api,
        PAGE,
        Some(&admin),
        &edit(
            &admin_csrf,
            "1",
            "乙的标题",
            "乙写的正文，也足够长的一段文字。",
        ),
        FROM,
    )
    .await;
    assert_eq!(fresh.status, 303);
    // Bad input changes nothing.
    let bad = post_form_as(
        &api,
        PAGE,
        Some(&admin),
        &edit(&admin_csrf, "2", "", "短"),
        FROM,
    )
    .await;
    assert_eq!(bad.status, 422);
    let history = lingong_core::audit::of_target(
        &*api.state.app.store,
        &station,
        "policy",
        "unpaid-wages.zh-CN",
        10,
    )
    .await
    .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].before["title"], "甲的标题");
    assert_eq!(history[0].after["title"], "乙的标题");
}

async fn reverting_restores_the_shipped_text(backend: Backend) {
    let api = with_staff(backend).await;
    let (rebuilder, sink) = rebuilder(&api).await;
    let shipped = file(&sink, "policy/unpaid-wages/index.html").unwrap();
    let (cookie, csrf) = login(&api, "clerk").await;
    let answer = post_form_as(
        &api,
        PAGE,
        Some(&cookie),
        &edit(
            &csrf,
            "0",
            "临时改的标题",
            "临时改的正文，足够长的一段文字。",
        ),
        FROM,
    )
    .await;
    assert_eq!(answer.status, 303);
    changed(&api, &rebuilder, "unpaid-wages", "zh-CN").await;
    assert!(
        file(&sink, "policy/unpaid-wages/index.html")
            .unwrap()
            .contains("临时改的标题")
    );
    // Reverting from an old version is refused.
    let stale = post_form_as(
        &api,
        &format!("{PAGE}/revert"),
        Some(&cookie),
        &[("_csrf", &csrf), ("version", "7")],
        FROM,
    )
    .await;
    assert_eq!(stale.status, 409);
    api.clock.advance(chrono::Duration::minutes(1));
    for _ in 0..2 {
        let answer = post_form_as(
            &api,
            &format!("{PAGE}/revert"),
            Some(&cookie),
            &[("_csrf", &csrf), ("version", "1")],
            FROM,
        )
        .await;
        assert_eq!(answer.status, 303, "reverting twice is one revert");
    }
    changed(&api, &rebuilder, "unpaid-wages", "zh-CN").await;
    assert_eq!(
        file(&sink, "policy/unpaid-wages/index.html").unwrap(),
        shipped
    );
    let editor = get_as(&api, PAGE, Some(&cookie)).await;
    assert!(editor.body.contains("name=\"version\" value=\"0\""));
    let station = api.state.app.stations.default_station().id.clone();
    let history = lingong_core::audit::of_target(
        &*api.state.app.store,
        &station,
        "policy",
        "unpaid-wages.zh-CN",
        10,
    )
    .await
    .unwrap();
    let actions: Vec<_> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["policy.revert", "policy.save"]);
    assert_eq!(history[0].before["title"], "临时改的标题");
    assert!(history[0].after.is_null());
}

async fn staff_add_a_page_with_a_valid_address(backend: Backend) {
    let api = with_staff(backend).await;
    let (rebuilder, sink) = rebuilder(&api).await;
    let (cookie, csrf) = login(&api, "clerk").await;
    for bad in ["../etc", "Heating", "a", "x--y"] {
        let answer = get_as(
            &api,
            &format!("/staff/policy/new?slug={bad}&lang=zh-CN"),
            Some(&cookie),
        )
        .await;
        assert_eq!(answer.status, 422, "{bad}");
    }
    let answer = get_as(
        &api,
        "/staff/policy/new?slug=heating-subsidy&lang=zh-CN",
        Some(&cookie),
    )
    .await;
    assert_eq!(answer.status, 303);
    let path = "/staff/policy/heating-subsidy/zh-CN";
    let saved = post_form_as(
        &api,
        path,
        Some(&cookie),
        &edit(
            &csrf,
            "0",
            "冬季取暖补贴",
            "每年十一月申请，带身份证和户口本。",
        ),
        FROM,
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    changed(&api, &rebuilder, "heating-subsidy", "zh-CN").await;
    assert!(
        file(&sink, "policy/heating-subsidy/index.html")
            .unwrap()
            .contains("冬季取暖补贴")
    );
    assert!(
        file(&sink, "policy/index.html")
            .unwrap()
            .contains("/policy/heating-subsidy/")
    );
    assert!(
        file(&sink, "sitemaps/pages.xml")
            .unwrap()
            .contains("https://lingong.test/policy/heating-subsidy/")
    );
    // Removing the added page removes it from the site.
    let answer = post_form_as(
        &api,
        &format!("{path}/revert"),
        Some(&cookie),
        &[("_csrf", &csrf), ("version", "1")],
        FROM,
    )
    .await;
    assert_eq!(answer.status, 303);
    changed(&api, &rebuilder, "heating-subsidy", "zh-CN").await;
    assert!(file(&sink, "policy/heating-subsidy/index.html").is_none());
    assert!(
        !file(&sink, "sitemaps/pages.xml")
            .unwrap()
            .contains("heating-subsidy")
    );
}
