//! Notices on DynamoDB Local and on the embedded store, sent for real: SMS through
//! `aws-sdk-sns` to moto (read back from its data dump), e-mail over SMTP. Quiet hours
//! and the daily limit with a clock the test moves, retries ending in a parked notice,
//! interrupted sends, opt-outs, and SMS replies.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use lingong_core::notices::sms::SmsNotifier;
use lingong_core::{
    Clock,
    app::InboundOutcome,
    notices::{
        NoticeKind, NoticeStatus,
        port::{ByChannel, Notifier},
        send::{Handled, NoticeSender},
    },
    records::notice_item,
    store::Write,
};
use lingong_notify_smtp::{SmtpNotifier, SmtpSettings};
use lingong_notify_sns::SnsGateway;
use lingong_site::{NoticeTemplates, Renderer};
use lingong_tests::{
    Backend,
    flow::{Fixture, fixture, mails_to, sms_sent_to, smtp_address, sns_client, unique_mailbox},
};

lingong_tests::on_both_backends!(
    sms_wait_for_the_end_of_quiet_hours,
    a_number_gets_at_most_the_daily_limit,
    the_station_sends_at_most_its_daily_budget,
    a_failing_notice_is_retried_then_parked_for_staff,
    a_send_that_never_reports_back_is_parked_not_resent,
    sms_replies_accept_decline_and_unsubscribe,
    an_employer_who_opted_out_is_called_by_staff,
);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// SMS through SNS at moto; e-mail through the SMTP sink (or `smtp_url`).
fn sender(f: &Fixture, smtp_url: Option<String>) -> NoticeSender {
    let smtp = SmtpNotifier::new(&SmtpSettings {
        url: smtp_url.unwrap_or_else(|| format!("smtp://{}", smtp_address())),
        from: "notices@lingong.test".into(),
        credentials: None,
        extra_root_pem: None,
        send_timeout: None,
    })
    .unwrap();
    let notifier: Arc<dyn Notifier> = Arc::new(ByChannel {
        sms: Arc::new(SmsNotifier::new(Arc::new(SnsGateway::from_client(
            sns_client(),
        )))),
        email: Arc::new(smtp),
    });
    NoticeSender {
        app: f.app.clone(),
        notifier,
        renderer: Arc::new(NoticeTemplates::new(
            Arc::new(Renderer::new().unwrap()),
            "https://lingong.test",
        )),
    }
}

fn e164(phone: &lingong_core::phone::MobileNumber) -> String {
    phone.e164()
}

async fn sms_wait_for_the_end_of_quiet_hours(backend: Backend) {
    let f = fixture(backend).await;
    f.clock.set(at("2026-11-28T22:30:00+08:00"));
    let worker = f
        .sign_up("夜里登记", &["cleaning"], &["chengzhong"], &[])
        .await;
    let job = f.post_job(1, &[]).await;
    f.wave(&job.id).await;
    let offer = f.offers(&job.id).await.remove(0);
    // The time to answer starts when the SMS may go: 08:00 plus two hours.
    assert_eq!(offer.expires_at, at("2026-11-29T10:00:00+08:00"));
    let sender = sender(&f, None);
    let id = format!("{}.{}.offer", job.id, worker.id);
    assert_eq!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Waiting(at("2026-11-29T08:00:00+08:00"))
    );
    assert!(sms_sent_to(&e164(&worker.phone)).await.is_empty());
    // Still quiet at 07:59: the sweep leaves it.
    f.clock.set(at("2026-11-29T07:59:00+08:00"));
    assert_eq!(f.app.sweep().await.unwrap().released_notices, 0);
    // At 08:00 it is released and goes out.
    f.clock.set(at("2026-11-29T08:00:00+08:00"));
    assert_eq!(f.app.sweep().await.unwrap().released_notices, 1);
    assert!(matches!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Sent(_)
    ));
    let sent = sms_sent_to(&e164(&worker.phone)).await;
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].starts_with("【零工驿站】岗位通知：") && sent[0].ends_with("回复TD退订"),
        "{}",
        sent[0]
    );
    assert!(
        sent[0].contains("https://lingong.test/api/offers/"),
        "{}",
        sent[0]
    );
    assert!(sent[0].contains("11月29日 10:00"), "{}", sent[0]);
    // Processing it again sends nothing more.
    assert_eq!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Skipped
    );
    assert_eq!(sms_sent_to(&e164(&worker.phone)).await.len(), 1);
}

