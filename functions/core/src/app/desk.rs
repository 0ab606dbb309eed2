//! The staff's matching desk and the records that follow a match: a job's offers,
//! rankings and placements in one view; offering a worker by hand (overriding the
//! order, logged with the worker's factors); running the next wave now; recording the
//! days worked and the wage paid, or cancelling a place; holding a worker from matching;
//! and sending a parked notice again. Every action is written with its audit entry.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{Actor, App, StaffActionError};
use crate::{
    audit::{self, AuditEntry},
    dates::MAX_SPAN_DAYS,
    job::{Job, JobStatus, is_id},
    keys,
    matching::{
        candidates::history, decision::Decision, fairness, offer::Offer, wave::WaveOutcome,
    },
    money::Money,
    notices::{Notice, NoticeStatus},
    placement::{Placement, PlacementStatus},
    problem::{FieldError, Invalid, Problems},
    records::{job_item, notice_item, placement_from_item, placement_item},
    station::Station,
    store::{Query, SortKeyRange, StoreError, Write, query_all},
    worker::{Hold, Worker},
};

/// Everything the desk shows about one job.
#[derive(Clone, Debug)]
pub struct JobDesk {
    /// The job.
    pub job: Job,
    /// Offers made, in any state.
    pub offers: Vec<Offer>,
    /// Rankings, wave by wave.
    pub decisions: Vec<Decision>,
    /// Places taken.
    pub placements: Vec<Placement>,
    /// The workers named above, for their names.
    pub workers: Vec<Worker>,
}

