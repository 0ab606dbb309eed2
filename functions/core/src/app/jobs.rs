//! Posting, listing and managing jobs.

use chrono::{DateTime, Utc};

use super::{App, ManageError, Outcome, RETRIES, Saved, Submission, SubmitError};
use crate::{
    audit::{self, AuditEntry},
    employer::Employer,
    idempotency::{self, IdempotencyRecord, Prior},
    input::RawInput,
    job::{AWAITING_CONFIRMATION, Job, JobDraft, JobStatus, Source, is_id, new_id},
    keys,
    notices::{JobSummary, Notice, NoticeData, NoticeKind, Recipient},
    records::{
        Claim, claim_from_item, claim_item, employer_from_item, employer_item, employer_job_link,
        job_from_item, job_item, notice_item,
    },
    secrets::ManageToken,
    station::{Moderation, Station},
    store::{Cursor, Index, Query, StoreError, Write},
};

/// The action name of posting a job (idempotency records, fingerprints).
pub const POST_JOB: &str = "post_job";

/// Which published jobs to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this trade.
    pub trade: Option<String>,
    /// Only this district.
    pub district: Option<String>,
}

/// Pages read at most to fill one filtered page, so a sparse filter cannot make one
/// request read a whole index.
const MAX_FILTER_PAGES: usize = 10;

