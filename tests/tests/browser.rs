//! The board in a real browser: headless Debian Chromium (`LINGONG_TEST_CHROMIUM`,
//! installed by the test command; never a browser a tool downloads) driven over the
//! DevTools protocol, against the real `lingong serve --demo`. It loads the home page,
//! a listing, a job page and the post-job form, posts a job through the form, and
//! finds the new job on the board, rebuilt in the background, without a restart. Staff
//! log in as the demo administrator, switch to review-first, approve a posting waiting
//! for review, and see it on the board.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chromiumoxide::{
    Page,
    browser::{Browser, BrowserConfig},
};
use futures::StreamExt;
use lingong_tests::serve;
use serde_json::Value;

fn chromium() -> String {
    std::env::var("LINGONG_TEST_CHROMIUM").unwrap_or_else(|_| {
        panic!("LINGONG_TEST_CHROMIUM is not set: run the tests with scripts/test.sh, which installs Debian's chromium")
    })
}

/// Evaluates `script` in the page. Right after a navigation the protocol may still
/// name the old document's context; that is retried, anything else fails the test.
async fn eval(page: &Page, script: &str) -> Value {
    let mut attempts = 0;
    loop {
        match page.evaluate(script).await {
            Ok(result) => return result.into_value().unwrap_or(Value::Null),
            Err(e) if attempts < 40 && e.to_string().contains("context") => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{script}: {e}"),
        }
    }
}

