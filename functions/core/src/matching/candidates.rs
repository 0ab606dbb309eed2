//! Candidate search, through indexes only: the skill index partitions of the job's
//! trade in its district and each neighbouring district give the workers who take
//! automated offers; their records come in one batched read; each candidate's history
//! (placements, offers) comes from their own index partitions. The work grows with
//! the number of candidates, never with the size of the table.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{
    decision::Exclusion,
    fairness::{self, History},
    offer::Offer,
    rank::Factors,
};
use crate::{
    App,
    dates::MAX_SPAN_DAYS,
    job::Job,
    keys,
    records::{Skill, block_from_item, offer_from_item, placement_from_item, worker_from_item},
    station::{Station, StationId},
    store::{Index, ItemStore, Query, SortKeyRange, StoreError, from_item, query_all},
    worker::{Channel, Worker},
};

/// How many candidates' histories are read at once.
const PARALLEL_READS: usize = 16;

/// What a search found.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Workers found in the index partitions.
    pub found: u32,
    /// Eligible workers and their factors (not yet ranked).
    pub eligible: Vec<(Worker, Factors)>,
    /// Workers left out, and why.
    pub excluded: Vec<(String, Exclusion)>,
    /// Whether the index held more than `max_candidates` workers.
    pub truncated: bool,
}

/// Reads one worker's history: placements that may touch the window or the job's
/// dates, and offers back to the window's start (plus the newest older one).
pub async fn history(
    store: &dyn ItemStore,
    station: &StationId,
    worker_id: &str,
    window_start: DateTime<Utc>,
    earliest_day: NaiveDate,
) -> Result<History, StoreError> {
    let placements = query_all(
        store,
        Query {
            index: Some(Index::Gsi2),
            range: SortKeyRange::Between(earliest_day.to_string(), "9999-12-31#~".into()),
            ..Query::partition(keys::placements_of_worker(station, worker_id), 100)
        },
    )
    .await?
    .iter()
    .map(placement_from_item)
    .collect::<Result<Vec<_>, _>>()?;
    let mut offers = Vec::new();
    let mut query =
        Query::index_newest_first(Index::Gsi2, keys::offers_of_worker(station, worker_id), 20);
    'pages: loop {
        let page = store.query(&query).await?;
        for item in &page.items {
            let offer: Offer = offer_from_item(item)?;
            offers.push((offer.offered_at, offer.status));
            if offer.offered_at <= window_start {
                break 'pages;
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    Ok(History { placements, offers })
}

impl App {
    /// The workers who may be offered `job`, with their factors, and those left out.
    /// `known` holds workers already decided for this job (offered or placed).
    pub async fn find_candidates(
        &self,
        station: &Station,
        job: &Job,
        known: &HashMap<String, Exclusion>,
        now: DateTime<Utc>,
    ) -> Result<Search, StoreError> {
        let settings = &station.matching;
        let max = settings.max_candidates as usize;
        let mut search = Search::default();
        // 1. Who takes offers for this trade here or next door (skill index).
        let mut skills: BTreeMap<String, Skill> = BTreeMap::new();
        'districts: for district in station.reach(&job.district) {
            let mut query = Query {
                index: Some(Index::Gsi1),
                ..Query::partition(keys::skill_index(&station.id, &job.trade, district), 1000)
            };
            loop {
                let page = self.store.query(&query).await?;
                for item in &page.items {
                    let skill: Skill = from_item(item)?;
                    if skills.len() >= max && !skills.contains_key(&skill.worker_id) {
                        search.truncated = true;
                        break 'districts;
                    }
                    skills.entry(skill.worker_id.clone()).or_insert(skill);
                }
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break,
                }
            }
        }
        search.found = u32::try_from(skills.len()).unwrap_or(u32::MAX);
        // 2. Whom the employer does not want again (their own small partition).
        let blocked: BTreeSet<String> = query_all(
            &*self.store,
            Query {
                range: SortKeyRange::BeginsWith(keys::BLOCK_PREFIX.into()),
                ..Query::partition(keys::employer_partition(&station.id, &job.employer_id), 100)
            },
        )
        .await?
        .iter()
        .map(|item| block_from_item(item).map(|b| b.worker_id))
        .collect::<Result<_, _>>()?;
        // 3. Leave out what the index entries already decide, read the rest.
        let mut to_read = Vec::new();
        for (id, skill) in &skills {
            if let Some(reason) = known.get(id) {
                search.excluded.push((id.clone(), *reason));
            } else if blocked.contains(id) {
                search
                    .excluded
                    .push((id.clone(), Exclusion::BlockedByEmployer));
            } else if skill.available_from > job.dates.start {
                search
                    .excluded
                    .push((id.clone(), Exclusion::NotYetAvailable));
            } else {
                to_read.push(keys::worker(&station.id, id));
            }
        }
        let mut workers: HashMap<String, Worker> = HashMap::new();
        for chunk in to_read.chunks(100) {
            for item in self.store.get_many(chunk).await? {
                let worker = worker_from_item(&item)?;
                workers.insert(worker.id.clone(), worker);
            }
        }
        // 4. Check each record (the index may lag behind a change).
        let mut checked = Vec::new();
        for key in &to_read {
            let id = key.pk.rsplit('#').next().unwrap_or_default().to_owned();
            let Some(worker) = workers.remove(&id) else {
                search.excluded.push((id, Exclusion::Missing));
                continue;
            };
            let reason = if !worker.takes_automated_offers() {
                Some(Exclusion::NotTakingOffers)
            } else if worker.available_from > job.dates.start {
                Some(Exclusion::NotYetAvailable)
            } else if worker.channel == Channel::Email && worker.email.is_none() {
                Some(Exclusion::Unreachable)
            } else {
                None
            };
            match reason {
                Some(reason) => search.excluded.push((worker.id.clone(), reason)),
                None => checked.push(worker),
            }
        }
        // 5. Each candidate's history, a few at a time.
        let today = station.today(now);
        let window_start = now - Duration::days(i64::from(settings.window_days));
        let (window_first, _) = fairness::window(today, settings);
        let earliest_day = window_first.min(job.dates.start) - Duration::days(MAX_SPAN_DAYS);
        for chunk in checked.chunks(PARALLEL_READS) {
            let mut reads = tokio::task::JoinSet::new();
            for (slot, worker) in chunk.iter().enumerate() {
                let store = self.store.clone();
                let station_id = station.id.clone();
                let worker_id = worker.id.clone();
                reads.spawn(async move {
                    let history =
                        history(&*store, &station_id, &worker_id, window_start, earliest_day).await;
                    (slot, history)
                });
            }
            let mut histories: Vec<Option<History>> = vec![None; chunk.len()];
            while let Some(done) = reads.join_next().await {
                let (slot, history) =
                    done.map_err(|e| StoreError::Unavailable(format!("history read: {e}")))?;
                histories[slot] = Some(history?);
            }
            for (worker, history) in chunk.iter().zip(histories) {
                let history = history.unwrap_or_default();
                if fairness::is_busy(&history.placements, &job.dates) {
                    search.excluded.push((worker.id.clone(), Exclusion::Busy));
                    continue;
                }
                let factors = fairness::factors(worker, job, &history, now, today, settings);
                search.eligible.push((worker.clone(), factors));
            }
        }
        Ok(search)
    }
}
