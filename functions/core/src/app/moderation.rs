//! Staff work on postings and employers: the moderation queue (approve, reject with a
//! reason, take down), the station's moderation mode, employer verification by unified
//! social credit code, and barring an employer. Every action is checked against the
//! actor's role, version-checked, and written in one batch with its audit entry.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Actor, App};
use crate::{
    audit::{self, AuditEntry, AuditError},
    credit_code::CreditCode,
    employer::Employer,
    job::{Job, JobStatus, TransitionError, is_id},
    keys,
    problem::{FieldError, Invalid},
    records::{employer_from_item, employer_item, job_from_item, job_item},
    staff::Role,
    station::{Moderation, Station, StationId},
    store::{Index, Item, Query, SortKeyRange, StoreError, Write, from_item, query_all, to_body},
    text::EmployerName,
};

/// Settings staff change at run time; they override the station file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationSettings {
    /// The moderation mode, if staff changed it.
    pub moderation: Option<Moderation>,
}

/// Why a staff action was not done.
#[derive(Debug, thiserror::Error)]
pub enum StaffActionError {
    /// No such record.
    #[error("not found")]
    NotFound,
    /// The actor's role may not do this.
    #[error("not allowed for this role")]
    Forbidden,
    /// A field is wrong.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record is in a state that does not allow it.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Kept losing races with other writers.
    #[error("the record kept changing")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit entry could not be prepared.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// Longest reason staff may give.
const MAX_REASON_CHARS: usize = 300;

fn parse_reason(raw: &str) -> Result<String, Invalid> {
    crate::text::clean_text(
        "reason",
        raw,
        crate::text::TextRule {
            min: 2,
            max: MAX_REASON_CHARS,
            multiline: true,
        },
    )
    .map_err(Invalid::one)
}

fn snapshot<T: Serialize>(record: &T) -> Value {
    serde_json::to_value(record).unwrap_or(Value::Null)
}

impl App {
    /// The moderation mode in force for `station`: staff's setting, else the file's.
    pub async fn moderation(&self, station: &Station) -> Result<Moderation, StoreError> {
        Ok(self
            .settings(&station.id)
            .await?
            .moderation
            .unwrap_or(station.moderation))
    }

    async fn settings(&self, station: &StationId) -> Result<StationSettings, StoreError> {
        match self.store.get(&keys::settings(station)).await? {
            Some(item) => {
                let mut body = item.body.clone();
                body.remove("station");
                serde_json::from_value(Value::Object(body)).map_err(|e| StoreError::Corrupt {
                    pk: item.key.pk.clone(),
                    sk: item.key.sk.clone(),
                    reason: e.to_string(),
                })
            }
            None => Ok(StationSettings::default()),
        }
    }

    /// An administrator switches the station between publishing at once (`post`) and
    /// review first for unverified employers (`pre`).
    pub async fn set_moderation(
        &self,
        actor: &Actor,
        mode: Moderation,
    ) -> Result<(), StaffActionError> {
        if actor.role != Role::Admin {
            return Err(StaffActionError::Forbidden);
        }
        let now = self.clock.now();
        let key = keys::settings(&actor.station);
        for _ in 0..super::RETRIES {
            let current = self.store.get(&key).await?;
            let before = self.settings(&actor.station).await?;
            let after = StationSettings {
                moderation: Some(mode),
            };
            let mut body = to_body(&after)?;
            body.insert("station".into(), Value::from(actor.station.as_str()));
            let mut item = Item::new(key.clone(), body);
            let write = match &current {
                Some(old) => {
                    item.version = old.version + 1;
                    Write::replace(item, old.version)
                }
                None => Write::create(item),
            };
            let entry = audit::record(&AuditEntry {
                station: actor.station.clone(),
                actor: actor.username.clone(),
                action: "station.moderation".into(),
                target_kind: "station".into(),
                target_id: actor.station.to_string(),
                before: snapshot(&before),
                after: snapshot(&after),
                reason: None,
                at: now,
            })?;
            match self.store.write(vec![write, entry]).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StaffActionError::Busy)
    }

    /// Jobs waiting for review, oldest first (first come, first reviewed).
    pub async fn moderation_queue(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let query = Query {
            descending: false,
            ..Query::index_newest_first(
                Index::Gsi3,
                keys::jobs_by_status(&actor.station, JobStatus::PendingReview.as_str()),
                limit,
            )
        };
        self.store
            .query(&query)
            .await?
            .items
            .iter()
            .map(job_from_item)
            .collect()
    }

