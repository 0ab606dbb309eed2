//! Placements (上岗): a worker holding one place on one job. A placement is made when a
//! worker accepts an offer or applies directly, in the same atomic write that takes the
//! place from the job's headcount, so a job is never overbooked. Staff later record the
//! days worked and the wage paid; those feed the data wall and the reports.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{money::Money, station::StationId};

/// Where a placement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementStatus {
    /// The place is held; the work is ahead or under way.
    Reserved,
    /// Staff recorded that the work was done (days and wage below).
    Completed,
    /// Cancelled before the work (the place went back to the job).
    Cancelled,
}

impl PlacementStatus {
    /// The name in keys and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementStatus::Reserved => "reserved",
            PlacementStatus::Completed => "completed",
            PlacementStatus::Cancelled => "cancelled",
        }
    }
}

/// How the worker came to the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementOrigin {
    /// Accepted an automated offer.
    Offer,
    /// Applied from the board.
    Application,
    /// Placed by staff at the desk.
    Desk,
}

/// What the worker answered to "were you paid?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaidAnswer {
    /// Paid in full.
    Paid,
    /// Not paid, or not in full: a complaint was opened.
    Unpaid,
}

impl PaidAnswer {
    /// The name in forms and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PaidAnswer::Paid => "paid",
            PaidAnswer::Unpaid => "unpaid",
        }
    }
}

/// The "were you paid?" follow-up after the last day of work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidCheck {
    /// The short code in the answer link (derived from job and worker).
    pub code: String,
    /// When the question was sent.
    pub asked_at: DateTime<Utc>,
    /// The answer, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<PaidAnswer>,
    /// When answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    /// The complaint opened by an "unpaid" answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_id: Option<String>,
    /// Its reference number, to tell the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_reference: Option<String>,
}

impl Placement {
    /// Whether the follow-up is still to be sent: the place was kept, the worker was not
    /// erased, and nobody asked yet.
    pub fn awaits_paid_check(&self) -> bool {
        self.status != PlacementStatus::Cancelled
            && self.paid_check.is_none()
            && !self.worker_id.starts_with(crate::app::ERASED)
    }
}

/// One worker on one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// The station.
    pub station: StationId,
    /// The job.
    pub job_id: String,
    /// The worker.
    pub worker_id: String,
    /// The job's trade (copied, for statistics without reading the job).
    pub trade: String,
    /// The job's district (copied).
    pub district: String,
    /// The daily wage offered (copied).
    pub daily_wage: Money,
    /// First day of work.
    pub start: NaiveDate,
    /// Last day of work.
    pub end: NaiveDate,
    /// Where it stands.
    pub status: PlacementStatus,
    /// How it came about.
    pub origin: PlacementOrigin,
    /// Days actually worked, once staff record it.
    pub days_worked: Option<u16>,
    /// Total wage paid, once staff record it.
    pub wage_paid: Option<Money>,
    /// The "were you paid?" follow-up, once the worker was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_check: Option<Box<PaidCheck>>,
    /// When the place was taken.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}
