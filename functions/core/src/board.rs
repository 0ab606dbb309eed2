//! What the public may know about a station: the jobs on its board (public fields only,
//! with phone and ID numbers typed into free text masked) and the tallies behind its
//! data wall (数据大屏). No worker's name, phone or any personal field ever enters
//! [`BoardFacts`]: workers and employers are kept as id → state, nothing more.
//!
//! Facts are loaded through the indexes ([`crate::App::board_facts`]) and kept current
//! from changes: a change says *which* record moved, and [`BoardFacts::apply_item`]
//! takes the record's state as read, keeping the newer version. Applying the same item
//! twice, or an older one after a newer, changes nothing, so a replayed change batch is
//! harmless.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    dates::WorkDates,
    job::{Job, JobStatus, PayTerms},
    keys,
    money::Money,
    placement::{Placement, PlacementStatus},
    records::{employer_from_item, job_from_item, placement_from_item, worker_from_item},
    station::{Station, StationId},
    store::{Item, Key, StoreError},
    worker::WorkerStatus,
};

/// Weeks the data wall's trend covers, the current week included.
pub const TREND_WEEKS: i64 = 12;

/// A job on the board, as anyone may see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardJob {
    /// Identifier.
    pub id: String,
    /// Title (numbers masked).
    pub title: String,
    /// Trade slug.
    pub trade: String,
    /// District slug.
    pub district: String,
    /// Where the work is (numbers masked).
    pub address: String,
    /// First and last day.
    pub dates: WorkDates,
    /// Workers asked for.
    pub headcount: u16,
    /// Places still open.
    pub open_places: u16,
    /// Wage per day.
    pub daily_wage: Money,
    /// When pay is made.
    pub pay_terms: PayTerms,
    /// Employer name (numbers masked).
    pub employer_name: String,
    /// Verified by staff.
    pub employer_verified: bool,
    /// The work (numbers masked).
    pub description: String,
    /// Requirements (numbers masked), may be empty.
    pub requirements: String,
    /// When posted (fixes the job's place in the sitemap).
    pub created_at: DateTime<Utc>,
    /// The station day it was posted on.
    pub created_day: NaiveDate,
    /// The station day it went on the board.
    pub listed_day: NaiveDate,
    /// When it went on the board (the board's order, newest first).
    pub listed_at: DateTime<Utc>,
    /// The job record's version this view was made from.
    pub version: u64,
}

impl BoardJob {
    /// The public view of `job`, with days reckoned in time zone `tz`.
    pub fn from_job(job: &Job, tz: chrono_tz::Tz) -> BoardJob {
        BoardJob {
            id: job.id.clone(),
            title: mask_numbers(job.title.as_str()),
            trade: job.trade.clone(),
            district: job.district.clone(),
            address: mask_numbers(job.address.as_str()),
            dates: job.dates,
            headcount: job.headcount,
            open_places: job.open_places(),
            daily_wage: job.daily_wage,
            pay_terms: job.pay_terms,
            employer_name: mask_numbers(job.employer_name.as_str()),
            employer_verified: job.employer_verified,
            description: mask_numbers(job.description.as_str()),
            requirements: mask_numbers(job.requirements.as_str()),
            created_at: job.created_at,
            created_day: job.created_at.with_timezone(&tz).date_naive(),
            listed_day: job.listed_at().with_timezone(&tz).date_naive(),
            listed_at: job.listed_at(),
            version: job.version,
        }
    }
}

/// Jobs on the board keyed by (listed_at, id), ascending: newest last.
type Shelf = BTreeMap<(DateTime<Utc>, String), std::sync::Arc<BoardJob>>;

/// A job as the data wall counts it.
#[derive(Clone, Debug, PartialEq)]
struct JobFact {
    version: u64,
    status: JobStatus,
    trade: String,
    district: String,
    headcount: u16,
    created_day: NaiveDate,
    /// Its key in the board's order while it is on the board.
    listed: Option<(DateTime<Utc>, String)>,
}

