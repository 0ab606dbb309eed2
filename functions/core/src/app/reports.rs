//! Reporting a posting and asking for help (咨询维权): two intake forms anyone can send,
//! each stored once however often it is retried.

use super::{App, RETRIES, Submission, SubmitError};
use crate::{
    complaint::{Complaint, ComplaintDraft, ComplaintSource, ComplaintStatus, reference_for},
    idempotency::{self, IdempotencyKey, IdempotencyRecord, Prior},
    input::RawInput,
    job::Source,
    job::{JobStatus, REPORTED_PREFIX, is_id, new_id},
    keys,
    problem::Invalid,
    records::{complaint_from_item, complaint_item, job_report_from_item, job_report_item},
    report::{JobReport, ReportDraft, ReportStatus},
    secrets::SecretError,
    station::{Station, StationId},
    store::{Query, SortKeyRange, StoreError, Write, query_all},
    worker::{Consent, ConsentMethod},
};

const FILE_COMPLAINT: &str = "file_complaint";

/// A stored intake record.
#[derive(Clone, Debug, PartialEq)]
pub struct Filed<T> {
    /// The record as stored.
    pub record: T,
    /// Whether this answers a retry of an earlier request.
    pub replayed: bool,
}

/// Why a report was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The request names a station this deployment does not serve.
    #[error("unknown station")]
    UnknownStation,
    /// No such job.
    #[error("no such job")]
    NotFound,
    /// The fields are wrong; nothing was stored.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The idempotency key was used before for a different request.
    #[error("idempotency key reused for a different request")]
    KeyReused,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for ids.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// The idempotency action of reporting job `job_id`: one per job, so the same form
/// sent about two jobs is two reports.
pub fn report_action(job_id: &str) -> String {
    format!("report_job:{job_id}")
}