async fn a_number_gets_at_most_the_daily_limit(backend: Backend) {
    let f = fixture(backend).await;
    let limit = f.station.notices.sms_daily_limit as usize;
    let worker = f
        .sign_up("热门工人", &["cleaning"], &["chengzhong"], &[])
        .await;
    let mut ids = Vec::new();
    for _ in 0..limit + 1 {
        let job = f.post_job(1, &[]).await;
        f.wave(&job.id).await;
        ids.push(format!("{}.{}.offer", job.id, worker.id));
    }
    let sender = sender(&f, None);
    let mut outcomes = Vec::new();
    for id in &ids {
        outcomes.push(sender.process(&f.station, id).await.unwrap());
    }
    assert_eq!(
        outcomes
            .iter()
            .filter(|h| matches!(h, Handled::Sent(_)))
            .count(),
        limit
    );
    assert_eq!(
        outcomes.last().unwrap(),
        &Handled::Waiting(at("2026-11-29T08:00:00+08:00")),
        "{outcomes:?}"
    );
    assert_eq!(sms_sent_to(&e164(&worker.phone)).await.len(), limit);
}

async fn the_station_sends_at_most_its_daily_budget(backend: Backend) {
    let f = fixture(backend).await;
    let mut station = (*f.station).clone();
    station.notices.sms_daily_budget = 2;
    let job = f.post_job(3, &[]).await;
    let mut workers = Vec::new();
    for name in ["预算一", "预算二", "预算三"] {
        workers.push(f.sign_up(name, &["cleaning"], &["chengzhong"], &[]).await);
    }
    f.wave(&job.id).await;
    let sender = sender(&f, None);
    let mut outcomes = Vec::new();
    for worker in &workers {
        let id = format!("{}.{}.offer", job.id, worker.id);
        outcomes.push(sender.process(&station, &id).await.unwrap());
    }
    let sent = outcomes
        .iter()
        .filter(|h| matches!(h, Handled::Sent(_)))
        .count();
    assert_eq!(sent, 2, "{outcomes:?}");
    assert!(
        outcomes.contains(&Handled::Waiting(at("2026-11-29T08:00:00+08:00"))),
        "the third waits for the next morning: {outcomes:?}"
    );
    let total: usize = {
        let mut n = 0;
        for worker in &workers {
            n += sms_sent_to(&e164(&worker.phone)).await.len();
        }
        n
    };
    assert_eq!(total, 2, "nothing over the budget reached the gateway");
    // The held notice says why, for staff; the next day's count starts afresh.
    let held = workers
        .iter()
        .zip(&outcomes)
        .find(|(_, h)| matches!(h, Handled::Waiting(_)))
        .map(|(w, _)| format!("{}.{}.offer", job.id, w.id))
        .unwrap();
    let item = f
        .store
        .store
        .get(&lingong_core::keys::notice(&f.station.id, &held))
        .await
        .unwrap()
        .unwrap();
    let notice = lingong_core::records::notice_from_item(&item).unwrap();
    assert_eq!(
        notice.reason.as_deref(),
        Some("the station's daily SMS budget is spent")
    );
    let today = f.today();
    let spent = f
        .store
        .store
        .get(&lingong_core::keys::sms_budget_day(&f.station.id, today))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.body["count"], 2);
    assert!(
        f.store
            .store
            .get(&lingong_core::keys::sms_budget_day(
                &f.station.id,
                today + chrono::Duration::days(1)
            ))
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_failing_notice_is_retried_then_parked_for_staff(backend: Backend) {
    let f = fixture(backend).await;
    let email = unique_mailbox("unreachable");
    let worker = f
        .sign_up(
            "邮件工人",
            &["cleaning"],
            &["chengzhong"],
            &[("channel", "email"), ("email", email.as_str())],
        )
        .await;
    let job = f.post_job(1, &[]).await;
    f.wave(&job.id).await;
    // A mail server that is down: nothing listens on port 1.
    let sender = sender(&f, Some("smtp://127.0.0.1:1".into()));
    let id = format!("{}.{}.offer", job.id, worker.id);
    let attempts = f.station.notices.max_attempts;
    for attempt in 1..attempts {
        let handled = sender.process(&f.station, &id).await.unwrap();
        let Handled::Waiting(until) = handled else {
            panic!("attempt {attempt}: {handled:?}")
        };
        assert_eq!(
            until,
            f.clock.now() + f.station.notices.retry_delay(attempt)
        );
        // Nothing happens before the backoff is over…
        assert_eq!(f.app.sweep().await.unwrap().released_notices, 0);
        f.clock.set(until);
        // …then the sweep releases it for the next try.
        assert_eq!(f.app.sweep().await.unwrap().released_notices, 1);
    }
    assert_eq!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Parked
    );
    let parked = f.app.parked_notices(&f.station, 10).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].id, id);
    assert_eq!(parked[0].attempts, attempts);
    assert!(
        parked[0].reason.as_deref().unwrap().contains("gave up"),
        "{:?}",
        parked[0].reason
    );
    // Parked is final: later sweeps and replays leave it alone.
    f.clock.advance(Duration::days(1));
    f.app.sweep().await.unwrap();
    assert_eq!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Skipped
    );
    assert!(mails_to(&email).is_empty());
}

