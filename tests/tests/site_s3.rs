//! The S3 sink and CloudFront invalidation with the real AWS SDK clients against moto
//! on loopback (the test command starts it): only changed objects are uploaded, with
//! the right headers; removed pages are deleted; each publish sends one invalidation
//! (a wildcard when several pages changed); precompressed objects carry their encoding;
//! and every link of every page of a demo-like board names an object by its key alone,
//! as CloudFront without an edge function asks for it (the China regions have none).

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{collections::BTreeSet, io::Read, sync::Arc};

use aws_sdk_cloudfront::types::{
    CacheBehaviors, DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
    ViewerProtocolPolicy,
};
use lingong_core::{
    App,
    app::Submission,
    changes::{Change, ChangeConsumer},
    idempotency::IdempotencyKey,
    input::RawInput,
    job::Source,
    keys,
    secrets::ManageToken,
};
use lingong_site::{rebuild::SiteRebuilder, site::SiteBuilder};
use lingong_site_s3::{CloudFrontInvalidator, S3Sink};
use lingong_tests::{test_now, unique_name};

fn moto() -> String {
    std::env::var("LINGONG_TEST_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("LINGONG_TEST_MOTO_ENDPOINT is not set: run the tests with scripts/test.sh, which starts moto")
    })
}

async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(moto())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await
}

async fn s3() -> aws_sdk_s3::Client {
    let config = sdk_config().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

async fn distribution(client: &aws_sdk_cloudfront::Client, bucket: &str) -> String {
    let origin = Origin::builder()
        .id("site")
        .domain_name(format!("{bucket}.s3.amazonaws.com"))
        .origin_path("/site")
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference(unique_name("dist"))
        .comment("lingong test")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("site")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()
                .unwrap(),
        )
        .cache_behaviors(CacheBehaviors::builder().quantity(0).build().unwrap())
        .build()
        .unwrap();
    client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap()
        .distribution
        .unwrap()
        .id
}

/// Every invalidation of `id`, as sets of paths.
async fn invalidations(client: &aws_sdk_cloudfront::Client, id: &str) -> Vec<BTreeSet<String>> {
    let list = client
        .list_invalidations()
        .distribution_id(id)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for summary in list
        .invalidation_list
        .map(|l| l.items.unwrap_or_default())
        .unwrap_or_default()
    {
        let one = client
            .get_invalidation()
            .distribution_id(id)
            .id(summary.id)
            .send()
            .await
            .unwrap();
        let paths = one
            .invalidation
            .unwrap()
            .invalidation_batch
            .unwrap()
            .paths
            .unwrap()
            .items
            .unwrap_or_default();
        out.push(paths.into_iter().collect());
    }
    out
}

async fn keys_in(client: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        match page.next_continuation_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return keys,
        }
    }
}

fn job_input(title: &str) -> RawInput {
    let mut input = RawInput::new();
    for (k, v) in [
        ("title", title),
        ("trade", "cleaning"),
        ("district", "chengzhong"),
        ("address", "城中区南关街某小区"),
        ("start_date", "2026-11-30"),
        ("end_date", "2026-12-02"),
        ("headcount", "2"),
        ("daily_wage_yuan", "220"),
        ("pay_terms", "daily"),
        ("employer_name", "城中区某物业公司"),
        ("contact_name", "王经理"),
        ("contact_phone", "13800000001"),
        ("description", "打扫楼道和电梯间，工具由物业提供。"),
    ] {
        input.push(k, v);
    }
    input
}

async fn app() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(lingong_store_embedded::RedbStore::open_dir(dir.path()).unwrap());
    let app = App {
        store,
        stations: Arc::new(lingong_core::station::Stations::embedded().unwrap()),
        clock: Arc::new(lingong_core::FixedClock::new(test_now())),
        secrets: lingong_core::secrets::Secrets::from_bytes(&[42u8; 32]).unwrap(),
    };
    (app, dir)
}

async fn post(app: &App, title: &str, key: &str) -> (String, String) {
    let key = IdempotencyKey::parse("k", key).unwrap();
    let saved = app
        .post_job(Submission {
            station: None,
            input: &job_input(title),
            idempotency_key: Some(&key),
            source: Source::Online,
        })
        .await
        .unwrap();
    (saved.record.id, saved.token.as_str().to_owned())
}