impl App {
    /// Files a report about job `job_id` (any state: a closed posting can still have
    /// cheated someone) from `reporter` (the client's address). With an idempotency
    /// key, a retry returns the first report.
    ///
    /// Only distinct reporters move a posting: the reporter's first report on a job is
    /// filed with a claim on (job, hash of the address), in one batch, so it alone
    /// counts towards `review_after_reports`; later reports from that address, at once
    /// or later, are kept for staff but do not count. (Verified phone numbers would
    /// tell reporters apart better; addresses are what an anonymous form has.)
    pub async fn report_job(
        &self,
        station: Option<&str>,
        job_id: &str,
        input: &RawInput,
        key: Option<&IdempotencyKey>,
        reporter: &str,
    ) -> Result<Filed<JobReport>, ReportError> {
        let station = self
            .station(station)
            .ok_or(ReportError::UnknownStation)?
            .clone();
        if !is_id(job_id) {
            return Err(ReportError::NotFound);
        }
        let draft = ReportDraft::parse(input)?;
        let job = self
            .job(&station, job_id)
            .await?
            .ok_or(ReportError::NotFound)?;
        let action = report_action(&job.id);
        let fingerprint = input.fingerprint(&action);
        let now = self.clock.now();
        let reporter_key = self.secrets.sign("job-reporter", reporter);
        let reporter_key = reporter_key.get(..24).unwrap_or(&reporter_key).to_owned();
        let claim_key = keys::job_reporter(&station.id, &job.id, &reporter_key);
        for _ in 0..RETRIES {
            let first_from_reporter = self.store.get(&claim_key).await?.is_none();
            let condition = match key {
                None => None,
                Some(key) => {
                    match idempotency::check(
                        &*self.store,
                        &station.id,
                        key,
                        &action,
                        &fingerprint,
                        now,
                    )
                    .await?
                    {
                        Prior::Fresh(condition) => Some(condition),
                        Prior::Replay(record) => {
                            self.review_if_reported(&station, &job.id).await?;
                            let item = self
                                .store
                                .get(&keys::job_report(&station.id, &job.id, &record.record_id))
                                .await?
                                .ok_or_else(|| StoreError::Corrupt {
                                    pk: record.record_id.clone(),
                                    sk: "REPORT".into(),
                                    reason: "idempotency record names a missing report".into(),
                                })?;
                            return Ok(Filed {
                                record: job_report_from_item(&item)?,
                                replayed: true,
                            });
                        }
                        Prior::Mismatch => return Err(ReportError::KeyReused),
                    }
                }
            };
            let report = JobReport {
                id: new_id(now)?,
                station: station.id.clone(),
                job_id: job.id.clone(),
                reason: draft.reason,
                details: draft.details.clone(),
                status: ReportStatus::Received,
                created_at: now,
                version: 1,
                reporter: Some(reporter_key.clone()),
                reporter_hint: Some(crate::report::address_hint(reporter)),
                counted: first_from_reporter,
            };
            let mut writes = vec![Write::create(job_report_item(&report)?)];
            if first_from_reporter {
                // Fails if this reporter's first report got in meanwhile: read again.
                writes.push(Write::create(crate::store::Item::new(
                    claim_key.clone(),
                    serde_json::Map::from_iter([
                        (
                            "station".to_owned(),
                            serde_json::Value::from(station.id.as_str()),
                        ),
                        (
                            "report_id".to_owned(),
                            serde_json::Value::from(report.id.as_str()),
                        ),
                    ]),
                )));
            }
            if let (Some(key), Some(condition)) = (key, condition) {
                let record = IdempotencyRecord {
                    station: station.id.clone(),
                    action: action.clone(),
                    fingerprint: fingerprint.clone(),
                    record_id: report.id.clone(),
                    outcome: "created".into(),
                    created_at: now,
                };
                writes.push(idempotency::claim(key, &record, condition)?);
            }
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, job = %job.id, report = %report.id, reason = report.reason.as_str(), "posting reported");
                    self.review_if_reported(&station, &job.id).await?;
                    return Ok(Filed {
                        record: report,
                        replayed: false,
                    });
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention.into())
    }

    /// The reports on a job in one state, oldest first.
    pub async fn reports_on_job(
        &self,
        station: &StationId,
        job_id: &str,
        status: ReportStatus,
    ) -> Result<Vec<JobReport>, StoreError> {
        let query = Query {
            range: SortKeyRange::BeginsWith(keys::REPORT_PREFIX.into()),
            ..Query::partition(keys::job(station, job_id).pk, 100)
        };
        let mut reports = Vec::new();
        for item in query_all(&*self.store, query).await? {
            let report = job_report_from_item(&item)?;
            if report.status == status {
                reports.push(report);
            }
        }
        Ok(reports)
    }

    /// Once a live posting has as many unreviewed reports as the station allows, it
    /// leaves the board for the review queue (written with an audit entry naming the
    /// count). Safe to repeat: a posting already in review is left alone.
    async fn review_if_reported(&self, station: &Station, job_id: &str) -> Result<(), StoreError> {
        let counted: Vec<JobReport> = self
            .reports_on_job(&station.id, job_id, ReportStatus::Received)
            .await?
            .into_iter()
            .filter(|r| r.counted)
            .collect();
        let open = counted.len();
        if open < usize::from(station.review_after_reports) {
            return Ok(());
        }
        // The employer sees why on their manage page: how many reported, and for what
        // (never the details, which could name the reporter).
        let mut reasons: Vec<&str> = counted.iter().map(|r| r.reason.as_str()).collect();
        reasons.sort_unstable();
        reasons.dedup();
        let status_reason = format!("{REPORTED_PREFIX}{open}:{}", reasons.join(","));
        let moved = self
            .move_job(
                station,
                job_id,
                JobStatus::PendingReview,
                ("system", "job.review_on_reports"),
                &format!("{open} reports from distinct reporters"),
                Some(status_reason),
                |job| matches!(job.status, JobStatus::Published | JobStatus::Filled),
            )
            .await?;
        if moved {
            tracing::info!(station = %station.id, job = %job_id, reports = open, "posting sent back to review after reports");
        }
        Ok(())
    }

    /// Every report on a job, any state, oldest first (the staff's job page).
    pub async fn all_reports_on_job(
        &self,
        station: &StationId,
        job_id: &str,
    ) -> Result<Vec<JobReport>, StoreError> {
        let query = Query {
            range: SortKeyRange::BeginsWith(keys::REPORT_PREFIX.into()),
            ..Query::partition(keys::job(station, job_id).pk, 100)
        };
        query_all(&*self.store, query)
            .await?
            .iter()
            .map(job_report_from_item)
            .collect()
    }

    /// Marks a job's open reports as reviewed (staff approved the posting again or
    /// took it down), so they no longer count towards the threshold.
    pub(crate) async fn close_reports(
        &self,
        station: &StationId,
        job_id: &str,
    ) -> Result<(), StoreError> {
        for report in self
            .reports_on_job(station, job_id, ReportStatus::Received)
            .await?
        {
            let mut reviewed = report.clone();
            reviewed.status = ReportStatus::Reviewed;
            reviewed.version = report.version + 1;
            match self
                .store
                .write(vec![Write::replace(
                    job_report_item(&reviewed)?,
                    report.version,
                )])
                .await
            {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Files a request for advice or help. With an idempotency key, a retry returns the
    /// first record (and its reference number).
    pub async fn file_complaint(
        &self,
        submission: Submission<'_>,
    ) -> Result<Filed<Complaint>, SubmitError> {
        let station = self
            .station(submission.station)
            .ok_or(SubmitError::UnknownStation)?
            .clone();
        let draft = ComplaintDraft::parse(submission.input)?;
        let now = self.clock.now();
        let fingerprint = submission.input.fingerprint(FILE_COMPLAINT);
        let key = submission.idempotency_key;
        // Link the employer's record when the person named a job of this station, and
        // the worker's when they are a registered worker (so their data export shows
        // it and erasing them removes their contact details from it).
        let employer_id = match &draft.job_id {
            Some(job_id) => self.job(&station, job_id).await?.map(|job| job.employer_id),
            None => None,
        };
        let worker_id = self
            .worker_by_phone(&station, &draft.phone)
            .await?
            .map(|worker| worker.id);
        for _ in 0..RETRIES {
            let condition = match key {
                None => None,
                Some(key) => match idempotency::check(
                    &*self.store,
                    &station.id,
                    key,
                    FILE_COMPLAINT,
                    &fingerprint,
                    now,
                )
                .await?
                {
                    Prior::Fresh(condition) => Some(condition),
                    Prior::Replay(record) => {
                        return self.replay_complaint(&station, &record).await;
                    }
                    Prior::Mismatch => return Err(SubmitError::KeyReused),
                },
            };
            let id = new_id(now)?;
            let complaint = Complaint {
                reference: reference_for(station.today(now), &id),
                id,
                station: station.id.clone(),
                kind: draft.kind,
                name: Some(draft.name.clone()),
                phone: Some(draft.phone.clone()),
                employer_name: draft.employer_name.clone(),
                employer_id: employer_id.clone(),
                worker_id: worker_id.clone(),
                job_id: draft.job_id.clone(),
                description: draft.description.clone(),
                status: ComplaintStatus::Received,
                source: match submission.source {
                    Source::Online => ComplaintSource::Online,
                    Source::Desk => ComplaintSource::Desk,
                },
                notes: Vec::new(),
                closed_at: None,
                consent: Consent {
                    version: station.consent_version.clone(),
                    accepted_at: now,
                    method: match submission.source {
                        Source::Online => ConsentMethod::Online,
                        Source::Desk => ConsentMethod::InPerson,
                    },
                },
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let mut writes = vec![Write::create(complaint_item(&complaint)?)];
            if let (Some(key), Some(condition)) = (key, condition) {
                let record = IdempotencyRecord {
                    station: station.id.clone(),
                    action: FILE_COMPLAINT.into(),
                    fingerprint: fingerprint.clone(),
                    record_id: complaint.id.clone(),
                    outcome: "created".into(),
                    created_at: now,
                };
                writes.push(idempotency::claim(key, &record, condition)?);
            }
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, complaint = %complaint.id, kind = complaint.kind.as_str(), "complaint received");
                    return Ok(Filed {
                        record: complaint,
                        replayed: false,
                    });
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention.into())
    }

    async fn replay_complaint(
        &self,
        station: &Station,
        record: &IdempotencyRecord,
    ) -> Result<Filed<Complaint>, SubmitError> {
        let item = self
            .store
            .get(&keys::complaint(&station.id, &record.record_id))
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                pk: record.record_id.clone(),
                sk: "CMP".into(),
                reason: "idempotency record names a missing complaint".into(),
            })?;
        Ok(Filed {
            record: complaint_from_item(&item)?,
            replayed: true,
        })
    }
}
