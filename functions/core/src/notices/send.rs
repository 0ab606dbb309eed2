//! Sending one notice, exactly once: check it may go now (opt-out, quiet hours, the
//! daily limit), render it, claim it in the ledger with a conditional write, hand it
//! to the notifier, and record what happened.

use std::{sync::Arc, time::Duration as StdDuration};

use chrono::{DateTime, Utc};

use super::{
    Notice, NoticeKind, NoticeStatus, Receipt,
    port::{NoticeRenderer, Notifier, SendError},
};
use crate::{
    App, keys,
    records::{OptOut, SmsCount, notice_from_item, notice_item, sms_count_item},
    station::Station,
    store::{StoreError, Write, from_item},
    worker::Channel,
};

/// What became of a notice this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Handed to the gateway.
    Sent(Receipt),
    /// Held until then (quiet hours, daily limit, retry backoff).
    Waiting(DateTime<Utc>),
    /// Parked for staff.
    Parked,
    /// Deliberately not sent.
    Suppressed,
    /// Nothing to do: already sent, claimed by another sender, or not due.
    Skipped,
}

/// Sends notices through a notifier, keeping the ledger.
#[derive(Clone)]
pub struct NoticeSender {
    /// The use cases (store, stations, clock, secrets).
    pub app: App,
    /// Where messages go.
    pub notifier: Arc<dyn Notifier>,
    /// How notices become messages.
    pub renderer: Arc<dyn NoticeRenderer>,
}

const RETRIES: usize = 5;

