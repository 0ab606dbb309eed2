//! "Were you paid?" (工资回访): the day after a placement's last day the worker gets a
//! short SMS or e-mail with a link (and the SMS replies 3 = paid, 4 = not paid). "Not
//! paid" opens a complaint against that employer at once, with the worker's consent on
//! record, and tells the worker its reference number; staff take it from there.
//!
//! The sweep finds placements due through a sparse index (never a scan) and asks each
//! worker once: the notice and the placement's "asked" mark are one atomic write. An
//! answer is one atomic write too (placement + complaint + notice), so a resent form,
//! a reloaded link or a repeated SMS opens one complaint, never two.

use chrono::{DateTime, Duration, Utc};

use super::App;
use crate::{
    complaint::{Complaint, ComplaintKind, ComplaintSource, ComplaintStatus, reference_for},
    i18n::{Arg, catalog},
    job::{Job, new_id},
    keys,
    matching::offer::{is_link_part, link_part},
    notices::{JobSummary, Notice, NoticeData, NoticeKind, Recipient},
    placement::{PaidAnswer, PaidCheck, Placement},
    records::{complaint_item, notice_item, placement_from_item, placement_item},
    secrets::Secrets,
    station::{Station, StationId},
    store::{Index, Query, SortKeyRange, StoreError, Write},
    text::Description,
    worker::Worker,
};

/// Most follow-ups one sweep sends per station; the rest go in the next sweep.
const MAX_PER_SWEEP: u32 = 200;

/// The code in a follow-up link: 16 URL-safe characters derived from (job, worker)
/// with the deployment secret, short enough for an SMS.
pub fn paid_code(secrets: &Secrets, station: &StationId, job_id: &str, worker_id: &str) -> String {
    link_part(secrets, "paid-code", &[station.as_str(), job_id, worker_id])
}

fn link_signature(secrets: &Secrets, station: &StationId, code: &str) -> String {
    link_part(secrets, "paid-link", &[station.as_str(), code])
}

/// The path of a follow-up's answer page (`station` is named for all but the default).
pub fn paid_link_path(secrets: &Secrets, station: &StationId, code: &str, default: bool) -> String {
    let sig = link_signature(secrets, station, code);
    if default {
        format!("/api/paid/{code}?sig={sig}")
    } else {
        format!("/api/paid/{code}?sig={sig}&station={}", station.as_str())
    }
}

/// Why a follow-up answer was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PaidError {
    /// No such link (wrong code or signature, unknown station, worker erased).
    #[error("not found")]
    NotFound,
    /// Kept losing races with other writers.
    #[error("busy")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A follow-up as its page shows it.
#[derive(Clone, Debug)]
pub struct PaidView {
    /// The placement (with the answer, if given).
    pub placement: Placement,
    /// The job.
    pub job: Job,
}

/// What an answer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaidOutcome {
    /// Recorded as paid.
    Paid,
    /// A complaint was opened (or had been, by an earlier answer): its reference.
    ComplaintOpened {
        /// The reference number to tell the worker.
        reference: String,
    },
}

impl App {
    /// Sends the follow-up for every placement of `station` whose last day was before
    /// today and whose worker was not asked yet. Returns how many were asked.
    pub(crate) async fn paid_follow_ups(
        &self,
        station: &Station,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let yesterday = station.today(now) - Duration::days(1);
        let query = Query {
            index: Some(Index::Gsi1),
            range: SortKeyRange::Between("0".into(), format!("{yesterday}#~")),
            ..Query::partition(keys::paid_checks_due(&station.id), MAX_PER_SWEEP)
        };
        let mut asked = 0;
        for item in self.store.query(&query).await?.items {
            // The index may lag: decide on the placement itself.
            let Some(current) = self.store.get(&item.key).await? else {
                continue;
            };
            let placement = placement_from_item(&current)?;
            if !placement.awaits_paid_check() {
                continue;
            }
            if self.ask_if_paid(station, placement, now).await? {
                asked += 1;
            }
        }
        Ok(asked)
    }

