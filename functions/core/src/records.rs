//! How each record becomes a stored item and back: its key, its index entries and its
//! version. The one place that maps the domain onto [`crate::keys`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    employer::Employer,
    job::{Job, JobStatus},
    keys,
    matching::{decision::Decision, offer::Offer},
    notices::{Notice, NoticeStatus},
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
    let item = versioned_item(
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
    );
    // gsi1: waiting for the "were you paid?" follow-up (by last day), then the answer
    // link's code.
    Ok(match &placement.paid_check {
        None if placement.awaits_paid_check() => item.with_index(
            Index::Gsi1,
            keys::paid_checks_due(station),
            format!(
                "{}#{}#{}",
                placement.end, placement.job_id, placement.worker_id
            ),
        ),
        None => item,
        Some(check) => item.with_index(
            Index::Gsi1,
            keys::paid_check_link(station, &check.code),
            "PAID".to_owned(),
        ),
    })
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

/// The item for a staff account.
pub fn staff_item(account: &crate::staff::StaffAccount) -> Result<Item, StoreError> {
    Ok(versioned_item(
        keys::staff(&account.station, &account.username),
        account,
        account.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::staff_accounts(&account.station),
        account.username.clone(),
    ))
}

/// A staff account from its item.
pub fn staff_from_item(item: &Item) -> Result<crate::staff::StaffAccount, StoreError> {
    versioned_record(item)
}

/// The item for a session, expiring with it.
pub fn session_item(session: &crate::staff::Session, id_hash: &str) -> Result<Item, StoreError> {
    let mut item = Item::new(keys::session(&session.station, id_hash), to_body(session)?);
    item.expires_at = Some(session.expires_at.timestamp());
    Ok(item)
}

/// The link filed under an employer that names one of their jobs.
pub fn employer_job_link(job: &Job) -> Result<Item, StoreError> {
    Ok(Item::new(
        keys::employer_job(&job.station, &job.employer_id, &job.id),
        to_body(&serde_json::json!({ "station": job.station, "job_id": job.id }))?,
    ))
}

// ---- Matching and notices (issue 4) ----

/// The item for an offer: under its job, findable by its link id, in the worker's
/// offer history, and in the open-offers queue while it waits for an answer.
pub fn offer_item(offer: &Offer) -> Result<Item, StoreError> {
    let station = &offer.station;
    let mut item = versioned_item(
        keys::offer(station, &offer.job_id, &offer.worker_id),
        offer,
        offer.version,
    )?
    .with_index(
        Index::Gsi1,
        keys::offer_by_link(station, &offer.id),
        "OFFER",
    )
    .with_index(
        Index::Gsi2,
        keys::offers_of_worker(station, &offer.worker_id),
        keys::time_id(offer.offered_at, &offer.job_id),
    );
    if offer.is_open() {
        item = item.with_index(
            Index::Gsi3,
            keys::open_offers(station),
            format!(
                "{}#{}",
                keys::time_id(offer.expires_at, &offer.job_id),
                offer.worker_id
            ),
        );
    }
    Ok(item)
}

/// An offer from its item.
pub fn offer_from_item(item: &Item) -> Result<Offer, StoreError> {
    versioned_record(item)
}

/// The item for one part of a ranking. Part 0 is also listed by time for staff.
pub fn decision_item(decision: &Decision) -> Result<Item, StoreError> {
    let station = &decision.station;
    let mut item = Item::new(
        keys::decision(station, &decision.job_id, decision.wave, decision.part),
        to_body(decision)?,
    );
    if decision.part == 0 {
        item = item.with_index(
            Index::Gsi3,
            keys::decisions(station),
            format!(
                "{}#{:04}",
                keys::time_id(decision.created_at, &decision.job_id),
                decision.wave
            ),
        );
    }
    Ok(item)
}

/// A ranking part from its item.
pub fn decision_from_item(item: &Item) -> Result<Decision, StoreError> {
    from_item(item)
}

/// The item for a notice: in the queue its state calls for, deleted by the store
/// [`crate::notices::KEEP_DAYS`] after it was made.
pub fn notice_item(notice: &Notice) -> Result<Item, StoreError> {
    let station = &notice.station;
    let mut item = versioned_item(keys::notice(station, &notice.id), notice, notice.version)?;
    if let Some(queue) = notice.status.queue() {
        let at = match notice.status {
            NoticeStatus::Sending => notice.claimed_at.unwrap_or(notice.updated_at),
            NoticeStatus::Parked => notice.updated_at,
            _ => notice.next_attempt_at,
        };
        item = item.with_index(
            Index::Gsi3,
            keys::notices_in(station, queue),
            keys::time_id(at, &notice.id),
        );
    }
    if let Some(worker_id) = &notice.worker_id {
        item = item.with_index(
            Index::Gsi2,
            keys::notices_of_worker(station, worker_id),
            keys::time_id(notice.created_at, &notice.id),
        );
    }
    item.expires_at =
        Some((notice.created_at + chrono::Duration::days(crate::notices::KEEP_DAYS)).timestamp());
    Ok(item)
}

/// A notice from its item.
pub fn notice_from_item(item: &Item) -> Result<Notice, StoreError> {
    versioned_record(item)
}

/// SMS sent to one number on one station day (the daily limit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCount {
    /// The station.
    pub station: StationId,
    /// The station day.
    pub day: chrono::NaiveDate,
    /// Messages claimed for sending that day.
    pub count: u32,
}