#[derive(Clone, Debug, PartialEq)]
struct PlacementFact {
    version: u64,
    status: PlacementStatus,
    days_worked: Option<u16>,
    wage_paid: Option<Money>,
    created_at: DateTime<Utc>,
}

/// Everything the public board and the data wall of one station are built from.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardFacts {
    /// The station.
    pub station: StationId,
    time_zone: chrono_tz::Tz,
    jobs: BTreeMap<String, JobFact>,
    /// The jobs on the board by (listed_at, id), ascending: newest last.
    board: Shelf,
    /// The board's keys by trade, by district, and ids by ISO week posted: each page
    /// group reads its own jobs without a pass over the whole board.
    by_trade: BTreeMap<String, Shelf>,
    by_district: BTreeMap<String, Shelf>,
    by_week: BTreeMap<(i32, u32), std::collections::BTreeSet<String>>,
    /// Places open across the board.
    open_places: u64,
    /// Daily wages (fen) summed across the board.
    wage_total: u64,
    /// Per trade and per district on the board: (jobs, open places, wages in fen).
    trade_totals: BTreeMap<String, (u64, u64, u64)>,
    district_totals: BTreeMap<String, (u64, u64, u64)>,
    /// Jobs posted (and not refused) and the places they asked for, by station day.
    posted_by_day: BTreeMap<NaiveDate, (u64, u64)>,
    workers: BTreeMap<String, (u64, WorkerStatus)>,
    employers: BTreeMap<String, (u64, bool)>,
    placements: BTreeMap<(String, String), PlacementFact>,
    /// Courses and livestreams (issue 6): public fields only.
    pub events: crate::events::EventFacts,
    /// Policy pages staff stored (issue 6).
    pub policies: crate::policy::PolicyFacts,
}

/// The kinds of record the board and the data wall are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FactKind {
    /// A job.
    Job,
    /// A worker (counted only).
    Worker,
    /// An employer (counted only).
    Employer,
    /// A placement (counted only).
    Placement,
}

impl FactKind {
    /// The kind of record stored under `key`, if the board cares about it.
    pub fn of(key: &Key) -> Option<FactKind> {
        match key.sk.as_str() {
            "JOB" => Some(FactKind::Job),
            "WKR" => Some(FactKind::Worker),
            "EMP" => Some(FactKind::Employer),
            sk if sk.starts_with(keys::PLACEMENT_PREFIX) => Some(FactKind::Placement),
            _ => None,
        }
    }
}

impl BoardFacts {
    /// No facts yet about `station`.
    pub fn new(station: &Station) -> BoardFacts {
        BoardFacts {
            station: station.id.clone(),
            time_zone: station.time_zone,
            jobs: BTreeMap::new(),
            board: BTreeMap::new(),
            by_trade: BTreeMap::new(),
            by_district: BTreeMap::new(),
            by_week: BTreeMap::new(),
            open_places: 0,
            wage_total: 0,
            trade_totals: BTreeMap::new(),
            district_totals: BTreeMap::new(),
            posted_by_day: BTreeMap::new(),
            workers: BTreeMap::new(),
            employers: BTreeMap::new(),
            placements: BTreeMap::new(),
            events: Default::default(),
            policies: Default::default(),
        }
    }

    /// Whether a change to `key` can matter to this station's board or data wall.
    pub fn cares_about(&self, key: &Key) -> bool {
        key.pk.starts_with(&keys::station_prefix(&self.station))
            && (FactKind::of(key).is_some()
                || crate::events::EventFacts::owns(key)
                || crate::policy::PolicyFacts::owns(key))
    }

