//! The public board against real stores: an incremental rebuild after each kind of
//! change gives byte-for-byte the site a full build gives (with the embedded store's
//! real change log, and on DynamoDB Local with the keys a stream would deliver); the
//! expiry sweep; reports and complaints through the router; `lingong build-site`.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{collections::BTreeMap, path::Path, sync::Arc};

use chrono::Duration;
use lingong_core::{
    App, ItemStore,
    app::Submission,
    changes::{Change, ChangeConsumer, ChangeLog},
    idempotency::IdempotencyKey,
    input::RawInput,
    job::{JobStatus, Source},
    keys,
    placement::{Placement, PlacementOrigin, PlacementStatus},
    records::{employer_from_item, employer_item, job_from_item, job_item, placement_item},
    store::{Index, Key, Query, SortKeyRange, Write, query_all},
};
use lingong_site::{
    publish::{DIR_MANIFEST, DirSink, Sink},
    rebuild::SiteRebuilder,
    site::SiteBuilder,
};
use lingong_store_embedded::RedbStore;
use lingong_tests::{Backend, fresh_store, test_api, test_now};
use serde_json::json;

const STATION: &str = "xining-chengzhong";

fn app(store: Arc<dyn ItemStore>, clock: Arc<lingong_core::FixedClock>) -> App {
    App {
        store,
        stations: Arc::new(lingong_core::station::Stations::embedded().unwrap()),
        clock,
        secrets: lingong_core::secrets::Secrets::from_bytes(&[42u8; 32]).unwrap(),
    }
}

fn rebuilder(app: &App, dir: &Path) -> SiteRebuilder {
    let site = SiteBuilder::new(
        app.stations.default_station().clone(),
        "https://lingong.example.cn",
    )
    .unwrap();
    SiteRebuilder::new(app.clone(), site, Arc::new(DirSink::new(dir)))
}

fn input(pairs: &[(&str, String)]) -> RawInput {
    let mut input = RawInput::new();
    for (k, v) in pairs {
        input.push(*k, v.clone());
    }
    input
}

fn job_input(n: usize, trade: &str, district: &str) -> RawInput {
    input(&[
        ("title", format!("测试招工第{n}号")),
        ("trade", trade.into()),
        ("district", district.into()),
        ("address", "城中区南关街某小区".into()),
        ("start_date", "2026-11-29".into()),
        ("end_date", "2026-12-01".into()),
        ("headcount", "3".into()),
        ("daily_wage_yuan", format!("{}", 220 + n)),
        ("pay_terms", "daily".into()),
        ("employer_name", format!("某物业公司{n}")),
        ("contact_name", "王经理".into()),
        ("contact_phone", format!("1380000{:04}", n)),
        ("description", "打扫楼道和电梯间，工具由物业提供。".into()),
    ])
}

async fn post_job(app: &App, n: usize, trade: &str, district: &str) -> (String, String) {
    let key = IdempotencyKey::parse("k", &format!("board-test-job-{n:04}")).unwrap();
    let saved = app
        .post_job(Submission {
            station: None,
            input: &job_input(n, trade, district),
            idempotency_key: Some(&key),
            source: Source::Online,
        })
        .await
        .unwrap();
    (saved.record.id, saved.token.as_str().to_owned())
}

async fn sign_up(app: &App, n: usize) -> (String, String) {
    let saved = app
        .sign_up(Submission {
            station: None,
            input: &input(&[
                ("name", "马秀英".into()),
                ("phone", format!("1370000{:04}", n)),
                ("trades", "cleaning".into()),
                ("districts", "chengzhong".into()),
                ("consent", "true".into()),
            ]),
            idempotency_key: None,
            source: Source::Online,
        })
        .await
        .unwrap();
    (saved.record.id, saved.token.as_str().to_owned())
}