/// A new bucket no other test uses (S3 names: lower case, no `_`, at most 63).
async fn fresh_bucket(client: &aws_sdk_s3::Client, prefix: &str) -> String {
    let bucket: String = unique_name(prefix)
        .to_ascii_lowercase()
        .replace('_', "-")
        .chars()
        .take(63)
        .collect();
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    bucket
}

#[tokio::test]
async fn the_s3_sink_uploads_only_changes_and_invalidates_once_per_publish() {
    let (app, _data) = app().await;
    post(&app, "小区楼道保洁第一单", "s3-test-job-0001").await;
    let client = s3().await;
    let bucket = fresh_bucket(&client, "lingong-site").await;
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk_config().await);
    let distribution_id = distribution(&cloudfront, &bucket).await;
    let sink = S3Sink::new(client.clone(), &bucket).with_cdn(CloudFrontInvalidator::new(
        cloudfront.clone(),
        &distribution_id,
    ));
    let site = SiteBuilder::new(
        app.stations.default_station().clone(),
        "https://lingong.example.cn",
    )
    .unwrap();
    let board = SiteRebuilder::new(app.clone(), site, Arc::new(sink));

    // The first change on an empty bucket builds everything.
    let first = board.consume(&[]).await;
    assert!(first.is_ok());
    let objects = keys_in(&client, &bucket, "site/").await;
    assert!(objects.len() > 50, "{}", objects.len());
    assert!(objects.contains("site/index.html") && objects.contains("site/en/stats/index.html"));
    let manifest = keys_in(&client, &bucket, "state/").await;
    assert_eq!(
        manifest.into_iter().collect::<Vec<_>>(),
        vec!["state/site-manifest"],
        "the manifest is outside the served prefix"
    );
    let head = client
        .head_object()
        .bucket(&bucket)
        .key("site/index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(
        head.cache_control(),
        Some("public, max-age=60, s-maxage=86400")
    );
    assert_eq!(head.content_encoding(), None);
    let css = client
        .head_object()
        .bucket(&bucket)
        .key("site/assets/style.css")
        .send()
        .await
        .unwrap();
    assert_eq!(css.content_type(), Some("text/css; charset=utf-8"));
    assert_eq!(css.cache_control(), Some("public, max-age=86400"));
    let feed = client
        .head_object()
        .bucket(&bucket)
        .key("site/feed.xml")
        .send()
        .await
        .unwrap();
    assert_eq!(
        feed.content_type(),
        Some("application/atom+xml; charset=utf-8")
    );
    let after_first = invalidations(&cloudfront, &distribution_id).await;
    let wildcard: BTreeSet<String> = BTreeSet::from(["/*".to_owned()]);
    assert_eq!(
        after_first,
        vec![wildcard.clone()],
        "many new objects: one wildcard path, billed as one"
    );

    // Nothing changed: nothing uploaded, nothing invalidated.
    let again = board.build_all().await.unwrap();
    assert!(again.written.is_empty() && again.deleted.is_empty());
    assert_eq!(invalidations(&cloudfront, &distribution_id).await.len(), 1);

    // A new job: its pages and the pages listing it, and exactly those paths.
    let (job, token) = post(&app, "超市夜间理货搬运", "s3-test-job-0002").await;
    let change = Change {
        key: keys::job(&app.stations.default_station().id, &job),
        old: None,
        new: None,
    };
    let report = board
        .rebuild_after_change(std::slice::from_ref(&change))
        .await
        .unwrap();
    let written: BTreeSet<String> = report.written.iter().cloned().collect();
    for page in [
        format!("jobs/{job}/index.html"),
        format!("en/jobs/{job}/index.html"),
        "index.html".into(),
        "trades/cleaning/index.html".into(),
        "feed.xml".into(),
        "jobs.json".into(),
    ] {
        assert!(written.contains(&page), "{page} not written: {written:?}");
    }
    assert!(
        !written
            .iter()
            .any(|p| p.starts_with("policy/") || p.starts_with("assets/")),
        "unchanged pages are not uploaded"
    );
    let all = invalidations(&cloudfront, &distribution_id).await;
    assert_eq!(all.len(), 2, "one invalidation per publish");
    assert!(
        all.iter().all(|paths| paths == &wildcard),
        "several changed pages: one wildcard per publish"
    );
    let body = client
        .get_object()
        .bucket(&bucket)
        .key(format!("site/jobs/{job}/index.html"))
        .send()
        .await
        .unwrap();
    let html = String::from_utf8(body.body.collect().await.unwrap().into_bytes().to_vec()).unwrap();
    assert!(html.contains("超市夜间理货搬运"));

    // Closing the job removes its pages from the bucket.
    app.close_job(None, &job, &ManageToken::from_link(&token))
        .await
        .unwrap();
    let report = board.rebuild_after_change(&[change]).await.unwrap();
    assert!(
        report.deleted.contains(&format!("jobs/{job}/index.html")),
        "{report:?}"
    );
    let objects = keys_in(&client, &bucket, "site/").await;
    assert!(
        !objects.iter().any(|k| k.contains(&job)),
        "the closed job's objects are gone"
    );
    let last = invalidations(&cloudfront, &distribution_id).await;
    assert_eq!(last.len(), 3, "the removal is invalidated too");
}

