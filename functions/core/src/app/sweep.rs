//! The scheduled step (every minute on AWS, in-process locally): expires offers past
//! their answer time (which starts the next wave through the change stream), releases
//! notices whose wait is over (quiet hours, daily limit, retry backoff) and nudges any
//! left pending, parks sends that never reported back, and asks workers whose last day
//! of work has passed whether they were paid (see [`super::paid`]); once a day it also
//! erases workers past the station's retention period. It touches only the store: the
//! notifier alone sends.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::App;
use crate::{
    keys,
    matching::offer::{AnswerVia, OfferStatus},
    notices::NoticeStatus,
    records::{notice_from_item, notice_item, offer_from_item, offer_item},
    station::Station,
    store::{Index, Item, Query, SortKeyRange, StoreError, Write},
};

/// Most items one sweep handles per queue and station; the rest wait for the next.
const MAX_PER_QUEUE: usize = 1000;
/// A notice left pending this long (its stream delivery failed) is nudged again.
const PENDING_GRACE_SECONDS: i64 = 120;

/// What a sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Offers that ran out of time.
    pub expired_offers: u32,
    /// Notices released to be sent.
    pub released_notices: u32,
    /// Sends that never reported back, parked for staff.
    pub parked_notices: u32,
    /// Workers erased because their retention period ended (once a day).
    pub erased_workers: u32,
    /// Workers asked "were you paid?" after their last day.
    pub paid_checks: u32,
}

impl App {
    /// One sweep over every station.
    pub async fn sweep(&self) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        let stations: Vec<_> = self.stations.all().cloned().collect();
        for station in stations {
            self.sweep_station(&station, &mut report).await?;
        }
        if report != SweepReport::default() {
            tracing::info!(
                expired_offers = report.expired_offers,
                released_notices = report.released_notices,
                parked_notices = report.parked_notices,
                erased_workers = report.erased_workers,
                paid_checks = report.paid_checks,
                "sweep"
            );
        }
        Ok(report)
    }

    /// The items of a gsi3 queue whose sort key is at or before `until`, oldest first.
    async fn due(&self, pk: String, until: DateTime<Utc>) -> Result<Vec<Item>, StoreError> {
        let mut query = Query {
            index: Some(Index::Gsi3),
            range: SortKeyRange::Between("0".into(), format!("{}~", keys::sortable_time(until))),
            ..Query::partition(pk, 100)
        };
        let mut items = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            items.extend(page.items);
            match page.next {
                Some(next) if items.len() < MAX_PER_QUEUE => query.after = Some(next),
                _ => return Ok(items),
            }
        }
    }

    /// Once a station day, the first sweep also runs the retention sweep: it claims the
    /// day with a conditional write (so concurrent sweeps run it once) and gives the
    /// claim back if it fails, so the next sweep tries again.
    async fn daily_retention(
        &self,
        station: &Station,
        report: &mut SweepReport,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let day = station.today(now);
        let mut claim = Item::new(
            keys::daily_task(&station.id, "retention", day),
            serde_json::Map::from_iter([(
                "station".to_owned(),
                serde_json::Value::from(station.id.as_str()),
            )]),
        );
        claim.expires_at = Some((now + Duration::days(3)).timestamp());
        let key = claim.key.clone();
        match self.store.write(vec![Write::create(claim)]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => return Ok(()),
            Err(e) => return Err(e),
        }
        match self.retention_sweep(station).await {
            Ok(erased) => {
                report.erased_workers += u32::try_from(erased).unwrap_or(u32::MAX);
                Ok(())
            }
            Err(e) => {
                self.store.write(vec![Write::delete(key)]).await?;
                Err(e)
            }
        }
    }

    async fn sweep_station(
        &self,
        station: &Station,
        report: &mut SweepReport,
    ) -> Result<(), StoreError> {
        self.daily_retention(station, report).await?;
        let now = self.clock.now();
        report.paid_checks += self.paid_follow_ups(station, now).await?;
        for item in self.due(keys::open_offers(&station.id), now).await? {
            let Some(current) = self.store.get(&item.key).await? else {
                continue;
            };
            let offer = offer_from_item(&current)?;
            if !offer.is_open() || offer.expires_at > now {
                continue;
            }
            let mut after = offer.clone();
            after.close(OfferStatus::Expired, AnswerVia::System, now);
            after.version = offer.version + 1;
            match self
                .store
                .write(vec![Write::replace(offer_item(&after)?, offer.version)])
                .await
            {
                Ok(()) => report.expired_offers += 1,
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {}
                Err(e) => return Err(e),
            }
        }
        for item in self.due(keys::notices_in(&station.id, "due"), now).await? {
            let Some(current) = self.store.get(&item.key).await? else {
                continue;
            };
            let notice = notice_from_item(&current)?;
            let release = match notice.status {
                NoticeStatus::Waiting => notice.next_attempt_at <= now,
                NoticeStatus::Pending => {
                    notice.next_attempt_at <= now - Duration::seconds(PENDING_GRACE_SECONDS)
                }
                _ => false,
            };
            if !release {
                continue;
            }
            let mut after = notice.clone();
            after.status = NoticeStatus::Pending;
            after.next_attempt_at = now;
            after.updated_at = now;
            after.version = notice.version + 1;
            match self
                .store
                .write(vec![Write::replace(notice_item(&after)?, notice.version)])
                .await
            {
                Ok(()) => report.released_notices += 1,
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {}
                Err(e) => return Err(e),
            }
        }
        let lease = Duration::seconds(i64::from(station.notices.send_lease_seconds));
        for item in self
            .due(keys::notices_in(&station.id, "sending"), now - lease)
            .await?
        {
            let Some(current) = self.store.get(&item.key).await? else {
                continue;
            };
            let notice = notice_from_item(&current)?;
            if notice.status != NoticeStatus::Sending
                || notice.claimed_at.is_some_and(|at| at > now - lease)
            {
                continue;
            }
            let mut after = notice.clone();
            after.status = NoticeStatus::Parked;
            after.reason = Some("the send was interrupted; it may or may not have gone out".into());
            after.updated_at = now;
            after.version = notice.version + 1;
            match self
                .store
                .write(vec![Write::replace(notice_item(&after)?, notice.version)])
                .await
            {
                Ok(()) => {
                    tracing::error!(notice = %notice.id, "send never reported back; parked for staff");
                    report.parked_notices += 1;
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Notices parked for staff, oldest first (the staff queue).
    pub async fn parked_notices(
        &self,
        station: &Station,
        limit: u32,
    ) -> Result<Vec<crate::notices::Notice>, StoreError> {
        let page = self
            .store
            .query(&Query {
                index: Some(Index::Gsi3),
                ..Query::partition(
                    keys::notices_in(&station.id, "parked"),
                    limit.clamp(1, 1000),
                )
            })
            .await?;
        page.items.iter().map(notice_from_item).collect()
    }

    /// A notice by id (staff tools and tests).
    pub async fn notice(
        &self,
        station: &Station,
        notice_id: &str,
    ) -> Result<Option<crate::notices::Notice>, StoreError> {
        match self
            .store
            .get(&keys::notice(&station.id, notice_id))
            .await?
        {
            Some(item) => Ok(Some(notice_from_item(&item)?)),
            None => Ok(None),
        }
    }
}
