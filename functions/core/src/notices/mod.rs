//! Notices (通知): every SMS and e-mail the station sends, kept as a record that is
//! also its own send ledger.
//!
//! The outbox pattern: a use case that makes something worth telling (an offer, a
//! placement) writes the [`Notice`] in the same atomic batch as the change itself, so
//! a notice exists exactly when its cause does. The notifier step
//! ([`consumer::NotifierConsumer`]) picks new notices from the change stream, claims
//! each with a conditional write *before* sending — one notice per (job or day,
//! person, kind), so a replayed stream batch or a retried function never sends twice —
//! sends it through the one [`port::Notifier`] port, and records the outcome. Quiet
//! hours and a daily limit per number hold SMS back until they may go; failures are
//! retried with backoff; after the last try a notice is parked, visible to staff, never
//! dropped.

pub mod consumer;
pub mod delivery;
pub mod port;
pub mod send;
pub mod settings;
pub mod sms;
pub mod sms_catalogue;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    i18n::Lang,
    money::Money,
    phone::{Email, MobileNumber},
    station::StationId,
    worker::Channel,
};

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A job offered to a worker, with the link and the SMS replies.
    Offer,
    /// To the worker: the place is theirs; where to go and whom to call.
    Placed,
    /// To the employer: a worker took a place — name and phone (only now).
    WorkerPlaced,
    /// To a worker who answered after every place was taken.
    JobFull,
    /// To a worker who replied to accept or decline with no open offer.
    NoOpenOffer,
    /// To a worker whose SMS reply was not understood.
    SmsHelp,
    /// Confirms an SMS opt-out (回复TD).
    Unsubscribed,
    /// To a worker after their last day: "were you paid?", with the answer link.
    PaidCheck,
    /// To a worker who answered "not paid": the complaint's reference number.
    UnpaidReceived,
    /// A fresh manage link, to the registered number (someone signed up with it again).
    ManageLink,
    /// To a worker who accepted work on days they are booked already.
    BusyDates,
    /// To a verified employer: a posting made online with their number, to confirm.
    ConfirmPosting,
    /// To everyone registered for a course that staff cancelled.
    CourseCancelled,
    /// A one-time code (验证码) that proves the number is the applicant's own.
    PhoneCode,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 14] = [
        NoticeKind::Offer,
        NoticeKind::Placed,
        NoticeKind::WorkerPlaced,
        NoticeKind::JobFull,
        NoticeKind::NoOpenOffer,
        NoticeKind::SmsHelp,
        NoticeKind::Unsubscribed,
        NoticeKind::PaidCheck,
        NoticeKind::UnpaidReceived,
        NoticeKind::ManageLink,
        NoticeKind::BusyDates,
        NoticeKind::ConfirmPosting,
        NoticeKind::CourseCancelled,
        NoticeKind::PhoneCode,
    ];

    /// Whether it answers what the person is doing this minute (a one-time code), so it
    /// goes at any hour and outside the per-number daily count; its own limits bound it.
    pub fn sent_at_any_hour(self) -> bool {
        self == NoticeKind::PhoneCode
    }

    /// The name in ids, template names and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Offer => "offer",
            NoticeKind::Placed => "placed",
            NoticeKind::WorkerPlaced => "worker_placed",
            NoticeKind::JobFull => "job_full",
            NoticeKind::NoOpenOffer => "no_open_offer",
            NoticeKind::SmsHelp => "sms_help",
            NoticeKind::Unsubscribed => "unsubscribed",
            NoticeKind::PaidCheck => "paid_check",
            NoticeKind::UnpaidReceived => "unpaid_received",
            NoticeKind::ManageLink => "manage_link",
            NoticeKind::BusyDates => "busy_dates",
            NoticeKind::ConfirmPosting => "confirm_posting",
            NoticeKind::CourseCancelled => "course_cancelled",
            NoticeKind::PhoneCode => "phone_code",
        }
    }
}

