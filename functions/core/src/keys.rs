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
//! | worker's day of work (one place per day) | `ST#s#WKR#<id>` | `DAY#<date>` | — | — | — |
//! | placement | `ST#s#JOB#<job id>` | `PLACE#<worker id>` | until the pay follow-up is sent: `ST#s#PAIDDUE` / `<end>#<job id>#<worker id>`; after: `ST#s#PAIDLINK#<code>` / `PAID` | `ST#s#WKR#<worker id>#PLACES` / `<start>#<job id>` | `ST#s#PLACES` / `<created_at>#<job id>#<worker id>` |
//! | idempotency record | `ST#s#IDEM#<key hash>` | `IDEM` | — | — | — (TTL 24 h) |
//! | rate-limit counter | `ST#s#LIMIT#<limit>#<subject hash>#<window start>` | `LIMIT` | — | — | — (TTL: window end) |
//! | audit entry | `ST#s#AUDIT#<yyyy-mm>` | `<at>#<id>` | — | — | `ST#s#AUDITOF#<kind>#<id>` / `<at>#<id>` |
//! | staff account | `ST#s#STAFF#<username>` | `STAFF` | — | — | `ST#s#STAFFS` / `<username>` |
//! | staff session | `ST#s#SESSION#<session hash>` | `SESSION` | — | — | — (TTL: expiry) |
//! | station settings | `ST#s#SETTINGS` | `SETTINGS` | — | — | — |
//! | employer's job link | `ST#s#EMP#<employer id>` | `JOB#<job id>` | — | — | — |
//! | used proof-of-work | `ST#s#POW#<signature hash>` | `POW` | — | — | — (TTL: challenge expiry) |
//! | offer | `ST#s#JOB#<job id>` | `OFFER#<worker id>` | `ST#s#OFFER#<offer id>` / `OFFER` | `ST#s#WKR#<worker id>#OFFERS` / `<offered_at>#<job id>` | open only: `ST#s#OFFERS#open` / `<expires_at>#<job id>#<worker id>` |
//! | matching decision | `ST#s#DECISION#<job id>` | `<wave:04>#<part:03>` | — | — | part 0 only: `ST#s#DECISIONS` / `<created_at>#<job id>#<wave>` |
//! | notice (send ledger) | `ST#s#NOTICE#<ref>.<subject>.<kind>` | `NOTICE` | — | about a worker: `ST#s#WKR#<worker id>#NOTICES` / `<created_at>#<notice id>` | while queued: `ST#s#NOTICES#<queue>` / `<time>#<notice id>` (TTL 90 d) |
//! | SMS count of a number on a day | `ST#s#SMSDAY#<phone key>#<date>` | `COUNT` | — | — | — (TTL 3 d) |
//! | SMS count of the station on a day | `ST#s#SMSBUDGET#<date>` | `COUNT` | — | — | — (TTL 3 d) |
//! | offers by SMS of a posting on a day | `ST#s#SMSJOB#<job id>#<date>` | `COUNT` | — | — | — (TTL 3 d) |
//! | offers by SMS of an employer's number on a day | `ST#s#SMSEMP#<phone key>#<date>` | `COUNT` | — | — | — (TTL 3 d) |
//! | SMS opt-out (回复TD) | `ST#s#SMSOPTOUT#<phone key>` | `OPTOUT` | — | — | — |
//! | daily task claim | `ST#s#DAILY#<task>#<date>` | `CLAIM` | — | — | — (TTL 3 d) |
//! | employer's block of a worker | `ST#s#EMP#<employer id>` | `BLOCK#<worker id>` | — | — | — |
//! | job report | `ST#s#JOB#<job id>` | `REPORT#<report id>` | — | — | `ST#s#REPORTS#<status>` / `<created_at>#<job id>#<report id>` |
//! | a reporter's first report on a job | `ST#s#JOB#<job id>` | `RPTBY#<reporter hash>` | — | — | — |
//! | complaint | `ST#s#CMP#<id>` | `CMP` | linked to an employer: `ST#s#EMP#<employer id>#CMPS` / `<created_at>#<id>` | filed by a registered worker: `ST#s#WKR#<worker id>#CMPS` / `<created_at>#<id>` | `ST#s#CMPS#<status>` / open: `<created_at>#<id>`, closed: `<closed_at>#<id>` |
//! | training course | `ST#s#COURSE#<id>` | `COURSE` | — | — | `ST#s#COURSES` / `<starts_at>#<id>` |
//! | course registration | `ST#s#COURSE#<course id>` | `REG#<phone key>` (`REG#erased-<id>` once erased) | — | while named: `ST#s#REGPHONE#<phone key>` / `<created_at>#<course id>` | — |
//! | livestream event | `ST#s#LIVE#<id>` | `LIVE` | — | — | `ST#s#LIVES` / `<starts_at>#<id>` |
//! | one-time phone code (验证码) | `ST#s#PHONECODE#<phone key>` | `CODE` | — | — | — (TTL: code expiry) |
//! | staff-edited policy page | `ST#s#POLICY#<slug>` | `POLICY#<lang>` | — | — | `ST#s#POLICIES` / `<slug>#<lang>` |
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
//! 14. A rate limit's count in the current window: `get(rate-limit counter)`.
//! 15. The audit log of a month, newest first: query pk `ST#s#AUDIT#<yyyy-mm>`,
//!     descending; the history of one record: gsi3 `ST#s#AUDITOF#<kind>#<id>`.
//! 16. A staff account by username: `get(staff account)`; all staff: gsi3 `ST#s#STAFFS`.
//! 17. A session by its cookie: `get(staff session)`.
//! 18. The jobs an employer posted (to carry a verification to them): query pk
//!     `ST#s#EMP#<id>`, sk prefix `JOB#`.
//! 19. The offers made for a job (wave size, who was asked): query pk
//!     `ST#s#JOB#<id>`, sk prefix `OFFER#` — strongly consistent, so two waves never
//!     miss each other's offers.
//! 20. An offer from its link: gsi1 `ST#s#OFFER#<offer id>`, then `get(offer)`.
//! 21. A worker's offers, newest first (offers received lately and time since the last
//!     one, for fair rotation; the newest open offer when they reply by SMS):
//!     gsi2 `ST#s#WKR#<id>#OFFERS`, descending.
//! 22. Offers past their answer time (the scheduled expiry step): gsi3
//!     `ST#s#OFFERS#open`, sort key up to now.
//! 23. The rankings made for a job (why these workers): query pk
//!     `ST#s#DECISION#<job id>`; recent rankings of a station: gsi3 `ST#s#DECISIONS`.
//! 24. A notice by (job or day, person, kind) — the send ledger, so a retried step never
//!     sends twice: `get(notice)`. Notices due to be (re)sent, being sent, or parked for
//!     staff: gsi3 `ST#s#NOTICES#due` / `#sending` / `#parked`, oldest first.
//! 25. SMS sent to a number today (daily limit): `get(SMS count)`; SMS the station sent
//!     today (daily budget): `get(SMS count of the station)`.
//! 26. Whether a number opted out of SMS: `get(SMS opt-out)`.
//! 27. The workers an employer does not want offered again: query pk
//!     `ST#s#EMP#<id>`, sk prefix `BLOCK#`.
//! 28. Jobs of one state listed since a time (the data wall's 12-week trend): gsi3
//!     `ST#s#JOBS#<status>` with a sort-key range from the window's start.
//! 29. The reports on a job (review threshold: the station's `review_after_reports`
//!     reports still `received` send a live posting back to review): query pk
//!     `ST#s#JOB#<id>`, sk prefix `REPORT#`; the station's reports by state (`received`,
//!     `reviewed`): gsi3 `ST#s#REPORTS#<status>`.
//! 30. A complaint by id; the station's complaints by state, oldest first (staff
//!     queue): gsi3 `ST#s#CMPS#<status>`; complaints against one employer (their
//!     record page): gsi1 `ST#s#EMP#<id>#CMPS`; complaints a worker filed (their data
//!     export and erasure): gsi2 `ST#s#WKR#<id>#CMPS`. Closed states sort by the time
//!     they closed, so "closed this week" is a range query.
//! 31. A station's employers, workers, placements, rankings and complaints by time
//!     (the staff report): gsi3 ranges by time on `EMPS`, `WKRS#<status>`, `PLACES`,
//!     `DECISIONS` and `CMPS#<status>`.
//! 32. Placements whose last day has passed and whose worker was not yet asked "were
//!     you paid?" (the sweep): gsi1 `ST#s#PAIDDUE`, sort key up to yesterday; the
//!     placement an answer link names: gsi1 `ST#s#PAIDLINK#<code>`.
//! 33. A station's courses / livestreams by start time (the public training and live
//!     pages, the console's lists; upcoming = sort key from now): gsi3 `ST#s#COURSES` /
//!     `ST#s#LIVES`.
//! 34. A course and its registrations (capacity, attendance list): query pk
//!     `ST#s#COURSE#<id>`; one number's registration on a course (one per number):
//!     `get(course registration)`.
//! 35. Every registration made with one phone number (erasure, data export): gsi2
//!     `ST#s#REGPHONE#<phone key>`.
//! 36. The policy pages staff stored (overrides of the shipped files, added pages):
//!     gsi3 `ST#s#POLICIES`; one page: `get(policy page)`.
//! 37. Whether a worker holds a place on a day (taking a place claims each of its days
//!     in the same transaction, so two overlapping places cannot both be taken):
//!     `get(worker's day)`; they go with the worker's partition when the worker is erased.

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