    /// Takes `item` (a record as stored now) into the facts, unless a newer version is
    /// already known. Returns what kind of record it was, or `None` if it is not one
    /// the board cares about.
    pub fn apply_item(&mut self, item: &Item) -> Result<Option<FactKind>, StoreError> {
        if !self.cares_about(&item.key) {
            return Ok(None);
        }
        if crate::events::EventFacts::owns(&item.key) {
            self.events.apply_item(item)?;
            return Ok(None);
        }
        if crate::policy::PolicyFacts::owns(&item.key) {
            self.policies.apply_item(item, self.time_zone)?;
            return Ok(None);
        }
        let kind = FactKind::of(&item.key);
        match kind {
            Some(FactKind::Job) => {
                let job = job_from_item(item)?;
                if self
                    .jobs
                    .get(&job.id)
                    .is_some_and(|j| j.version > job.version)
                {
                    return Ok(kind);
                }
                let fact = job_fact(&job, self.time_zone);
                self.set_job(job.id.clone(), Some(fact));
            }
            Some(FactKind::Worker) => {
                let worker = worker_from_item(item)?;
                if self
                    .workers
                    .get(&worker.id)
                    .is_none_or(|(v, _)| *v <= worker.version)
                {
                    self.workers
                        .insert(worker.id.clone(), (worker.version, worker.status));
                }
            }
            Some(FactKind::Employer) => {
                let employer = employer_from_item(item)?;
                if self
                    .employers
                    .get(&employer.id)
                    .is_none_or(|(v, _)| *v <= employer.version)
                {
                    self.employers
                        .insert(employer.id.clone(), (employer.version, employer.verified));
                }
            }
            Some(FactKind::Placement) => {
                let placement = placement_from_item(item)?;
                let id = (placement.job_id.clone(), placement.worker_id.clone());
                if self
                    .placements
                    .get(&id)
                    .is_none_or(|p| p.version <= placement.version)
                {
                    self.placements.insert(id, placement_fact(&placement));
                }
            }
            None => {}
        }
        Ok(kind)
    }

    /// Forgets the record stored under `key` (it was deleted).
    pub fn forget(&mut self, key: &Key) -> Option<FactKind> {
        if !self.cares_about(key) {
            return None;
        }
        if crate::events::EventFacts::owns(key) {
            self.events.forget(key);
            return None;
        }
        if crate::policy::PolicyFacts::owns(key) {
            self.policies.forget(key);
            return None;
        }
        let kind = FactKind::of(key)?;
        let id = || key.pk.rsplit('#').next().unwrap_or("").to_owned();
        match kind {
            FactKind::Job => {
                self.set_job(id(), None);
            }
            FactKind::Worker => {
                self.workers.remove(&id());
            }
            FactKind::Employer => {
                self.employers.remove(&id());
            }
            FactKind::Placement => {
                let worker = key
                    .sk
                    .strip_prefix(keys::PLACEMENT_PREFIX)
                    .unwrap_or("")
                    .to_owned();
                self.placements.remove(&(id(), worker));
            }
        }
        Some(kind)
    }

    fn set_job(&mut self, id: String, fact: Option<(JobFact, Option<BoardJob>)>) {
        if let Some(old_fact) = self.jobs.remove(&id) {
            if counts_as_posted(old_fact.status) {
                let day = self.posted_by_day.entry(old_fact.created_day).or_default();
                day.0 -= 1;
                day.1 -= u64::from(old_fact.headcount);
                if day.0 == 0 {
                    self.posted_by_day.remove(&old_fact.created_day);
                }
            }
            if let Some(old_key) = old_fact.listed
                && let Some(old) = self.board.remove(&old_key)
            {
                self.unlist(&id, &old_key, &old);
            }
        }
        let Some((mut fact, board)) = fact else {
            return;
        };
        if counts_as_posted(fact.status) {
            let day = self.posted_by_day.entry(fact.created_day).or_default();
            day.0 += 1;
            day.1 += u64::from(fact.headcount);
        }
        fact.listed = board.map(|job| {
            let key = (job.listed_at, id.clone());
            let job = std::sync::Arc::new(job);
            self.list(&id, &key, &job);
            self.board.insert(key.clone(), job);
            key
        });
        self.jobs.insert(id, fact);
    }

    fn list(&mut self, id: &str, key: &(DateTime<Utc>, String), job: &std::sync::Arc<BoardJob>) {
        let (places, wage) = (u64::from(job.open_places), job.daily_wage.fen());
        self.open_places += places;
        self.wage_total += wage;
        for (totals, index, slug) in [
            (&mut self.trade_totals, &mut self.by_trade, &job.trade),
            (
                &mut self.district_totals,
                &mut self.by_district,
                &job.district,
            ),
        ] {
            let t = totals.entry(slug.clone()).or_default();
            t.0 += 1;
            t.1 += places;
            t.2 += wage;
            index
                .entry(slug.clone())
                .or_default()
                .insert(key.clone(), job.clone());
        }
        self.by_week
            .entry(iso_week(job.created_day))
            .or_default()
            .insert(id.to_owned());
    }

