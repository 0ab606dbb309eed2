//! Matching on DynamoDB Local and on the embedded store: candidates found through the
//! indexes and filtered, fair rotation across jobs, waves after declines and expiry,
//! decisions that explain every ranking, and taking places under concurrency without
//! ever overbooking.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::Duration;
use lingong_core::{
    app::{Answer, AnswerOutcome, ApplyOutcome, PlaceOutcome},
    input::RawInput,
    job::JobStatus,
    matching::{
        decision::Exclusion,
        offer::{AnswerVia, OfferStatus},
        rank::{draw, rank},
        wave::WaveOutcome,
    },
    store::{Query, SortKeyRange, query_all},
};
use lingong_tests::{
    Backend,
    flow::{Fixture, fixture, unique_phone},
};

lingong_tests::on_both_backends!(
    candidates_come_from_the_index_and_are_filtered,
    offers_rotate_to_those_who_waited_longest_and_worked_least,
    twenty_workers_accepting_a_three_place_job_get_exactly_three_places,
    answers_are_idempotent_and_late_acceptance_works_while_places_remain,
    a_declined_or_expired_offer_leads_to_the_next_wave,
    a_new_worker_is_offered_open_jobs,
    decisions_explain_every_ranking_and_can_be_recomputed,
    applying_from_the_board_signs_up_and_takes_a_place,
    a_worker_holds_one_place_per_day,
);

