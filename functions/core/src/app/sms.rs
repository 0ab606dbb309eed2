//! SMS replies from workers, as the SMS gateway forwards them: `1`/`接受` accepts the
//! newest open offer, `2`/`拒绝` declines it, `TD`/`退订` stops SMS from the station.
//! The gateway signs each call with a key derived from the deployment secret.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{
    App,
    offers::{Answer, AnswerOutcome, OfferError},
    paid::{PaidError, PaidOutcome},
};
use crate::placement::PaidAnswer;
use crate::{
    idempotency::{self, IdempotencyKey, IdempotencyRecord, Prior},
    keys,
    matching::offer::{AnswerVia, Offer},
    notices::{Notice, NoticeData, NoticeKind, Recipient},
    phone::MobileNumber,
    problem::{FieldError, Invalid},
    records::{OptOut, claim_from_item, notice_item, offer_from_item, worker_from_item},
    secrets::{Secrets, hex},
    station::Station,
    store::{Index, Query, StoreError, Write, to_body},
    worker::{Channel, Worker},
};

/// How far a signed call's timestamp may be from now, in seconds.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// What a reply asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsCommand {
    /// `1`, `接受`: take the newest open offer.
    Accept,
    /// `2`, `拒绝`: decline it.
    Decline,
    /// `TD`, `退订`: no more SMS.
    Unsubscribe,
    /// `3`, `已付`: paid for the last job (the pay follow-up).
    Paid,
    /// `4`, `没付`: not paid — opens a complaint.
    Unpaid,
    /// Anything else.
    Unknown,
}

/// Reads a reply as people type it: full-width characters, spaces, punctuation and
/// letter case do not matter.
pub fn parse_command(text: &str) -> SmsCommand {
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            'Ａ'..='Ｚ' => char::from(b'A' + (c as u32 - 'Ａ' as u32) as u8),
            'ａ'..='ｚ' => char::from(b'a' + (c as u32 - 'ａ' as u32) as u8),
            other => other,
        })
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !"。，！？、".contains(*c))
        .collect::<String>()
        .to_ascii_uppercase();
    match cleaned.as_str() {
        "1" | "接受" | "接" | "接活" | "Y" | "YES" => SmsCommand::Accept,
        "2" | "拒绝" | "不接" | "N" | "NO" => SmsCommand::Decline,
        "TD" | "T" | "退订" | "STOP" | "UNSUBSCRIBE" => SmsCommand::Unsubscribe,
        "3" | "已付" | "付了" | "结清" | "已结清" | "PAID" => SmsCommand::Paid,
        "4" | "没付" | "未付" | "没给" | "没结清" | "未结清" | "欠薪" | "UNPAID" => {
            SmsCommand::Unpaid
        }
        _ => SmsCommand::Unknown,
    }
}

/// The shared key the SMS gateway signs inbound calls with, derived from the
/// deployment secret (`lingong sms-inbound-key` prints it for the gateway's settings).
pub fn inbound_key(secrets: &Secrets) -> String {
    secrets.sign("sms-inbound-key", "v1")
}

/// The gateways that push replies and delivery reports in their own format.
pub const PUSH_GATEWAYS: [&str; 2] = ["aliyun", "tencent"];

/// The secret path segment of a gateway's push URLs
/// (`/api/sms/<gateway>/<secret>/up` and `…/report`). Alibaba's and Tencent's pushes
/// carry no signature, so the URL itself is the credential: derived from the
/// deployment secret, unguessable, and printed by `lingong sms-push-urls` for the
/// gateway's console.
pub fn push_path_secret(secrets: &Secrets, gateway: &str) -> String {
    secrets.sign("sms-push-path", gateway)
}

/// Whether `given` is the push path secret of `gateway` (constant time).
pub fn verify_push_path(secrets: &Secrets, gateway: &str, given: &str) -> bool {
    PUSH_GATEWAYS.contains(&gateway) && secrets.verify("sms-push-path", gateway, given)
}

