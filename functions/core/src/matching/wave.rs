//! Waves of offers: a published job is offered to the best-ranked candidates until the
//! open offers reach `wave_factor` × open places. A declined or expired offer, a new
//! candidate, or a raised headcount leads to the next wave. Each wave is one ranking,
//! kept as a decision record, and the record's creation is the wave's claim: two steps
//! that run the same wave at once cannot both succeed.
//!
//! Offers cost SMS, and a posting can be made by anyone, so a wave is capped (the
//! wave stops at the first candidate beyond a cap, keeping the ranking's order):
//! - a posting nobody vouched for ([`Job::vouched`]: online, employer not verified,
//!   not approved by staff) gets `matching.unvouched_offers` offers in all, counted
//!   from its decision records, until staff approve it or verify its employer — that
//!   change starts the next wave;
//! - offers by SMS per posting and per employer (the posting's contact number, hashed)
//!   per station day: `notices.sms_offers_per_posting_day` and
//!   `notices.sms_offers_per_employer_day`. The two day counts are written in the
//!   wave's claim batch, conditional on the counts read, so concurrent waves of one
//!   employer's postings never pass the cap together: the loser reads again. A posting
//!   held by a day cap gets its next wave on its next change (an answer, an expired
//!   offer, a new candidate, an edit) or when staff run one.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{
    decision::{Decision, DecisionRow, Exclusion, MAX_PARTS, OfferCap, ROWS_PER_PART},
    offer::{AnswerVia, Offer, OfferStatus, link_path, offer_id},
    rank::rank,
};
use crate::{
    App,
    job::{Job, JobStatus},
    keys,
    notices::{JobSummary, Notice, NoticeData, NoticeKind, Recipient},
    placement::PlacementStatus,
    records::{
        SmsCount, decision_from_item, decision_item, notice_item, offer_from_item, offer_item,
        placement_from_item,
    },
    secrets::{SecretError, random_bytes},
    station::Station,
    store::{Index, Key, MAX_WRITES, Query, SortKeyRange, StoreError, Write, from_item, query_all},
    worker::{Channel, Worker},
};

/// What a wave did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaveOutcome {
    /// The job takes no offers (not published, full, or over).
    NotOpen,
    /// Enough offers are open already.
    Enough {
        /// Open offers.
        open: u32,
    },
    /// Wave `wave` offered the job to `offered` workers.
    Offered {
        /// The wave number.
        wave: u32,
        /// Offers made.
        offered: u32,
    },
    /// Nobody (else) can be offered the job now.
    NoCandidates,
    /// A cap on offers leaves nothing to offer now (see the module documentation).
    Held {
        /// Which cap.
        by: OfferCap,
    },
}

/// Why matching could not run.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for the draw.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

const RETRIES: usize = 5;

/// A fresh seed for a draw.
fn new_seed() -> Result<u64, SecretError> {
    let mut bytes = [0u8; 8];
    random_bytes(&mut bytes)?;
    Ok(u64::from_be_bytes(bytes))
}

impl App {
    /// The offers made for a job, read consistently from its partition.
    pub async fn offers_of_job(
        &self,
        station: &Station,
        job_id: &str,
    ) -> Result<Vec<Offer>, StoreError> {
        query_all(
            &*self.store,
            Query {
                range: SortKeyRange::BeginsWith(keys::OFFER_PREFIX.into()),
                ..Query::partition(keys::job(&station.id, job_id).pk, 1000)
            },
        )
        .await?
        .iter()
        .map(offer_from_item)
        .collect()
    }

    /// Every ranking made for a job, wave by wave (parts joined), oldest first.
    pub async fn decisions_of_job(
        &self,
        station: &Station,
        job_id: &str,
    ) -> Result<Vec<Decision>, StoreError> {
        let parts = query_all(
            &*self.store,
            Query::partition(keys::decisions_of_job(&station.id, job_id), 100),
        )
        .await?;
        let mut waves: Vec<Decision> = Vec::new();
        for item in &parts {
            let part = decision_from_item(item)?;
            match waves.last_mut() {
                Some(last) if last.wave == part.wave => last.rows.extend(part.rows),
                _ => waves.push(part),
            }
        }
        Ok(waves)
    }