async fn candidates_come_from_the_index_and_are_filtered(backend: Backend) {
    let f = fixture(backend).await;
    let exact = f
        .sign_up("城中甲", &["cleaning"], &["chengzhong"], &[])
        .await;
    // Chengdong neighbours Chengzhong.
    let near = f
        .sign_up("城东乙", &["cleaning"], &["chengdong"], &[])
        .await;
    // Huangyuan does not: never found.
    f.sign_up("湟源丙", &["cleaning"], &["huangyuan"], &[])
        .await;
    // Another trade: never found.
    f.sign_up("搬运丁", &["moving"], &["chengzhong"], &[]).await;
    // Opted out of automated matching (PIPL Art. 24): never found.
    f.sign_up(
        "自找戊",
        &["cleaning"],
        &["chengzhong"],
        &[("auto_matching", "false")],
    )
    .await;
    // Available only after the job starts.
    let later = (f.today() + Duration::days(30)).to_string();
    let late = f
        .sign_up(
            "晚来己",
            &["cleaning"],
            &["chengzhong"],
            &[("available_from", later.as_str())],
        )
        .await;
    // Held by staff: never found.
    let held = f
        .sign_up("暂停庚", &["cleaning"], &["chengzhong"], &[])
        .await;
    f.app
        .set_hold(&f.station, &held.id, Some("三次未到岗"))
        .await
        .unwrap();
    // Withdrew through their manage link: never found.
    let saved = f
        .sign_up_saved("退出辛", &["cleaning"], &["chengzhong"], &[])
        .await;
    let gone = f
        .app
        .withdraw_worker(None, &saved.record.id, &saved.token)
        .await
        .unwrap();
    let job = f.post_job(5, &[]).await;
    // Blocked by this employer after a no-show.
    let blocked = f
        .sign_up("拉黑壬", &["cleaning"], &["chengzhong"], &[])
        .await;
    f.app
        .block_for_employer(&f.station, &job.employer_id, &blocked.id, "未到岗")
        .await
        .unwrap();

    let outcome = f.wave(&job.id).await;
    assert_eq!(
        outcome,
        WaveOutcome::Offered {
            wave: 1,
            offered: 2
        }
    );
    let offers = f.offers(&job.id).await;
    let offered: BTreeSet<&str> = offers.iter().map(|o| o.worker_id.as_str()).collect();
    assert_eq!(
        offered,
        BTreeSet::from([exact.id.as_str(), near.id.as_str()])
    );
    let of = |id: &str| offers.iter().find(|o| o.worker_id == id).unwrap();
    assert!(of(&exact.id).factors.exact_district);
    assert!(!of(&near.id).factors.exact_district);
    // The own-district worker ranks first (equal load and waiting, better match).
    assert_eq!(of(&exact.id).rank, 1);

    let decisions = f.app.decisions_of_job(&f.station, &job.id).await.unwrap();
    assert_eq!(decisions.len(), 1);
    let decision = &decisions[0];
    assert_eq!(decision.found, 4, "{decision:?}");
    assert_eq!(decision.ranked, 2);
    assert_eq!(decision.target, 10);
    let reason = |id: &str| {
        decision
            .rows
            .iter()
            .find(|r| r.worker_id == id)
            .and_then(|r| r.excluded)
    };
    assert_eq!(reason(&late.id), Some(Exclusion::NotYetAvailable));
    assert_eq!(reason(&blocked.id), Some(Exclusion::BlockedByEmployer));
    assert!(
        decision
            .rows
            .iter()
            .all(|r| r.worker_id != held.id && r.worker_id != gone.id)
    );

    // Releasing the hold brings the worker back into the index, and the next wave.
    f.app.set_hold(&f.station, &held.id, None).await.unwrap();
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Offered {
            wave: 2,
            offered: 1
        }
    );
    // Nobody left: no record is written for an empty wave.
    assert_eq!(f.wave(&job.id).await, WaveOutcome::NoCandidates);
    assert_eq!(
        f.app
            .decisions_of_job(&f.station, &job.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn offers_rotate_to_those_who_waited_longest_and_worked_least(backend: Backend) {
    let f = fixture(backend).await;
    // Four workers signed up a day apart: equal in everything but waiting.
    let mut workers = Vec::new();
    for name in ["一号", "二号", "三号", "四号"] {
        workers.push(f.sign_up(name, &["cleaning"], &["chengzhong"], &[]).await);
        f.clock.advance(Duration::days(1));
    }
    let ids: Vec<&str> = workers.iter().map(|w| w.id.as_str()).collect();
    let offered_to = |offers: &[lingong_core::matching::offer::Offer]| {
        let mut v: Vec<(u32, String)> = offers
            .iter()
            .map(|o| (o.rank, o.worker_id.clone()))
            .collect();
        v.sort();
        v.into_iter().map(|(_, w)| w).collect::<Vec<_>>()
    };

    // One place → two offers: the two who waited longest, longest first.
    let first = f.post_job(1, &[]).await;
    f.wave(&first.id).await;
    assert_eq!(offered_to(&f.offers(&first.id).await), [ids[0], ids[1]]);

    // A day later, the next job goes to the two who have had no offer yet.
    f.clock.advance(Duration::days(1));
    let second = f.post_job(1, &[]).await;
    f.wave(&second.id).await;
    assert_eq!(offered_to(&f.offers(&second.id).await), [ids[2], ids[3]]);

    // Worker one takes the first job and works it.
    let offer = f
        .offers(&first.id)
        .await
        .into_iter()
        .find(|o| o.worker_id == ids[0])
        .unwrap();
    let outcome = f
        .app
        .answer_offer(None, &offer.id, &f.sig(&offer.id), Answer::Accept)
        .await
        .unwrap();
    assert!(matches!(outcome, AnswerOutcome::Placed { newly: true, .. }));
    // Three days later the work is done; everyone has had one offer in the window.
    f.clock.advance(Duration::days(4));
    let start = (f.today() + Duration::days(1)).to_string();
    let third = f
        .post_job(
            3,
            &[("start_date", start.as_str()), ("end_date", start.as_str())],
        )
        .await;
    f.wave(&third.id).await;
    let ranked = f.offers(&third.id).await;
    let by_worker = |id: &str| ranked.iter().find(|o| o.worker_id == id).unwrap();
    // Worker one worked two days (load 2×2 + 1 = 5): asked last of the four.
    assert_eq!(by_worker(ids[0]).factors.days_worked, 2);
    assert_eq!(by_worker(ids[0]).rank, 4);
    for id in &ids[1..] {
        assert_eq!(by_worker(id).factors.days_worked, 0);
        assert_eq!(by_worker(id).factors.offers, 1);
    }
    // Among the rest, worker two, whose offer came a day earlier, has waited longest.
    assert_eq!(by_worker(ids[1]).rank, 1, "{ranked:#?}");
}

async fn twenty_workers_accepting_a_three_place_job_get_exactly_three_places(backend: Backend) {
    let f = fixture(backend).await;
    let mut workers = Vec::new();
    for n in 0..20 {
        workers.push(
            f.sign_up(&format!("工人{n:02}"), &["cleaning"], &["chengzhong"], &[])
                .await,
        );
    }
    let job = f.post_job(3, &[]).await;
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Offered {
            wave: 1,
            offered: 6
        }
    );
    let offers = f.offers(&job.id).await;
    // All twenty at once: six answer their offer's link, fourteen apply from the board.
    let mut attempts = Vec::new();
    for worker in &workers {
        let app = f.app.clone();
        let station = f.station.clone();
        let offer = offers.iter().find(|o| o.worker_id == worker.id).cloned();
        let worker = worker.clone();
        let job_id = job.id.clone();
        attempts.push(tokio::spawn(async move {
            match offer {
                Some(offer) => app
                    .take_place(&station, &job_id, &worker, Some(offer), AnswerVia::Link)
                    .await
                    .unwrap(),
                None => app
                    .take_place(&station, &job_id, &worker, None, AnswerVia::Application)
                    .await
                    .unwrap(),
            }
        }));
    }
    let mut placed = 0;
    let mut full = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            PlaceOutcome::Placed { newly: true, .. } => placed += 1,
            PlaceOutcome::Full => full += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((placed, full), (3, 17));
    let job_now = f.job(&job.id).await;
    assert_eq!(job_now.placed, 3);
    assert_eq!(job_now.status, JobStatus::Filled);
    let placements = query_all(
        &*f.store.store,
        Query {
            range: SortKeyRange::BeginsWith("PLACE#".into()),
            ..Query::partition(format!("ST#xining-chengzhong#JOB#{}", job.id), 100)
        },
    )
    .await
    .unwrap();
    assert_eq!(placements.len(), 3);
    // Offered workers who lost the race are told kindly: their offer says filled.
    let after = f.offers(&job.id).await;
    assert_eq!(
        after
            .iter()
            .filter(|o| o.status == OfferStatus::Accepted)
            .count()
            + after
                .iter()
                .filter(|o| o.status == OfferStatus::Filled)
                .count(),
        6
    );
}

async fn answers_are_idempotent_and_late_acceptance_works_while_places_remain(backend: Backend) {
    let f = fixture(backend).await;
    for name in ["甲", "乙", "丙", "丁"] {
        f.sign_up(name, &["cleaning"], &["chengzhong"], &[]).await;
    }
    let job = f.post_job(2, &[]).await;
    f.wave(&job.id).await;
    let offers = f.offers(&job.id).await;
    assert_eq!(offers.len(), 4);
    let (a, b, c) = (&offers[0], &offers[1], &offers[2]);
    let accept = |id: String| {
        let app = f.app.clone();
        let sig = f.sig(&id);
        async move {
            app.answer_offer(None, &id, &sig, Answer::Accept)
                .await
                .unwrap()
        }
    };
    let decline = |id: String| {
        let app = f.app.clone();
        let sig = f.sig(&id);
        async move {
            app.answer_offer(None, &id, &sig, Answer::Decline)
                .await
                .unwrap()
        }
    };
    assert!(matches!(
        accept(a.id.clone()).await,
        AnswerOutcome::Placed { newly: true, .. }
    ));
    assert!(matches!(
        accept(a.id.clone()).await,
        AnswerOutcome::Placed { newly: false, .. }
    ));
    assert_eq!(decline(a.id.clone()).await, AnswerOutcome::AlreadyAccepted);
    assert_eq!(f.job(&job.id).await.placed, 1);
    assert_eq!(decline(b.id.clone()).await, AnswerOutcome::Declined);
    assert_eq!(decline(b.id.clone()).await, AnswerOutcome::Declined);
    // A wrong signature finds nothing, and changes nothing.
    assert!(
        f.app
            .answer_offer(None, &c.id, "AAAAAAAAAAAAAAAA", Answer::Accept)
            .await
            .is_err()
    );
    // The answer time passes; the sweep expires the open offers.
    f.clock.advance(Duration::hours(3));
    let report = f.app.sweep().await.unwrap();
    assert_eq!(report.expired_offers, 2);
    // A late "yes" still counts while a place remains…
    assert!(matches!(
        accept(c.id.clone()).await,
        AnswerOutcome::Placed { newly: true, .. }
    ));
    let job_now = f.job(&job.id).await;
    assert_eq!((job_now.placed, job_now.status), (2, JobStatus::Filled));
    // …and the last one is told, kindly, that the job is full; nothing changes.
    assert_eq!(accept(offers[3].id.clone()).await, AnswerOutcome::Full);
    let last = f
        .offers(&job.id)
        .await
        .into_iter()
        .find(|o| o.id == offers[3].id)
        .unwrap();
    assert_eq!(last.status, OfferStatus::Expired);
    assert_eq!(f.job(&job.id).await.placed, 2);
}

async fn a_declined_or_expired_offer_leads_to_the_next_wave(backend: Backend) {
    let f = fixture(backend).await;
    for n in 0..5 {
        f.sign_up(&format!("工人{n}"), &["cleaning"], &["chengzhong"], &[])
            .await;
        f.clock.advance(Duration::minutes(1));
    }
    let job = f.post_job(1, &[]).await;
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Offered {
            wave: 1,
            offered: 2
        }
    );
    // Running it again changes nothing: enough offers are open.
    assert_eq!(f.wave(&job.id).await, WaveOutcome::Enough { open: 2 });
    let first = f.offers(&job.id).await;
    let sig = f.sig(&first[0].id);
    f.app
        .answer_offer(None, &first[0].id, &sig, Answer::Decline)
        .await
        .unwrap();
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Offered {
            wave: 2,
            offered: 1
        }
    );
    // Nobody answers: the sweep expires both open offers and the next wave asks two more.
    f.clock.advance(Duration::minutes(121));
    assert_eq!(f.app.sweep().await.unwrap().expired_offers, 2);
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Offered {
            wave: 3,
            offered: 2
        }
    );
    assert_eq!(f.offers(&job.id).await.len(), 5);
    // Closing the job withdraws what is still open.
    let closed = f
        .app
        .close_open_offers(&f.station, &job.id, OfferStatus::Withdrawn)
        .await
        .unwrap();
    assert_eq!(closed, 2);
}