/// Sort-key prefix of a worker's claimed days of work.
pub const WORKDAY_PREFIX: &str = "DAY#";

/// A day on which a worker holds a place.
pub fn worker_day(station: &StationId, worker_id: &str, day: chrono::NaiveDate) -> Key {
    Key::new(
        worker_partition(station, worker_id),
        format!("{WORKDAY_PREFIX}{day}"),
    )
}

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

/// A rate-limit counter for one subject in one window.
pub fn rate_limit(station: &StationId, limit: &str, subject_key: &str, window_start: i64) -> Key {
    Key::new(
        format!(
            "{}LIMIT#{limit}#{subject_key}#{window_start}",
            prefix(station)
        ),
        "LIMIT",
    )
}

/// The audit partition of the month containing `at`.
pub fn audit_partition(station: &StationId, at: DateTime<Utc>) -> String {
    format!("{}AUDIT#{}", prefix(station), at.format("%Y-%m"))
}

/// An audit entry.
pub fn audit(station: &StationId, at: DateTime<Utc>, id: &str) -> Key {
    Key::new(audit_partition(station, at), time_id(at, id))
}

/// gsi3 partition: the audit history of one record.
pub fn audit_by_target(station: &StationId, kind: &str, id: &str) -> String {
    format!("{}AUDITOF#{kind}#{id}", prefix(station))
}