async fn a_send_that_never_reports_back_is_parked_not_resent(backend: Backend) {
    let f = fixture(backend).await;
    let worker = f.sign_up("中断", &["cleaning"], &["chengzhong"], &[]).await;
    let job = f.post_job(1, &[]).await;
    f.wave(&job.id).await;
    let id = format!("{}.{}.offer", job.id, worker.id);
    // A sender claimed the notice and died before recording the outcome.
    let mut notice = f.app.notice(&f.station, &id).await.unwrap().unwrap();
    let before = notice.version;
    notice.status = NoticeStatus::Sending;
    notice.attempts = 1;
    notice.claimed_at = Some(f.clock.now());
    notice.version += 1;
    f.store
        .store
        .write(vec![Write::replace(notice_item(&notice).unwrap(), before)])
        .await
        .unwrap();
    let sender = sender(&f, None);
    assert_eq!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Skipped
    );
    assert_eq!(f.app.sweep().await.unwrap().parked_notices, 0);
    f.clock.advance(Duration::seconds(
        i64::from(f.station.notices.send_lease_seconds) + 1,
    ));
    assert_eq!(f.app.sweep().await.unwrap().parked_notices, 1);
    let parked = f.app.notice(&f.station, &id).await.unwrap().unwrap();
    assert_eq!(parked.status, NoticeStatus::Parked);
    assert!(sms_sent_to(&e164(&worker.phone)).await.is_empty());
}