/// Where a notice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Ready to send now.
    Pending,
    /// Held until `next_attempt_at` (quiet hours, daily limit, retry backoff).
    Waiting,
    /// Claimed by a sender; the outcome is not recorded yet.
    Sending,
    /// Accepted by the gateway or mail server.
    Sent,
    /// Given up on (last try failed, permanent failure, or outcome unknown): for staff.
    Parked,
    /// Deliberately not sent (the number opted out, or the offer ran out first).
    Suppressed,
}

impl NoticeStatus {
    /// The name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeStatus::Pending => "pending",
            NoticeStatus::Waiting => "waiting",
            NoticeStatus::Sending => "sending",
            NoticeStatus::Sent => "sent",
            NoticeStatus::Parked => "parked",
            NoticeStatus::Suppressed => "suppressed",
        }
    }

    /// The gsi3 queue a notice in this state sits in, if any.
    pub fn queue(self) -> Option<&'static str> {
        match self {
            NoticeStatus::Pending | NoticeStatus::Waiting => Some("due"),
            NoticeStatus::Sending => Some("sending"),
            NoticeStatus::Parked => Some("parked"),
            NoticeStatus::Sent | NoticeStatus::Suppressed => None,
        }
    }
}

/// Who receives a notice, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// SMS or e-mail.
    pub channel: Channel,
    /// The mobile number (SMS; also kept for e-mail recipients, for the record).
    pub phone: MobileNumber,
    /// The e-mail address (e-mail).
    pub email: Option<Email>,
    /// Their language.
    pub lang: Lang,
    /// When the recipient (a worker) last gave consent: an SMS opt-out older than this
    /// was lifted by signing up again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<DateTime<Utc>>,
}

/// The job as a notice describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    /// Title.
    pub title: String,
    /// Trade slug.
    pub trade: String,
    /// District slug.
    pub district: String,
    /// Where.
    pub address: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Wage per day.
    pub daily_wage: Money,
    /// `daily` or `on_completion`.
    pub pay_terms: String,
    /// Workers asked for.
    pub headcount: u16,
    /// Places taken (when the notice was made).
    pub placed: u16,
    /// Firm, shop or household.
    pub employer_name: String,
}

/// Everything a notice's templates need, fixed when the notice is made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeData {
    /// The job, for job notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSummary>,
    /// The path of the offer's page (the renderer makes it absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_path: Option<String>,
    /// When the offer needs an answer by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_by: Option<DateTime<Utc>>,
    /// The worker's name (to the employer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
    /// The worker's phone (to the employer, once they hold a place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_phone: Option<MobileNumber>,
    /// The employer's contact person (to a placed worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    /// The employer's contact phone (to a placed worker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<MobileNumber>,
    /// A complaint's reference number (to the worker who filed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A course or event, for notices about one: its title and start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventSummary>,
    /// A one-time code (验证码), for the code SMS only. Its `Debug` never shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<OneTimeCode>,
}

/// A one-time code as the code SMS carries it: 4–6 digits. Kept out of logs: its
/// `Debug` shows only that there is one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// A code of 4–6 ASCII digits, or nothing.
    pub fn parse(text: &str) -> Option<OneTimeCode> {
        ((4..=6).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| OneTimeCode(text.to_owned()))
    }

    /// The digits, for the message itself (never for logs).
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeCode(..)")
    }
}

/// A course or event as a notice names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    /// Title.
    pub title: String,
    /// When it was to start.
    pub starts_at: DateTime<Utc>,
}

/// What the gateway or mail server said when it took a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Which sender (`sns`, `smtp`, `file`).
    pub provider: String,
    /// The provider's message id, if it gave one.
    pub message_id: Option<String>,
}