async fn open(page: &Page, url: &str) {
    page.goto(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    page.wait_for_navigation().await.unwrap();
}

/// Headless Chromium with a fresh profile and Chinese as the preferred language, its
/// event loop, and a blank page.
async fn launch() -> (
    Browser,
    tokio::task::JoinHandle<()>,
    Page,
    tempfile::TempDir,
) {
    let profile = tempfile::tempdir().unwrap();
    let config = BrowserConfig::builder()
        .chrome_executable(chromium())
        .no_sandbox()
        .user_data_dir(profile.path())
        .args([
            "disable-gpu",
            "disable-quic",
            "disable-component-update",
            "disable-background-networking",
            "disable-sync",
            "no-first-run",
            // A desk PC in Xining: Chinese first.
            "lang=zh-CN",
            "accept-lang=zh-CN,zh",
        ])
        .build()
        .unwrap();
    let (browser, mut handler) = Browser::launch(config).await.unwrap();
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let page = browser.new_page("about:blank").await.unwrap();
    (browser, events, page, profile)
}

/// Clicks the element `selector` matches and waits until `done` (a script) is true in
/// the page that follows, for up to 30 seconds; returns whether it became true.
async fn click_and_wait(page: &Page, selector: &str, done: &str) -> bool {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if eval(page, done).await == Value::Bool(true) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens `path` until the page's text contains `text` (the board is rebuilt in the
/// background), for up to 60 seconds; returns whether it did.
async fn wait_for_text(page: &Page, url: &str, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        open(page, url).await;
        let body = eval(page, "document.body.innerText").await;
        if body.as_str().unwrap_or("").contains(text) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_job_posted_through_the_form_appears_on_the_board() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(&["--demo", "--data", &data.path().display().to_string()]).await;
    let base = server.base.clone();
    let (mut browser, events, page, _profile) = launch().await;

    // Home: the station, the newest demo jobs, Chinese.
    open(&page, &format!("{base}/")).await;
    assert_eq!(eval(&page, "document.documentElement.lang").await, "zh-CN");
    let h1 = eval(&page, "document.querySelector('h1').textContent").await;
    assert_eq!(h1, "西宁市城中区零工驿站");
    let jobs = eval(&page, "document.querySelectorAll('.job').length").await;
    assert_eq!(jobs.as_u64(), Some(10), "the newest ten jobs");
    let stylesheet_applied = eval(
        &page,
        "getComputedStyle(document.querySelector('.top')).backgroundColor",
    )
    .await;
    assert_eq!(
        stylesheet_applied, "rgb(155, 28, 28)",
        "the stylesheet loaded under the CSP"
    );

    // Training (一键培训): the demo's courses, each with a plain registration form.
    open(&page, &format!("{base}/training/")).await;
    let forms = eval(
        &page,
        "document.querySelectorAll('form[action^=\"/api/courses/\"][action$=\"/register\"]').length",
    )
    .await;
    assert_eq!(forms.as_u64(), Some(2), "a form per demo course");
    open(&page, &format!("{base}/")).await;

    // A listing, reached by its link on the home page.
    let listing = eval(
        &page,
        "document.querySelector('a[href=\"/trades/moving/\"]').href",
    )
    .await;
    open(&page, listing.as_str().unwrap()).await;
    assert!(
        eval(&page, "document.title")
            .await
            .as_str()
            .unwrap()
            .starts_with("搬运装卸")
    );
    assert!(
        eval(&page, "document.querySelectorAll('.job').length")
            .await
            .as_u64()
            .unwrap()
            >= 2
    );

    // A job page, reached from the listing.
    let (title, href) = {
        let v = eval(&page, "(() => { const a = document.querySelector('.job h3 a'); return [a.textContent, a.href]; })()").await;
        (
            v[0].as_str().unwrap().to_owned(),
            v[1].as_str().unwrap().to_owned(),
        )
    };
    open(&page, &href).await;
    assert_eq!(
        eval(&page, "document.querySelector('h1').textContent").await,
        title.as_str()
    );
    let action = eval(
        &page,
        "document.querySelector('form[action$=\"/apply\"]').getAttribute('action')",
    )
    .await;
    assert!(
        action.as_str().unwrap().starts_with("/api/jobs/"),
        "{action}"
    );
    let text = eval(&page, "document.body.innerText").await;
    let text = text.as_str().unwrap();
    assert!(
        !text
            .chars()
            .collect::<Vec<_>>()
            .windows(11)
            .any(|w| w.iter().all(char::is_ascii_digit)),
        "no full number on the job page"
    );
    // The enhancement script ran (the CSP allows it): the forms got a request key.
    let nonce = eval(&page, "document.querySelector('input[name=_nonce]').value").await;
    assert_eq!(nonce.as_str().map(str::len), Some(36), "{nonce}");

    // The post-job form, filled and sent like a person would.
    open(&page, &format!("{base}/post/")).await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let title = "浏览器测试：仓库打包临时工";
    let fill = format!(
        r#"(() => {{
            const set = (name, value) => {{ const el = document.querySelector(`[name="${{name}}"]`); el.value = value; }};
            set('title', '{title}');
            set('trade', 'temp');
            set('headcount', '3');
            set('description', '给网店打包发货，按单计量，管午饭，晚上六点下班。');
            set('district', 'chengbei');
            set('address', '城北区朝阳东路某物流园');
            set('start_date', '{start}');
            set('end_date', '{end}');
            set('daily_wage_yuan', '230');
            document.querySelector('input[name=pay_terms][value=daily]').checked = true;
            set('employer_name', '城北区某电商仓库');
            set('contact_name', '刘主管');
            set('contact_phone', '139 0000 7788');
            return document.querySelector('form.form').checkValidity();
        }})()"#,
        start = today + chrono::Duration::days(1),
        end = today + chrono::Duration::days(2),
    );
    assert_eq!(
        eval(&page, &fill).await,
        Value::Bool(true),
        "the form is complete"
    );
    // A person takes longer than the station's minimum time to fill a form (3 s, counted
    // from the page's proof-of-work challenge); a script that sends at once is refused.
    tokio::time::sleep(Duration::from_secs(4)).await;
    page.find_element("form.form button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The click starts a navigation; wait until the answer page is the document.
    let deadline = Instant::now() + Duration::from_secs(30);
    let confirmation = loop {
        let h1 = eval(
            &page,
            "document.querySelector('h1') && document.querySelector('h1').textContent",
        )
        .await;
        if h1 == "招工已提交" || Instant::now() > deadline {
            break h1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        confirmation,
        "招工已提交",
        "{}",
        eval(&page, "document.body.innerText").await
    );

    // The board is rebuilt in the background: the job shows up without a restart.
    let found = wait_for_text(&page, &format!("{base}/trades/temp/"), title).await;
    assert!(found, "the posted job is on its trade's listing");
    open(&page, &format!("{base}/")).await;
    assert!(
        eval(&page, "document.body.innerText")
            .await
            .as_str()
            .unwrap()
            .contains(title),
        "and on the home page"
    );
    let phone_shown = eval(&page, "document.body.innerHTML.includes('13900007788')").await;
    assert_eq!(phone_shown, Value::Bool(false));

    browser.close().await.unwrap();
    let _ = browser.wait().await;
    events.abort();
}

#[tokio::test]
async fn staff_log_in_approve_a_pending_job_and_see_it_on_the_board() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(&["--demo", "--data", &data.path().display().to_string()]).await;
    let base = server.base.clone();
    let (user, password) = server
        .staff_login
        .clone()
        .expect("--demo prints the administrator's login");
    let (mut browser, events, page, _profile) = launch().await;

    // The console needs a session: without one it sends people to the login page.
    open(&page, &format!("{base}/staff/moderation")).await;
    let refused = eval(&page, "document.querySelector('h1').textContent").await;
    assert_eq!(refused, "请先登录工作台", "no console without logging in");

    // Log in as the demo administrator, like a person at the desk.
    open(&page, &format!("{base}/staff/login")).await;
    let fill = format!(
        r#"(() => {{
            document.querySelector('[name=username]').value = '{user}';
            document.querySelector('[name=password]').value = '{password}';
            return true;
        }})()"#
    );
    assert_eq!(eval(&page, &fill).await, Value::Bool(true));
    assert!(
        click_and_wait(
            &page,
            "form.form button[type=submit]",
            "location.pathname === '/staff/' && !!document.querySelector('nav.staff-nav')",
        )
        .await,
        "logged in: {}",
        eval(&page, "document.body.innerText").await
    );
    let cookie_hidden = eval(&page, "document.cookie.includes('lg_staff')").await;
    assert_eq!(
        cookie_hidden,
        Value::Bool(false),
        "the session cookie is HttpOnly"
    );

    // Review first for unverified employers (the station ships with `post`).
    open(&page, &format!("{base}/staff/moderation")).await;
    assert!(
        click_and_wait(
            &page,
            "form[action='/staff/settings/moderation'] button",
            "document.body.innerText.includes('未认证单位先审核后发布')",
        )
        .await,
        "{}",
        eval(&page, "document.body.innerText").await
    );

    // An employer posts a job: it waits for review and is not on the board.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let title = "浏览器测试：超市理货员";
    let post = format!(
        r#"fetch('/api/jobs', {{ method: 'POST', headers: {{ 'content-type': 'application/json' }},
            body: JSON.stringify({{ title: '{title}', trade: 'temp', district: 'chengxi',
              address: '城西区五四大街某超市', start_date: '{start}', end_date: '{start}',
              headcount: 2, daily_wage_yuan: 200, pay_terms: 'daily',
              employer_name: '城西区某超市', contact_name: '赵店长', contact_phone: '13900008899',
              description: '夜间理货上架，晚八点到早四点，管夜宵。' }}) }})
          .then(r => r.json()).then(j => j.status)"#,
        start = today + chrono::Duration::days(1),
    );
    assert_eq!(eval(&page, &post).await, "pending_review");

    // It is in the queue; approving it puts it on the board.
    open(&page, &format!("{base}/staff/moderation")).await;
    let approve = eval(
        &page,
        &format!(
            r#"(() => {{
                const card = [...document.querySelectorAll('article.card')]
                    .find(c => c.textContent.includes('{title}'));
                return card ? card.querySelector('form[action$="/approve"]').getAttribute('action') : null;
            }})()"#
        ),
    )
    .await;
    let approve = approve
        .as_str()
        .expect("the job is in the review queue")
        .to_owned();
    assert!(
        click_and_wait(
            &page,
            &format!("form[action='{approve}'] button"),
            "new URLSearchParams(location.search).get('done') === 'approved'",
        )
        .await,
        "approved: {}",
        eval(&page, "document.body.innerText").await
    );
    assert!(
        wait_for_text(&page, &format!("{base}/districts/chengxi/"), title).await,
        "the approved job is on its district's listing"
    );

    browser.close().await.unwrap();
    let _ = browser.wait().await;
    events.abort();
}
