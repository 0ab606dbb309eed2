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
    retention_erases_only_the_inactive
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