/// Every file under `dir` (the manifest's file list instead of its text, since its
/// generation counts publishes).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                // The manifest (and its journal) are compared as loaded, below.
                if !rel.starts_with(DIR_MANIFEST) {
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Every file under `dir`, and the manifest as the sink loads it.
async fn site_state(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = snapshot(dir);
    for (path, hash) in DirSink::new(dir).load_manifest().await.unwrap().files {
        out.insert(format!("(manifest) {path}"), hash.to_string().into_bytes());
    }
    out
}

async fn full_build(app: &App) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    rebuilder(app, dir.path()).build_all().await.unwrap();
    site_state(dir.path()).await
}

fn assert_same(
    incremental: &BTreeMap<String, Vec<u8>>,
    full: &BTreeMap<String, Vec<u8>>,
    step: &str,
) {
    let only_inc: Vec<&String> = incremental
        .keys()
        .filter(|k| !full.contains_key(*k))
        .collect();
    let only_full: Vec<&String> = full
        .keys()
        .filter(|k| !incremental.contains_key(*k))
        .collect();
    assert!(
        only_inc.is_empty() && only_full.is_empty(),
        "{step}: files only in incremental {only_inc:?}, only in full {only_full:?}"
    );
    for (path, bytes) in full {
        assert!(
            incremental[path] == *bytes,
            "{step}: {path} differs from a full build:\n{}\n---\n{}",
            String::from_utf8_lossy(&incremental[path])
                .chars()
                .take(3000)
                .collect::<String>(),
            String::from_utf8_lossy(bytes)
                .chars()
                .take(3000)
                .collect::<String>()
        );
    }
}

/// One step of the scenario: what to do, and whether the site must change.
async fn step(
    name: &str,
    app: &App,
    board: &SiteRebuilder,
    dir: &Path,
    log: &RedbStore,
    seen: &mut u64,
    must_change: bool,
) {
    let changes: Vec<(u64, Change)> = log.changes_after(*seen, 10_000).await.unwrap();
    assert!(!changes.is_empty(), "{name}: the store logged the change");
    *seen = changes.last().unwrap().0;
    let batch: Vec<Change> = changes.into_iter().map(|(_, c)| c).collect();
    let before = snapshot(dir);
    board.consume(&batch).await.unwrap();
    let after = snapshot(dir);
    let state = site_state(dir).await;
    assert_eq!(
        before != after,
        must_change,
        "{name}: site changed = {}",
        before != after
    );
    assert_same(&state, &full_build(app).await, name);
    // The same batch again (a retried stream batch) writes nothing.
    let generation = DirSink::new(dir).generation().await.unwrap();
    board.consume(&batch).await.unwrap();
    assert_eq!(
        DirSink::new(dir).generation().await.unwrap(),
        generation,
        "{name}: replay wrote"
    );
    assert_eq!(snapshot(dir), after, "{name}: replay changed files");
}

