//! Decision records: every ranking is kept with each candidate's factors and, for
//! those left out, the reason — so staff (and a worker, about themself) can see why
//! an offer went where it did. Long rankings are split into parts that each fit an
//! item.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{rank::Factors, settings::MatchingSettings};
use crate::station::StationId;

/// Rows per stored part (about 150 bytes each, far under the item size limit).
pub const ROWS_PER_PART: usize = 800;
/// Most parts written for one ranking; rows beyond are summarised as counts only.
pub const MAX_PARTS: usize = 12;

/// Why a worker found in the index was not ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Withdrew, opted out of automated offers, or is held by staff (the index had not
    /// caught up yet).
    NotTakingOffers,
    /// Available only after the job starts.
    NotYetAvailable,
    /// Holds other work on the job's dates.
    Busy,
    /// The employer asked not to be sent this worker again.
    BlockedByEmployer,
    /// Already offered this job (in an earlier wave).
    AlreadyOffered,
    /// Already has a place on this job.
    AlreadyPlaced,
    /// Chose e-mail but gave no address.
    Unreachable,
    /// The worker record is gone.
    Missing,
}

/// A cap on offers that can stop a wave before its target (see
/// [`crate::matching::wave`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferCap {
    /// Nobody vouched for the posting yet ([`crate::job::Job::vouched`]): it gets
    /// `matching.unvouched_offers` offers in all.
    Unvouched,
    /// The posting's offers by SMS today reached `notices.sms_offers_per_posting_day`.
    PostingDay,
    /// The offers by SMS of all postings with this contact number today reached
    /// `notices.sms_offers_per_employer_day`.
    EmployerDay,
}

/// One candidate in a ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    /// The worker.
    pub worker_id: String,
    /// Place in the ranking (1 = first), if ranked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Whether this wave offered them the job.
    #[serde(default)]
    pub offered: bool,
    /// The factors compared, if ranked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factors: Option<Factors>,
    /// Why not ranked, if left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Exclusion>,
}

/// One ranking (one wave of offers for one job), or one part of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The station.
    pub station: StationId,
    /// The job.
    pub job_id: String,
    /// Wave number, from 1.
    pub wave: u32,
    /// This part's number, from 0.
    pub part: u32,
    /// How many parts the ranking has.
    pub parts: u32,
    /// The seed of the draw, as 16 hex digits: re-running the draw with it gives the
    /// same order.
    pub seed: String,
    /// When ranked.
    pub created_at: DateTime<Utc>,
    /// The settings the ranking used.
    pub settings: MatchingSettings,
    /// Workers found in the index for the job's trade and districts.
    pub found: u32,
    /// Workers ranked.
    pub ranked: u32,
    /// Offers this wave made.
    pub offered: u32,
    /// Open offers the wave aimed for (wave factor × open places).
    pub target: u32,
    /// The cap that stopped the wave short of its target, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped: Option<OfferCap>,
    /// Whether the candidate list was cut at `max_candidates`, or rows were left out
    /// of the record beyond [`MAX_PARTS`].
    pub truncated: bool,
    /// Workers left out, counted by reason (all of them, also beyond the rows kept).
    pub excluded: Vec<(Exclusion, u32)>,
    /// The candidates in this part: ranked ones in rank order, then those left out.
    pub rows: Vec<DecisionRow>,
}