/// A staff account.
pub fn staff(station: &StationId, username: &str) -> Key {
    Key::new(format!("{}STAFF#{username}", prefix(station)), "STAFF")
}

/// gsi3 partition: a station's staff.
pub fn staff_accounts(station: &StationId) -> String {
    format!("{}STAFFS", prefix(station))
}

/// A staff session, by the hash of its id.
pub fn session(station: &StationId, session_hash: &str) -> Key {
    Key::new(
        format!("{}SESSION#{session_hash}", prefix(station)),
        "SESSION",
    )
}

/// The station's settings changed at run time (they override the station file).
pub fn settings(station: &StationId) -> Key {
    Key::new(format!("{}SETTINGS", prefix(station)), "SETTINGS")
}

/// Sort-key prefix of the job links filed under an employer.
pub const EMPLOYER_JOB_PREFIX: &str = "JOB#";

/// The link from an employer to one of their jobs.
pub fn employer_job(station: &StationId, employer_id: &str, job_id: &str) -> Key {
    Key::new(
        format!("{}EMP#{employer_id}", prefix(station)),
        format!("{EMPLOYER_JOB_PREFIX}{job_id}"),
    )
}

/// The record that a proof-of-work solution was used.
pub fn used_pow(station: &StationId, signature_hash: &str) -> Key {
    Key::new(format!("{}POW#{signature_hash}", prefix(station)), "POW")
}

// ---- Matching and notices (issue 4) ----

/// Sort-key prefix of the offers filed under a job.
pub const OFFER_PREFIX: &str = "OFFER#";

/// The offer of a job to one worker (one per pair, ever).
pub fn offer(station: &StationId, job_id: &str, worker_id: &str) -> Key {
    Key::new(
        format!("{}JOB#{job_id}", prefix(station)),
        format!("{OFFER_PREFIX}{worker_id}"),
    )
}

