//! The S3 sink and CloudFront invalidation with the real AWS SDK clients against moto
//! on loopback (the test command starts it): only changed objects are uploaded, with
//! the right headers; removed pages are deleted; each publish sends one invalidation
//! (a wildcard when several pages changed); precompressed objects carry their encoding.

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

#[tokio::test]
async fn the_s3_sink_uploads_only_changes_and_invalidates_once_per_publish() {
    let (app, _data) = app().await;
    post(&app, "小区楼道保洁第一单", "s3-test-job-0001").await;
    let client = s3().await;
    let bucket = unique_name("lingong-site")
        .to_ascii_lowercase()
        .replace('_', "-");
    let bucket: String = bucket.chars().take(63).collect();
    client.create_bucket().bucket(&bucket).send().await.unwrap();
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
    let bucket: String = unique_name("lingong-gz")
        .to_ascii_lowercase()
        .chars()
        .take(63)
        .collect();
    client.create_bucket().bucket(&bucket).send().await.unwrap();
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