/// The signature of an inbound call: hex HMAC-SHA256 with the inbound key over
/// `<timestamp>.<body>`.
pub fn inbound_signature(key: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// Whether an inbound call is genuine and fresh: the signature matches (constant time)
/// and the timestamp (Unix seconds) is within [`MAX_CLOCK_SKEW_SECONDS`] of `now`.
pub fn verify_inbound(
    secrets: &Secrets,
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now: DateTime<Utc>,
) -> bool {
    let Ok(seconds) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now.timestamp() - seconds).abs() > MAX_CLOCK_SKEW_SECONDS {
        return false;
    }
    let expected = inbound_signature(&inbound_key(secrets), timestamp.trim(), body);
    let given = signature.trim().to_ascii_lowercase();
    crate::secrets::constant_time_eq(expected.as_bytes(), given.as_bytes())
}

/// What a reply did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundOutcome {
    /// The newest open offer was accepted (a confirmation follows by SMS).
    Accepted,
    /// It had been accepted already.
    AlreadyAccepted,
    /// It was declined.
    Declined,
    /// Every place was taken first (a kind SMS says so).
    Full,
    /// There was no open offer (an SMS says so).
    NoOpenOffer,
    /// The number will get no more SMS from the station.
    Unsubscribed,
    /// The reply was not understood (an SMS explains the replies).
    Help,
    /// The number belongs to no worker; nothing was done.
    UnknownNumber,
    /// The worker holds a place on those days already (an SMS says so).
    BusyDates,
    /// The pay follow-up was answered "paid".
    PaidRecorded,
    /// The pay follow-up was answered "not paid": a complaint is open (an SMS gives
    /// its reference).
    ComplaintOpened,
}

impl InboundOutcome {
    fn parse(text: &str) -> Option<InboundOutcome> {
        [
            InboundOutcome::Accepted,
            InboundOutcome::AlreadyAccepted,
            InboundOutcome::Declined,
            InboundOutcome::Full,
            InboundOutcome::NoOpenOffer,
            InboundOutcome::Unsubscribed,
            InboundOutcome::Help,
            InboundOutcome::UnknownNumber,
            InboundOutcome::BusyDates,
            InboundOutcome::PaidRecorded,
            InboundOutcome::ComplaintOpened,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

const SMS_INBOUND: &str = "sms_inbound";

impl InboundOutcome {
    /// The name in API answers.
    pub fn as_str(self) -> &'static str {
        match self {
            InboundOutcome::Accepted => "accepted",
            InboundOutcome::AlreadyAccepted => "already_accepted",
            InboundOutcome::Declined => "declined",
            InboundOutcome::Full => "full",
            InboundOutcome::NoOpenOffer => "no_open_offer",
            InboundOutcome::Unsubscribed => "unsubscribed",
            InboundOutcome::Help => "help",
            InboundOutcome::UnknownNumber => "unknown_number",
            InboundOutcome::BusyDates => "busy_dates",
            InboundOutcome::PaidRecorded => "paid_recorded",
            InboundOutcome::ComplaintOpened => "complaint_opened",
        }
    }
}

/// Why a reply could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// The call names a station this deployment does not serve.
    #[error("unknown station")]
    UnknownStation,
    /// The sender is not a mainland mobile number (or the text is missing).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Kept losing races; the gateway should retry.
    #[error("busy")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OfferError> for InboundError {
    fn from(e: OfferError) -> Self {
        match e {
            OfferError::NotFound | OfferError::Busy => InboundError::Busy,
            OfferError::Store(e) => InboundError::Store(e),
            OfferError::Secret(e) => InboundError::Store(StoreError::Unavailable(e.to_string())),
        }
    }
}

impl App {
    /// Handles one SMS reply from `from`. Safe to repeat: each command acts on the state
    /// it finds, and the answers it sends are one per (offer or day, worker, kind). With
    /// the gateway's `message_id`, a redelivered reply returns the first outcome and
    /// does nothing again.
    pub async fn sms_inbound(
        &self,
        station: Option<&str>,
        from: &str,
        text: &str,
        message_id: Option<&str>,
    ) -> Result<InboundOutcome, InboundError> {
        let Some(message_id) = message_id.map(str::trim).filter(|m| !m.is_empty()) else {
            return self.handle_sms(station, from, text).await;
        };
        let key = IdempotencyKey::parse("message_id", &format!("sms:{message_id}"))
            .map_err(Invalid::one)?;
        let home = self
            .station(station)
            .ok_or(InboundError::UnknownStation)?
            .clone();
        let fingerprint = crate::secrets::sha256_hex(format!("{from}\n{text}").as_bytes());
        let now = self.clock.now();
        let condition =
            match idempotency::check(&*self.store, &home.id, &key, SMS_INBOUND, &fingerprint, now)
                .await?
            {
                Prior::Replay(record) => {
                    if let Some(outcome) = InboundOutcome::parse(&record.outcome) {
                        return Ok(outcome);
                    }
                    return self.handle_sms(station, from, text).await;
                }
                Prior::Mismatch => {
                    return Err(Invalid::one(FieldError::new(
                        "message_id",
                        "error.idempotency_reused",
                    ))
                    .into());
                }
                Prior::Fresh(condition) => condition,
            };
        let outcome = self.handle_sms(station, from, text).await?;
        let record = IdempotencyRecord {
            station: home.id.clone(),
            action: SMS_INBOUND.into(),
            fingerprint,
            record_id: message_id.chars().take(100).collect(),
            outcome: outcome.as_str().into(),
            created_at: now,
        };
        match self
            .store
            .write(vec![idempotency::claim(&key, &record, condition)?])
            .await
        {
            // A concurrent redelivery recorded it first: same effects either way.
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(outcome),
            Err(e) => Err(e.into()),
        }
    }