#[tokio::test]
async fn incremental_rebuilds_equal_full_builds_after_every_kind_of_change() {
    let data = tempfile::tempdir().unwrap();
    let log = Arc::new(RedbStore::open_dir(data.path()).unwrap());
    let clock = Arc::new(lingong_core::FixedClock::new(test_now()));
    let app = app(log.clone(), clock.clone());
    for n in 0..6 {
        post_job(
            &app,
            n,
            ["cleaning", "moving", "care"][n % 3],
            ["chengzhong", "chengxi"][n % 2],
        )
        .await;
    }
    for n in 0..3 {
        sign_up(&app, n).await;
    }
    let site = tempfile::tempdir().unwrap();
    let board = rebuilder(&app, site.path());
    board.build_all().await.unwrap();
    // Everything so far is in the full build; the log from here on drives the board.
    let mut seen = log
        .changes_after(0, 100_000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .0;
    let dir = site.path();

    let (job, token) = post_job(&app, 100, "kitchen", "datong").await;
    step("a job is posted", &app, &board, dir, &log, &mut seen, true).await;
    assert!(dir.join(format!("jobs/{job}/index.html")).exists());
    assert!(
        std::fs::read_to_string(dir.join("trades/kitchen/index.html"))
            .unwrap()
            .contains(&job)
    );

    let manage = lingong_core::secrets::ManageToken::from_link(&token);
    let mut edit = job_input(100, "greening", "huangyuan");
    edit = {
        let mut changed = RawInput::new();
        for (k, values) in edit.fields() {
            for v in values {
                changed.push(
                    k.clone(),
                    if k == "title" {
                        "改了标题的招工".to_owned()
                    } else {
                        v.clone()
                    },
                );
            }
        }
        changed
    };
    app.edit_job(None, &job, &manage, &edit).await.unwrap();
    step(
        "a job moves to another trade and district",
        &app,
        &board,
        dir,
        &log,
        &mut seen,
        true,
    )
    .await;
    assert!(
        !std::fs::read_to_string(dir.join("trades/kitchen/index.html"))
            .unwrap()
            .contains(&job)
    );
    assert!(
        std::fs::read_to_string(dir.join("districts/huangyuan/index.html"))
            .unwrap()
            .contains("改了标题的招工")
    );

    app.close_job(None, &job, &manage).await.unwrap();
    step("a job is closed", &app, &board, dir, &log, &mut seen, true).await;
    assert!(
        !dir.join(format!("jobs/{job}")).exists(),
        "a closed job's page is deleted"
    );

    // A placement fills a job (as matching does: placement and headcount in one write).
    let (filled, _) = post_job(&app, 101, "moving", "chengbei").await;
    step(
        "another job is posted",
        &app,
        &board,
        dir,
        &log,
        &mut seen,
        true,
    )
    .await;
    let (worker, _) = sign_up(&app, 50).await;
    step(
        "a worker signs up",
        &app,
        &board,
        dir,
        &log,
        &mut seen,
        true,
    )
    .await;
    let item = log
        .get(&keys::job(&station(), &filled))
        .await
        .unwrap()
        .unwrap();
    let mut j = job_from_item(&item).unwrap();
    let before = j.version;
    j.placed = j.headcount;
    j.transition(JobStatus::Filled, clock.now_utc()).unwrap();
    j.version += 1;
    let placement = Placement {
        station: station(),
        job_id: filled.clone(),
        worker_id: worker.clone(),
        trade: j.trade.clone(),
        district: j.district.clone(),
        daily_wage: j.daily_wage,
        start: j.dates.start,
        end: j.dates.end,
        status: PlacementStatus::Reserved,
        origin: PlacementOrigin::Desk,
        days_worked: None,
        wage_paid: None,
        paid_check: None,
        created_at: clock.now_utc(),
        updated_at: clock.now_utc(),
        version: 1,
    };
    log.write(vec![
        Write::replace(job_item(&j).unwrap(), before),
        Write::create(placement_item(&placement).unwrap()),
    ])
    .await
    .unwrap();
    step(
        "a job is filled by a placement",
        &app,
        &board,
        dir,
        &log,
        &mut seen,
        true,
    )
    .await;
    assert!(!dir.join(format!("jobs/{filled}")).exists());

    // Staff verify an employer: only the data wall counts it.
    let employers = query_all(
        &*log,
        Query::index_newest_first(Index::Gsi3, keys::employers(&station()), 100),
    )
    .await
    .unwrap();
    let mut employer = employer_from_item(&employers[0]).unwrap();
    let version = employer.version;
    employer.verified = true;
    employer.version += 1;
    log.write(vec![Write::replace(
        employer_item(&employer).unwrap(),
        version,
    )])
    .await
    .unwrap();
    step(
        "an employer is verified",
        &app,
        &board,
        dir,
        &log,
        &mut seen,
        true,
    )
    .await;

    // Nothing the board shows: a report on a job.
    let some_job = {
        let published = query_all(
            &*log,
            Query::index_newest_first(
                Index::Gsi3,
                keys::jobs_by_status(&station(), "published"),
                1,
            ),
        )
        .await
        .unwrap();
        job_from_item(&published[0]).unwrap().id
    };
    app.report_job(
        None,
        &some_job,
        &input(&[("reason", "fee".into())]),
        None,
        "198.51.100.1",
    )
    .await
    .unwrap();
    step(
        "a posting is reported",
        &app,
        &board,
        dir,
        &log,
        &mut seen,
        false,
    )
    .await;

    // The clock passes the end date; the sweep expires the jobs.
    clock.advance(Duration::days(4));
    let swept = app
        .expire_jobs(app.stations.default_station())
        .await
        .unwrap();
    assert!(swept.expired >= 5, "{swept:?}");
    step("jobs expire", &app, &board, dir, &log, &mut seen, true).await;
    let home = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(!home.contains("测试招工第"), "expired jobs left the board");
    let jobs_left = std::fs::read_dir(dir.join("jobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(jobs_left, 0);
}

fn station() -> lingong_core::station::StationId {
    lingong_core::station::StationId::parse(STATION).unwrap()
}

trait NowUtc {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc>;
}

impl NowUtc for lingong_core::FixedClock {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        lingong_core::Clock::now(self)
    }
}

lingong_tests::on_both_backends!(
    the_rebuilder_follows_changed_keys_as_a_stream_delivers_them,
    the_expiry_sweep_moves_past_jobs_off_the_board_once,
    reports_are_validated_stored_under_the_job_and_idempotent,
    complaints_get_a_reference_and_are_idempotent,
);

async fn the_rebuilder_follows_changed_keys_as_a_stream_delivers_them(backend: Backend) {
    let store = fresh_store(backend).await;
    let clock = Arc::new(lingong_core::FixedClock::new(test_now()));
    let app = app(store.store.clone(), clock.clone());
    post_job(&app, 1, "cleaning", "chengzhong").await;
    let site = tempfile::tempdir().unwrap();
    let board = rebuilder(&app, site.path());
    board.build_all().await.unwrap();
    let (job, token) = post_job(&app, 2, "moving", "chengxi").await;
    let (worker, _) = sign_up(&app, 9).await;
    let employer = app
        .job(app.stations.default_station(), &job)
        .await
        .unwrap()
        .unwrap()
        .employer_id;
    // A stream record names the key; the rebuilder reads the record as stored now.
    let changes: Vec<Change> = [
        keys::job(&station(), &job),
        keys::worker(&station(), &worker),
        keys::employer(&station(), &employer),
        Key::new("ST#xining-chengzhong#IDEM#x", "IDEM"),
    ]
    .into_iter()
    .map(|key| Change {
        key,
        old: None,
        new: None,
    })
    .collect();
    board.consume(&changes).await.unwrap();
    assert_same(
        &site_state(site.path()).await,
        &full_build(&app).await,
        "posted and signed up",
    );
    assert!(site.path().join(format!("jobs/{job}/index.html")).exists());
    app.close_job(
        None,
        &job,
        &lingong_core::secrets::ManageToken::from_link(&token),
    )
    .await
    .unwrap();
    board.consume(&changes[..1]).await.unwrap();
    assert_same(
        &site_state(site.path()).await,
        &full_build(&app).await,
        "closed",
    );
    assert!(!site.path().join(format!("jobs/{job}")).exists());
}

async fn the_expiry_sweep_moves_past_jobs_off_the_board_once(backend: Backend) {
    let store = fresh_store(backend).await;
    let clock = Arc::new(lingong_core::FixedClock::new(test_now()));
    let app = app(store.store.clone(), clock.clone());
    let (ends_first, _) = post_job(&app, 1, "cleaning", "chengzhong").await;
    let later = {
        let mut fields = job_input(2, "moving", "chengxi");
        let mut changed = RawInput::new();
        for (k, values) in fields.fields() {
            for v in values {
                changed.push(
                    k.clone(),
                    if k == "end_date" {
                        "2026-12-10".to_owned()
                    } else {
                        v.clone()
                    },
                );
            }
        }
        fields = changed;
        app.post_job(Submission {
            station: None,
            input: &fields,
            idempotency_key: None,
            source: Source::Online,
        })
        .await
        .unwrap()
        .record
        .id
    };
    let station = app.stations.default_station().clone();
    // On the last day the job stays.
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-01T23:30:00+08:00")
            .unwrap()
            .into(),
    );
    assert_eq!(app.expire_jobs(&station).await.unwrap().expired, 0);
    // Just after midnight in Xining (still 1 December in UTC) it goes.
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-02T00:10:00+08:00")
            .unwrap()
            .into(),
    );
    let first = app.expire_jobs(&station).await.unwrap();
    assert_eq!((first.checked, first.expired, first.skipped), (2, 1, 0));
    let second = app.expire_jobs(&station).await.unwrap();
    assert_eq!(second.expired, 0, "a second sweep changes nothing");
    let job = app.job(&station, &ends_first).await.unwrap().unwrap();
    assert_eq!(
        job.status,
        JobStatus::Expired,
        "kept on record, not deleted"
    );
    assert_eq!(job.version, 2);
    assert_eq!(
        app.job(&station, &later).await.unwrap().unwrap().status,
        JobStatus::Published
    );
    let facts = app
        .board_facts(&station, lingong_core::Clock::now(&*clock))
        .await
        .unwrap();
    assert!(facts.board_job(&ends_first).is_none());
    assert!(facts.board_job(&later).is_some());
}

