//! The matcher step on the change stream:
//! - a job published (or reopened, or given more places) → a wave of offers;
//! - a job that stops taking workers → its open offers are closed;
//! - an offer declined or expired → the next wave;
//! - a worker who signs up or starts taking offers (or changes trades, districts or
//!   availability) → a wave for each open job they could be offered.
//!
//! Every step reads the current state before acting, so a replayed batch changes
//! nothing that is already done.

use async_trait::async_trait;

use super::{
    offer::OfferStatus,
    wave::{MatchError, job_needs_wave},
};
use crate::{
    App,
    changes::{Change, ChangeConsumer, ConsumeError},
    job::{Job, JobStatus},
    records::{job_from_item, offer_from_item, worker_from_item},
    station::Station,
    worker::Worker,
};

/// Matches jobs and workers as they change.
pub struct Matcher {
    /// The use cases.
    pub app: App,
}

const NAME: &str = "matcher";

/// What a change asks the matcher to do.
#[derive(Debug, PartialEq)]
enum Step {
    Wave(String),
    CloseOffers(String, OfferStatus),
    MatchWorker(Box<Worker>),
}

fn step(change: &Change) -> Option<Step> {
    match change.record_type() {
        "JOB" => {
            let new: Job = job_from_item(change.new.as_ref()?).ok()?;
            let old: Option<Job> = change.old.as_ref().and_then(|i| job_from_item(i).ok());
            if job_needs_wave(old.as_ref(), &new) {
                Some(Step::Wave(new.id))
            } else if new.status != JobStatus::Published
                && old
                    .as_ref()
                    .is_some_and(|o| o.status == JobStatus::Published)
            {
                let status = if new.status == JobStatus::Filled {
                    OfferStatus::Filled
                } else {
                    OfferStatus::Withdrawn
                };
                Some(Step::CloseOffers(new.id, status))
            } else {
                None
            }
        }
        "OFFER" => {
            let new = offer_from_item(change.new.as_ref()?).ok()?;
            let was_open = change
                .old
                .as_ref()
                .and_then(|i| offer_from_item(i).ok())
                .is_some_and(|o| o.is_open());
            let moves_on = matches!(new.status, OfferStatus::Declined | OfferStatus::Expired);
            (was_open && moves_on).then_some(Step::Wave(new.job_id))
        }
        "WKR" => {
            let new: Worker = worker_from_item(change.new.as_ref()?).ok()?;
            if !new.takes_automated_offers() {
                return None;
            }
            let old: Option<Worker> = change.old.as_ref().and_then(|i| worker_from_item(i).ok());
            let relevant = old.is_none_or(|old| {
                !old.takes_automated_offers()
                    || old.trades != new.trades
                    || old.districts != new.districts
                    || old.available_from != new.available_from
                    || old.channel != new.channel
            });
            relevant.then(|| Step::MatchWorker(Box::new(new)))
        }
        _ => None,
    }
}

impl Matcher {
    async fn run(&self, station: &Station, step: Step) -> Result<(), MatchError> {
        match step {
            Step::Wave(job_id) => {
                self.app.run_wave(station, &job_id).await?;
            }
            Step::CloseOffers(job_id, status) => {
                self.app.close_open_offers(station, &job_id, status).await?;
            }
            Step::MatchWorker(worker) => {
                self.app.match_worker(station, &worker).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ChangeConsumer for Matcher {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn consume(&self, changes: &[Change]) -> Result<(), ConsumeError> {
        for (position, change) in changes.iter().enumerate() {
            let Some(step) = step(change) else {
                continue;
            };
            let Some(station) = change
                .station()
                .and_then(|id| self.app.station(Some(id)))
                .cloned()
            else {
                continue;
            };
            self.run(&station, step).await.map_err(|e| ConsumeError {
                consumer: NAME,
                first_failed: position,
                reason: e.to_string(),
            })?;
        }
        Ok(())
    }
}