/// One notice to one person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// The station.
    pub station: StationId,
    /// `<ref>.<subject>.<kind>`: one notice per (job or day, person, kind).
    pub id: String,
    /// What it is about.
    pub kind: NoticeKind,
    /// The job, for job notices.
    pub job_id: Option<String>,
    /// The worker it concerns.
    pub worker_id: Option<String>,
    /// Who receives it.
    pub to: Recipient,
    /// What the templates show.
    pub data: NoticeData,
    /// Where it stands.
    pub status: NoticeStatus,
    /// Send attempts so far.
    pub attempts: u32,
    /// When it may next be tried (Pending/Waiting).
    pub next_attempt_at: DateTime<Utc>,
    /// Do not send after this (an offer's answer time): it would only confuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_after: Option<DateTime<Utc>>,
    /// The last failure or the reason it was parked or suppressed (no personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The gateway's receipt, once sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// When claimed for the current attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<DateTime<Utc>>,
    /// When sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// When the gateway reported the SMS delivered to the phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

/// Notices are kept this long, then the store deletes them (TTL).
pub const KEEP_DAYS: i64 = 90;

/// The id of the notice of `kind` about `reference` (a job id, or a day for notices
/// that are not about a job) for `subject` (a worker id).
pub fn notice_id(reference: &str, subject: &str, kind: NoticeKind) -> String {
    format!("{reference}.{subject}.{}", kind.as_str())
}

impl Notice {
    /// A new notice, ready to send at `now`.
    pub fn new(
        station: StationId,
        kind: NoticeKind,
        (reference, subject): (&str, &str),
        to: Recipient,
        data: NoticeData,
        now: DateTime<Utc>,
    ) -> Notice {
        Notice {
            station,
            id: notice_id(reference, subject, kind),
            kind,
            job_id: None,
            worker_id: None,
            to,
            data,
            status: NoticeStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            stale_after: None,
            reason: None,
            receipt: None,
            created_at: now,
            claimed_at: None,
            sent_at: None,
            delivered_at: None,
            updated_at: now,
            version: 1,
        }
    }

    /// Where the message goes, as text safe for logs.
    pub fn masked_address(&self) -> String {
        match (self.to.channel, &self.to.email) {
            (Channel::Email, Some(email)) => email.masked(),
            _ => self.to.phone.masked(),
        }
    }
}

impl JobSummary {
    /// The summary of `job` as it stands, its free text masked: notices go to other
    /// people than the one who typed it.
    pub fn of(job: &crate::job::Job) -> JobSummary {
        use crate::mask::mask_numbers;
        JobSummary {
            title: mask_numbers(job.title.as_str()),
            trade: job.trade.clone(),
            district: job.district.clone(),
            address: mask_numbers(job.address.as_str()),
            start: job.dates.start,
            end: job.dates.end,
            daily_wage: job.daily_wage,
            pay_terms: job.pay_terms.as_str().to_owned(),
            headcount: job.headcount,
            placed: job.placed,
            employer_name: mask_numbers(job.employer_name.as_str()),
        }
    }
}

impl Recipient {
    /// A worker, by the channel they chose.
    pub fn worker(worker: &crate::worker::Worker) -> Recipient {
        Recipient {
            channel: worker.channel,
            phone: worker.phone.clone(),
            email: worker.email.clone(),
            lang: worker.lang,
            consented_at: Some(worker.consent.accepted_at),
        }
    }

    /// A worker by SMS, whatever channel they chose (answers to their SMS replies).
    pub fn worker_by_sms(worker: &crate::worker::Worker) -> Recipient {
        Recipient {
            channel: Channel::Sms,
            ..Recipient::worker(worker)
        }
    }

    /// The employer of a job: by e-mail when they gave one, else by SMS.
    pub fn employer(job: &crate::job::Job) -> Recipient {
        Recipient {
            channel: if job.contact_email.is_some() {
                Channel::Email
            } else {
                Channel::Sms
            },
            phone: job.contact_phone.clone(),
            email: job.contact_email.clone(),
            lang: job.lang,
            consented_at: None,
        }
    }
}