async fn reports_are_validated_stored_under_the_job_and_idempotent(backend: Backend) {
    let api = test_api(backend).await;
    let posted = api
        .post_json("/api/jobs", &json!({
            "title": "小区楼道保洁", "trade": "cleaning", "district": "chengzhong", "address": "城中区南关街某小区",
            "start_date": "2026-11-30", "end_date": "2026-12-02", "headcount": 3, "daily_wage_yuan": 220,
            "pay_terms": "daily", "employer_name": "城中区某物业公司", "contact_name": "王经理",
            "contact_phone": "13800000001", "description": "打扫楼道和电梯间，工具由物业提供。"
        }), &[])
        .await
        .json();
    let id = posted["id"].as_str().unwrap().to_owned();
    let path = format!("/api/jobs/{id}/report");
    // Bad input: every problem, nothing stored.
    let bad = api
        .post_json(
            &path,
            &json!({"reason": "because", "details": "x".repeat(501)}),
            &[],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let fields: Vec<String> = bad.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["reason", "details"]);
    let english = api
        .post_json(
            &path,
            &json!({"reason": "other"}),
            &[("accept-language", "en")],
        )
        .await;
    assert!(english.body.contains("Something else"), "{}", english.body);
    let unknown = api
        .post_json(
            "/api/jobs/01KB0000000000000000000000/report",
            &json!({"reason": "fee"}),
            &[],
        )
        .await;
    assert_eq!(unknown.status, 404);
    let junk = api
        .post_json("/api/jobs/..%2Fetc/report", &json!({"reason": "fee"}), &[])
        .await;
    assert_eq!(junk.status, 404);
    // A retried request is one report.
    let first = api
        .post_json(
            &path,
            &json!({"reason": "fee", "details": "要交 200 元押金"}),
            &[("idempotency-key", "report-key-0001")],
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = api
        .post_json(
            &path,
            &json!({"reason": "fee", "details": "要交 200 元押金"}),
            &[("idempotency-key", "report-key-0001")],
        )
        .await;
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    // A plain form twice (double click) is one report; a form with no reason is shown again.
    let form = [
        ("reason", "unsafe"),
        ("details", "没有安全带"),
        ("_lang", "zh-CN"),
    ];
    let page = api.post_form(&path, &form).await;
    assert_eq!(page.status, 201);
    assert!(page.body.contains("举报已收到"));
    api.post_form(&path, &form).await;
    let invalid = api
        .post_form(&path, &[("reason", ""), ("_lang", "zh-CN")])
        .await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.body.contains("举报原因") && invalid.body.contains("class=\"error\""));
    let stored = query_all(
        &*api.store.store,
        Query {
            range: SortKeyRange::BeginsWith(keys::REPORT_PREFIX.into()),
            ..Query::partition(keys::job(&station(), &id).pk, 100)
        },
    )
    .await
    .unwrap();
    assert_eq!(stored.len(), 2, "one keyed report and one form report");
    let queue = query_all(
        &*api.store.store,
        Query::index_newest_first(Index::Gsi3, keys::job_reports(&station(), "received"), 100),
    )
    .await
    .unwrap();
    assert_eq!(queue.len(), 2);
    assert!(
        !stored
            .iter()
            .any(|i| i.body.contains_key("name") || i.body.contains_key("phone"))
    );
}