    async fn handle_sms(
        &self,
        station: Option<&str>,
        from: &str,
        text: &str,
    ) -> Result<InboundOutcome, InboundError> {
        let phone = MobileNumber::parse("from", from).map_err(Invalid::one)?;
        let stations: Vec<std::sync::Arc<Station>> = match station {
            Some(id) => vec![
                self.station(Some(id))
                    .ok_or(InboundError::UnknownStation)?
                    .clone(),
            ],
            None => self.stations.all().cloned().collect(),
        };
        let mut workers: Vec<(std::sync::Arc<Station>, Worker)> = Vec::new();
        for station in &stations {
            let phone_key = self.secrets.phone_key(&station.id, &phone);
            if let Some(item) = self
                .store
                .get(&keys::worker_phone(&station.id, &phone_key))
                .await?
            {
                let claim = claim_from_item(&item)?;
                if let Some(worker) = self.worker_by_id(station, &claim.owner_id).await? {
                    workers.push((station.clone(), worker));
                }
            }
        }
        let command = parse_command(text);
        if command == SmsCommand::Unsubscribe {
            for station in &stations {
                let worker = workers
                    .iter()
                    .find(|(s, _)| s.id == station.id)
                    .map(|(_, w)| w);
                self.unsubscribe(station, &phone, worker).await?;
            }
            return Ok(InboundOutcome::Unsubscribed);
        }
        if workers.is_empty() {
            return Ok(InboundOutcome::UnknownNumber);
        }
        if command == SmsCommand::Unknown {
            let (station, worker) = &workers[0];
            self.reply_once(station, worker, NoticeKind::SmsHelp)
                .await?;
            return Ok(InboundOutcome::Help);
        }
        if let Some(answer) = match command {
            SmsCommand::Paid => Some(PaidAnswer::Paid),
            SmsCommand::Unpaid => Some(PaidAnswer::Unpaid),
            _ => None,
        } {
            for (station, worker) in &workers {
                if let Some(placement) = self.open_paid_check(station, worker).await? {
                    return match self.record_paid_answer(station, placement, answer).await {
                        Ok(PaidOutcome::Paid) => Ok(InboundOutcome::PaidRecorded),
                        Ok(PaidOutcome::ComplaintOpened { .. }) => {
                            Ok(InboundOutcome::ComplaintOpened)
                        }
                        Err(PaidError::Store(e)) => Err(e.into()),
                        Err(PaidError::NotFound | PaidError::Busy) => Err(InboundError::Busy),
                    };
                }
            }
            let (station, worker) = &workers[0];
            self.reply_once(station, worker, NoticeKind::SmsHelp)
                .await?;
            return Ok(InboundOutcome::Help);
        }
        let mut newest: Option<(std::sync::Arc<Station>, Worker, Offer)> = None;
        for (station, worker) in &workers {
            if let Some(offer) = self.newest_open_offer(station, worker).await?
                && newest
                    .as_ref()
                    .is_none_or(|(_, _, best)| offer.offered_at > best.offered_at)
            {
                newest = Some((station.clone(), worker.clone(), offer));
            }
        }
        let Some((station, worker, offer)) = newest else {
            let (station, worker) = &workers[0];
            self.reply_once(station, worker, NoticeKind::NoOpenOffer)
                .await?;
            return Ok(InboundOutcome::NoOpenOffer);
        };
        let answer = match command {
            SmsCommand::Accept => Answer::Accept,
            _ => Answer::Decline,
        };
        let job_id = offer.job_id.clone();
        let outcome = self
            .answer(&station, offer, &worker, answer, AnswerVia::Sms)
            .await?;
        Ok(match outcome {
            AnswerOutcome::Placed { newly: true, .. } => InboundOutcome::Accepted,
            AnswerOutcome::Placed { newly: false, .. } | AnswerOutcome::AlreadyAccepted => {
                InboundOutcome::AlreadyAccepted
            }
            AnswerOutcome::Declined => InboundOutcome::Declined,
            AnswerOutcome::Full | AnswerOutcome::NotOpen => {
                self.job_full_notice(&station, &worker, &job_id).await?;
                InboundOutcome::Full
            }
            AnswerOutcome::BusyDates => {
                self.reply_once(&station, &worker, NoticeKind::BusyDates)
                    .await?;
                InboundOutcome::BusyDates
            }
        })
    }

