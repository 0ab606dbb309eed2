//! The notifier step on the change stream: every notice that appears (or is released
//! by the scheduled step) as `pending` is handed to [`NoticeSender::process`], and
//! every notice deleted (an erasure, the retention period) is forgotten by the notifier
//! too ([`crate::notices::port::Notifier::forget`]), so no copy outlives the record.
//!
//! SMS and e-mail go in two lanes side by side, each in stream order: a mail server
//! that stalls (up to its send deadline) never holds back an SMS offer.

use async_trait::async_trait;

use super::{NoticeStatus, send::NoticeSender};
use crate::{
    changes::{Change, ChangeConsumer, ConsumeError},
    records::notice_from_item,
    store::StoreError,
    worker::Channel,
};

/// Sends pending notices as they appear.
pub struct NotifierConsumer {
    /// The sender.
    pub sender: NoticeSender,
}

const NAME: &str = "notifier";

/// The notice id, station and channel of a change that made a notice pending.
fn pending_notice(change: &Change) -> Option<(String, String, Channel)> {
    if change.key.sk != "NOTICE" {
        return None;
    }
    let notice = notice_from_item(change.new.as_ref()?).ok()?;
    (notice.status == NoticeStatus::Pending).then(|| {
        (
            notice.station.as_str().to_owned(),
            notice.id,
            notice.to.channel,
        )
    })
}

impl NotifierConsumer {
    /// Sends the pending notices of one channel in `changes`, in order; the position of
    /// the first that failed.
    async fn lane(&self, changes: &[Change], channel: Channel) -> Result<(), (usize, StoreError)> {
        for (position, change) in changes.iter().enumerate() {
            let Some((station_id, notice_id, of)) = pending_notice(change) else {
                continue;
            };
            if of != channel {
                continue;
            }
            let Some(station) = self.sender.app.station(Some(&station_id)).cloned() else {
                tracing::warn!(station = %station_id, "notice of a station this deployment does not serve");
                continue;
            };
            self.sender
                .process(&station, &notice_id)
                .await
                .map_err(|e| (position, e))?;
        }
        Ok(())
    }
}

/// The id of the notice a change deleted.
fn deleted_notice(change: &Change) -> Option<String> {
    if change.key.sk != "NOTICE" || change.new.is_some() {
        return None;
    }
    match change
        .old
        .as_ref()
        .and_then(|old| notice_from_item(old).ok())
    {
        Some(notice) => Some(notice.id),
        // The key alone: `…NOTICE#<id>`.
        None => change
            .key
            .pk
            .rsplit_once("NOTICE#")
            .map(|(_, id)| id.to_owned()),
    }
}

#[async_trait]
impl ChangeConsumer for NotifierConsumer {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn consume(&self, changes: &[Change]) -> Result<(), ConsumeError> {
        for (position, change) in changes.iter().enumerate() {
            if let Some(notice_id) = deleted_notice(change) {
                self.sender
                    .notifier
                    .forget(&notice_id)
                    .await
                    .map_err(|e| ConsumeError {
                        consumer: NAME,
                        first_failed: position,
                        reason: e.to_string(),
                    })?;
            }
        }
        let (sms, email) = tokio::join!(
            self.lane(changes, Channel::Sms),
            self.lane(changes, Channel::Email)
        );
        // Start again from the first failure of either lane: sending is idempotent, so
        // what the other lane did past it is skipped the second time.
        let failed = [sms.err(), email.err()]
            .into_iter()
            .flatten()
            .min_by_key(|(position, _)| *position);
        match failed {
            Some((position, e)) => Err(ConsumeError::store(NAME, position, &e)),
            None => Ok(()),
        }
    }
}