    fn unlist(&mut self, id: &str, key: &(DateTime<Utc>, String), job: &BoardJob) {
        let (places, wage) = (u64::from(job.open_places), job.daily_wage.fen());
        self.open_places -= places;
        self.wage_total -= wage;
        for (totals, index, slug) in [
            (&mut self.trade_totals, &mut self.by_trade, &job.trade),
            (
                &mut self.district_totals,
                &mut self.by_district,
                &job.district,
            ),
        ] {
            if let Some(t) = totals.get_mut(slug) {
                t.0 -= 1;
                t.1 -= places;
                t.2 -= wage;
                if t.0 == 0 {
                    totals.remove(slug);
                }
            }
            if let Some(set) = index.get_mut(slug) {
                set.remove(key);
                if set.is_empty() {
                    index.remove(slug);
                }
            }
        }
        let week = iso_week(job.created_day);
        if let Some(set) = self.by_week.get_mut(&week) {
            set.remove(id);
            if set.is_empty() {
                self.by_week.remove(&week);
            }
        }
    }

    /// Places open across the board.
    pub fn open_places(&self) -> u64 {
        self.open_places
    }

    /// How many jobs are on the board.
    pub fn board_len(&self) -> usize {
        self.board.len()
    }

    /// The newest `n` jobs on the board, newest first.
    pub fn newest(&self, n: usize) -> Vec<&BoardJob> {
        self.board
            .values()
            .rev()
            .take(n)
            .map(|j| j.as_ref())
            .collect()
    }

    /// The jobs on the board in trade `slug`, newest first.
    pub fn board_in_trade(&self, slug: &str) -> Vec<&BoardJob> {
        self.indexed(self.by_trade.get(slug))
    }

    /// The jobs on the board in district `slug`, newest first.
    pub fn board_in_district(&self, slug: &str) -> Vec<&BoardJob> {
        self.indexed(self.by_district.get(slug))
    }