async fn a_new_worker_is_offered_open_jobs(backend: Backend) {
    let f = fixture(backend).await;
    let job = f.post_job(1, &[]).await;
    let other = f
        .post_job(1, &[("trade", "moving"), ("daily_wage_yuan", "260")])
        .await;
    // Nobody yet: the first wave records that it found no one.
    assert_eq!(f.wave(&job.id).await, WaveOutcome::NoCandidates);
    assert_eq!(
        f.app.decisions_of_job(&f.station, &job.id).await.unwrap()[0].ranked,
        0
    );
    let worker = f
        .sign_up("新来的", &["cleaning"], &["chengdong"], &[])
        .await;
    let outcomes = f.app.match_worker(&f.station, &worker).await.unwrap();
    assert_eq!(
        outcomes.len(),
        1,
        "only the cleaning job in reach: {outcomes:?}"
    );
    assert_eq!(outcomes[0].0, job.id);
    assert_eq!(f.offers(&job.id).await.len(), 1);
    assert!(f.offers(&other.id).await.is_empty());
}

async fn decisions_explain_every_ranking_and_can_be_recomputed(backend: Backend) {
    let f = fixture(backend).await;
    for n in 0..8 {
        f.sign_up(
            &format!("工人{n}"),
            &["cleaning"],
            &["chengzhong", "chengxi"],
            &[],
        )
        .await;
    }
    let job = f.post_job(2, &[]).await;
    f.wave(&job.id).await;
    let decision = f
        .app
        .decisions_of_job(&f.station, &job.id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(decision.rows.len(), 8);
    assert_eq!(decision.rows.iter().filter(|r| r.offered).count(), 4);
    assert_eq!(decision.settings, f.station.matching);
    // Anyone with the seed can re-run the draw and the ranking and get the same order.
    let seed = u64::from_str_radix(&decision.seed, 16).unwrap();
    let rows: Vec<(String, lingong_core::matching::rank::Factors)> = decision
        .rows
        .iter()
        .map(|r| {
            let factors = r.factors.clone().unwrap();
            assert_eq!(factors.draw, draw(seed, &r.worker_id));
            (r.worker_id.clone(), factors)
        })
        .collect();
    let again: Vec<String> = rank(&decision.settings, seed, rows, |id| id.as_str())
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let recorded: Vec<String> = decision.rows.iter().map(|r| r.worker_id.clone()).collect();
    assert_eq!(again, recorded);
    // Each offer carries the worker's own factors, to show them why.
    for offer in f.offers(&job.id).await {
        let row = decision
            .rows
            .iter()
            .find(|r| r.worker_id == offer.worker_id)
            .unwrap();
        assert_eq!(Some(offer.rank), row.rank);
        assert_eq!(Some(&offer.factors), row.factors.as_ref());
    }
}

async fn applying_from_the_board_signs_up_and_takes_a_place(backend: Backend) {
    let f = fixture(backend).await;
    let job = f.post_job(1, &[]).await;
    let phone = unique_phone();
    let mut form = RawInput::new();
    form.push("name", "马秀英");
    form.push("phone", phone.as_str());
    // Without consent nothing is stored.
    let refused = f.app.apply_to_job(None, &job.id, &form, None).await;
    assert!(matches!(
        refused,
        Err(lingong_core::app::ApplyError::Invalid(_))
    ));
    form.push("consent", "true");
    let first = f
        .app
        .apply_to_job(None, &job.id, &coded(&f, &form).await, None)
        .await
        .unwrap();
    let ApplyOutcome::Placed {
        newly: true,
        worker,
        token: Some(_),
        ..
    } = first
    else {
        panic!("{first:?}");
    };
    // Applying is not consent to automated offers.
    assert!(!worker.auto_matching);
    assert_eq!(worker.trades, ["cleaning"]);
    let again = f
        .app
        .apply_to_job(None, &job.id, &coded(&f, &form).await, None)
        .await
        .unwrap();
    // The same number again, without the request key that signed it up: whoever sent it
    // is told a message went to the number; nothing about the place is shown.
    assert!(matches!(again, ApplyOutcome::ConfirmationSent));
    assert_eq!(f.job(&job.id).await.placed, 1);
    // A registered worker's number typed on another job: no place on a stranger's word,
    // the job is offered to the number, and its owner's acceptance places them.
    let registered = f
        .sign_up("李桂兰", &["cleaning"], &["chengzhong"], &[])
        .await;
    let second = f.post_job(1, &[]).await;
    let mut typed = RawInput::new();
    typed.push("name", "冒名者");
    typed.push("phone", registered.phone.as_str());
    typed.push("consent", "true");
    let outcome = f
        .app
        .apply_to_job(None, &second.id, &coded(&f, &typed).await, None)
        .await
        .unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::ConfirmationSent),
        "{outcome:?}"
    );
    assert_eq!(f.job(&second.id).await.placed, 0);
    let offers = f.offers(&second.id).await;
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].worker_id, registered.id);
    let notice = f
        .app
        .notice(
            &f.station,
            &format!("{}.{}.offer", second.id, registered.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.to.phone, registered.phone);
    // Typed again: no second offer or message.
    f.app
        .apply_to_job(None, &second.id, &coded(&f, &typed).await, None)
        .await
        .unwrap();
    assert_eq!(f.offers(&second.id).await.len(), 1);
    let accepted = f
        .app
        .answer_offer(
            None,
            &offers[0].id,
            &f.sig(&offers[0].id),
            lingong_core::app::Answer::Accept,
        )
        .await
        .unwrap();
    assert!(matches!(
        accepted,
        AnswerOutcome::Placed { newly: true, .. }
    ));
    let holder = f
        .app
        .worker(&f.station, &registered.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.name.as_str(), "李桂兰", "the record is unchanged");
    // The job is full now: the next applicant is told so, and is not signed up.
    let mut other = RawInput::new();
    other.push("name", "韩建国");
    other.push("phone", unique_phone());
    other.push("consent", "true");
    assert!(matches!(
        f.app
            .apply_to_job(None, &job.id, &coded(&f, &other).await, None)
            .await
            .unwrap(),
        ApplyOutcome::Full
    ));
    let _: Fixture = f;
}