#[tokio::test]
async fn precompressed_objects_carry_their_encoding() {
    let (app, _data) = app().await;
    post(&app, "小区楼道保洁第一单", "s3-test-job-0003").await;
    let client = s3().await;
    let bucket = fresh_bucket(&client, "lingong-gz").await;
    let sink = S3Sink::new(client.clone(), &bucket)
        .with_prefix("public")
        .precompressed(true);
    let site = SiteBuilder::new(
        app.stations.default_station().clone(),
        "https://lingong.example.cn",
    )
    .unwrap();
    SiteRebuilder::new(app, site, Arc::new(sink))
        .build_all()
        .await
        .unwrap();
    let object = client
        .get_object()
        .bucket(&bucket)
        .key("public/index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_encoding(), Some("gzip"));
    assert_eq!(object.content_type(), Some("text/html; charset=utf-8"));
    let bytes = object.body.collect().await.unwrap().into_bytes();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut html)
        .unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("小区楼道保洁第一单"));
}

/// The value of every `href`, `src` and `action` attribute in `html`, unescaped.
fn link_targets(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in [" href=\"", " src=\"", " action=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let Some(end) = rest.find('"') else { break };
            out.push(rest[..end].replace("&amp;", "&").replace("&#x2f;", "/"));
            rest = &rest[end..];
        }
    }
    out
}

/// `%XX` escapes decoded, as S3 decodes a request path into a key.
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = path
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The object key (under the origin path) CloudFront asks S3 for when a viewer follows
/// `link` from the page at `page_path` (its URL path, e.g. `/jobs/A/`), with no edge
/// function: the URL path without query or fragment, resolved against the page, minus
/// the leading `/`; `/` alone is the default root object. `None` for links that do not
/// reach the bucket (other sites, `tel:`, fragments of the same page, and `/api/*`,
/// which the distribution sends to the HTTP API).
fn key_requested(page_path: &str, link: &str) -> Option<String> {
    let link = link.trim();
    let has_scheme = link.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if link.is_empty() || link.starts_with('#') || link.starts_with("//") || has_scheme {
        return None;
    }
    let without = link.split(['?', '#']).next().unwrap_or("");
    let absolute = if without.starts_with('/') {
        without.to_owned()
    } else {
        let dir = &page_path[..=page_path.rfind('/').unwrap()];
        format!("{dir}{without}")
    };
    // Resolve `.` and `..` segments as a browser does.
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = absolute.split('/').skip(1).collect();
    for (i, segment) in parts.iter().enumerate() {
        match *segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
        if i + 1 == parts.len() && (*segment == "." || *segment == "..") {
            segments.push("");
        }
    }
    let path = format!("/{}", segments.join("/"));
    if path == "/api" || path.starts_with("/api/") {
        return None;
    }
    if path == "/" {
        return Some("index.html".to_owned());
    }
    Some(percent_decoded(&path[1..]))
}

#[test]
fn keys_requested_follow_cloudfront_without_a_function() {
    assert_eq!(key_requested("/", "/").as_deref(), Some("index.html"));
    assert_eq!(
        key_requested("/", "/jobs/A/?x=1#top").as_deref(),
        Some("jobs/A/")
    );
    assert_eq!(
        key_requested("/jobs/A/", "../B/").as_deref(),
        Some("jobs/B/")
    );
    assert_eq!(
        key_requested("/en/", "/assets/site.js?v=3").as_deref(),
        Some("assets/site.js")
    );
    assert_eq!(key_requested("/", "/api/jobs"), None);
    assert_eq!(key_requested("/", "tel:0971-1234567"), None);
    assert_eq!(key_requested("/", "https://example.cn/"), None);
    assert_eq!(key_requested("/", "#main"), None);
}