    /// Jobs of a station in one state, newest first (the console's lists).
    pub async fn jobs_in_state(
        &self,
        actor: &Actor,
        status: JobStatus,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let query = Query::index_newest_first(
            Index::Gsi3,
            keys::jobs_by_status(&actor.station, status.as_str()),
            limit,
        );
        self.store
            .query(&query)
            .await?
            .items
            .iter()
            .map(job_from_item)
            .collect()
    }

    /// Any job of the actor's station, for staff.
    pub async fn job_for_staff(&self, actor: &Actor, id: &str) -> Result<Job, StaffActionError> {
        if !is_id(id) {
            return Err(StaffActionError::NotFound);
        }
        match self.store.get(&keys::job(&actor.station, id)).await? {
            Some(item) => Ok(job_from_item(&item)?),
            None => Err(StaffActionError::NotFound),
        }
    }

    /// Staff approve a job waiting for review, or vouch for one already published
    /// (so it gets a full wave of offers, see [`Job::vouched`]).
    /// Reports from the public that came before are marked reviewed.
    pub async fn approve_job(&self, actor: &Actor, id: &str) -> Result<Job, StaffActionError> {
        let job = self
            .staff_change_job(actor, id, "job.approve", None, |job, now| {
                job.approved_by_staff = true;
                if job.status == JobStatus::Published {
                    return Ok(());
                }
                job.status_reason = None;
                job.transition(JobStatus::Published, now)
            })
            .await?;
        self.close_reports(&actor.station, &job.id).await?;
        Ok(job)
    }

    /// Staff reject a job waiting for review, or take down a published one, with a
    /// reason the employer sees on their manage page.
    pub async fn reject_job(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
    ) -> Result<Job, StaffActionError> {
        let reason = parse_reason(reason)?;
        let job = self
            .staff_change_job(
                actor,
                id,
                "job.reject",
                Some(reason.clone()),
                move |job, now| {
                    if job.status == JobStatus::Rejected {
                        return Ok(());
                    }
                    job.status_reason = Some(reason.clone());
                    job.transition(JobStatus::Rejected, now)
                },
            )
            .await?;
        self.close_reports(&actor.station, &job.id).await?;
        Ok(job)
    }

