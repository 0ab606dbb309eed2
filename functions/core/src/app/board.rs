//! Reading what the public board shows, and the sweep that takes jobs past their last
//! day off it.

use chrono::{DateTime, NaiveTime, Utc};

use super::{App, RETRIES};
use crate::{
    board::{BoardFacts, trend_start},
    job::{Job, JobStatus},
    keys,
    records::{job_from_item, job_item},
    station::Station,
    store::{Index, Key, Query, SortKeyRange, StoreError, Write, query_all},
    worker::WorkerStatus,
};

/// Items read per query page while loading the board.
const PAGE: u32 = 1000;

/// What one expiry sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepSummary {
    /// Open jobs looked at.
    pub checked: usize,
    /// Jobs moved to `expired`.
    pub expired: usize,
    /// Jobs that changed under the sweep and were left for the next one.
    pub skipped: usize,
}

impl App {
    /// Everything the board and the data wall of `station` are built from, read
    /// through the index partitions (never a scan): the jobs on the board, the jobs
    /// listed in the trend window ending in the week of `now`, and the workers,
    /// employers and placements of the station, kept as tallies.
    pub async fn board_facts(
        &self,
        station: &Station,
        now: DateTime<Utc>,
    ) -> Result<BoardFacts, StoreError> {
        let mut facts = BoardFacts::new(station);
        let since = trend_start(station.today(now))
            .and_time(NaiveTime::MIN)
            .and_local_timezone(station.time_zone)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        for status in JobStatus::ALL {
            let mut query = Query::index_newest_first(
                Index::Gsi3,
                keys::jobs_by_status(&station.id, status.as_str()),
                PAGE,
            );
            if status != JobStatus::Published {
                // Only the trend needs jobs off the board, and only recent ones.
                query.range =
                    SortKeyRange::Between(keys::sortable_time(since), "\u{10FFFF}".into());
            }
            for item in query_all(&*self.store, query).await? {
                facts.apply_item(&item)?;
            }
        }
        let partitions = [
            keys::workers_by_status(&station.id, WorkerStatus::Active.as_str()),
            keys::workers_by_status(&station.id, WorkerStatus::Withdrawn.as_str()),
            keys::employers(&station.id),
            keys::placements(&station.id),
        ];
        for pk in partitions {
            for item in query_all(
                &*self.store,
                Query::index_newest_first(Index::Gsi3, pk, PAGE),
            )
            .await?
            {
                facts.apply_item(&item)?;
            }
        }
        // Courses and livestreams not long past, and staff-edited policy pages.
        let recent = keys::sortable_time(now - chrono::Duration::days(31));
        for pk in [keys::courses(&station.id), keys::lives(&station.id)] {
            let mut query = Query::index_newest_first(Index::Gsi3, pk, PAGE);
            query.range = SortKeyRange::Between(recent.clone(), "\u{10FFFF}".into());
            for item in query_all(&*self.store, query).await? {
                facts.apply_item(&item)?;
            }
        }
        for item in query_all(
            &*self.store,
            Query::index_newest_first(Index::Gsi3, keys::policy_pages(&station.id), PAGE),
        )
        .await?
        {
            facts.apply_item(&item)?;
        }
        Ok(facts)
    }

    /// Brings `facts` up to date for records that changed: reads each key as stored now
    /// (consistent reads, so neither index lag nor a replayed old change can put stale
    /// state on the board) and forgets records that no longer exist.
    pub async fn refresh_board_facts(
        &self,
        facts: &mut BoardFacts,
        changed: &[Key],
    ) -> Result<(), StoreError> {
        let mut wanted: Vec<Key> = changed
            .iter()
            .filter(|k| facts.cares_about(k))
            .cloned()
            .collect();
        wanted.sort();
        wanted.dedup();
        for chunk in wanted.chunks(100) {
            let items = self.store.get_many(chunk).await?;
            for key in chunk {
                match items.iter().find(|i| &i.key == key) {
                    Some(item) => {
                        facts.apply_item(item)?;
                    }
                    None => {
                        facts.forget(key);
                    }
                }
            }
        }
        Ok(())
    }

    /// Moves every open job of `station` whose last day is before the station's today
    /// to `expired`, so it leaves the board without anyone touching it. Each job is
    /// written with a version check; a job that changed meanwhile is read again, and
    /// one that keeps changing is left for the next sweep. Running the sweep twice has
    /// the effect of running it once.
    pub async fn expire_jobs(&self, station: &Station) -> Result<SweepSummary, StoreError> {
        let today = station.today(self.clock.now());
        let mut summary = SweepSummary::default();
        for status in [
            JobStatus::Published,
            JobStatus::Filled,
            JobStatus::PendingReview,
        ] {
            let items = query_all(
                &*self.store,
                Query::index_newest_first(
                    Index::Gsi3,
                    keys::jobs_by_status(&station.id, status.as_str()),
                    PAGE,
                ),
            )
            .await?;
            for item in items {
                let job = job_from_item(&item)?;
                summary.checked += 1;
                if job.dates.end >= today {
                    continue;
                }
                match self.expire_one(job, today).await? {
                    Expiry::Done => summary.expired += 1,
                    Expiry::NotNeeded => {}
                    Expiry::KeptChanging => summary.skipped += 1,
                }
            }
        }
        if summary.expired > 0 {
            tracing::info!(station = %station.id, expired = summary.expired, "expired jobs past their last day");
        }
        Ok(summary)
    }

    async fn expire_one(
        &self,
        mut job: Job,
        today: chrono::NaiveDate,
    ) -> Result<Expiry, StoreError> {
        for _ in 0..RETRIES {
            let before = job.version;
            let mut expired = job.clone();
            if job.dates.end >= today
                || expired
                    .transition(JobStatus::Expired, self.clock.now())
                    .is_err()
            {
                // Someone moved the dates or closed it meanwhile: nothing to do.
                return Ok(Expiry::NotNeeded);
            }
            expired.version = before + 1;
            match self
                .store
                .write(vec![Write::replace(job_item(&expired)?, before)])
                .await
            {
                Ok(()) => return Ok(Expiry::Done),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                    match self.store.get(&keys::job(&job.station, &job.id)).await? {
                        Some(item) => job = job_from_item(&item)?,
                        None => return Ok(Expiry::NotNeeded),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Expiry::KeptChanging)
    }
}

enum Expiry {
    Done,
    NotNeeded,
    KeptChanging,
}