/// gsi1 partition: the offer with a link id.
pub fn offer_by_link(station: &StationId, offer_id: &str) -> String {
    format!("{}OFFER#{offer_id}", prefix(station))
}

/// gsi2 partition: one worker's offers.
pub fn offers_of_worker(station: &StationId, worker_id: &str) -> String {
    format!("{}WKR#{worker_id}#OFFERS", prefix(station))
}

/// gsi3 partition: offers waiting for an answer.
pub fn open_offers(station: &StationId) -> String {
    format!("{}OFFERS#open", prefix(station))
}

/// The partition holding the rankings made for a job.
pub fn decisions_of_job(station: &StationId, job_id: &str) -> String {
    format!("{}DECISION#{job_id}", prefix(station))
}

/// One part of the ranking of wave `wave` for a job.
pub fn decision(station: &StationId, job_id: &str, wave: u32, part: u32) -> Key {
    Key::new(
        decisions_of_job(station, job_id),
        format!("{wave:04}#{part:03}"),
    )
}

/// gsi3 partition: a station's rankings by time.
pub fn decisions(station: &StationId) -> String {
    format!("{}DECISIONS", prefix(station))
}

/// A notice, which is also its own send-ledger entry: one per (job or day, person,
/// kind).
pub fn notice(station: &StationId, notice_id: &str) -> Key {
    Key::new(format!("{}NOTICE#{notice_id}", prefix(station)), "NOTICE")
}

/// gsi2 partition: the notices about one worker (to them, or naming them to an
/// employer), so erasing a worker finds them all.
pub fn notices_of_worker(station: &StationId, worker_id: &str) -> String {
    format!("{}WKR#{worker_id}#NOTICES", prefix(station))
}

/// gsi3 partition: notices in one queue (`due`, `sending`, `parked`).
pub fn notices_in(station: &StationId, queue: &str) -> String {
    format!("{}NOTICES#{queue}", prefix(station))
}

/// The count of SMS sent to one number on one station day.
pub fn sms_day(station: &StationId, phone_key: &str, day: chrono::NaiveDate) -> Key {
    Key::new(
        format!("{}SMSDAY#{phone_key}#{day}", prefix(station)),
        "COUNT",
    )
}

/// The station's count of SMS sent on `day` (its daily budget).
pub fn sms_budget_day(station: &StationId, day: chrono::NaiveDate) -> Key {
    Key::new(format!("{}SMSBUDGET#{day}", prefix(station)), "COUNT")
}

/// The first request to arrive with a request key (`action`, key hash): the one whose
/// rate-limit hits count while its concurrent retries wait for its answer.
pub fn request_claim(station: &StationId, action: &str, key_hash: &str) -> Key {
    Key::new(
        format!("{}LIMITCLAIM#{action}#{key_hash}", prefix(station)),
        "LIMITCLAIM",
    )
}

/// The count of offers by SMS one posting made on one station day.
pub fn sms_offers_of_job_day(station: &StationId, job_id: &str, day: chrono::NaiveDate) -> Key {
    Key::new(format!("{}SMSJOB#{job_id}#{day}", prefix(station)), "COUNT")
}

/// The count of offers by SMS the postings of one contact number (an employer, keyed
/// by the number's hash) made on one station day.
pub fn sms_offers_of_employer_day(
    station: &StationId,
    phone_key: &str,
    day: chrono::NaiveDate,
) -> Key {
    Key::new(
        format!("{}SMSEMP#{phone_key}#{day}", prefix(station)),
        "COUNT",
    )
}

/// Which notice an SMS gateway's message id belongs to, so a delivery report (which
/// names only the gateway's id) finds its notice.
pub fn sms_receipt(station: &StationId, provider: &str, message_id: &str) -> Key {
    Key::new(
        format!("{}SMSMSG#{provider}#{message_id}", prefix(station)),
        "SMSMSG",
    )
}

/// A number's opt-out from SMS.
pub fn sms_opt_out(station: &StationId, phone_key: &str) -> Key {
    Key::new(
        format!("{}SMSOPTOUT#{phone_key}", prefix(station)),
        "OPTOUT",
    )
}

/// Sort-key prefix of an employer's blocks.
pub const BLOCK_PREFIX: &str = "BLOCK#";

