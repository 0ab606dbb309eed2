//! Caps on offers, on DynamoDB Local and on the embedded store: a posting nobody
//! vouched for gets a few offers until staff approve it, and offers by SMS are capped
//! per posting and per employer (the posting's contact number) per day — exactly, also
//! when waves of one employer's postings run at once.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use chrono::Duration;
use lingong_core::{
    app::Actor,
    matching::{
        decision::OfferCap,
        wave::{WaveOutcome, job_needs_wave},
    },
    staff::Role,
    station::Station,
};
use lingong_tests::{
    Backend,
    flow::{Fixture, fixture, unique_phone},
};

lingong_tests::on_both_backends!(
    an_unvouched_posting_gets_a_few_offers_until_staff_approve_it,
    offers_by_sms_are_capped_per_posting_and_per_employer_each_day,
    concurrent_waves_of_one_employer_never_pass_its_daily_cap,
);

fn staff(f: &Fixture) -> Actor {
    Actor {
        station: f.station.id.clone(),
        username: "moderator".into(),
        role: Role::Staff,
        session_id: "offer-caps".into(),
    }
}

async fn sign_up_many(f: &Fixture, n: usize) {
    for i in 0..n {
        f.sign_up(&format!("工人{i:02}"), &["cleaning"], &["chengzhong"], &[])
            .await;
    }
}

/// The station with its own caps on offers by SMS.
fn capped(f: &Fixture, per_posting: u32, per_employer: u32) -> Station {
    let mut station = (*f.station).clone();
    station.notices.sms_offers_per_posting_day = per_posting;
    station.notices.sms_offers_per_employer_day = per_employer;
    station
}

async fn an_unvouched_posting_gets_a_few_offers_until_staff_approve_it(backend: Backend) {
    let f = fixture(backend).await;
    sign_up_many(&f, 12).await;
    // Posted online by an employer nobody verified: five places would mean ten offers.
    let job = f.post_job(5, &[]).await;
    assert!(!job.vouched());
    let cap = f.station.matching.unvouched_offers;
    assert_eq!(cap, 6);
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Offered {
            wave: 1,
            offered: cap
        }
    );
    // Nothing more until someone vouches for it, and no empty record is written.
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Held {
            by: OfferCap::Unvouched
        }
    );
    assert_eq!(f.offers(&job.id).await.len(), cap as usize);
    let decisions = f.app.decisions_of_job(&f.station, &job.id).await.unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].capped, Some(OfferCap::Unvouched));

    // Staff check it and approve it: that change calls for a wave, which tops up.
    let before = f.job(&job.id).await;
    let approved = f.app.approve_job(&staff(&f), &job.id).await.unwrap();
    assert!(approved.vouched());
    assert!(job_needs_wave(Some(&before), &approved));
    assert_eq!(
        f.wave(&job.id).await,
        WaveOutcome::Offered {
            wave: 2,
            offered: 4
        }
    );
    // Entered at the desk, a posting is vouched for from the start.
    let desk = f
        .app
        .post_job(lingong_core::app::Submission {
            station: None,
            input: &{
                let mut input = lingong_core::input::RawInput::new();
                let start = f.today() + Duration::days(2);
                for (k, v) in [
                    ("title", "小区楼道保洁".to_owned()),
                    ("trade", "cleaning".to_owned()),
                    ("district", "chengzhong".to_owned()),
                    ("address", "城中区南关街某小区".to_owned()),
                    ("start_date", start.to_string()),
                    ("end_date", start.to_string()),
                    ("headcount", "1".to_owned()),
                    ("daily_wage_yuan", "220".to_owned()),
                    ("pay_terms", "daily".to_owned()),
                    ("employer_name", "城中区某物业公司".to_owned()),
                    ("contact_name", "王经理".to_owned()),
                    ("contact_phone", unique_phone()),
                    (
                        "description",
                        "打扫楼道和电梯间，工具由物业提供。".to_owned(),
                    ),
                ] {
                    input.push(k, v);
                }
                input
            },
            idempotency_key: None,
            source: lingong_core::job::Source::Desk,
        })
        .await
        .unwrap()
        .record;
    assert!(desk.vouched());
}

async fn offers_by_sms_are_capped_per_posting_and_per_employer_each_day(backend: Backend) {
    let f = fixture(backend).await;
    sign_up_many(&f, 14).await;
    let station = capped(&f, 3, 5);
    let actor = staff(&f);
    // Two postings with one contact number: one employer. Both approved by staff, so
    // only the day caps apply.
    let phone = unique_phone();
    let first = f.post_job(5, &[("contact_phone", &phone)]).await;
    let second = f.post_job(5, &[("contact_phone", &phone)]).await;
    for job in [&first, &second] {
        f.app.approve_job(&actor, &job.id).await.unwrap();
    }
    let wave = |id: String| {
        let (app, station) = (f.app.clone(), station.clone());
        async move { app.run_wave(&station, &id).await.unwrap() }
    };
    assert_eq!(
        wave(first.id.clone()).await,
        WaveOutcome::Offered {
            wave: 1,
            offered: 3
        }
    );
    assert_eq!(
        wave(first.id.clone()).await,
        WaveOutcome::Held {
            by: OfferCap::PostingDay
        }
    );
    // The employer has two left today, whichever posting asks.
    assert_eq!(
        wave(second.id.clone()).await,
        WaveOutcome::Offered {
            wave: 1,
            offered: 2
        }
    );
    assert_eq!(
        wave(second.id.clone()).await,
        WaveOutcome::Held {
            by: OfferCap::EmployerDay
        }
    );
    // A new station day: the caps start again.
    f.clock.advance(Duration::days(1));
    assert_eq!(
        wave(first.id.clone()).await,
        WaveOutcome::Offered {
            wave: 2,
            offered: 3
        }
    );
    assert_eq!(f.offers(&first.id).await.len(), 6);
    assert_eq!(f.offers(&second.id).await.len(), 2);
}

async fn concurrent_waves_of_one_employer_never_pass_its_daily_cap(backend: Backend) {
    let f = fixture(backend).await;
    sign_up_many(&f, 12).await;
    let station = capped(&f, 40, 5);
    let actor = staff(&f);
    let phone = unique_phone();
    let mut jobs = Vec::new();
    for _ in 0..6 {
        let job = f.post_job(2, &[("contact_phone", &phone)]).await;
        f.app.approve_job(&actor, &job.id).await.unwrap();
        jobs.push(job.id);
    }
    // Six postings of one employer, each wanting four offers, waved at once. A wave
    // that keeps losing the race is retried, as the change stream retries it.
    let mut runs = Vec::new();
    for id in &jobs {
        let (app, station, id) = (f.app.clone(), station.clone(), id.clone());
        runs.push(tokio::spawn(async move {
            for _ in 0..20 {
                if let Ok(outcome) = app.run_wave(&station, &id).await {
                    return outcome;
                }
            }
            panic!("the wave never got through");
        }));
    }
    for run in runs {
        run.await.unwrap();
    }
    let mut offered = 0;
    for id in &jobs {
        offered += f.offers(id).await.len();
    }
    assert_eq!(offered, 5);
}
