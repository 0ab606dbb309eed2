//! Personal information rights on both stores: a worker downloads everything held
//! about them, and deleting leaves no trace of their name, phone number or e-mail
//! anywhere in the table, while the counts that figures need survive. The retention
//! sweep erases workers inactive past the station's period and no one else.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_core::app::{Answer, ErasedBy};
use lingong_tests::{Backend, flow::fixture};

lingong_tests::on_both_backends!(
    deleting_leaves_no_trace_but_keeps_the_counts,
    retention_erases_only_the_inactive,
    a_lost_link_goes_to_the_number_and_the_form_reveals_nothing,
);

async fn deleting_leaves_no_trace_but_keeps_the_counts(backend: Backend) {
    let f = fixture(backend).await;
    let saved = f
        .sign_up_saved(
            "马秀英",
            &["cleaning"],
            &["chengzhong"],
            &[
                ("phone", "13987654321"),
                ("email", "xiuying.ma@example.com"),
                ("channel", "email"),
            ],
        )
        .await;
    let worker = saved.record.clone();
    let job = f.post_job(1, &[]).await;
    f.wave(&job.id).await;
    let offer = f
        .offers(&job.id)
        .await
        .into_iter()
        .find(|o| o.worker_id == worker.id)
        .unwrap();
    f.app
        .answer_offer(None, &offer.id, &f.sig(&offer.id), Answer::Accept)
        .await
        .unwrap();
    f.app
        .block_for_employer(
            &f.station,
            &job.employer_id,
            &worker.id,
            "no-show on a previous job",
        )
        .await
        .unwrap();
    let before = f.store.every_item().await.join("\n");
    for trace in ["13987654321", "马秀英", "xiuying.ma@example.com"] {
        assert!(before.contains(trace), "the set-up stores {trace}");
    }

    // What the worker downloads names everything.
    let export = f.app.export_worker(&f.station, &worker).await.unwrap();
    let exported = serde_json::to_string(&export).unwrap();
    assert!(exported.contains("13987654321") && exported.contains("马秀英"));
    assert!(!exported.contains("manage_token_hash"));
    assert_eq!(export.offers.len(), 1);
    assert_eq!(export.placements.len(), 1);
    assert!(!export.notices.is_empty());

    let report = f
        .app
        .erase_worker(&f.station, &worker.id, ErasedBy::Worker)
        .await
        .unwrap();
    assert!(report.deleted > 0 && report.anonymised >= 2, "{report:?}");
    let after = f.store.every_item().await.join("\n");
    for trace in [
        "13987654321",
        "139****4321",
        "马秀英",
        "xiuying.ma@example.com",
        worker.id.as_str(),
    ] {
        assert!(!after.contains(trace), "{trace} is still stored:\n{after}");
    }
    // The counts survive: the job still has its place taken and one offer made.
    assert_eq!(f.job(&job.id).await.placed, 1);
    assert_eq!(f.offers(&job.id).await.len(), 1);
    assert_eq!(
        f.app
            .placements_of_job(&f.station, &job.id)
            .await
            .unwrap()
            .len(),
        1
    );
    // Erasing again is harmless; signing up again is a new worker.
    assert_eq!(
        f.app
            .erase_worker(&f.station, &worker.id, ErasedBy::Worker)
            .await
            .unwrap(),
        Default::default()
    );
    let again = f
        .sign_up(
            "马秀英",
            &["cleaning"],
            &["chengzhong"],
            &[("phone", "13987654321")],
        )
        .await;
    assert_ne!(again.id, worker.id);
}

async fn retention_erases_only_the_inactive(backend: Backend) {
    let f = fixture(backend).await;
    let idle = f.sign_up("李桂兰", &["greening"], &["datong"], &[]).await;
    f.clock.advance(chrono::Duration::days(400));
    let busy = f
        .sign_up("韩建国", &["cleaning"], &["chengzhong"], &[])
        .await;
    let job = f.post_job(1, &[]).await;
    f.wave(&job.id).await;
    f.clock.advance(chrono::Duration::days(400));
    // 800 days on: the idle worker passed the 730-day period; the busy one was offered
    // work 400 days ago.
    let erased = f.app.retention_sweep(&f.station).await.unwrap();
    assert_eq!(erased, 1);
    assert!(f.app.worker(&f.station, &idle.id).await.unwrap().is_none());
    assert!(f.app.worker(&f.station, &busy.id).await.unwrap().is_some());
    assert_eq!(f.app.retention_sweep(&f.station).await.unwrap(), 0);
}

async fn a_lost_link_goes_to_the_number_and_the_form_reveals_nothing(backend: Backend) {
    use lingong_core::{
        keys,
        notices::NoticeKind,
        records::notice_from_item,
        store::{Index, Query, query_all},
    };
    let api = lingong_tests::test_api(backend).await;
    let signed = api
        .post_json(
            "/api/workers",
            &serde_json::json!({"name": "马秀英", "phone": "13900000601", "trades": ["cleaning"], "districts": ["chengzhong"], "consent": true}),
            &[],
        )
        .await;
    assert_eq!(signed.status, 201, "{}", signed.body);
    let worker_id = signed.json()["id"].as_str().unwrap().to_owned();
    let ask = |phone: &'static str| {
        let api = &api;
        async move {
            api.post_form("/api/workers/link", &[("phone", phone), ("_lang", "zh-CN")])
                .await
        }
    };
    let registered = ask("139 0000 0601").await;
    let unknown = ask("13900000699").await;
    assert_eq!((registered.status, unknown.status), (202, 202));
    assert_eq!(
        registered.body, unknown.body,
        "the same answer whether the number is registered or not"
    );
    assert!(registered.body.contains("如果这个号码在驿站登记过"));
    // Twice the same day: still one message.
    assert_eq!(ask("13900000601").await.status, 202);
    let station = api.state.app.stations.default_station().clone();
    let sent: Vec<_> = query_all(
        &*api.store.store,
        Query::index_newest_first(
            Index::Gsi2,
            keys::notices_of_worker(&station.id, &worker_id),
            10,
        ),
    )
    .await
    .unwrap()
    .iter()
    .map(|i| notice_from_item(i).unwrap())
    .filter(|n| n.kind == NoticeKind::ManageLink)
    .collect();
    assert_eq!(sent.len(), 1);
    // The link sent works; the one from signing up stopped.
    let link = sent[0].data.link_path.clone().unwrap();
    let page = api.get(&link, &[("accept", "application/json")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let old = signed.json()["manage_url"].as_str().unwrap().to_owned();
    let old_path = &old[old.find("/api/").unwrap()..];
    assert_eq!(
        api.get(old_path, &[("accept", "application/json")])
            .await
            .status,
        404
    );
    // A wrong number is refused with a clear message, nothing sent.
    let bad = ask("12345").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("手机号"), "{}", bad.body);
}