/// An employer's block of one worker.
pub fn employer_block(station: &StationId, employer_id: &str, worker_id: &str) -> Key {
    Key::new(
        format!("{}EMP#{employer_id}", prefix(station)),
        format!("{BLOCK_PREFIX}{worker_id}"),
    )
}

/// The partition holding an employer and their blocks.
pub fn employer_partition(station: &StationId, employer_id: &str) -> String {
    format!("{}EMP#{employer_id}", prefix(station))
}

/// The claim that a once-a-day task ran for a station day.
pub fn daily_task(station: &StationId, task: &str, day: chrono::NaiveDate) -> Key {
    Key::new(format!("{}DAILY#{task}#{day}", prefix(station)), "CLAIM")
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

/// The claim that a reporter (a keyed hash of their address) has reported a job: it
/// is created with their first report only, so each reporter counts once per posting,
/// however often and however concurrently they report.
pub fn job_reporter(station: &StationId, job_id: &str, reporter: &str) -> Key {
    Key::new(
        format!("{}JOB#{job_id}", prefix(station)),
        format!("RPTBY#{reporter}"),
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

/// gsi1 partition: complaints linked to an employer.
pub fn complaints_of_employer(station: &StationId, employer_id: &str) -> String {
    format!("{}EMP#{employer_id}#CMPS", prefix(station))
}

/// gsi2 partition: complaints a registered worker filed.
pub fn complaints_of_worker(station: &StationId, worker_id: &str) -> String {
    format!("{}WKR#{worker_id}#CMPS", prefix(station))
}

/// gsi1 partition: placements waiting for the "were you paid?" follow-up.
pub fn paid_checks_due(station: &StationId) -> String {
    format!("{}PAIDDUE", prefix(station))
}

/// gsi1 partition: the placement a "were you paid?" answer link names.
pub fn paid_check_link(station: &StationId, code: &str) -> String {
    format!("{}PAIDLINK#{code}", prefix(station))
}

/// The prefix every key of `station` starts with.
pub fn station_prefix(station: &StationId) -> String {
    prefix(station)
}

// ---- Training courses, livestreams and staff-edited policy pages (issue 6) ----

/// A training course; its registrations share the partition.
pub fn course(station: &StationId, id: &str) -> Key {
    Key::new(course_partition(station, id), "COURSE")
}

/// The partition holding a course and its registrations.
pub fn course_partition(station: &StationId, id: &str) -> String {
    format!("{}COURSE#{id}", prefix(station))
}

/// gsi3 partition: a station's courses by start time.
pub fn courses(station: &StationId) -> String {
    format!("{}COURSES", prefix(station))
}

/// Sort-key prefix of the registrations filed under a course.
pub const REGISTRATION_PREFIX: &str = "REG#";

/// A registration on a course, by the phone key (or the erased marker).
pub fn registration(station: &StationId, course_id: &str, slot: &str) -> Key {
    Key::new(
        course_partition(station, course_id),
        format!("{REGISTRATION_PREFIX}{slot}"),
    )
}

/// gsi2 partition: the registrations made with one phone number.
pub fn registrations_of_phone(station: &StationId, phone_key: &str) -> String {
    format!("{}REGPHONE#{phone_key}", prefix(station))
}

/// A livestream recruitment event.
pub fn live(station: &StationId, id: &str) -> Key {
    Key::new(format!("{}LIVE#{id}", prefix(station)), "LIVE")
}

/// gsi3 partition: a station's livestreams by start time.
pub fn lives(station: &StationId) -> String {
    format!("{}LIVES", prefix(station))
}

/// A policy page stored by staff, in one language.
pub fn policy_page(station: &StationId, slug: &str, lang: &str) -> Key {
    Key::new(
        format!("{}POLICY#{slug}", prefix(station)),
        format!("POLICY#{lang}"),
    )
}

/// gsi3 partition: the policy pages staff stored.
pub fn policy_pages(station: &StationId) -> String {
    format!("{}POLICIES", prefix(station))
}

/// The live one-time code of a phone number (one at a time: a new code replaces it).
pub fn phone_code(station: &StationId, phone_key: &str) -> Key {
    Key::new(format!("{}PHONECODE#{phone_key}", prefix(station)), "CODE")
}