impl App {
    /// Posts a job: validates it, files it under its employer (creating the employer on
    /// first posting) and publishes it or queues it for review per the station's
    /// moderation mode. With an idempotency key, a retry returns the first answer.
    pub async fn post_job(&self, submission: Submission<'_>) -> Result<Saved<Job>, SubmitError> {
        let station = self
            .station(submission.station)
            .ok_or(SubmitError::UnknownStation)?
            .clone();
        let now = self.clock.now();
        let today = station.today(now);
        let draft = JobDraft::parse(&station, submission.input, today, today)?;
        let fingerprint = submission.input.fingerprint(POST_JOB);
        let key = submission.idempotency_key;
        for _ in 0..RETRIES {
            let claim_condition = match key {
                None => None,
                Some(key) => match idempotency::check(
                    &*self.store,
                    &station.id,
                    key,
                    POST_JOB,
                    &fingerprint,
                    now,
                )
                .await?
                {
                    Prior::Fresh(condition) => Some(condition),
                    Prior::Replay(record) => return self.replay_job(&station, &record, key).await,
                    Prior::Mismatch => return Err(SubmitError::KeyReused),
                },
            };
            let mut writes = Vec::new();
            let employer = match self.employer_by_phone(&station, &draft).await? {
                Some(employer) => employer,
                None => {
                    let employer = Employer {
                        id: new_id(now)?,
                        station: station.id.clone(),
                        name: draft.employer_name.clone(),
                        contact_name: draft.contact_name.clone(),
                        contact_phone: draft.contact_phone.clone(),
                        contact_email: draft.contact_email.clone(),
                        verified: false,
                        credit_code: None,
                        licence_name: None,
                        blacklisted: false,
                        blacklist_reason: None,
                        created_at: now,
                        updated_at: now,
                        version: 1,
                    };
                    let phone_key = self.secrets.phone_key(&station.id, &employer.contact_phone);
                    writes.push(Write::create(claim_item(
                        keys::employer_phone(&station.id, &phone_key),
                        &Claim {
                            station: station.id.clone(),
                            owner_id: employer.id.clone(),
                            claimed_at: now,
                        },
                    )?));
                    writes.push(Write::create(employer_item(&employer)?));
                    employer
                }
            };
            if employer.blacklisted {
                return Err(SubmitError::Refused);
            }
            let id = new_id(now)?;
            let token = self.token_for("job", &id, key)?;
            // A verified employer's number typed online could be anyone's typing: the
            // posting (with its verified mark) waits until that number confirms it.
            let confirm = employer.verified && submission.source == Source::Online;
            let status = match (self.moderation(&station).await?, employer.verified) {
                _ if confirm => JobStatus::PendingReview,
                (Moderation::Pre, false) => JobStatus::PendingReview,
                _ => JobStatus::Published,
            };
            let job = Job {
                id: id.clone(),
                station: station.id.clone(),
                title: draft.title.clone(),
                trade: draft.trade.clone(),
                district: draft.district.clone(),
                address: draft.address.clone(),
                dates: draft.dates,
                headcount: draft.headcount,
                placed: 0,
                daily_wage: draft.daily_wage,
                pay_terms: draft.pay_terms,
                employer_id: employer.id.clone(),
                employer_name: draft.employer_name.clone(),
                employer_verified: employer.verified,
                contact_name: draft.contact_name.clone(),
                contact_phone: draft.contact_phone.clone(),
                contact_email: draft.contact_email.clone(),
                description: draft.description.clone(),
                requirements: draft.requirements.clone(),
                status,
                status_reason: confirm.then(|| AWAITING_CONFIRMATION.to_owned()),
                source: submission.source,
                approved_by_staff: false,
                created_at: now,
                published_at: (status == JobStatus::Published).then_some(now),
                updated_at: now,
                version: 1,
                manage_token_hash: token.hash(),
                lang: submission.input.lang(),
            };
            writes.push(Write::create(job_item(&job)?));
            writes.push(Write::create(employer_job_link(&job)?));
            if confirm {
                writes.push(Write::put(notice_item(
                    &self.confirmation_notice(&station, &job, now),
                )?));
            }
            let claim_index = writes.len();
            if let (Some(key), Some(condition)) = (key, claim_condition) {
                let record = IdempotencyRecord {
                    station: station.id.clone(),
                    action: POST_JOB.into(),
                    fingerprint: fingerprint.clone(),
                    record_id: id.clone(),
                    outcome: Outcome::Created.as_str().into(),
                    created_at: now,
                };
                writes.push(idempotency::claim(key, &record, condition)?);
            }
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, job = %job.id, status = job.status.as_str(), "job posted");
                    return Ok(Saved {
                        record: job,
                        token,
                        outcome: Outcome::Created,
                        replayed: false,
                    });
                }
                // Someone else won a race (the same retry in flight, or the same new
                // employer posting twice at once): read again and decide afresh.
                Err(StoreError::ConditionFailed { index }) if index <= claim_index => continue,
                Err(StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention.into())
    }

    async fn replay_job(
        &self,
        station: &Station,
        record: &IdempotencyRecord,
        key: &idempotency::IdempotencyKey,
    ) -> Result<Saved<Job>, SubmitError> {
        let item = self
            .store
            .get(&keys::job(&station.id, &record.record_id))
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                pk: record.record_id.clone(),
                sk: "JOB".into(),
                reason: "idempotency record names a missing job".into(),
            })?;
        let job = job_from_item(&item)?;
        let token = self.token_for("job", &job.id, Some(key))?;
        Ok(Saved {
            record: job,
            token,
            outcome: Outcome::parse(&record.outcome),
            replayed: true,
        })
    }

    async fn employer_by_phone(
        &self,
        station: &Station,
        draft: &JobDraft,
    ) -> Result<Option<Employer>, StoreError> {
        let phone_key = self.secrets.phone_key(&station.id, &draft.contact_phone);
        let Some(claim) = self
            .store
            .get(&keys::employer_phone(&station.id, &phone_key))
            .await?
        else {
            return Ok(None);
        };
        let claim = claim_from_item(&claim)?;
        match self
            .store
            .get(&keys::employer(&station.id, &claim.owner_id))
            .await?
        {
            Some(item) => Ok(Some(employer_from_item(&item)?)),
            None => Err(StoreError::Corrupt {
                pk: claim.owner_id,
                sk: "EMP".into(),
                reason: "phone claim names a missing employer".into(),
            }),
        }
    }

    /// One page of a station's published jobs, newest first, optionally of one trade
    /// and/or district. Reads only the matching index partition.
    pub async fn published_jobs(
        &self,
        station: &Station,
        filter: &JobFilter,
        limit: u32,
        after: Option<Cursor>,
    ) -> Result<(Vec<Job>, Option<Cursor>), StoreError> {
        let (index, pk) = match (&filter.trade, &filter.district) {
            (Some(trade), _) => (Index::Gsi1, keys::published_by_trade(&station.id, trade)),
            (None, Some(district)) => (
                Index::Gsi2,
                keys::published_by_district(&station.id, district),
            ),
            (None, None) => (
                Index::Gsi3,
                keys::jobs_by_status(&station.id, JobStatus::Published.as_str()),
            ),
        };
        let mut query = Query::index_newest_first(index, pk, limit);
        query.after = after;
        let mut jobs = Vec::new();
        for _ in 0..MAX_FILTER_PAGES {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let job = job_from_item(item)?;
                if filter.district.as_ref().is_none_or(|d| &job.district == d) {
                    jobs.push(job);
                }
            }
            match page.next {
                Some(next) if (jobs.len() as u32) < limit => {
                    query.after = Some(next);
                    query.limit = limit - jobs.len() as u32;
                }
                next => return Ok((jobs, next)),
            }
        }
        Ok((jobs, query.after))
    }

    /// A job by id, for public pages: `None` unless it exists.
    pub async fn job(&self, station: &Station, id: &str) -> Result<Option<Job>, StoreError> {
        if !is_id(id) {
            return Ok(None);
        }
        match self.store.get(&keys::job(&station.id, id)).await? {
            Some(item) => Ok(Some(job_from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// The job a manage link points at, if the token matches.
    pub async fn job_for_manage(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
    ) -> Result<Job, ManageError> {
        let station = self.station(station).ok_or(ManageError::NotFound)?;
        let job = self.job(station, id).await?.ok_or(ManageError::NotFound)?;
        if job.manage_token_hash.matches(token) {
            Ok(job)
        } else {
            Err(ManageError::NotFound)
        }
    }

    /// The employer edits their job through the manage link. Places already taken
    /// cannot be given away: the headcount cannot drop below them.
    pub async fn edit_job(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
        input: &RawInput,
    ) -> Result<Job, ManageError> {
        let moderation = match self.station(station) {
            Some(s) => self.moderation(s).await?,
            None => return Err(ManageError::NotFound),
        };
        self.change_job(station, id, token, |station, job, now| {
            if !job.status.is_open() {
                return Err(ManageError::Locked(job.status));
            }
            let today = station.today(now);
            let earliest = today.min(job.dates.start);
            let draft = JobDraft::parse(station, input, today, earliest)?;
            if draft.headcount < job.placed {
                return Err(ManageError::Invalid(crate::problem::Invalid::one(
                    crate::problem::FieldError::new("headcount", "error.headcount_below_placed")
                        .with("placed", job.placed),
                )));
            }
            job.apply(draft, now);
            let needs_review = moderation == Moderation::Pre && !job.employer_verified;
            let next = match job.status {
                JobStatus::PendingReview => JobStatus::PendingReview,
                _ if job.open_places() == 0 => JobStatus::Filled,
                _ if needs_review => JobStatus::PendingReview,
                JobStatus::Filled => JobStatus::Published,
                current => current,
            };
            if next != job.status {
                job.transition(next, now)
                    .map_err(|e| ManageError::Locked(e.from))?;
            }
            Ok(())
        })
        .await
    }

    /// The employer closes their job. Closing a closed job is not an error, so a
    /// retried request has one effect.
    pub async fn close_job(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
    ) -> Result<Job, ManageError> {
        self.change_job(station, id, token, |_, job, now| {
            if job.status == JobStatus::Closed {
                return Ok(());
            }
            job.transition(JobStatus::Closed, now)
                .map_err(|e| ManageError::Locked(e.from))
        })
        .await
    }

    async fn change_job(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
        change: impl Fn(&Station, &mut Job, DateTime<Utc>) -> Result<(), ManageError>,
    ) -> Result<Job, ManageError> {
        let station_ref = self.station(station).ok_or(ManageError::NotFound)?.clone();
        for _ in 0..RETRIES {
            let before = self.job_for_manage(station, id, token).await?;
            let mut job = before.clone();
            change(&station_ref, &mut job, self.clock.now())?;
            if job == before {
                return Ok(job);
            }
            job.version = before.version + 1;
            match self
                .store
                .write(vec![Write::replace(job_item(&job)?, before.version)])
                .await
            {
                Ok(()) => {
                    tracing::info!(station = %station_ref.id, job = %job.id, status = job.status.as_str(), "job changed by employer");
                    return Ok(job);
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ManageError::Busy)
    }
}

/// The signature of a posting's confirmation link (16 URL-safe characters).
fn confirmation_signature(
    secrets: &crate::secrets::Secrets,
    station: &Station,
    job_id: &str,
) -> String {
    crate::matching::offer::link_part(secrets, "job-confirm", &[station.id.as_str(), job_id])
}

/// What confirming a posting did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Published now (or already).
    Published,
    /// Not waiting for confirmation (staff rejected it, or it was closed).
    NotWaiting,
}

impl App {
    /// The path of a posting's confirmation link.
    pub fn confirmation_path(&self, station: &Station, job_id: &str) -> String {
        let sig = confirmation_signature(&self.secrets, station, job_id);
        if station.id == self.stations.default_station().id {
            format!("/api/jobs/{job_id}/confirm?sig={sig}")
        } else {
            format!(
                "/api/jobs/{job_id}/confirm?sig={sig}&station={}",
                station.id.as_str()
            )
        }
    }

    fn confirmation_notice(&self, station: &Station, job: &Job, now: DateTime<Utc>) -> Notice {
        let mut notice = Notice::new(
            station.id.clone(),
            NoticeKind::ConfirmPosting,
            (&job.id, &job.employer_id),
            Recipient::employer(job),
            NoticeData {
                job: Some(JobSummary::of(job)),
                link_path: Some(self.confirmation_path(station, &job.id)),
                ..NoticeData::default()
            },
            now,
        );
        notice.job_id = Some(job.id.clone());
        notice
    }

    /// The posting a confirmation link names, if the signature is right.
    pub async fn job_to_confirm(
        &self,
        station: Option<&str>,
        job_id: &str,
        sig: &str,
    ) -> Result<Option<Job>, StoreError> {
        let Some(station) = self.station(station).cloned() else {
            return Ok(None);
        };
        let expected = confirmation_signature(&self.secrets, &station, job_id);
        if !crate::secrets::constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
            return Ok(None);
        }
        self.job(&station, job_id).await
    }

    /// The employer confirms a posting made with their (verified) number: it is
    /// published, written with an audit entry. Safe to repeat.
    pub async fn confirm_posting(
        &self,
        station: Option<&str>,
        job_id: &str,
        sig: &str,
    ) -> Result<Option<ConfirmOutcome>, StoreError> {
        let Some(station) = self.station(station).cloned() else {
            return Ok(None);
        };
        let Some(current) = self
            .job_to_confirm(Some(station.id.as_str()), job_id, sig)
            .await?
        else {
            return Ok(None);
        };
        let waiting = |job: &Job| {
            job.status == JobStatus::PendingReview
                && job.status_reason.as_deref() == Some(AWAITING_CONFIRMATION)
        };
        if current.status == JobStatus::Published {
            return Ok(Some(ConfirmOutcome::Published));
        }
        if !waiting(&current) {
            return Ok(Some(ConfirmOutcome::NotWaiting));
        }
        let moved = self
            .move_job(
                &station,
                job_id,
                JobStatus::Published,
                ("employer", "job.confirm"),
                "confirmed from the verified number's message",
                None,
                waiting,
            )
            .await?;
        tracing::info!(station = %station.id, job = %job_id, moved, "posting confirmed by the employer");
        Ok(Some(ConfirmOutcome::Published))
    }

    /// Moves a posting to `to` for `who` (actor, action: the public's reports, the
    /// employer's confirmation), setting its reason to `status_reason` (the employer
    /// sees it), written with its audit entry.
    /// `still` decides on the record as it is now whether to go on, so a retried or
    /// raced step moves it once. Returns whether this call moved it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_job(
        &self,
        station: &Station,
        job_id: &str,
        to: JobStatus,
        (actor, action): (&str, &str),
        reason: &str,
        status_reason: Option<String>,
        still: impl Fn(&Job) -> bool,
    ) -> Result<bool, StoreError> {
        for _ in 0..RETRIES {
            let Some(before) = self.job(station, job_id).await? else {
                return Ok(false);
            };
            if !still(&before) {
                return Ok(false);
            }
            let now = self.clock.now();
            let mut after = before.clone();
            after.status_reason = status_reason.clone();
            after
                .transition(to, now)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            after.version = before.version + 1;
            let entry = audit::record(&AuditEntry {
                station: station.id.clone(),
                actor: actor.into(),
                action: action.into(),
                target_kind: "job".into(),
                target_id: before.id.clone(),
                before: serde_json::Value::from(before.status.as_str()),
                after: serde_json::Value::from(after.status.as_str()),
                reason: Some(reason.into()),
                at: now,
            })
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
            match self
                .store
                .write(vec![
                    Write::replace(job_item(&after)?, before.version),
                    entry,
                ])
                .await
            {
                Ok(()) => return Ok(true),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Contention)
    }
}