/// The audit entry of `action` by `actor` on `target` (kind, id), `change` being the
/// record before and after.
fn audit_write(
    actor: &Actor,
    action: &str,
    target: (&str, &str),
    change: (Value, Value),
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Result<Write, StaffActionError> {
    Ok(audit::record(&AuditEntry {
        station: actor.station.clone(),
        actor: actor.username.clone(),
        action: action.into(),
        target_kind: target.0.into(),
        target_id: target.1.into(),
        before: change.0,
        after: change.1,
        reason,
        at,
    })?)
}

impl App {
    fn actor_station(&self, actor: &Actor) -> Result<std::sync::Arc<Station>, StaffActionError> {
        self.station(Some(actor.station.as_str()))
            .cloned()
            .ok_or(StaffActionError::NotFound)
    }

    /// The placements on a job.
    pub async fn placements_of_job(
        &self,
        station: &Station,
        job_id: &str,
    ) -> Result<Vec<Placement>, StoreError> {
        query_all(
            &*self.store,
            Query {
                range: SortKeyRange::BeginsWith(keys::PLACEMENT_PREFIX.into()),
                ..Query::partition(keys::job(&station.id, job_id).pk, 1000)
            },
        )
        .await?
        .iter()
        .map(placement_from_item)
        .collect()
    }

    /// The desk's view of a job.
    pub async fn job_desk(&self, actor: &Actor, job_id: &str) -> Result<JobDesk, StaffActionError> {
        let station = self.actor_station(actor)?;
        let job = self.job_for_staff(actor, job_id).await?;
        let offers = self.offers_of_job(&station, job_id).await?;
        let decisions = self.decisions_of_job(&station, job_id).await?;
        let placements = self.placements_of_job(&station, job_id).await?;
        let mut ids: Vec<String> = offers.iter().map(|o| o.worker_id.clone()).collect();
        ids.extend(placements.iter().map(|p| p.worker_id.clone()));
        for decision in &decisions {
            ids.extend(decision.rows.iter().map(|r| r.worker_id.clone()));
        }
        ids.sort();
        ids.dedup();
        let keys: Vec<_> = ids
            .iter()
            .filter(|id| is_id(id))
            .map(|id| keys::worker(&station.id, id))
            .collect();
        let mut workers = Vec::new();
        for chunk in keys.chunks(100) {
            for item in self.store.get_many(chunk).await? {
                workers.push(crate::records::worker_from_item(&item)?);
            }
        }
        Ok(JobDesk {
            job,
            offers,
            decisions,
            placements,
            workers,
        })
    }

    /// Staff offer a job to a worker of their choosing, outside the ranking's order.
    /// The audit entry keeps the worker's fairness factors, so the override can be read
    /// against the ranking later.
    pub async fn offer_by_staff(
        &self,
        actor: &Actor,
        job_id: &str,
        worker_id: &str,
    ) -> Result<Offer, StaffActionError> {
        let station = self.actor_station(actor)?;
        let job = self.job_for_staff(actor, job_id).await?;
        let now = self.clock.now();
        if job.status != JobStatus::Published || job.open_places() == 0 {
            return Err(crate::job::TransitionError {
                from: job.status,
                to: JobStatus::Published,
            }
            .into());
        }
        let worker = self
            .worker_by_id(&station, worker_id)
            .await?
            .ok_or(StaffActionError::NotFound)?;
        if worker.status != crate::worker::WorkerStatus::Active || worker.hold.is_some() {
            return Err(
                Invalid::one(FieldError::new("worker_id", "error.worker_unavailable")).into(),
            );
        }
        if self
            .offers_of_job(&station, job_id)
            .await?
            .iter()
            .any(|o| o.worker_id == worker.id)
        {
            return Err(Invalid::one(FieldError::new("worker_id", "error.already_offered")).into());
        }
        let (busy, factors, [offer_write, notice_write]) =
            self.single_offer(&station, &job, &worker, now).await?;
        if busy {
            return Err(Invalid::one(FieldError::new("worker_id", "error.worker_busy")).into());
        }
        let offer = match &offer_write {
            Write::Put { item, .. } => crate::records::offer_from_item(item)?,
            _ => return Err(StoreError::Invalid("an offer write is a put".into()).into()),
        };
        let audit = audit_write(
            actor,
            "job.offer_by_staff",
            ("job", &job.id),
            (
                Value::Null,
                json!({ "worker_id": worker.id, "factors": factors }),
            ),
            None,
            now,
        )?;
        match self
            .store
            .write(vec![offer_write, notice_write, audit])
            .await
        {
            Ok(()) => Ok(offer),
            Err(StoreError::ConditionFailed { .. }) => {
                Err(Invalid::one(FieldError::new("worker_id", "error.already_offered")).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One offer of `job` to `worker` outside the waves (by staff, or because the worker
    /// asked for it): whether they hold work on those dates already, their factors (as
    /// a ranking would list them), and the offer and notice writes.
    pub(crate) async fn single_offer(
        &self,
        station: &Station,
        job: &Job,
        worker: &Worker,
        now: DateTime<Utc>,
    ) -> Result<(bool, crate::matching::rank::Factors, [Write; 2]), StoreError> {
        let settings = &station.matching;
        let today = station.today(now);
        let window_start = now - Duration::days(i64::from(settings.window_days));
        let (window_first, _) = fairness::window(today, settings);
        let earliest = window_first.min(job.dates.start) - Duration::days(MAX_SPAN_DAYS);
        let history = history(
            &*self.store,
            &station.id,
            &worker.id,
            window_start,
            earliest,
        )
        .await?;
        let busy = fairness::is_busy(&history.placements, &job.dates);
        let factors = fairness::factors(worker, job, &history, now, today, settings);
        let writes = self.offer_writes(station, job, worker, 0, 0, factors.clone(), now)?;
        Ok((busy, factors, writes))
    }

    /// Staff run the job's next wave now instead of waiting for the stream or the sweep.
    pub async fn wave_by_staff(
        &self,
        actor: &Actor,
        job_id: &str,
    ) -> Result<WaveOutcome, StaffActionError> {
        let station = self.actor_station(actor)?;
        self.job_for_staff(actor, job_id).await?;
        self.run_wave(&station, job_id)
            .await
            .map_err(|e| StaffActionError::Store(StoreError::Unavailable(e.to_string())))
    }

    /// Staff record that a placement's work was done: days worked and the total wage paid.
    pub async fn record_placement(
        &self,
        actor: &Actor,
        job_id: &str,
        worker_id: &str,
        days_worked: &str,
        wage_paid: &str,
    ) -> Result<Placement, StaffActionError> {
        let mut problems = Problems::new();
        let days = problems.take(
            days_worked
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|d| (1..=MAX_SPAN_DAYS as u16).contains(d))
                .ok_or_else(|| {
                    FieldError::new("days_worked", "error.days_worked").with("max", MAX_SPAN_DAYS)
                }),
        );
        let paid = problems.take(parse_total_wage(wage_paid));
        problems.finish()?;
        let (Some(days), Some(paid)) = (days, paid) else {
            return Err(Invalid::one(FieldError::new("_form", "error.invalid")).into());
        };
        self.change_placement(
            actor,
            job_id,
            worker_id,
            "placement.record",
            None,
            move |p, _| {
                if p.status == PlacementStatus::Cancelled {
                    return Err(StaffActionError::Transition(crate::job::TransitionError {
                        from: JobStatus::Closed,
                        to: JobStatus::Filled,
                    }));
                }
                p.status = PlacementStatus::Completed;
                p.days_worked = Some(days);
                p.wage_paid = Some(paid);
                Ok(false)
            },
        )
        .await
    }

    /// Staff cancel a placement before the work (the worker cannot come): the place goes
    /// back to the job, which returns to the board if it was full.
    pub async fn cancel_placement(
        &self,
        actor: &Actor,
        job_id: &str,
        worker_id: &str,
        reason: &str,
    ) -> Result<Placement, StaffActionError> {
        let reason = crate::text::clean_text(
            "reason",
            reason,
            crate::text::TextRule {
                min: 2,
                max: 300,
                multiline: true,
            },
        )
        .map_err(Invalid::one)?;
        self.change_placement(
            actor,
            job_id,
            worker_id,
            "placement.cancel",
            Some(reason),
            |p, _| {
                if p.status != PlacementStatus::Reserved {
                    return Ok(false);
                }
                p.status = PlacementStatus::Cancelled;
                Ok(true)
            },
        )
        .await
    }

    /// Changes a placement (and, when `change` says the place is given back, its job)
    /// in one batch with the audit entry.
    async fn change_placement(
        &self,
        actor: &Actor,
        job_id: &str,
        worker_id: &str,
        action: &str,
        reason: Option<String>,
        change: impl Fn(&mut Placement, DateTime<Utc>) -> Result<bool, StaffActionError>,
    ) -> Result<Placement, StaffActionError> {
        if !is_id(job_id) || !is_id(worker_id) {
            return Err(StaffActionError::NotFound);
        }
        for _ in 0..super::RETRIES {
            let key = keys::placement(&actor.station, job_id, worker_id);
            let before = match self.store.get(&key).await? {
                Some(item) => placement_from_item(&item)?,
                None => return Err(StaffActionError::NotFound),
            };
            let now = self.clock.now();
            let mut after = before.clone();
            let gives_back = change(&mut after, now)?;
            if after == before {
                return Ok(after);
            }
            after.updated_at = now;
            after.version = before.version + 1;
            let mut writes = vec![Write::replace(placement_item(&after)?, before.version)];
            if gives_back {
                let job = self.job_for_staff(actor, job_id).await?;
                let mut reopened = job.clone();
                reopened.placed = job.placed.saturating_sub(1);
                reopened.updated_at = now;
                reopened.version = job.version + 1;
                if job.status == JobStatus::Filled
                    && reopened.open_places() > 0
                    && job.dates.end >= self.actor_station(actor)?.today(now)
                {
                    reopened.transition(JobStatus::Published, now)?;
                }
                writes.push(Write::replace(job_item(&reopened)?, job.version));
                // The worker's days are free again.
                writes.extend(
                    crate::records::worker_day_keys(&after)
                        .into_iter()
                        .map(Write::delete),
                );
            }
            writes.push(audit_write(
                actor,
                action,
                ("placement", &format!("{job_id}/{worker_id}")),
                (
                    json!({ "status": before.status.as_str(), "days_worked": before.days_worked, "wage_paid": before.wage_paid }),
                    json!({ "status": after.status.as_str(), "days_worked": after.days_worked, "wage_paid": after.wage_paid }),
                ),
                reason.clone(),
                now,
            )?);
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StaffActionError::Busy)
    }

    /// Staff hold a worker from all matching and applications (`Some(reason)`), or
    /// release the hold (`None`).
    pub async fn hold_by_staff(
        &self,
        actor: &Actor,
        worker_id: &str,
        reason: Option<&str>,
    ) -> Result<Worker, StaffActionError> {
        let station = self.actor_station(actor)?;
        let reason = match reason {
            Some(raw) => Some(
                crate::text::clean_text(
                    "reason",
                    raw,
                    crate::text::TextRule {
                        min: 2,
                        max: 200,
                        multiline: false,
                    },
                )
                .map_err(Invalid::one)?,
            ),
            None => None,
        };
        for _ in 0..super::RETRIES {
            let before = self
                .worker_by_id(&station, worker_id)
                .await?
                .ok_or(StaffActionError::NotFound)?;
            let now = self.clock.now();
            let mut after = before.clone();
            after.hold = reason.as_ref().map(|r| Hold {
                reason: r.clone(),
                since: now,
            });
            if after.hold.is_none() && before.hold.is_none() {
                return Ok(before);
            }
            after.updated_at = now;
            after.version = before.version + 1;
            let mut writes = self.worker_writes(&before, &after).await?;
            writes.push(audit_write(
                actor,
                if reason.is_some() {
                    "worker.hold"
                } else {
                    "worker.release"
                },
                ("worker", worker_id),
                (
                    json!({ "hold": before.hold.is_some() }),
                    json!({ "hold": after.hold.is_some() }),
                ),
                reason.clone(),
                now,
            )?);
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StaffActionError::Busy)
    }

    /// Staff send a parked notice again (after fixing an address, or once the gateway is
    /// back): it goes back to the queue with its attempts reset.
    pub async fn retry_notice(
        &self,
        actor: &Actor,
        notice_id: &str,
    ) -> Result<Notice, StaffActionError> {
        let station = self.actor_station(actor)?;
        for _ in 0..super::RETRIES {
            let before = self
                .notice(&station, notice_id)
                .await?
                .ok_or(StaffActionError::NotFound)?;
            if before.status != NoticeStatus::Parked {
                return Ok(before);
            }
            let now = self.clock.now();
            let mut after = before.clone();
            after.status = NoticeStatus::Pending;
            after.attempts = 0;
            after.next_attempt_at = now;
            after.stale_after = None;
            after.updated_at = now;
            after.version = before.version + 1;
            let audit = audit_write(
                actor,
                "notice.retry",
                ("notice", notice_id),
                (
                    json!({ "status": before.status.as_str(), "reason": before.reason }),
                    json!({ "status": after.status.as_str() }),
                ),
                None,
                now,
            )?;
            match self
                .store
                .write(vec![
                    Write::replace(notice_item(&after)?, before.version),
                    audit,
                ])
                .await
            {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StaffActionError::Busy)
    }
}

/// The most one placement's total pay may be, in yuan (92 days at a high daily wage).
const MAX_TOTAL_WAGE: Money = Money::from_yuan(100_000);

fn parse_total_wage(raw: &str) -> Result<Money, FieldError> {
    Money::parse_yuan("wage_paid", raw, MAX_TOTAL_WAGE)
}

impl App {
    /// A worker of the actor's station by phone number (the desk looks people up by
    /// the number they give).
    pub async fn worker_by_phone_for_staff(
        &self,
        actor: &Actor,
        phone: &str,
    ) -> Result<Worker, StaffActionError> {
        let station = self.actor_station(actor)?;
        let phone = crate::phone::MobileNumber::parse("phone", phone).map_err(Invalid::one)?;
        self.worker_by_phone(&station, &phone)
            .await?
            .ok_or(StaffActionError::NotFound)
    }

    /// Records in the audit log that `actor` entered a record of `kind` at the desk on
    /// someone's behalf (the record itself holds what was entered).
    pub async fn audit_desk_entry(
        &self,
        actor: &Actor,
        kind: &str,
        id: &str,
    ) -> Result<(), StaffActionError> {
        let now = self.clock.now();
        let entry = audit_write(
            actor,
            &format!("desk.{kind}"),
            (kind, id),
            (Value::Null, json!({ "id": id, "consent": "in_person" })),
            None,
            now,
        )?;
        self.store.write(vec![entry]).await?;
        Ok(())
    }

    /// The station's worker with this phone number, if any (through the phone claim).
    pub async fn worker_by_phone(
        &self,
        station: &Station,
        phone: &crate::phone::MobileNumber,
    ) -> Result<Option<Worker>, StoreError> {
        let claim = keys::worker_phone(&station.id, &self.secrets.phone_key(&station.id, phone));
        let Some(item) = self.store.get(&claim).await? else {
            return Ok(None);
        };
        let claim = crate::records::claim_from_item(&item)?;
        self.worker_by_id(station, &claim.owner_id).await
    }
}