    fn indexed<'a>(&self, jobs: Option<&'a Shelf>) -> Vec<&'a BoardJob> {
        jobs.map(|jobs| jobs.values().rev().map(|j| j.as_ref()).collect())
            .unwrap_or_default()
    }

    /// How many jobs on the board are in trade `slug`.
    pub fn count_in_trade(&self, slug: &str) -> usize {
        self.by_trade.get(slug).map_or(0, |s| s.len())
    }

    /// How many jobs on the board are in district `slug`.
    pub fn count_in_district(&self, slug: &str) -> usize {
        self.by_district.get(slug).map_or(0, |s| s.len())
    }

    /// The ISO weeks (year, week) in which jobs now on the board were posted.
    pub fn board_weeks(&self) -> impl Iterator<Item = (i32, u32)> + '_ {
        self.by_week.keys().copied()
    }

    /// The jobs on the board posted in ISO week `week`, by id.
    pub fn board_in_week(&self, week: (i32, u32)) -> Vec<&BoardJob> {
        self.by_week
            .get(&week)
            .map(|ids| ids.iter().filter_map(|id| self.board_job(id)).collect())
            .unwrap_or_default()
    }

    /// The version of job `id` as known, if it is known.
    pub fn job_version(&self, id: &str) -> Option<u64> {
        self.jobs.get(id).map(|j| j.version)
    }

    /// The board entry of job `id`, if it is on the board.
    pub fn board_job(&self, id: &str) -> Option<&BoardJob> {
        self.jobs
            .get(id)
            .and_then(|j| j.listed.as_ref())
            .and_then(|key| self.board.get(key))
            .map(|j| j.as_ref())
    }

    /// Every job on the board, newest first.
    pub fn board(&self) -> Vec<&BoardJob> {
        self.board.values().rev().map(|j| j.as_ref()).collect()
    }

    /// The trade and district job `id` is listed under, if it is on the board.
    pub fn board_place(&self, id: &str) -> Option<(String, String)> {
        self.board_job(id)
            .map(|j| (j.trade.clone(), j.district.clone()))
    }

    /// The data wall's figures for `station` on `today`, from running totals (the
    /// trend from per-day totals), so its cost does not grow with the board.
    pub fn stats(&self, station: &Station, today: NaiveDate) -> BoardStats {
        let average = |total: u64, n: u64| (n > 0).then(|| Money::from_fen((total + n / 2) / n));
        let first = week_start(today) - Duration::weeks(TREND_WEEKS - 1);
        let mut trend: Vec<WeekFigures> = (0..TREND_WEEKS)
            .map(|w| WeekFigures {
                week_start: first + Duration::weeks(w),
                jobs_posted: 0,
                places_posted: 0,
                placements: 0,
            })
            .collect();
        let end = first + Duration::weeks(TREND_WEEKS);
        for (day, (jobs, places)) in self.posted_by_day.range(first..end) {
            let w = ((*day - first).num_days() / 7) as usize;
            trend[w].jobs_posted += jobs;
            trend[w].places_posted += places;
        }
        let (mut matches, mut completed, mut paid_total, mut paid_days) = (0u64, 0u64, 0u64, 0u64);
        for p in self.placements.values() {
            if p.status != PlacementStatus::Cancelled {
                matches += 1;
                let day = p.created_at.with_timezone(&station.time_zone).date_naive();
                if first <= day && day < end {
                    trend[((day - first).num_days() / 7) as usize].placements += 1;
                }
            }
            if p.status == PlacementStatus::Completed {
                completed += 1;
                if let (Some(days), Some(paid)) = (p.days_worked, p.wage_paid)
                    && days > 0
                {
                    paid_total += paid.fen();
                    paid_days += u64::from(days);
                }
            }
        }
        let workers_active = self
            .workers
            .values()
            .filter(|(_, s)| *s == WorkerStatus::Active)
            .count() as u64;
        let figures = |slugs: Vec<&String>, totals: &BTreeMap<String, (u64, u64, u64)>| {
            slugs
                .into_iter()
                .map(|slug| {
                    let (jobs, places, wages) = totals.get(slug).copied().unwrap_or_default();
                    GroupFigures {
                        slug: slug.clone(),
                        jobs,
                        open_places: places,
                        average_wage: average(wages, jobs),
                    }
                })
                .collect::<Vec<_>>()
        };
        let open_jobs = self.board.len() as u64;
        BoardStats {
            as_of: today,
            employers: self.employers.len() as u64,
            employers_verified: self.employers.values().filter(|(_, v)| *v).count() as u64,
            workers: self.workers.len() as u64,
            workers_active,
            open_jobs,
            open_places: self.open_places,
            matches,
            placements_completed: completed,
            average_offered_wage: average(self.wage_total, open_jobs),
            average_paid_wage: average(paid_total, paid_days),
            places_per_worker_x100: (workers_active > 0)
                .then(|| (self.open_places * 100 + workers_active / 2) / workers_active),
            by_trade: figures(
                station.trades.iter().map(|t| &t.slug).collect(),
                &self.trade_totals,
            ),
            by_district: figures(
                station.districts.iter().map(|d| &d.slug).collect(),
                &self.district_totals,
            ),
            trend,
        }
    }
}

fn counts_as_posted(status: JobStatus) -> bool {
    !matches!(status, JobStatus::PendingReview | JobStatus::Rejected)
}

fn job_fact(job: &Job, tz: chrono_tz::Tz) -> (JobFact, Option<BoardJob>) {
    (
        JobFact {
            version: job.version,
            status: job.status,
            trade: job.trade.clone(),
            district: job.district.clone(),
            headcount: job.headcount,
            created_day: job.created_at.with_timezone(&tz).date_naive(),
            listed: None,
        },
        (job.status == JobStatus::Published).then(|| BoardJob::from_job(job, tz)),
    )
}