impl NoticeSender {
    /// Handles the notice `notice_id` of `station` as it stands now. Safe to call any
    /// number of times, also concurrently: only the caller whose claim succeeds sends.
    pub async fn process(&self, station: &Station, notice_id: &str) -> Result<Handled, StoreError> {
        let store = &self.app.store;
        for _ in 0..RETRIES {
            let Some(item) = store.get(&keys::notice(&station.id, notice_id)).await? else {
                return Ok(Handled::Skipped);
            };
            let notice = notice_from_item(&item)?;
            let now = self.app.clock.now();
            let due = match notice.status {
                NoticeStatus::Pending => true,
                NoticeStatus::Waiting => notice.next_attempt_at <= now,
                _ => false,
            };
            if !due {
                return Ok(Handled::Skipped);
            }
            if notice.stale_after.is_some_and(|at| at <= now) {
                let reason = "the answer time passed before it could be sent";
                match self
                    .finish(&notice, NoticeStatus::Suppressed, reason)
                    .await?
                {
                    Some(handled) => return Ok(handled),
                    None => continue,
                }
            }
            let mut count_writes = Vec::new();
            if notice.to.channel == Channel::Sms {
                let phone_key = self.app.secrets.phone_key(&station.id, &notice.to.phone);
                if notice.kind != NoticeKind::Unsubscribed
                    && let Some(item) = store
                        .get(&keys::sms_opt_out(&station.id, &phone_key))
                        .await?
                {
                    let opt_out: OptOut = from_item(&item)?;
                    if notice.to.consented_at.is_none_or(|at| at <= opt_out.at) {
                        // The employer must still learn who is coming: staff call them.
                        let (status, reason) = if notice.kind == NoticeKind::WorkerPlaced {
                            (
                                NoticeStatus::Parked,
                                "the number opted out of SMS; call the employer",
                            )
                        } else {
                            (NoticeStatus::Suppressed, "the number opted out of SMS")
                        };
                        match self.finish(&notice, status, reason).await? {
                            Some(handled) => return Ok(handled),
                            None => continue,
                        }
                    }
                }
                let quiet = station.notices.quiet_hours();
                let local = now.with_timezone(&station.time_zone);
                let asked_now = notice.kind.sent_at_any_hour();
                if !asked_now && quiet.contains(local.time()) {
                    let until = quiet.next_allowed(now, station.time_zone);
                    match self.wait(&notice, until, "quiet hours").await? {
                        Some(handled) => return Ok(handled),
                        None => continue,
                    }
                }
                let day = local.date_naive();
                let key = keys::sms_day(&station.id, &phone_key, day);
                let (count, version) = match store.get(&key).await? {
                    Some(item) => (from_item::<SmsCount>(&item)?.count, Some(item.version)),
                    None => (0, None),
                };
                if !asked_now && count >= station.notices.sms_daily_limit {
                    let until = quiet.next_morning(now, station.time_zone);
                    match self.wait(&notice, until, "daily SMS limit reached").await? {
                        Some(handled) => return Ok(handled),
                        None => continue,
                    }
                }
                let budget_key = keys::sms_budget_day(&station.id, day);
                let (spent, budget_version) = match store.get(&budget_key).await? {
                    Some(item) => (from_item::<SmsCount>(&item)?.count, Some(item.version)),
                    None => (0, None),
                };
                if spent >= station.notices.sms_daily_budget {
                    tracing::warn!(station = %station.id, spent, "the station's daily SMS budget is spent");
                    let until = quiet.next_morning(now, station.time_zone);
                    match self
                        .wait(&notice, until, "the station's daily SMS budget is spent")
                        .await?
                    {
                        Some(handled) => return Ok(handled),
                        None => continue,
                    }
                }
                count_writes.push(count_write(station, key, day, count, version, now)?);
                count_writes.push(count_write(
                    station,
                    budget_key,
                    day,
                    spent,
                    budget_version,
                    now,
                )?);
            }
            let message = match self.renderer.render(&notice, station) {
                Ok(message) => message,
                Err(e) => {
                    tracing::error!(notice = %notice.id, error = %e, "notice template failed");
                    match self
                        .finish(&notice, NoticeStatus::Parked, "template error")
                        .await?
                    {
                        Some(handled) => return Ok(handled),
                        None => continue,
                    }
                }
            };
            let mut claimed = notice.clone();
            claimed.status = NoticeStatus::Sending;
            claimed.attempts += 1;
            claimed.claimed_at = Some(now);
            claimed.updated_at = now;
            claimed.version = notice.version + 1;
            let mut writes = vec![Write::replace(notice_item(&claimed)?, notice.version)];
            writes.extend(count_writes);
            match store.write(writes).await {
                Ok(()) => {}
                // Another sender claimed it, or the day's count moved: look again.
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e),
            }
            let result = self.notifier.send(&message).await;
            return self.record(claimed, station, result).await;
        }
        Err(StoreError::Contention)
    }

    /// Records the outcome of the send of `claimed`.
    async fn record(
        &self,
        claimed: Notice,
        station: &Station,
        result: Result<Receipt, SendError>,
    ) -> Result<Handled, StoreError> {
        let now = self.app.clock.now();
        let mut after = claimed.clone();
        after.updated_at = now;
        after.version = claimed.version + 1;
        let mut link = None;
        let handled = match result {
            Ok(receipt) => {
                link = super::delivery::receipt_link(&claimed, &receipt)?;
                after.status = NoticeStatus::Sent;
                after.sent_at = Some(now);
                after.receipt = Some(receipt.clone());
                after.reason = None;
                tracing::info!(notice = %claimed.id, to = %claimed.masked_address(), provider = %receipt.provider, "notice sent");
                Handled::Sent(receipt)
            }
            Err(SendError::Retryable(reason))
                if claimed.attempts < station.notices.max_attempts =>
            {
                let until = now + station.notices.retry_delay(claimed.attempts);
                after.status = NoticeStatus::Waiting;
                after.next_attempt_at = until;
                after.reason = Some(reason.clone());
                // A provider's reason may quote the recipient: numbers masked in logs.
                let reason = crate::mask::mask_numbers(&reason);
                tracing::warn!(notice = %claimed.id, attempt = claimed.attempts, reason, "notice send failed; will retry");
                Handled::Waiting(until)
            }
            Err(error) => {
                after.status = NoticeStatus::Parked;
                after.reason = Some(match &error {
                    SendError::Retryable(reason) => {
                        format!("gave up after {} tries: {reason}", claimed.attempts)
                    }
                    other => other.to_string(),
                });
                let error = crate::mask::mask_numbers(&error.to_string());
                tracing::error!(notice = %claimed.id, error = %error, "notice parked for staff");
                Handled::Parked
            }
        };
        // The message is out (or known not to be): keep trying to write that down, as
        // a lost record would leave the notice looking interrupted.
        let mut delay = StdDuration::from_millis(50);
        for attempt in 0..4 {
            let mut writes = vec![Write::replace(notice_item(&after)?, claimed.version)];
            writes.extend(link.clone());
            match self.app.store.write(writes).await {
                Ok(()) => return Ok(handled),
                Err(StoreError::ConditionFailed { .. }) => {
                    tracing::warn!(notice = %claimed.id, "notice changed while it was being sent");
                    // The delivery report must still find the notice.
                    if let Some(link) = link.take() {
                        self.app.store.write(vec![link]).await?;
                    }
                    return Ok(handled);
                }
                Err(e) if attempt == 3 => return Err(e),
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay *= 4;
                }
            }
        }
        Ok(handled)
    }

    /// Holds `notice` until `until`. `None` when it changed meanwhile.
    async fn wait(
        &self,
        notice: &Notice,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<Option<Handled>, StoreError> {
        let mut after = notice.clone();
        after.status = NoticeStatus::Waiting;
        after.next_attempt_at = until;
        after.reason = Some(reason.to_owned());
        after.updated_at = self.app.clock.now();
        after.version = notice.version + 1;
        match self
            .app
            .store
            .write(vec![Write::replace(notice_item(&after)?, notice.version)])
            .await
        {
            Ok(()) => {
                tracing::info!(notice = %notice.id, until = %until, reason, "notice held");
                Ok(Some(Handled::Waiting(until)))
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ends `notice` as parked or suppressed. `None` when it changed meanwhile.
    async fn finish(
        &self,
        notice: &Notice,
        status: NoticeStatus,
        reason: &str,
    ) -> Result<Option<Handled>, StoreError> {
        let mut after = notice.clone();
        after.status = status;
        after.reason = Some(reason.to_owned());
        after.updated_at = self.app.clock.now();
        after.version = notice.version + 1;
        match self
            .app
            .store
            .write(vec![Write::replace(notice_item(&after)?, notice.version)])
            .await
        {
            Ok(()) => {
                tracing::info!(notice = %notice.id, status = status.as_str(), reason, "notice not sent");
                Ok(Some(if status == NoticeStatus::Parked {
                    Handled::Parked
                } else {
                    Handled::Suppressed
                }))
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The write that adds one to the SMS count at `key` (a number's or the station's day),
/// conditional on the count read, so two senders never both take the last one. The
/// matcher adds the offers of a wave the same way ([`count_write_by`]).
fn count_write(
    station: &Station,
    key: crate::store::Key,
    day: chrono::NaiveDate,
    count: u32,
    version: Option<u64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Write, StoreError> {
    count_write_by(station, key, day, count, 1, version, now)
}

/// The write that adds `by` to the daily count at `key`, conditional on the count
/// `count` read at `version` (created when there was none): committed in the same
/// batch as the work it counts, so concurrent writers never both take the last ones.
pub(crate) fn count_write_by(
    station: &Station,
    key: crate::store::Key,
    day: chrono::NaiveDate,
    count: u32,
    by: u32,
    version: Option<u64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Write, StoreError> {
    let counted = SmsCount {
        station: station.id.clone(),
        day,
        count: count.saturating_add(by),
    };
    Ok(match version {
        Some(v) => Write::replace(sms_count_item(key, &counted, v + 1, now)?, v),
        None => Write::create(sms_count_item(key, &counted, 1, now)?),
    })
}