async fn sms_replies_accept_decline_and_unsubscribe(backend: Backend) {
    let f = fixture(backend).await;
    let worker = f
        .sign_up("回复短信", &["cleaning"], &["chengzhong"], &[])
        .await;
    let phone = worker.phone.as_str().to_owned();
    let first = f.post_job(1, &[]).await;
    f.wave(&first.id).await;
    f.clock.advance(Duration::minutes(5));
    let second = f.post_job(1, &[("title", "写字楼开荒保洁")]).await;
    f.wave(&second.id).await;
    let sms = |text: &'static str| {
        let app = f.app.clone();
        let phone = phone.clone();
        async move {
            app.sms_inbound(None, &format!("+86 {phone}"), text, None)
                .await
                .unwrap()
        }
    };
    // "1" takes the newest open offer: the second job.
    assert_eq!(sms(" 1 ").await, InboundOutcome::Accepted);
    assert_eq!(f.job(&second.id).await.placed, 1);
    assert_eq!(f.job(&first.id).await.placed, 0);
    // "2" declines the newest still open: the first job.
    assert_eq!(sms("拒绝").await, InboundOutcome::Declined);
    // Nothing is open now.
    assert_eq!(sms("1").await, InboundOutcome::NoOpenOffer);
    assert_eq!(sms("2").await, InboundOutcome::NoOpenOffer);
    // Something else gets the help text, once a day.
    assert_eq!(sms("在吗").await, InboundOutcome::Help);
    assert_eq!(sms("在吗？").await, InboundOutcome::Help);
    // A number that is nobody's: nothing happens.
    assert_eq!(
        f.app
            .sms_inbound(None, "13011112222", "1", None)
            .await
            .unwrap(),
        InboundOutcome::UnknownNumber
    );
    // Bad numbers are refused.
    assert!(f.app.sms_inbound(None, "12345", "1", None).await.is_err());
    // "TD": no more SMS, and no more automated offers by SMS.
    assert_eq!(sms("TD").await, InboundOutcome::Unsubscribed);
    let now_worker = f.app.worker(&f.station, &worker.id).await.unwrap().unwrap();
    assert!(!now_worker.auto_matching);
    // The notices the replies made: placed (SMS), no_open_offer, sms_help and the
    // unsubscribe confirmation — one each, whatever the repeats.
    let sender = sender(&f, None);
    let day = f.today().format("%Y%m%d").to_string();
    for (reference, kind) in [
        (second.id.as_str(), NoticeKind::Placed),
        (day.as_str(), NoticeKind::NoOpenOffer),
        (day.as_str(), NoticeKind::SmsHelp),
        (day.as_str(), NoticeKind::Unsubscribed),
    ] {
        let id = lingong_core::notices::notice_id(reference, &worker.id, kind);
        let handled = sender.process(&f.station, &id).await.unwrap();
        // After TD only the confirmation of TD still goes out.
        if kind == NoticeKind::Unsubscribed {
            assert!(matches!(handled, Handled::Sent(_)), "{kind:?}: {handled:?}");
        } else {
            assert_eq!(handled, Handled::Suppressed, "{kind:?}");
        }
    }
    let sent = sms_sent_to(&e164(&worker.phone)).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("退订"), "{}", sent[0]);
}

async fn an_employer_who_opted_out_is_called_by_staff(backend: Backend) {
    let f = fixture(backend).await;
    let worker = f
        .sign_up("接活人", &["cleaning"], &["chengzhong"], &[])
        .await;
    let job = f.post_job(1, &[]).await;
    // The employer's number replied TD to an earlier message.
    assert_eq!(
        f.app
            .sms_inbound(None, job.contact_phone.as_str(), "TD", None)
            .await
            .unwrap(),
        InboundOutcome::Unsubscribed
    );
    f.wave(&job.id).await;
    let offer = f.offers(&job.id).await.remove(0);
    let sig = f.sig(&offer.id);
    f.app
        .answer_offer(None, &offer.id, &sig, lingong_core::app::Answer::Accept)
        .await
        .unwrap();
    let sender = sender(&f, None);
    let id = lingong_core::notices::notice_id(&job.id, &worker.id, NoticeKind::WorkerPlaced);
    assert_eq!(
        sender.process(&f.station, &id).await.unwrap(),
        Handled::Parked
    );
    let parked = f.app.parked_notices(&f.station, 10).await.unwrap();
    assert!(
        parked
            .iter()
            .any(|n| n.id == id && n.reason.as_deref().unwrap_or("").contains("call"))
    );
    assert!(sms_sent_to(&job.contact_phone.e164()).await.is_empty());
}
