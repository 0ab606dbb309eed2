//! How each record becomes a stored item and back: its key, its index entries and its
//! version. The one place that maps the domain onto [`crate::keys`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    employer::Employer,
    job::{Job, JobStatus},
    keys,
    placement::Placement,
    station::StationId,
    store::{Index, Item, Key, StoreError, from_item, to_body},
    worker::Worker,
};

/// A record stored as one versioned item.
fn versioned_item<T: Serialize>(key: Key, record: &T, version: u64) -> Result<Item, StoreError> {
    let mut body = to_body(record)?;
    body.remove("version");
    let mut item = Item::new(key, body);
    item.version = version;
    Ok(item)
}

/// A versioned record read back from its item.
fn versioned_record<T: for<'de> Deserialize<'de>>(item: &Item) -> Result<T, StoreError> {
    let mut item = item.clone();
    item.body
        .insert("version".into(), Value::from(item.version));
    from_item(&item)
}

/// The item for a job, with the index entries its state calls for.
pub fn job_item(job: &Job) -> Result<Item, StoreError> {
    let listed = keys::time_id(job.listed_at(), &job.id);
    let mut item = versioned_item(keys::job(&job.station, &job.id), job, job.version)?.with_index(
        Index::Gsi3,
        keys::jobs_by_status(&job.station, job.status.as_str()),
        listed.clone(),
    );
    if job.status == JobStatus::Published {
        item = item
            .with_index(
                Index::Gsi1,
                keys::published_by_trade(&job.station, &job.trade),
                listed.clone(),
            )
            .with_index(
                Index::Gsi2,
                keys::published_by_district(&job.station, &job.district),
                listed,
            );
    }
    Ok(item)
}

/// A job from its item.
pub fn job_from_item(item: &Item) -> Result<Job, StoreError> {
    versioned_record(item)
}

/// The item for an employer.
pub fn employer_item(employer: &Employer) -> Result<Item, StoreError> {
    Ok(versioned_item(
        keys::employer(&employer.station, &employer.id),
        employer,
        employer.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::employers(&employer.station),
        keys::time_id(employer.created_at, &employer.id),
    ))
}

/// An employer from its item.
pub fn employer_from_item(item: &Item) -> Result<Employer, StoreError> {
    versioned_record(item)
}

/// The item for a worker.
pub fn worker_item(worker: &Worker) -> Result<Item, StoreError> {
    Ok(versioned_item(
        keys::worker(&worker.station, &worker.id),
        worker,
        worker.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::workers_by_status(&worker.station, worker.status.as_str()),
        keys::time_id(worker.created_at, &worker.id),
    ))
}

/// A worker from its item.
pub fn worker_from_item(item: &Item) -> Result<Worker, StoreError> {
    versioned_record(item)
}

/// The item for a placement.
pub fn placement_item(placement: &Placement) -> Result<Item, StoreError> {
    let station = &placement.station;
    Ok(versioned_item(
        keys::placement(station, &placement.job_id, &placement.worker_id),
        placement,
        placement.version,
    )?
    .with_index(
        Index::Gsi2,
        keys::placements_of_worker(station, &placement.worker_id),
        format!("{}#{}", placement.start, placement.job_id),
    )
    .with_index(
        Index::Gsi3,
        keys::placements(station),
        format!(
            "{}#{}",
            keys::time_id(placement.created_at, &placement.job_id),
            placement.worker_id
        ),
    ))
}

/// A placement from its item.
pub fn placement_from_item(item: &Item) -> Result<Placement, StoreError> {
    versioned_record(item)
}

/// A claim: the item that makes something unique (a phone number) point at a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The station.
    pub station: StationId,
    /// The record the claim points at.
    pub owner_id: String,
    /// When claimed.
    pub claimed_at: DateTime<Utc>,
}

/// The item for a claim under `key`.
pub fn claim_item(key: Key, claim: &Claim) -> Result<Item, StoreError> {
    Ok(Item::new(key, to_body(claim)?))
}

/// A claim from its item.
pub fn claim_from_item(item: &Item) -> Result<Claim, StoreError> {
    from_item(item)
}

/// What a skill item holds: enough for matching to pick candidates before it reads
/// the worker records themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// The station.
    pub station: StationId,
    /// The worker.
    pub worker_id: String,
    /// Trade slug.
    pub trade: String,
    /// District slug.
    pub district: String,
    /// First day the worker can work.
    pub available_from: chrono::NaiveDate,
}

/// The skill items a worker should have now (none unless they take automated offers).
pub fn skill_items(worker: &Worker) -> Result<Vec<Item>, StoreError> {
    worker
        .skills()
        .into_iter()
        .map(|(trade, district)| {
            let skill = Skill {
                station: worker.station.clone(),
                worker_id: worker.id.clone(),
                trade: trade.clone(),
                district: district.clone(),
                available_from: worker.available_from,
            };
            Ok(Item::new(
                keys::worker_skill(&worker.station, &worker.id, &trade, &district),
                to_body(&skill)?,
            )
            .with_index(
                Index::Gsi1,
                keys::skill_index(&worker.station, &trade, &district),
                worker.id.clone(),
            ))
        })
        .collect()
}

// --- public board (issue 3): job reports and complaints ---

/// The item for a report on a job, filed under the job.
pub fn job_report_item(report: &crate::report::JobReport) -> Result<Item, StoreError> {
    let station = &report.station;
    Ok(versioned_item(
        keys::job_report(station, &report.job_id, &report.id),
        report,
        report.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::job_reports(station, report.status.as_str()),
        format!(
            "{}#{}",
            keys::time_id(report.created_at, &report.job_id),
            report.id
        ),
    ))
}

/// A report from its item.
pub fn job_report_from_item(item: &Item) -> Result<crate::report::JobReport, StoreError> {
    versioned_record(item)
}

/// The item for a complaint.
pub fn complaint_item(complaint: &crate::complaint::Complaint) -> Result<Item, StoreError> {
    Ok(versioned_item(
        keys::complaint(&complaint.station, &complaint.id),
        complaint,
        complaint.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::complaints(&complaint.station, complaint.status.as_str()),
        keys::time_id(complaint.created_at, &complaint.id),
    ))
}

/// A complaint from its item.
pub fn complaint_from_item(item: &Item) -> Result<crate::complaint::Complaint, StoreError> {
    versioned_record(item)
}