    async fn ask_if_paid(
        &self,
        station: &Station,
        placement: Placement,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let code = paid_code(
            &self.secrets,
            &station.id,
            &placement.job_id,
            &placement.worker_id,
        );
        let mut after = placement.clone();
        after.paid_check = Some(Box::new(PaidCheck {
            code: code.clone(),
            asked_at: now,
            answer: None,
            answered_at: None,
            complaint_id: None,
            complaint_reference: None,
        }));
        after.updated_at = now;
        after.version = placement.version + 1;
        let mut writes = vec![Write::replace(placement_item(&after)?, placement.version)];
        let worker = self.worker_by_id(station, &placement.worker_id).await?;
        let job = self.job(station, &placement.job_id).await?;
        // A worker or job gone since (erased, deleted) is marked asked with no notice.
        if let (Some(worker), Some(job)) = (&worker, &job) {
            let default = station.id == self.stations.default_station().id;
            let mut notice = Notice::new(
                station.id.clone(),
                NoticeKind::PaidCheck,
                (&job.id, &worker.id),
                Recipient::worker(worker),
                NoticeData {
                    job: Some(JobSummary::of(job)),
                    link_path: Some(paid_link_path(&self.secrets, &station.id, &code, default)),
                    ..NoticeData::default()
                },
                now,
            );
            notice.job_id = Some(job.id.clone());
            notice.worker_id = Some(worker.id.clone());
            writes.push(Write::create(notice_item(&notice)?));
        }
        match self.store.write(writes).await {
            Ok(()) => {
                tracing::info!(station = %station.id, job = %placement.job_id, "asked whether paid");
                Ok(true)
            }
            // Another sweep asked first, or the placement changed: the next sweep looks
            // again at whatever is still due.
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn placement_by_paid_link(
        &self,
        station: Option<&str>,
        code: &str,
        sig: &str,
    ) -> Result<(std::sync::Arc<Station>, Placement), PaidError> {
        let station = self.station(station).ok_or(PaidError::NotFound)?.clone();
        let expected = link_signature(&self.secrets, &station.id, code);
        if !is_link_part(code)
            || !is_link_part(sig)
            || !crate::secrets::constant_time_eq(expected.as_bytes(), sig.as_bytes())
        {
            return Err(PaidError::NotFound);
        }
        let page = self
            .store
            .query(&Query::index_newest_first(
                Index::Gsi1,
                keys::paid_check_link(&station.id, code),
                1,
            ))
            .await?;
        let Some(item) = page.items.first() else {
            return Err(PaidError::NotFound);
        };
        let current = self
            .store
            .get(&item.key)
            .await?
            .ok_or(PaidError::NotFound)?;
        Ok((station, placement_from_item(&current)?))
    }

    /// The follow-up a link names, for its page.
    pub async fn paid_check_by_link(
        &self,
        station: Option<&str>,
        code: &str,
        sig: &str,
    ) -> Result<PaidView, PaidError> {
        let (station, placement) = self.placement_by_paid_link(station, code, sig).await?;
        let job = self
            .job(&station, &placement.job_id)
            .await?
            .ok_or(PaidError::NotFound)?;
        Ok(PaidView { placement, job })
    }

    /// The worker's answer through the link.
    pub async fn answer_paid_check(
        &self,
        station: Option<&str>,
        code: &str,
        sig: &str,
        answer: PaidAnswer,
    ) -> Result<PaidOutcome, PaidError> {
        let (station, placement) = self.placement_by_paid_link(station, code, sig).await?;
        self.record_paid_answer(&station, placement, answer).await
    }

    /// The newest follow-up `worker` has not answered (for an SMS reply).
    pub(crate) async fn open_paid_check(
        &self,
        station: &Station,
        worker: &Worker,
    ) -> Result<Option<Placement>, StoreError> {
        let page = self
            .store
            .query(&Query::index_newest_first(
                Index::Gsi2,
                keys::placements_of_worker(&station.id, &worker.id),
                20,
            ))
            .await?;
        let mut newest: Option<Placement> = None;
        for item in &page.items {
            let placement = placement_from_item(item)?;
            let Some(check) = &placement.paid_check else {
                continue;
            };
            if check.answer == Some(PaidAnswer::Unpaid) {
                continue;
            }
            if newest
                .as_ref()
                .and_then(|p| p.paid_check.as_ref())
                .is_none_or(|best| check.asked_at > best.asked_at)
            {
                newest = Some(placement);
            }
        }
        Ok(newest)
    }

    /// Records an answer. "Paid" after "paid" changes nothing; "not paid" opens one
    /// complaint (a later "paid" does not close it: staff do, after checking).
    pub(crate) async fn record_paid_answer(
        &self,
        station: &Station,
        mut placement: Placement,
        answer: PaidAnswer,
    ) -> Result<PaidOutcome, PaidError> {
        for _ in 0..super::RETRIES {
            let Some(check) = placement.paid_check.as_deref().cloned() else {
                return Err(PaidError::NotFound);
            };
            if let (Some(PaidAnswer::Unpaid), Some(reference)) =
                (check.answer, &check.complaint_reference)
            {
                return Ok(PaidOutcome::ComplaintOpened {
                    reference: reference.clone(),
                });
            }
            if answer == PaidAnswer::Paid && check.answer == Some(PaidAnswer::Paid) {
                return Ok(PaidOutcome::Paid);
            }
            let now = self.clock.now();
            let mut after = placement.clone();
            let mut writes = Vec::new();
            let mut outcome = PaidOutcome::Paid;
            let mut answered = PaidCheck {
                answer: Some(answer),
                answered_at: Some(now),
                ..check
            };
            if answer == PaidAnswer::Unpaid {
                let worker = self
                    .worker_by_id(station, &placement.worker_id)
                    .await?
                    .ok_or(PaidError::NotFound)?;
                let job = self
                    .job(station, &placement.job_id)
                    .await?
                    .ok_or(PaidError::NotFound)?;
                let complaint = self.unpaid_complaint(station, &worker, &job, now)?;
                answered.complaint_id = Some(complaint.id.clone());
                answered.complaint_reference = Some(complaint.reference.clone());
                let mut notice = Notice::new(
                    station.id.clone(),
                    NoticeKind::UnpaidReceived,
                    (&job.id, &worker.id),
                    Recipient::worker(&worker),
                    NoticeData {
                        job: Some(JobSummary::of(&job)),
                        reference: Some(complaint.reference.clone()),
                        ..NoticeData::default()
                    },
                    now,
                );
                notice.job_id = Some(job.id.clone());
                notice.worker_id = Some(worker.id.clone());
                outcome = PaidOutcome::ComplaintOpened {
                    reference: complaint.reference.clone(),
                };
                writes.push(Write::create(complaint_item(&complaint)?));
                writes.push(Write::create(notice_item(&notice)?));
            }
            after.paid_check = Some(Box::new(answered));
            after.updated_at = now;
            after.version = placement.version + 1;
            writes.insert(
                0,
                Write::replace(placement_item(&after)?, placement.version),
            );
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, job = %placement.job_id, answer = answer.as_str(), "pay follow-up answered");
                    return Ok(outcome);
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                    let key = keys::placement(&station.id, &placement.job_id, &placement.worker_id);
                    let Some(item) = self.store.get(&key).await? else {
                        return Err(PaidError::NotFound);
                    };
                    placement = placement_from_item(&item)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaidError::Busy)
    }

    fn unpaid_complaint(
        &self,
        station: &Station,
        worker: &Worker,
        job: &Job,
        now: DateTime<Utc>,
    ) -> Result<Complaint, StoreError> {
        let id = new_id(now).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let account = catalog().format(
            crate::Lang::Zh,
            "paid.complaint_account",
            &[
                ("title", Arg::Text(job.title.as_str().to_owned())),
                ("start", Arg::Text(job.dates.start.to_string())),
                ("end", Arg::Text(job.dates.end.to_string())),
                ("wage", Arg::Text(job.daily_wage.to_string())),
            ],
        );
        let description = Description::parse("description", &account)
            .map_err(|e| StoreError::Invalid(e.key.to_owned()))?;
        Ok(Complaint {
            reference: reference_for(station.today(now), &id),
            id,
            station: station.id.clone(),
            kind: ComplaintKind::Unpaid,
            name: Some(worker.name.clone()),
            phone: Some(worker.phone.clone()),
            employer_name: Some(job.employer_name.clone()),
            employer_id: Some(job.employer_id.clone()),
            worker_id: Some(worker.id.clone()),
            job_id: Some(job.id.clone()),
            description,
            status: ComplaintStatus::Received,
            source: ComplaintSource::PaidFollowUp,
            notes: Vec::new(),
            closed_at: None,
            // Kept under the consent the worker gave when signing up (the privacy notice
            // covers the station following up on their work and pay).
            consent: worker.consent.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }
}