fn placement_fact(p: &Placement) -> PlacementFact {
    PlacementFact {
        version: p.version,
        status: p.status,
        days_worked: p.days_worked,
        wage_paid: p.wage_paid,
        created_at: p.created_at,
    }
}

/// The ISO (year, week) of `day`.
pub fn iso_week(day: NaiveDate) -> (i32, u32) {
    let week = day.iso_week();
    (week.year(), week.week())
}

/// The Monday of the week holding `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The first day of the data wall's trend window ending in the week of `today`.
pub fn trend_start(today: NaiveDate) -> NaiveDate {
    week_start(today) - Duration::weeks(TREND_WEEKS - 1)
}

/// Figures for one trade or district.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupFigures {
    /// Trade or district slug.
    pub slug: String,
    /// Jobs on the board.
    pub jobs: u64,
    /// Places open.
    pub open_places: u64,
    /// Average offered daily wage, if any job.
    pub average_wage: Option<Money>,
}

/// One week of the trend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WeekFigures {
    /// Monday of the week.
    pub week_start: NaiveDate,
    /// Jobs posted (and not refused) that week.
    pub jobs_posted: u64,
    /// Places those jobs asked for.
    pub places_posted: u64,
    /// Placements made that week.
    pub placements: u64,
}

/// The data wall's figures, from real records only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoardStats {
    /// The station day the figures are for.
    pub as_of: NaiveDate,
    /// Registered employers.
    pub employers: u64,
    /// Of which verified by staff.
    pub employers_verified: u64,
    /// Registered workers (taking work or paused).
    pub workers: u64,
    /// Workers taking work.
    pub workers_active: u64,
    /// Jobs on the board.
    pub open_jobs: u64,
    /// Places open on them.
    pub open_places: u64,
    /// Workers matched to a job (placements not cancelled).
    pub matches: u64,
    /// Placements whose work staff recorded as done.
    pub placements_completed: u64,
    /// Average daily wage offered by jobs on the board.
    pub average_offered_wage: Option<Money>,
    /// Average daily wage actually paid (recorded placements).
    pub average_paid_wage: Option<Money>,
    /// Open places per active worker (求人倍率) × 100, rounded.
    pub places_per_worker_x100: Option<u64>,
    /// Per trade, in station order.
    pub by_trade: Vec<GroupFigures>,
    /// Per district, in station order.
    pub by_district: Vec<GroupFigures>,
    /// The last [`TREND_WEEKS`] weeks, oldest first.
    pub trend: Vec<WeekFigures>,
}

/// Masks phone, ID and card numbers in free text: the one masking function of every
/// public output (see [`crate::mask`]).
pub use crate::mask::mask_numbers;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_free_text_are_masked() {
        assert_eq!(mask_numbers("电话13812345678找王"), "电话138****5678找王");
        assert_eq!(mask_numbers("call 138 1234 5678."), "call 138****5678.");
        assert_eq!(mask_numbers("+86-138-1234-5678"), "+86-138****5678");
        assert_eq!(mask_numbers("8613812345678"), "86138****5678");
        assert_eq!(
            mask_numbers("2026-12-01 13812345678"),
            "2026-12-01 138****5678"
        );
        assert_eq!(mask_numbers("１３８１２３４５６７８"), "138****5678");
        assert_eq!(
            mask_numbers("身份证630102199001011234"),
            "身份证******************"
        );
        assert_eq!(mask_numbers("63010219900101123X"), "*****************X");
        // Ordinary numbers stay.
        assert_eq!(
            mask_numbers("早8点到下午4点，3栋楼，220元"),
            "早8点到下午4点，3栋楼，220元"
        );
        // A landline with its area code is masked too.
        assert_eq!(mask_numbers("0971-1234567"), "0971-****567");
        assert_eq!(mask_numbers("2026-12-01"), "2026-12-01");
    }

    #[test]
    fn weeks_start_on_monday() {
        let saturday: NaiveDate = "2026-11-28".parse().unwrap();
        assert_eq!(week_start(saturday).to_string(), "2026-11-23");
        assert_eq!(trend_start(saturday).to_string(), "2026-09-07");
    }
}