    async fn last_wave(&self, station: &Station, job_id: &str) -> Result<u32, StoreError> {
        let page = self
            .store
            .query(&Query {
                descending: true,
                ..Query::partition(keys::decisions_of_job(&station.id, job_id), 1)
            })
            .await?;
        match page.items.first() {
            Some(item) => Ok(decision_from_item(item)?.wave),
            None => Ok(0),
        }
    }

    /// Runs the next wave for a job if it needs one. Safe to run again at any time and
    /// concurrently: it looks at the offers already made and claims the wave first.
    pub async fn run_wave(
        &self,
        station: &Station,
        job_id: &str,
    ) -> Result<WaveOutcome, MatchError> {
        for _ in 0..RETRIES {
            let Some(job) = self.job(station, job_id).await? else {
                return Ok(WaveOutcome::NotOpen);
            };
            let now = self.clock.now();
            let today = station.today(now);
            if job.status != JobStatus::Published || job.open_places() == 0 || job.dates.end < today
            {
                return Ok(WaveOutcome::NotOpen);
            }
            let offers = self.offers_of_job(station, job_id).await?;
            let placements = query_all(
                &*self.store,
                Query {
                    range: SortKeyRange::BeginsWith(keys::PLACEMENT_PREFIX.into()),
                    ..Query::partition(keys::job(&station.id, job_id).pk, 1000)
                },
            )
            .await?;
            let open = offers
                .iter()
                .filter(|o| o.is_open() && o.expires_at > now)
                .count() as u32;
            let target = station.matching.wave_factor * u32::from(job.open_places());
            if open >= target {
                return Ok(WaveOutcome::Enough { open });
            }
            let need = (target - open) as usize;
            let mut known: HashMap<String, Exclusion> = offers
                .iter()
                .map(|o| (o.worker_id.clone(), Exclusion::AlreadyOffered))
                .collect();
            for item in &placements {
                let placement = placement_from_item(item)?;
                if placement.status != PlacementStatus::Cancelled {
                    known.insert(placement.worker_id, Exclusion::AlreadyPlaced);
                }
            }
            // An unvouched posting's offers so far, from the decision records: each is
            // created in its wave's claim, so this count and the next wave number are
            // read together and a concurrent wave makes ours fail and look again.
            let (last_wave, unvouched_left) = if job.vouched() {
                (self.last_wave(station, job_id).await?, None)
            } else {
                let decisions = self.decisions_of_job(station, job_id).await?;
                let made: u32 = decisions.iter().map(|d| d.offered).sum();
                (
                    decisions.last().map_or(0, |d| d.wave),
                    Some(station.matching.unvouched_offers.saturating_sub(made)),
                )
            };
            let job_day_key = keys::sms_offers_of_job_day(&station.id, &job.id, today);
            let phone_key = self.secrets.phone_key(&station.id, &job.contact_phone);
            let employer_day_key = keys::sms_offers_of_employer_day(&station.id, &phone_key, today);
            let job_day = self.day_count(&job_day_key).await?;
            let employer_day = self.day_count(&employer_day_key).await?;
            let search = self.find_candidates(station, &job, &known, now).await?;
            let seed = new_seed()?;
            let ranked = rank(&station.matching, seed, search.eligible, |w: &Worker| {
                w.id.as_str()
            });
            if ranked.is_empty() && last_wave > 0 {
                return Ok(WaveOutcome::NoCandidates);
            }
            let wave = last_wave + 1;
            let posting_left = station
                .notices
                .sms_offers_per_posting_day
                .saturating_sub(job_day.0);
            let employer_left = station
                .notices
                .sms_offers_per_employer_day
                .saturating_sub(employer_day.0);
            let (mut chosen, mut by_sms, mut capped) = (0usize, 0u32, None);
            for (worker, _) in &ranked {
                if chosen == need {
                    break;
                }
                if unvouched_left.is_some_and(|left| chosen as u32 >= left) {
                    capped = Some(OfferCap::Unvouched);
                    break;
                }
                if worker.channel == Channel::Sms {
                    if by_sms >= posting_left {
                        capped = Some(OfferCap::PostingDay);
                        break;
                    }
                    if by_sms >= employer_left {
                        capped = Some(OfferCap::EmployerDay);
                        break;
                    }
                    by_sms += 1;
                }
                chosen += 1;
            }
            if chosen == 0
                && let Some(by) = capped
            {
                tracing::info!(station = %station.id, job = %job.id, cap = ?by, "wave held by a cap on offers");
                return Ok(WaveOutcome::Held { by });
            }
            let mut rows: Vec<DecisionRow> = ranked
                .iter()
                .enumerate()
                .map(|(i, (worker, factors))| DecisionRow {
                    worker_id: worker.id.clone(),
                    rank: Some(i as u32 + 1),
                    offered: i < chosen,
                    factors: Some(factors.clone()),
                    excluded: None,
                })
                .collect();
            let mut excluded_counts: HashMap<Exclusion, u32> = HashMap::new();
            for (worker_id, reason) in &search.excluded {
                *excluded_counts.entry(*reason).or_default() += 1;
                rows.push(DecisionRow {
                    worker_id: worker_id.clone(),
                    rank: None,
                    offered: false,
                    factors: None,
                    excluded: Some(*reason),
                });
            }
            let mut excluded: Vec<(Exclusion, u32)> = excluded_counts.into_iter().collect();
            excluded.sort();
            let kept = rows.len().min(ROWS_PER_PART * MAX_PARTS);
            let truncated = search.truncated || kept < rows.len();
            rows.truncate(kept);
            let chunks: Vec<Vec<DecisionRow>> = if rows.is_empty() {
                vec![Vec::new()]
            } else {
                rows.chunks(ROWS_PER_PART).map(<[_]>::to_vec).collect()
            };
            let parts = chunks.len() as u32;
            let mut writes = Vec::new();
            for (part, rows) in chunks.into_iter().enumerate() {
                writes.push(Write::create(decision_item(&Decision {
                    station: station.id.clone(),
                    job_id: job.id.clone(),
                    wave,
                    part: part as u32,
                    parts,
                    seed: format!("{seed:016x}"),
                    created_at: now,
                    settings: station.matching.clone(),
                    found: search.found,
                    ranked: ranked.len() as u32,
                    offered: chosen as u32,
                    target,
                    capped,
                    truncated,
                    excluded: excluded.clone(),
                    rows,
                })?));
            }
            let mut pairs = Vec::with_capacity(chosen);
            for (i, (worker, factors)) in ranked.into_iter().take(chosen).enumerate() {
                pairs.push(self.offer_writes(
                    station,
                    &job,
                    &worker,
                    wave,
                    i as u32 + 1,
                    factors,
                    now,
                )?);
            }
            if by_sms > 0 {
                for (key, (count, version)) in
                    [(job_day_key, job_day), (employer_day_key, employer_day)]
                {
                    writes.push(crate::notices::send::count_write_by(
                        station, key, today, count, by_sms, version, now,
                    )?);
                }
            }
            // The claim: the record, the day counts and the first offers in one atomic
            // batch.
            let mut rest = pairs.into_iter();
            for pair in rest.by_ref() {
                writes.extend(pair);
                if writes.len() + 2 > MAX_WRITES {
                    break;
                }
            }
            match self.store.write(writes).await {
                Ok(()) => {}
                // Another step ran this wave, or offered one of these workers: look again.
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
            let rest: Vec<[Write; 2]> = rest.collect();
            for chunk in rest.chunks(MAX_WRITES / 2) {
                let batch: Vec<Write> = chunk.iter().flatten().cloned().collect();
                match self.store.write(batch).await {
                    Ok(()) => {}
                    Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                        for pair in chunk {
                            match self.store.write(pair.to_vec()).await {
                                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                                Err(e) => return Err(e.into()),
                            }
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            tracing::info!(station = %station.id, job = %job.id, wave, offered = chosen, found = search.found, "wave of offers");
            return Ok(if chosen == 0 {
                WaveOutcome::NoCandidates
            } else {
                WaveOutcome::Offered {
                    wave,
                    offered: chosen as u32,
                }
            });
        }
        Err(StoreError::Contention.into())
    }

    /// A daily count and the version it was read at (none yet: 0, `None`).
    async fn day_count(&self, key: &Key) -> Result<(u32, Option<u64>), StoreError> {
        Ok(match self.store.get(key).await? {
            Some(item) => (from_item::<SmsCount>(&item)?.count, Some(item.version)),
            None => (0, None),
        })
    }

    /// The offer of `job` to `worker` and its notice, to go in one batch.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn offer_writes(
        &self,
        station: &Station,
        job: &Job,
        worker: &Worker,
        wave: u32,
        rank: u32,
        factors: super::rank::Factors,
        now: DateTime<Utc>,
    ) -> Result<[Write; 2], StoreError> {
        // An offer made in quiet hours reaches an SMS worker in the morning: the time
        // to answer starts then.
        let notify_at = match worker.channel {
            Channel::Sms => station
                .notices
                .quiet_hours()
                .next_allowed(now, station.time_zone),
            Channel::Email => now,
        };
        let expires_at =
            notify_at + Duration::minutes(i64::from(station.matching.offer_expiry_minutes));
        let id = offer_id(&self.secrets, &station.id, &job.id, &worker.id);
        let offer = Offer {
            station: station.id.clone(),
            id: id.clone(),
            job_id: job.id.clone(),
            worker_id: worker.id.clone(),
            wave,
            rank,
            factors,
            status: OfferStatus::Offered,
            channel: worker.channel,
            offered_at: now,
            expires_at,
            answered_at: None,
            answered_via: None,
            updated_at: now,
            version: 1,
        };
        let is_default = station.id == self.stations.default_station().id;
        let mut notice = Notice::new(
            station.id.clone(),
            NoticeKind::Offer,
            (&job.id, &worker.id),
            Recipient::worker(worker),
            NoticeData {
                job: Some(JobSummary::of(job)),
                link_path: Some(link_path(&self.secrets, &station.id, &id, is_default)),
                answer_by: Some(expires_at),
                ..NoticeData::default()
            },
            now,
        );
        notice.job_id = Some(job.id.clone());
        notice.worker_id = Some(worker.id.clone());
        notice.stale_after = Some(expires_at);
        Ok([
            Write::create(offer_item(&offer)?),
            Write::create(notice_item(&notice)?),
        ])
    }

    /// Closes the open offers of a job that no longer takes workers: `filled` when every
    /// place is taken, `withdrawn` otherwise. Safe to repeat.
    pub async fn close_open_offers(
        &self,
        station: &Station,
        job_id: &str,
        status: OfferStatus,
    ) -> Result<u32, StoreError> {
        let now = self.clock.now();
        let mut closed = 0;
        for offer in self.offers_of_job(station, job_id).await? {
            if !offer.is_open() {
                continue;
            }
            let mut after = offer.clone();
            after.close(status, AnswerVia::System, now);
            after.version = offer.version + 1;
            match self
                .store
                .write(vec![Write::replace(offer_item(&after)?, offer.version)])
                .await
            {
                Ok(()) => closed += 1,
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(closed)
    }

    /// Runs a wave for every open job `worker` may be offered (a new or changed
    /// sign-up). Reads the station's published jobs of the worker's trades only.
    pub async fn match_worker(
        &self,
        station: &Station,
        worker: &Worker,
    ) -> Result<Vec<(String, WaveOutcome)>, MatchError> {
        /// Most open jobs of one trade looked at for one worker.
        const MAX_JOBS_PER_TRADE: u32 = 200;
        let mut outcomes = Vec::new();
        if !worker.takes_automated_offers() {
            return Ok(outcomes);
        }
        let today = station.today(self.clock.now());
        for trade in &worker.trades {
            let page = self
                .store
                .query(&Query::index_newest_first(
                    Index::Gsi1,
                    keys::published_by_trade(&station.id, trade),
                    MAX_JOBS_PER_TRADE,
                ))
                .await?;
            for item in &page.items {
                let job = crate::records::job_from_item(item)?;
                let reachable = station
                    .reach(&job.district)
                    .iter()
                    .any(|d| worker.districts.iter().any(|w| w == d));
                if !reachable
                    || job.open_places() == 0
                    || job.dates.end < today
                    || job.dates.start < worker.available_from
                {
                    continue;
                }
                let outcome = self.run_wave(station, &job.id).await?;
                outcomes.push((job.id.clone(), outcome));
            }
        }
        Ok(outcomes)
    }
}

/// Whether a change to a job calls for a wave: it (re)opened, gained places, was
/// vouched for (see [`Job::vouched`]), or its trade, district, dates or wage changed.
pub fn job_needs_wave(old: Option<&Job>, new: &Job) -> bool {
    if new.status != JobStatus::Published || new.open_places() == 0 {
        return false;
    }
    match old {
        None => true,
        Some(old) => {
            old.status != JobStatus::Published
                || (!old.vouched() && new.vouched())
                || new.open_places() > old.open_places()
                || old.trade != new.trade
                || old.district != new.district
                || old.dates != new.dates
                || old.daily_wage != new.daily_wage
        }
    }
}
