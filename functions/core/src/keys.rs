//! The single-table key design. Every key the product stores is built here, so the
//! access patterns below are the complete list.
//!
//! Attributes: `pk`, `sk` (primary key); `gsi1pk/gsi1sk`, `gsi2pk/gsi2sk`,
//! `gsi3pk/gsi3sk` (three sparse global secondary indexes, all attributes projected);
//! `version` (optimistic concurrency); `ttl` (expiry, Unix seconds). Every item's body
//! carries `station`, and every key starts with `ST#<station>#`, so one table serves many
//! stations without any read crossing from one to another.
//!
//! | record | pk | sk | gsi1 (pk / sk) | gsi2 (pk / sk) | gsi3 (pk / sk) |
//! |---|---|---|---|---|---|
//! | job | `ST#s#JOB#<id>` | `JOB` | published only: `ST#s#PUB#T#<trade>` / `<listed_at>#<id>` | published only: `ST#s#PUB#D#<district>` / `<listed_at>#<id>` | `ST#s#JOBS#<status>` / `<listed_at>#<id>` |
//! | employer | `ST#s#EMP#<id>` | `EMP` | — | — | `ST#s#EMPS` / `<created_at>#<id>` |
//! | employer phone claim | `ST#s#EMPPHONE#<phone key>` | `CLAIM` | — | — | — |
//! | worker | `ST#s#WKR#<id>` | `WKR` | — | — | `ST#s#WKRS#<status>` / `<created_at>#<id>` |
//! | worker phone claim | `ST#s#WKRPHONE#<phone key>` | `CLAIM` | — | — | — |
//! | worker skill | `ST#s#WKR#<id>` | `SKILL#<trade>#<district>` | `ST#s#SKILL#<trade>#<district>` / `<id>` | — | — |
//! | placement | `ST#s#JOB#<job id>` | `PLACE#<worker id>` | — | `ST#s#WKR#<worker id>#PLACES` / `<start>#<job id>` | `ST#s#PLACES` / `<created_at>#<job id>#<worker id>` |
//! | idempotency record | `ST#s#IDEM#<key hash>` | `IDEM` | — | — | — (TTL 24 h) |
//! | job report | `ST#s#JOB#<job id>` | `REPORT#<report id>` | — | — | `ST#s#REPORTS#<status>` / `<created_at>#<job id>#<report id>` |
//! | complaint | `ST#s#CMP#<id>` | `CMP` | — | — | `ST#s#CMPS#<status>` / `<created_at>#<id>` |
//!
//! `<phone key>` is a keyed hash of the number (see [`crate::secrets`]): phone numbers
//! never appear in keys. `<listed_at>` is RFC 3339 UTC, so string order is time order.
//!
//! Access patterns:
//! 1. A job by id (manage link, job page): `get(job)`.
//! 2. Published jobs of a station, newest first: gsi3 `ST#s#JOBS#published`, descending.
//! 3. Published jobs of one trade / one district, newest first: gsi1 / gsi2, descending.
//! 4. Jobs of a station in any state (moderation queue = `pending_review`): gsi3.
//! 5. An employer by contact phone (re-using the record when they post again):
//!    `get(employer phone claim)` then `get(employer)`.
//! 6. A worker by phone (one worker per phone per station): `get(worker phone claim)`.
//! 7. A worker and everything filed under them (skills): query pk `ST#s#WKR#<id>`.
//! 8. Workers open to automated offers for one trade in one district (matching):
//!    gsi1 `ST#s#SKILL#<trade>#<district>`. Skill items exist only while the worker is
//!    active and has not opted out, so the index holds exactly the candidates.
//! 9. Workers / employers of a station (counts, staff lists): gsi3.
//! 10. A retried request: `get(idempotency record)`.
//! 11. The placements on a job: query pk `ST#s#JOB#<id>`, sk prefix `PLACE#`.
//! 12. A worker's placements, most recent first (days worked lately, for fair
//!     rotation): gsi2 `ST#s#WKR#<id>#PLACES`, descending.
//! 13. A station's placements by time (data wall, reports): gsi3 `ST#s#PLACES`.
//! 14. Jobs of one state listed since a time (the data wall's 12-week trend): gsi3
//!     `ST#s#JOBS#<status>` with a sort-key range from the window's start.
//! 15. The reports on a job (review threshold): query pk `ST#s#JOB#<id>`, sk prefix
//!     `REPORT#`; the station's reports by state (staff queue): gsi3 `ST#s#REPORTS#<status>`.
//! 16. A complaint by id; the station's complaints by state, oldest first (staff
//!     queue): gsi3 `ST#s#CMPS#<status>`.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::{station::StationId, store::Key};

fn prefix(station: &StationId) -> String {
    format!("ST#{}#", station.as_str())
}