async fn complaints_get_a_reference_and_are_idempotent(backend: Backend) {
    let api = test_api(backend).await;
    let body = json!({
        "kind": "unpaid", "name": "韩建国", "phone": "137 0000 0201", "employer_name": "某装饰公司",
        "description": "干了五天活，说好日结，到现在一分钱没给。", "consent": true
    });
    let first = api
        .post_json(
            "/api/complaints",
            &body,
            &[("idempotency-key", "complaint-0001")],
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let answer = first.json();
    let reference = answer["reference"].as_str().unwrap().to_owned();
    assert!(
        reference.starts_with("20261128-") && reference.len() == 15,
        "{reference}"
    );
    assert!(answer["message"].as_str().unwrap().contains("工作人员"));
    let again = api
        .post_json(
            "/api/complaints",
            &body,
            &[("idempotency-key", "complaint-0001")],
        )
        .await;
    assert_eq!(again.json()["reference"], reference.as_str());
    let other = api
        .post_json(
            "/api/complaints",
            &json!({"kind": "consult"}),
            &[("idempotency-key", "complaint-0001")],
        )
        .await;
    assert_eq!(
        other.status, 422,
        "bad input is refused before the key is looked at: {}",
        other.body
    );
    let reused = api
        .post_json(
            "/api/complaints",
            &json!({
                "kind": "consult", "name": "韩建国", "phone": "13700000201",
                "description": "想问问灵活就业怎么交养老保险？", "consent": true
            }),
            &[("idempotency-key", "complaint-0001")],
        )
        .await;
    assert_eq!(reused.status, 409);
    // The plain form: a confirmation page with the reference and 12333; errors marked.
    let page = api
        .post_form(
            "/api/complaints",
            &[
                ("kind", "unsafe"),
                ("name", "祁永福"),
                ("phone", "13700000203"),
                ("description", "工地没有安全网，有人从二楼掉下来了。"),
                ("consent", "true"),
                ("_lang", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(page.status, 201);
    assert!(page.body.contains("12333") && page.body.contains("受理编号"));
    let invalid = api
        .post_form(
            "/api/complaints",
            &[("kind", "refund"), ("job_id", "abc"), ("_lang", "en")],
        )
        .await;
    assert_eq!(invalid.status, 422);
    assert!(
        invalid.body.contains("Choose what you need")
            && invalid.body.contains("That job number is not right")
    );
    let stored = query_all(
        &*api.store.store,
        Query::index_newest_first(Index::Gsi3, keys::complaints(&station(), "received"), 100),
    )
    .await
    .unwrap();
    assert_eq!(stored.len(), 2);
    // Never in public: the board has no complaint data, and logs mask numbers.
    assert!(
        stored
            .iter()
            .all(|i| i.key.pk.starts_with("ST#xining-chengzhong#CMP#"))
    );
}

#[tokio::test]
async fn build_site_writes_the_board_and_rewrites_nothing_unchanged() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = || {
        std::process::Command::new(lingong_tests::lingong_bin())
            .args(["build-site", "--out"])
            .arg(out.path())
            .arg("--data")
            .arg(data.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(text.contains("written"), "{text}");
    for page in [
        "index.html",
        "en/index.html",
        "stats/index.html",
        "policy/index.html",
        "sitemap.xml",
        "robots.txt",
    ] {
        assert!(out.path().join(page).exists(), "{page}");
    }
    let second = run();
    let text = String::from_utf8_lossy(&second.stdout).into_owned();
    assert!(text.contains(" 0 written, 0 deleted"), "{text}");
}