    async fn staff_change_job(
        &self,
        actor: &Actor,
        id: &str,
        action: &str,
        reason: Option<String>,
        change: impl Fn(&mut Job, chrono::DateTime<chrono::Utc>) -> Result<(), TransitionError>,
    ) -> Result<Job, StaffActionError> {
        for _ in 0..super::RETRIES {
            let before = self.job_for_staff(actor, id).await?;
            let now = self.clock.now();
            let mut job = before.clone();
            change(&mut job, now)?;
            if job == before {
                return Ok(job);
            }
            job.version = before.version + 1;
            let entry = audit::record(&AuditEntry {
                station: actor.station.clone(),
                actor: actor.username.clone(),
                action: action.into(),
                target_kind: "job".into(),
                target_id: job.id.clone(),
                before: Value::from(before.status.as_str()),
                after: Value::from(job.status.as_str()),
                reason: reason.clone(),
                at: now,
            })?;
            match self
                .store
                .write(vec![Write::replace(job_item(&job)?, before.version), entry])
                .await
            {
                Ok(()) => {
                    tracing::info!(station = %actor.station, job = %job.id, action, "staff changed a job");
                    return Ok(job);
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StaffActionError::Busy)
    }

    /// Employers of the station, newest first.
    pub async fn employers(&self, actor: &Actor, limit: u32) -> Result<Vec<Employer>, StoreError> {
        let query = Query::index_newest_first(Index::Gsi3, keys::employers(&actor.station), limit);
        self.store
            .query(&query)
            .await?
            .items
            .iter()
            .map(employer_from_item)
            .collect()
    }

    /// One employer, for staff.
    pub async fn employer_for_staff(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Employer, StaffActionError> {
        if !is_id(id) {
            return Err(StaffActionError::NotFound);
        }
        match self.store.get(&keys::employer(&actor.station, id)).await? {
            Some(item) => Ok(employer_from_item(&item)?),
            None => Err(StaffActionError::NotFound),
        }
    }

    /// The jobs an employer posted, newest first.
    pub async fn jobs_of_employer(
        &self,
        actor: &Actor,
        employer_id: &str,
    ) -> Result<Vec<Job>, StoreError> {
        let links = query_all(
            &*self.store,
            Query {
                range: SortKeyRange::BeginsWith(keys::EMPLOYER_JOB_PREFIX.into()),
                descending: true,
                ..Query::partition(keys::employer(&actor.station, employer_id).pk, 100)
            },
        )
        .await?;
        let keys: Vec<_> = links
            .iter()
            .filter_map(|link| from_item::<Value>(link).ok())
            .filter_map(|v| v["job_id"].as_str().map(|id| keys::job(&actor.station, id)))
            .collect();
        let mut jobs: Vec<Job> = self
            .store
            .get_many(&keys)
            .await?
            .iter()
            .map(job_from_item)
            .collect::<Result<_, _>>()?;
        jobs.sort_by_key(|job| std::cmp::Reverse(job.created_at));
        Ok(jobs)
    }

    /// Staff verify an employer by the unified social credit code and the name on the
    /// licence; the verified mark then shows on every job of theirs still open.
    pub async fn verify_employer(
        &self,
        actor: &Actor,
        id: &str,
        credit_code: &str,
        licence_name: &str,
    ) -> Result<Employer, StaffActionError> {
        let mut problems = crate::problem::Problems::new();
        let code = problems.take(CreditCode::parse("credit_code", credit_code));
        let name = problems.take(EmployerName::parse("licence_name", licence_name));
        problems.finish()?;
        let (Some(code), Some(name)) = (code, name) else {
            return Err(Invalid::one(FieldError::new("_form", "error.invalid")).into());
        };
        let employer = self
            .staff_change_employer(actor, id, "employer.verify", None, |e| {
                e.verified = true;
                e.credit_code = Some(code.clone());
                e.licence_name = Some(name.as_str().to_owned());
            })
            .await?;
        self.carry_verification(actor, &employer).await?;
        Ok(employer)
    }

    /// Staff bar an employer from posting, with a reason; their open jobs are taken
    /// down with it.
    pub async fn blacklist_employer(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
    ) -> Result<Employer, StaffActionError> {
        let reason = parse_reason(reason)?;
        let employer = self
            .staff_change_employer(actor, id, "employer.blacklist", Some(reason.clone()), |e| {
                e.blacklisted = true;
                e.blacklist_reason = Some(reason.clone());
            })
            .await?;
        for job in self.jobs_of_employer(actor, id).await? {
            if job.status.is_open() {
                self.reject_job(actor, &job.id, &reason).await?;
            }
        }
        Ok(employer)
    }

    /// Staff lift a bar.
    pub async fn unblacklist_employer(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Employer, StaffActionError> {
        self.staff_change_employer(actor, id, "employer.unblacklist", None, |e| {
            e.blacklisted = false;
            e.blacklist_reason = None;
        })
        .await
    }

    async fn staff_change_employer(
        &self,
        actor: &Actor,
        id: &str,
        action: &str,
        reason: Option<String>,
        change: impl Fn(&mut Employer),
    ) -> Result<Employer, StaffActionError> {
        for _ in 0..super::RETRIES {
            let before = self.employer_for_staff(actor, id).await?;
            let now = self.clock.now();
            let mut employer = before.clone();
            change(&mut employer);
            if employer == before {
                return Ok(employer);
            }
            employer.updated_at = now;
            employer.version = before.version + 1;
            let entry = audit::record(&AuditEntry {
                station: actor.station.clone(),
                actor: actor.username.clone(),
                action: action.into(),
                target_kind: "employer".into(),
                target_id: employer.id.clone(),
                before: serde_json::json!({
                    "verified": before.verified, "blacklisted": before.blacklisted,
                    "credit_code": before.credit_code, "licence_name": before.licence_name,
                }),
                after: serde_json::json!({
                    "verified": employer.verified, "blacklisted": employer.blacklisted,
                    "credit_code": employer.credit_code, "licence_name": employer.licence_name,
                }),
                reason: reason.clone(),
                at: now,
            })?;
            match self
                .store
                .write(vec![
                    Write::replace(employer_item(&employer)?, before.version),
                    entry,
                ])
                .await
            {
                Ok(()) => return Ok(employer),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StaffActionError::Busy)
    }

    /// Copies the employer's verified mark onto their open jobs (each job on its own,
    /// version-checked, so a concurrent edit is never lost; running it again is a no-op).
    async fn carry_verification(
        &self,
        actor: &Actor,
        employer: &Employer,
    ) -> Result<(), StaffActionError> {
        for job in self.jobs_of_employer(actor, &employer.id).await? {
            if !job.status.is_open() || job.employer_verified == employer.verified {
                continue;
            }
            let mut updated = job.clone();
            updated.employer_verified = employer.verified;
            updated.version = job.version + 1;
            match self
                .store
                .write(vec![Write::replace(job_item(&updated)?, job.version)])
                .await
            {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
