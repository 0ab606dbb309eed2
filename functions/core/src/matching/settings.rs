//! The `[matching]` section of a station file: how candidates are ranked and how offers
//! go out. Every field has a default, so a station file may leave the section out.

use serde::{Deserialize, Serialize};

/// How a station ranks candidates and sends offers.
///
/// Ranking compares, in this order (see [`crate::matching::rank`]):
/// 1. load = `weight_days_worked` × days worked + `weight_offers` × offers received,
///    both within the last `window_days` days — lower first;
/// 2. time waited since the last offer or placement (or since sign-up), in whole steps
///    of `wait_step_hours` — longer first;
/// 3. match quality = `weight_exact_district` if the worker lives in the job's own
///    district (not a neighbouring one) + `weight_wage_fit` if the worker's expected
///    wage is at most the wage offered — higher first;
/// 4. a random draw from a seed recorded with the ranking — lower first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchingSettings {
    /// The fairness window: days worked and offers received are counted over this many
    /// days up to now.
    pub window_days: u32,
    /// Weight of one day worked in the load.
    pub weight_days_worked: u32,
    /// Weight of one offer received in the load.
    pub weight_offers: u32,
    /// Waiting time is compared in whole steps of this many hours, so that a few
    /// minutes' difference does not outrank match quality.
    pub wait_step_hours: u32,
    /// Quality points for living in the job's own district.
    pub weight_exact_district: u32,
    /// Quality points for an expected wage at or below the wage offered.
    pub weight_wage_fit: u32,
    /// Offers outstanding per open place: each wave tops the open offers up to
    /// `wave_factor` × open places.
    pub wave_factor: u32,
    /// Minutes a worker has to answer an offer (counted from when the notice may be
    /// sent, so an offer made during quiet hours does not run out overnight).
    pub offer_expiry_minutes: u32,
    /// Most candidates read for one ranking; beyond this the decision record says the
    /// list was cut.
    pub max_candidates: u32,
    /// Offers in all a posting gets while nobody has vouched for it: made online (not
    /// at the desk), by an employer staff have not verified, and not approved by staff
    /// (see [`crate::job::Job::vouched`]). Enough for a household's one- or two-person
    /// job; a larger posting waits for staff. 0 makes every such posting wait.
    pub unvouched_offers: u32,
}

impl Default for MatchingSettings {
    fn default() -> Self {
        MatchingSettings {
            window_days: 7,
            weight_days_worked: 2,
            weight_offers: 1,
            wait_step_hours: 24,
            weight_exact_district: 2,
            weight_wage_fit: 1,
            wave_factor: 2,
            offer_expiry_minutes: 120,
            max_candidates: 5000,
            unvouched_offers: 6,
        }
    }
}

impl MatchingSettings {
    /// Checks the values make sense; the text names the problem.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=90).contains(&self.window_days) {
            return Err("matching.window_days must be 1–90".into());
        }
        if self.weight_days_worked > 100
            || self.weight_offers > 100
            || self.weight_exact_district > 100
            || self.weight_wage_fit > 100
        {
            return Err("matching weights must be 0–100".into());
        }
        if self.weight_days_worked == 0 && self.weight_offers == 0 {
            return Err(
                "matching.weight_days_worked and matching.weight_offers cannot both be 0: fair rotation needs a load".into(),
            );
        }
        if !(1..=24 * 30).contains(&self.wait_step_hours) {
            return Err("matching.wait_step_hours must be 1–720".into());
        }
        if !(1..=10).contains(&self.wave_factor) {
            return Err("matching.wave_factor must be 1–10".into());
        }
        if !(5..=7 * 24 * 60).contains(&self.offer_expiry_minutes) {
            return Err("matching.offer_expiry_minutes must be 5–10080".into());
        }
        if !(10..=100_000).contains(&self.max_candidates) {
            return Err("matching.max_candidates must be 10–100000".into());
        }
        if self.unvouched_offers > 1000 {
            return Err("matching.unvouched_offers must be 0–1000".into());
        }
        Ok(())
    }
}