/// A board such as `lingong serve --demo` seeds: jobs of several trades and districts,
/// a worker, a course and a livestream.
async fn demo_like_board(app: &App) {
    let station = app.stations.default_station().clone();
    let today = station.today(app.clock.now());
    let jobs = [
        ("小区楼道及电梯间保洁", "cleaning", "chengzhong"),
        ("超市夜间理货搬运", "moving", "chengxi"),
        ("家庭保洁（三室两厅）", "housekeeping", "chengdong"),
        ("小区门口便民摊位帮工", "community", "chengbei"),
    ];
    for (n, (title, trade, district)) in jobs.into_iter().enumerate() {
        let mut input = RawInput::new();
        for (k, v) in [
            ("title", title.to_owned()),
            ("trade", trade.to_owned()),
            ("district", district.to_owned()),
            ("address", "城中区南关街附近小区".to_owned()),
            (
                "start_date",
                (today + chrono::Duration::days(1)).to_string(),
            ),
            ("end_date", (today + chrono::Duration::days(3)).to_string()),
            ("headcount", "2".to_owned()),
            ("daily_wage_yuan", "240".to_owned()),
            ("pay_terms", "daily".to_owned()),
            ("employer_name", "城中区某物业服务公司".to_owned()),
            ("contact_name", "王经理".to_owned()),
            ("contact_phone", format!("1390000{:04}", 100 + n)),
            ("description", "工具由雇主提供，中午管一顿饭。".to_owned()),
        ] {
            input.push(k, v);
        }
        let key = IdempotencyKey::parse("k", &format!("board-keys-job-{n:03}")).unwrap();
        app.post_job(Submission {
            station: None,
            input: &input,
            idempotency_key: Some(&key),
            source: Source::Desk,
        })
        .await
        .unwrap();
    }
    let mut worker = RawInput::new();
    for (k, v) in [
        ("name", "马师傅"),
        ("phone", "13700000201"),
        ("trades", "moving"),
        ("districts", "chengxi"),
        ("channel", "sms"),
        ("consent", "true"),
    ] {
        worker.push(k, v);
    }
    let key = IdempotencyKey::parse("k", "board-keys-worker-000").unwrap();
    app.sign_up(Submission {
        station: None,
        input: &worker,
        idempotency_key: Some(&key),
        source: Source::Desk,
    })
    .await
    .unwrap();
    let staff = lingong_core::app::Actor {
        station: station.id.clone(),
        username: "test".into(),
        role: lingong_core::staff::Role::Admin,
        session_id: "test".into(),
    };
    let day = today + chrono::Duration::days(4);
    let mut course = RawInput::new();
    for (k, v) in [
        ("title", "家政服务员岗前培训（免费）".to_owned()),
        ("description", "居家保洁、收纳整理和安全常识。".to_owned()),
        ("trade", "housekeeping".to_owned()),
        ("place", "城中区零工驿站二楼培训室".to_owned()),
        ("starts_at", format!("{day}T09:00")),
        ("ends_at", format!("{day}T16:30")),
        ("capacity", "30".to_owned()),
    ] {
        course.push(k, v);
    }
    let key = IdempotencyKey::parse("k", "board-keys-course-000").unwrap();
    app.create_course(&staff, &course, Some(&key))
        .await
        .unwrap();
    let mut live = RawInput::new();
    for (k, v) in [
        ("title", "直播带岗：年前保洁、搬运岗位专场".to_owned()),
        (
            "description",
            "逐个介绍岗位，现场答疑工资和结算方式。".to_owned(),
        ),
        ("platform", "微信视频号".to_owned()),
        ("link", "https://channels.weixin.qq.com/".to_owned()),
        (
            "starts_at",
            format!("{}T19:30", today + chrono::Duration::days(3)),
        ),
    ] {
        live.push(k, v);
    }
    let key = IdempotencyKey::parse("k", "board-keys-live-000").unwrap();
    app.create_live(&staff, &live, Some(&key)).await.unwrap();
}