/// Time in the sortable form used in sort keys.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The sort key of an item listed by time: `<time>#<id>`.
pub fn time_id(at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", sortable_time(at))
}

/// A job.
pub fn job(station: &StationId, id: &str) -> Key {
    Key::new(format!("{}JOB#{id}", prefix(station)), "JOB")
}

/// gsi1 partition: published jobs of a trade.
pub fn published_by_trade(station: &StationId, trade: &str) -> String {
    format!("{}PUB#T#{trade}", prefix(station))
}

/// gsi2 partition: published jobs in a district.
pub fn published_by_district(station: &StationId, district: &str) -> String {
    format!("{}PUB#D#{district}", prefix(station))
}

/// gsi3 partition: jobs in one state.
pub fn jobs_by_status(station: &StationId, status: &str) -> String {
    format!("{}JOBS#{status}", prefix(station))
}

/// An employer.
pub fn employer(station: &StationId, id: &str) -> Key {
    Key::new(format!("{}EMP#{id}", prefix(station)), "EMP")
}

/// gsi3 partition: employers of a station.
pub fn employers(station: &StationId) -> String {
    format!("{}EMPS", prefix(station))
}

/// The claim that ties an employer's contact phone to their record.
pub fn employer_phone(station: &StationId, phone_key: &str) -> Key {
    Key::new(format!("{}EMPPHONE#{phone_key}", prefix(station)), "CLAIM")
}

/// The partition holding a worker and their skill items.
pub fn worker_partition(station: &StationId, id: &str) -> String {
    format!("{}WKR#{id}", prefix(station))
}

/// A worker.
pub fn worker(station: &StationId, id: &str) -> Key {
    Key::new(worker_partition(station, id), "WKR")
}

/// gsi3 partition: workers of a station in one state.
pub fn workers_by_status(station: &StationId, status: &str) -> String {
    format!("{}WKRS#{status}", prefix(station))
}

/// The claim that ties a phone number to one worker.
pub fn worker_phone(station: &StationId, phone_key: &str) -> Key {
    Key::new(format!("{}WKRPHONE#{phone_key}", prefix(station)), "CLAIM")
}

/// Sort-key prefix of a worker's skill items.
pub const SKILL_PREFIX: &str = "SKILL#";

/// One (trade, district) a worker takes offers for.
pub fn worker_skill(station: &StationId, worker_id: &str, trade: &str, district: &str) -> Key {
    Key::new(
        worker_partition(station, worker_id),
        format!("{SKILL_PREFIX}{trade}#{district}"),
    )
}

/// gsi1 partition: workers taking offers for a trade in a district.
pub fn skill_index(station: &StationId, trade: &str, district: &str) -> String {
    format!("{}SKILL#{trade}#{district}", prefix(station))
}

/// A record of a request made with an idempotency key.
pub fn idempotency(station: &StationId, key_hash: &str) -> Key {
    Key::new(format!("{}IDEM#{key_hash}", prefix(station)), "IDEM")
}

/// Sort-key prefix of the placements filed under a job.
pub const PLACEMENT_PREFIX: &str = "PLACE#";

/// A worker's place on a job.
pub fn placement(station: &StationId, job_id: &str, worker_id: &str) -> Key {
    Key::new(
        format!("{}JOB#{job_id}", prefix(station)),
        format!("{PLACEMENT_PREFIX}{worker_id}"),
    )
}

/// gsi2 partition: one worker's placements.
pub fn placements_of_worker(station: &StationId, worker_id: &str) -> String {
    format!("{}WKR#{worker_id}#PLACES", prefix(station))
}

/// gsi3 partition: a station's placements.
pub fn placements(station: &StationId) -> String {
    format!("{}PLACES", prefix(station))
}

/// Sort-key prefix of the reports filed under a job.
pub const REPORT_PREFIX: &str = "REPORT#";

/// A report about a job posting, filed under the job.
pub fn job_report(station: &StationId, job_id: &str, report_id: &str) -> Key {
    Key::new(
        format!("{}JOB#{job_id}", prefix(station)),
        format!("{REPORT_PREFIX}{report_id}"),
    )
}

/// gsi3 partition: a station's job reports in one state.
pub fn job_reports(station: &StationId, status: &str) -> String {
    format!("{}REPORTS#{status}", prefix(station))
}

/// A complaint or request for help (咨询维权).
pub fn complaint(station: &StationId, id: &str) -> Key {
    Key::new(format!("{}CMP#{id}", prefix(station)), "CMP")
}

/// gsi3 partition: a station's complaints in one state.
pub fn complaints(station: &StationId, status: &str) -> String {
    format!("{}CMPS#{status}", prefix(station))
}

/// The prefix every key of `station` starts with.
pub fn station_prefix(station: &StationId) -> String {
    prefix(station)
}
