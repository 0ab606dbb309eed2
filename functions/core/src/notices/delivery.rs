//! Delivery reports (状态报告): after a gateway took an SMS, it later reports whether the
//! phone received it. The report names only the gateway's own message id, so sending an
//! SMS also files a small lookup record from that id to the notice; a report then marks
//! the notice delivered, or parks it for staff when the phone never got it (a wrong or
//! switched-off number, a carrier's refusal), so no failed SMS goes unseen.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{KEEP_DAYS, Notice, NoticeStatus, Receipt};
use crate::{
    App, keys,
    records::{notice_from_item, notice_item},
    station::StationId,
    store::{Item, StoreError, Write, from_item, to_body},
    worker::Channel,
};

/// The body of the lookup record from a gateway's message id to its notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsReceiptLink {
    /// The station of the notice.
    pub station: StationId,
    /// The notice.
    pub notice_id: String,
}

/// The lookup record for a notice the gateway took, if it was an SMS with a message id.
pub fn receipt_link(notice: &Notice, receipt: &Receipt) -> Result<Option<Write>, StoreError> {
    let Some(message_id) = receipt.message_id.as_deref().filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    if notice.to.channel != Channel::Sms {
        return Ok(None);
    }
    let link = SmsReceiptLink {
        station: notice.station.clone(),
        notice_id: notice.id.clone(),
    };
    let mut item = Item::new(
        keys::sms_receipt(&notice.station, &receipt.provider, message_id),
        to_body(&link)?,
    );
    item.expires_at = Some((notice.created_at + chrono::Duration::days(KEEP_DAYS)).timestamp());
    Ok(Some(Write::put(item)))
}

/// One delivery report, in the gateway-neutral form the HTTP adapter reads it into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Which gateway (`aliyun`, `tencent`): the provider of the notice's receipt.
    pub provider: String,
    /// The gateway's message id (Alibaba's `biz_id`, Tencent's `sid`).
    pub message_id: String,
    /// Whether the phone received it.
    pub delivered: bool,
    /// The gateway's or carrier's code (`DELIVRD`, `MK:0001`…), never personal data.
    pub code: String,
    /// When the phone received it, or when delivery failed.
    pub at: DateTime<Utc>,
}

/// What a delivery report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The notice is marked delivered.
    Delivered,
    /// The notice is parked for staff: the phone did not get it.
    Failed,
    /// The report was recorded before (a gateway retries its pushes).
    AlreadyRecorded,
    /// No notice of this station has that message id (too old, or not ours).
    UnknownMessage,
}

const RETRIES: usize = 4;

impl App {
    /// Records a delivery report on its notice. Safe to call any number of times.
    pub async fn sms_delivery(
        &self,
        report: &DeliveryReport,
    ) -> Result<DeliveryOutcome, StoreError> {
        let mut link = None;
        for station in self.stations.all() {
            let key = keys::sms_receipt(&station.id, &report.provider, &report.message_id);
            if let Some(item) = self.store.get(&key).await? {
                link = Some(from_item::<SmsReceiptLink>(&item)?);
                break;
            }
        }
        let Some(link) = link else {
            return Ok(DeliveryOutcome::UnknownMessage);
        };
        for _ in 0..RETRIES {
            let Some(item) = self
                .store
                .get(&keys::notice(&link.station, &link.notice_id))
                .await?
            else {
                return Ok(DeliveryOutcome::UnknownMessage);
            };
            let notice = notice_from_item(&item)?;
            let reason = format!("the gateway could not deliver the SMS ({})", report.code);
            let mut after = notice.clone();
            let outcome = if report.delivered {
                if notice.delivered_at.is_some() {
                    return Ok(DeliveryOutcome::AlreadyRecorded);
                }
                after.delivered_at = Some(report.at);
                if notice.status == NoticeStatus::Parked
                    && notice.reason.as_deref() == Some(reason.as_str())
                {
                    after.status = NoticeStatus::Sent;
                    after.reason = None;
                }
                DeliveryOutcome::Delivered
            } else {
                if notice.status == NoticeStatus::Parked || notice.delivered_at.is_some() {
                    return Ok(DeliveryOutcome::AlreadyRecorded);
                }
                after.status = NoticeStatus::Parked;
                after.reason = Some(reason);
                DeliveryOutcome::Failed
            };
            after.updated_at = self.clock.now();
            after.version = notice.version + 1;
            match self
                .store
                .write(vec![Write::replace(notice_item(&after)?, notice.version)])
                .await
            {
                Ok(()) => {
                    tracing::info!(
                        notice = %notice.id,
                        provider = %report.provider,
                        delivered = report.delivered,
                        code = %report.code,
                        "SMS delivery report"
                    );
                    return Ok(outcome);
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Contention)
    }
}