    /// The newest offer to `worker` still waiting for an answer.
    async fn newest_open_offer(
        &self,
        station: &Station,
        worker: &Worker,
    ) -> Result<Option<Offer>, StoreError> {
        let page = self
            .store
            .query(&Query::index_newest_first(
                Index::Gsi2,
                keys::offers_of_worker(&station.id, &worker.id),
                20,
            ))
            .await?;
        for item in &page.items {
            // The index may lag: confirm with the offer itself.
            if let Some(current) = self.store.get(&item.key).await? {
                let offer = offer_from_item(&current)?;
                if offer.is_open() {
                    return Ok(Some(offer));
                }
            }
        }
        Ok(None)
    }

    /// Records the opt-out of `phone` and, for a worker reached by SMS, stops automated
    /// offers (they can turn them on again from their manage link or by signing up).
    async fn unsubscribe(
        &self,
        station: &Station,
        phone: &MobileNumber,
        worker: Option<&Worker>,
    ) -> Result<(), InboundError> {
        let now = self.clock.now();
        let phone_key = self.secrets.phone_key(&station.id, phone);
        let opt_out = OptOut {
            station: station.id.clone(),
            at: now,
        };
        self.store
            .write(vec![Write::put(crate::store::Item::new(
                keys::sms_opt_out(&station.id, &phone_key),
                to_body(&opt_out)?,
            ))])
            .await?;
        if let Some(worker) = worker {
            for _ in 0..super::RETRIES {
                let Some(item) = self
                    .store
                    .get(&keys::worker(&station.id, &worker.id))
                    .await?
                else {
                    break;
                };
                let before = worker_from_item(&item)?;
                if before.channel != Channel::Sms || !before.auto_matching {
                    break;
                }
                let mut after = before.clone();
                after.auto_matching = false;
                after.updated_at = now;
                after.version = before.version + 1;
                let writes = self.worker_writes(&before, &after).await?;
                match self.store.write(writes).await {
                    Ok(()) => break,
                    Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let recipient = match worker {
            Some(worker) => Recipient::worker_by_sms(worker),
            None => Recipient {
                channel: Channel::Sms,
                phone: phone.clone(),
                email: None,
                lang: crate::Lang::Zh,
                consented_at: None,
            },
        };
        let subject = worker.map(|w| w.id.clone()).unwrap_or(phone_key);
        let day = station.today(now).format("%Y%m%d").to_string();
        let mut notice = Notice::new(
            station.id.clone(),
            NoticeKind::Unsubscribed,
            (&day, &subject),
            recipient,
            NoticeData::default(),
            now,
        );
        notice.worker_id = worker.map(|w| w.id.clone());
        self.create_notice(notice).await?;
        tracing::info!(station = %station.id, "number opted out of SMS");
        Ok(())
    }

    /// A reply that is not about a job, at most once per day per worker and kind.
    async fn reply_once(
        &self,
        station: &Station,
        worker: &Worker,
        kind: NoticeKind,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let day = station.today(now).format("%Y%m%d").to_string();
        let mut notice = Notice::new(
            station.id.clone(),
            kind,
            (&day, &worker.id),
            Recipient::worker_by_sms(worker),
            NoticeData::default(),
            now,
        );
        notice.worker_id = Some(worker.id.clone());
        self.create_notice(notice).await
    }

    /// Tells a worker who answered too late that the job is taken (once per job).
    async fn job_full_notice(
        &self,
        station: &Station,
        worker: &Worker,
        job_id: &str,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let job = self.job(station, job_id).await?;
        let mut notice = Notice::new(
            station.id.clone(),
            NoticeKind::JobFull,
            (job_id, &worker.id),
            Recipient::worker_by_sms(worker),
            NoticeData {
                job: job.as_ref().map(crate::notices::JobSummary::of),
                ..NoticeData::default()
            },
            now,
        );
        notice.job_id = Some(job_id.to_owned());
        notice.worker_id = Some(worker.id.clone());
        self.create_notice(notice).await
    }

    /// Writes a new notice; one that exists already (a repeated reply) is left alone.
    async fn create_notice(&self, notice: Notice) -> Result<(), StoreError> {
        match self
            .store
            .write(vec![Write::create(notice_item(&notice)?)])
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_as_people_type_them() {
        for text in ["1", " 1 ", "１", "接受", "接受。", "y", "YES"] {
            assert_eq!(parse_command(text), SmsCommand::Accept, "{text}");
        }
        for text in ["2", "２", "拒绝", "不接", "no"] {
            assert_eq!(parse_command(text), SmsCommand::Decline, "{text}");
        }
        for text in ["TD", "td", "Td", "ＴＤ", "退订", "T"] {
            assert_eq!(parse_command(text), SmsCommand::Unsubscribe, "{text}");
        }
        for text in ["3", "３", "已付", "结清。"] {
            assert_eq!(parse_command(text), SmsCommand::Paid, "{text}");
        }
        for text in ["4", "没付", "没结清！", "欠薪"] {
            assert_eq!(parse_command(text), SmsCommand::Unpaid, "{text}");
        }
        for text in ["", "5", "hello", "12", "好的"] {
            assert_eq!(parse_command(text), SmsCommand::Unknown, "{text}");
        }
    }

    #[test]
    fn inbound_calls_are_signed_and_fresh() {
        let secrets = Secrets::from_bytes(&[3u8; 32]).unwrap();
        let now: DateTime<Utc> = "2026-11-28T02:00:00Z".parse().unwrap();
        let ts = now.timestamp().to_string();
        let body = br#"{"from":"13800000000","text":"1"}"#;
        let sig = inbound_signature(&inbound_key(&secrets), &ts, body);
        assert!(verify_inbound(&secrets, &ts, body, &sig, now));
        assert!(verify_inbound(
            &secrets,
            &ts,
            body,
            &sig.to_uppercase(),
            now
        ));
        assert!(!verify_inbound(&secrets, &ts, b"{}", &sig, now));
        assert!(!verify_inbound(&secrets, "not-a-number", body, &sig, now));
        let later = now + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1);
        assert!(!verify_inbound(&secrets, &ts, body, &sig, later));
        let other = Secrets::from_bytes(&[4u8; 32]).unwrap();
        assert!(!verify_inbound(&other, &ts, body, &sig, now));
    }
}