/// The item for a daily SMS count, kept for three days.
pub fn sms_count_item(
    key: Key,
    count: &SmsCount,
    version: u64,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let mut item = Item::new(key, to_body(count)?);
    item.version = version;
    item.expires_at = Some((now + chrono::Duration::days(3)).timestamp());
    Ok(item)
}

/// A number's opt-out from SMS (回复TD退订).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOut {
    /// The station.
    pub station: StationId,
    /// When.
    pub at: DateTime<Utc>,
}

/// An employer does not want a worker offered to them again (a no-show, a dispute).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The station.
    pub station: StationId,
    /// The employer.
    pub employer_id: String,
    /// The worker.
    pub worker_id: String,
    /// Why, as staff recorded it.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The item for an employer's block.
pub fn block_item(block: &Block) -> Result<Item, StoreError> {
    Ok(Item::new(
        keys::employer_block(&block.station, &block.employer_id, &block.worker_id),
        to_body(block)?,
    ))
}

/// A block from its item.
pub fn block_from_item(item: &Item) -> Result<Block, StoreError> {
    from_item(item)
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
    let mut item = versioned_item(
        keys::complaint(&complaint.station, &complaint.id),
        complaint,
        complaint.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::complaints(&complaint.station, complaint.status.as_str()),
        keys::time_id(complaint.queue_time(), &complaint.id),
    );
    if let Some(employer) = &complaint.employer_id {
        item = item.with_index(
            Index::Gsi1,
            keys::complaints_of_employer(&complaint.station, employer),
            keys::time_id(complaint.created_at, &complaint.id),
        );
    }
    if let Some(worker) = &complaint.worker_id {
        item = item.with_index(
            Index::Gsi2,
            keys::complaints_of_worker(&complaint.station, worker),
            keys::time_id(complaint.created_at, &complaint.id),
        );
    }
    Ok(item)
}

/// A complaint from its item.
pub fn complaint_from_item(item: &Item) -> Result<crate::complaint::Complaint, StoreError> {
    versioned_record(item)
}

// --- training courses, livestreams, staff-edited policy pages (issue 6) ---

/// The item for a course, listed by start time.
pub fn course_item(course: &crate::events::Course) -> Result<Item, StoreError> {
    Ok(versioned_item(
        keys::course(&course.station, &course.id),
        course,
        course.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::courses(&course.station),
        keys::time_id(course.starts_at, &course.id),
    ))
}

/// A course from its item.
pub fn course_from_item(item: &Item) -> Result<crate::events::Course, StoreError> {
    versioned_record(item)
}

/// The item for a registration: under its course, and findable by the phone key while
/// the person is named (`phone_key` is `None` once erased).
pub fn registration_item(
    registration: &crate::events::Registration,
    phone_key: Option<&str>,
) -> Result<Item, StoreError> {
    let station = &registration.station;
    let mut item = versioned_item(
        keys::registration(station, &registration.course_id, &registration.slot),
        registration,
        registration.version,
    )?;
    if let Some(phone_key) = phone_key {
        item = item.with_index(
            Index::Gsi2,
            keys::registrations_of_phone(station, phone_key),
            keys::time_id(registration.created_at, &registration.course_id),
        );
    }
    Ok(item)
}

/// A registration from its item.
pub fn registration_from_item(item: &Item) -> Result<crate::events::Registration, StoreError> {
    versioned_record(item)
}

/// The item for a livestream, listed by start time.
pub fn live_item(live: &crate::events::LiveEvent) -> Result<Item, StoreError> {
    Ok(
        versioned_item(keys::live(&live.station, &live.id), live, live.version)?.with_index(
            Index::Gsi3,
            keys::lives(&live.station),
            keys::time_id(live.starts_at, &live.id),
        ),
    )
}

/// A livestream from its item.
pub fn live_from_item(item: &Item) -> Result<crate::events::LiveEvent, StoreError> {
    versioned_record(item)
}

/// The item for a policy page stored by staff.
pub fn policy_item(page: &crate::policy::StoredPolicy) -> Result<Item, StoreError> {
    let (slug, lang) = (page.slug.as_str(), page.lang.tag());
    Ok(versioned_item(
        keys::policy_page(&page.station, slug, lang),
        page,
        page.version,
    )?
    .with_index(
        Index::Gsi3,
        keys::policy_pages(&page.station),
        format!("{slug}#{lang}"),
    ))
}

/// A stored policy page from its item.
pub fn policy_from_item(item: &Item) -> Result<crate::policy::StoredPolicy, StoreError> {
    versioned_record(item)
}

// --- one place per day (issue 4) ---

/// The claim on one day of work for `placement`'s worker (made with the placement).
pub fn worker_day_item(placement: &Placement, day: chrono::NaiveDate) -> Result<Item, StoreError> {
    let mut body = to_body(&serde_json::json!({ "job_id": placement.job_id, "day": day }))?;
    body.insert(
        "station".into(),
        serde_json::Value::from(placement.station.as_str()),
    );
    Ok(Item::new(
        keys::worker_day(&placement.station, &placement.worker_id, day),
        body,
    ))
}

/// The claims of every day `placement` covers.
pub fn worker_day_keys(placement: &Placement) -> Vec<crate::store::Key> {
    placement
        .start
        .iter_days()
        .take_while(|day| *day <= placement.end)
        .map(|day| keys::worker_day(&placement.station, &placement.worker_id, day))
        .collect()
}