#[tokio::test]
async fn every_board_link_is_an_object_key_without_an_edge_function() {
    let (app, _data) = app().await;
    demo_like_board(&app).await;
    let client = s3().await;
    let bucket = fresh_bucket(&client, "lingong-keys").await;
    let site = SiteBuilder::new(
        app.stations.default_station().clone(),
        "https://lingong.example.cn",
    )
    .unwrap();
    // The sink the site rebuild function uses: the site under `site/`, CloudFront's
    // origin path.
    SiteRebuilder::new(app, site, Arc::new(S3Sink::new(client.clone(), &bucket)))
        .build_all()
        .await
        .unwrap();
    let keys: BTreeSet<String> = keys_in(&client, &bucket, "site/")
        .await
        .into_iter()
        .map(|k| k["site/".len()..].to_owned())
        .collect();
    let pages: Vec<&String> = keys.iter().filter(|k| k.ends_with(".html")).collect();
    assert!(pages.len() > 30, "{} pages", pages.len());
    // The error page CloudFront shows for a missing key.
    assert!(keys.contains("404.html"), "no 404.html");

    let mut checked = 0;
    let mut missing = BTreeSet::new();
    for page in pages {
        let body = client
            .get_object()
            .bucket(&bucket)
            .key(format!("site/{page}"))
            .send()
            .await
            .unwrap();
        let html =
            String::from_utf8(body.body.collect().await.unwrap().into_bytes().to_vec()).unwrap();
        // The URL path the page is read at: its folder for an index page.
        let page_path = format!("/{}", page.strip_suffix("index.html").unwrap_or(page));
        for link in link_targets(&html) {
            let Some(key) = key_requested(&page_path, &link) else {
                continue;
            };
            checked += 1;
            if !keys.contains(&key) {
                missing.insert(format!("{page}: {link} -> {key}"));
            }
        }
    }
    assert!(checked > 200, "only {checked} links checked");
    assert!(
        missing.is_empty(),
        "{} links name no object:\n{}",
        missing.len(),
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );

    // A folder key is the page itself, served as HTML.
    let job_page = keys
        .iter()
        .find(|k| {
            k.starts_with("jobs/") && k.ends_with("/index.html") && k.matches('/').count() == 2
        })
        .unwrap()
        .clone();
    for page in ["en/index.html".to_owned(), job_page] {
        let folder = page.strip_suffix("index.html").unwrap();
        let alias = client
            .get_object()
            .bucket(&bucket)
            .key(format!("site/{folder}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            alias.content_type(),
            Some("text/html; charset=utf-8"),
            "{folder}"
        );
        let original = client
            .get_object()
            .bucket(&bucket)
            .key(format!("site/{page}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            alias.body.collect().await.unwrap().into_bytes(),
            original.body.collect().await.unwrap().into_bytes()
        );
    }
}

#[tokio::test]
async fn a_bucket_written_before_folder_keys_is_rewritten_with_them() {
    let (app, _data) = app().await;
    post(&app, "小区楼道保洁第一单", "s3-test-job-0004").await;
    let client = s3().await;
    let bucket = fresh_bucket(&client, "lingong-old").await;
    let site = SiteBuilder::new(
        app.stations.default_station().clone(),
        "https://lingong.example.cn",
    )
    .unwrap();
    let sink = Arc::new(S3Sink::new(client.clone(), &bucket));
    SiteRebuilder::new(app.clone(), site, sink.clone())
        .build_all()
        .await
        .unwrap();
    // The bucket as the older sink left it: no folder keys, a manifest without the
    // layout mark (same content).
    let folders: Vec<String> = keys_in(&client, &bucket, "site/")
        .await
        .into_iter()
        .filter(|k| k.ends_with('/'))
        .collect();
    assert!(folders.contains(&"site/en/".to_owned()), "{folders:?}");
    for key in &folders {
        client
            .delete_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
    }
    let manifest = client
        .get_object()
        .bucket(&bucket)
        .key("state/site-manifest")
        .send()
        .await
        .unwrap();
    let generation = manifest.metadata().unwrap()["generation"].clone();
    let text = manifest.body.collect().await.unwrap().into_bytes();
    client
        .put_object()
        .bucket(&bucket)
        .key("state/site-manifest")
        .metadata("generation", generation)
        .body(text.into())
        .send()
        .await
        .unwrap();

    // A fresh rebuilder (a new Lambda instance) reconciles: the whole board again.
    let site = SiteBuilder::new(
        app.stations.default_station().clone(),
        "https://lingong.example.cn",
    )
    .unwrap();
    let report = SiteRebuilder::new(app, site, sink)
        .rebuild_after_change(&[])
        .await
        .unwrap();
    assert!(
        report.written.len() > 50,
        "{} written",
        report.written.len()
    );
    let after: Vec<String> = keys_in(&client, &bucket, "site/")
        .await
        .into_iter()
        .filter(|k| k.ends_with('/'))
        .collect();
    assert_eq!(after, folders, "every folder key is back");
}