/// `form` with a fresh code for its number, as its owner types it from the SMS (a
/// minute after the last one: one code a minute per number).
async fn coded(f: &Fixture, form: &RawInput) -> RawInput {
    f.clock.advance(chrono::Duration::seconds(61));
    let code = lingong_tests::flow::phone_code(&f.app, form.text("phone")).await;
    let mut coded = form.clone();
    coded.push("code", code);
    coded
}

async fn a_worker_holds_one_place_per_day(backend: Backend) {
    let f = fixture(backend).await;
    let worker = f
        .sign_up("一人两单", &["cleaning"], &["chengzhong"], &[])
        .await;
    // Two jobs on overlapping days, each offered to the worker before either is taken.
    let first = f
        .post_job(
            1,
            &[("start_date", "2026-12-01"), ("end_date", "2026-12-03")],
        )
        .await;
    let second = f
        .post_job(
            1,
            &[("start_date", "2026-12-03"), ("end_date", "2026-12-04")],
        )
        .await;
    f.wave(&first.id).await;
    f.wave(&second.id).await;
    let accept = |job_id: String| {
        let f = &f;
        async move {
            let offer = f.offers(&job_id).await.remove(0);
            f.app
                .answer_offer(None, &offer.id, &f.sig(&offer.id), Answer::Accept)
                .await
                .unwrap()
        }
    };
    assert!(matches!(
        accept(first.id.clone()).await,
        AnswerOutcome::Placed { newly: true, .. }
    ));
    // The second overlaps on the 3rd: refused, the offer withdrawn for the next wave.
    assert_eq!(accept(second.id.clone()).await, AnswerOutcome::BusyDates);
    assert_eq!(f.job(&second.id).await.placed, 0);
    let offer = f.offers(&second.id).await.remove(0);
    assert_eq!(offer.status, OfferStatus::Withdrawn);
    // The held place claims its days, one item per day, in the worker's partition.
    for day in ["2026-12-01", "2026-12-02", "2026-12-03"] {
        let key = lingong_core::keys::worker_day(&f.station.id, &worker.id, day.parse().unwrap());
        assert!(f.store.store.get(&key).await.unwrap().is_some(), "{day}");
    }
    // Two more overlapping jobs answered at the same instant: exactly one is taken.
    let a = f
        .post_job(
            1,
            &[("start_date", "2026-12-10"), ("end_date", "2026-12-11")],
        )
        .await;
    let b = f
        .post_job(
            1,
            &[("start_date", "2026-12-11"), ("end_date", "2026-12-12")],
        )
        .await;
    f.wave(&a.id).await;
    f.wave(&b.id).await;
    let (first_answer, second_answer) = tokio::join!(accept(a.id.clone()), accept(b.id.clone()));
    let placed = [&first_answer, &second_answer]
        .iter()
        .filter(|o| matches!(o, AnswerOutcome::Placed { .. }))
        .count();
    assert_eq!(placed, 1, "{first_answer:?} {second_answer:?}");
    assert!(first_answer == AnswerOutcome::BusyDates || second_answer == AnswerOutcome::BusyDates);
    // Work on the days after the held place is taken as usual.
    let later = f
        .post_job(
            1,
            &[("start_date", "2026-12-04"), ("end_date", "2026-12-05")],
        )
        .await;
    f.wave(&later.id).await;
    assert!(matches!(
        accept(later.id.clone()).await,
        AnswerOutcome::Placed { newly: true, .. }
    ));
    assert_eq!(worker.id, f.offers(&later.id).await[0].worker_id);
}
