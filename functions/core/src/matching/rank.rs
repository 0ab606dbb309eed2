//! Ranking with fair rotation: who is asked first. Pure functions over each
//! candidate's [`Factors`], so every ranking can be recomputed and explained.
//!
//! The order, as the station promises it (and the settings weigh it):
//! 1. **load** — days worked and offers received in the fairness window, weighted;
//!    the least loaded first;
//! 2. **waiting** — time since the last offer or placement (or since signing up), in
//!    whole steps; the longest waiting first;
//! 3. **match quality** — living in the job's own district, expecting no more than the
//!    wage offered; the better match first;
//! 4. **draw** — a number drawn from a seed recorded with the ranking: a fair lottery
//!    between otherwise equal candidates that anyone holding the seed can re-run.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::settings::MatchingSettings;

/// What the ranking knows about one candidate: everything it compares, kept in the
/// decision record and shown to the worker about themself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factors {
    /// Days worked (or booked and passed) in the fairness window.
    pub days_worked: u32,
    /// Offers received in the fairness window.
    pub offers: u32,
    /// Hours since the last offer or placement, or since signing up.
    pub waited_hours: u32,
    /// Whether the worker has never had an offer.
    pub never_offered: bool,
    /// Lives in the job's own district (not only a neighbouring one).
    pub exact_district: bool,
    /// Expects at most the wage offered (or did not say).
    pub wage_fit: bool,
    /// The draw from the ranking's seed (filled in by [`rank`]).
    #[serde(default)]
    pub draw: u64,
}

impl Factors {
    /// The weighted load: lower is asked first.
    pub fn load(&self, settings: &MatchingSettings) -> u64 {
        u64::from(self.days_worked) * u64::from(settings.weight_days_worked)
            + u64::from(self.offers) * u64::from(settings.weight_offers)
    }

    /// Whole waiting steps: higher is asked first.
    pub fn wait_steps(&self, settings: &MatchingSettings) -> u32 {
        self.waited_hours / settings.wait_step_hours.max(1)
    }

    /// Match quality points: higher is asked first.
    pub fn quality(&self, settings: &MatchingSettings) -> u32 {
        u32::from(self.exact_district) * settings.weight_exact_district
            + u32::from(self.wage_fit) * settings.weight_wage_fit
    }
}

/// The draw for `worker_id` from `seed`: the top 52 bits of the first eight bytes of
/// SHA-256(seed as 16 hex digits, `:`, worker id) — 52 bits so that every store and
/// JSON reader keeps the number exact. Independent of who else is ranked, so adding a
/// candidate never reshuffles the others.
pub fn draw(seed: u64, worker_id: &str) -> u64 {
    let digest = Sha256::digest(format!("{seed:016x}:{worker_id}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes) >> 12
}

/// Compares two candidates: `Less` means `a` is asked before `b`.
pub fn compare(
    settings: &MatchingSettings,
    (a_id, a): (&str, &Factors),
    (b_id, b): (&str, &Factors),
) -> Ordering {
    a.load(settings)
        .cmp(&b.load(settings))
        .then_with(|| b.wait_steps(settings).cmp(&a.wait_steps(settings)))
        .then_with(|| b.quality(settings).cmp(&a.quality(settings)))
        .then_with(|| a.draw.cmp(&b.draw))
        .then_with(|| a_id.cmp(b_id))
}

/// Ranks `candidates` (worker id, factors): fills in each draw from `seed` and sorts,
/// first to be asked first.
pub fn rank<T>(
    settings: &MatchingSettings,
    seed: u64,
    candidates: Vec<(T, Factors)>,
    id_of: impl Fn(&T) -> &str,
) -> Vec<(T, Factors)> {
    let mut ranked: Vec<(T, Factors)> = candidates
        .into_iter()
        .map(|(who, mut factors)| {
            factors.draw = draw(seed, id_of(&who));
            (who, factors)
        })
        .collect();
    ranked.sort_by(|(a, fa), (b, fb)| compare(settings, (id_of(a), fa), (id_of(b), fb)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(days: u32, offers: u32, waited: u32, exact: bool, wage: bool) -> Factors {
        Factors {
            days_worked: days,
            offers,
            waited_hours: waited,
            never_offered: offers == 0,
            exact_district: exact,
            wage_fit: wage,
            draw: 0,
        }
    }

    fn order(candidates: Vec<(&'static str, Factors)>, seed: u64) -> Vec<&'static str> {
        rank(&MatchingSettings::default(), seed, candidates, |id| id)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    #[test]
    fn fewer_days_worked_come_first() {
        let got = order(
            vec![
                ("busy", f(3, 0, 500, true, true)),
                ("idle", f(0, 0, 10, false, false)),
            ],
            1,
        );
        assert_eq!(got, ["idle", "busy"]);
    }

    #[test]
    fn fewer_offers_come_first_when_days_are_equal() {
        let got = order(
            vec![
                ("asked-twice", f(1, 2, 300, true, true)),
                ("asked-once", f(1, 1, 1, false, false)),
            ],
            1,
        );
        assert_eq!(got, ["asked-once", "asked-twice"]);
    }

    #[test]
    fn a_day_worked_weighs_more_than_an_offer_by_default() {
        // Load: 2×1 + 0 = 2 against 2×0 + 1 = 1.
        let got = order(
            vec![
                ("worked-a-day", f(1, 0, 0, true, true)),
                ("had-an-offer", f(0, 1, 0, false, false)),
            ],
            7,
        );
        assert_eq!(got, ["had-an-offer", "worked-a-day"]);
    }

    #[test]
    fn then_the_longest_waiting_in_whole_days() {
        let got = order(
            vec![
                ("two-days", f(0, 1, 50, false, false)),
                ("four-days", f(0, 1, 100, false, false)),
            ],
            1,
        );
        assert_eq!(got, ["four-days", "two-days"]);
        // Within the same day of waiting, match quality decides.
        let got = order(
            vec![
                ("waited-longer", f(0, 1, 47, false, false)),
                ("better-match", f(0, 1, 25, true, true)),
            ],
            1,
        );
        assert_eq!(got, ["better-match", "waited-longer"]);
    }

    #[test]
    fn then_match_quality_district_before_wage() {
        let got = order(
            vec![
                ("wage-only", f(0, 0, 5, false, true)),
                ("neither", f(0, 0, 5, false, false)),
                ("district-only", f(0, 0, 5, true, false)),
                ("both", f(0, 0, 5, true, true)),
            ],
            3,
        );
        assert_eq!(got, ["both", "district-only", "wage-only", "neither"]);
    }

    #[test]
    fn ties_are_drawn_from_the_recorded_seed() {
        let tied: Vec<(&'static str, Factors)> = ["a", "b", "c", "d", "e", "f", "g", "h"]
            .into_iter()
            .map(|id| (id, f(0, 0, 5, true, true)))
            .collect();
        // The same seed gives the same order, every time.
        assert_eq!(order(tied.clone(), 42), order(tied.clone(), 42));
        // Different seeds give different orders (a lottery, not id order).
        let orders: std::collections::BTreeSet<Vec<&str>> =
            (0..20).map(|seed| order(tied.clone(), seed)).collect();
        assert!(orders.len() > 10, "{orders:?}");
        // The draw is recorded with each candidate and can be recomputed.
        let ranked = rank(&MatchingSettings::default(), 42, tied, |id| id);
        for (id, factors) in &ranked {
            assert_eq!(factors.draw, draw(42, id));
        }
        assert!(ranked.windows(2).all(|w| w[0].1.draw <= w[1].1.draw));
    }

    #[test]
    fn each_worker_wins_ties_about_equally_often() {
        let mut firsts = std::collections::BTreeMap::new();
        for seed in 0..4000u64 {
            let tied: Vec<(&'static str, Factors)> = ["a", "b", "c", "d"]
                .into_iter()
                .map(|id| (id, f(0, 0, 5, true, true)))
                .collect();
            *firsts.entry(order(tied, seed)[0]).or_insert(0) += 1;
        }
        for (id, count) in firsts {
            assert!(
                (850..1150).contains(&count),
                "{id} first {count} times of 4000"
            );
        }
    }

    #[test]
    fn weights_come_from_the_settings() {
        let offers_heavy = MatchingSettings {
            weight_days_worked: 1,
            weight_offers: 5,
            ..MatchingSettings::default()
        };
        let candidates = vec![
            ("worked-two-days", f(2, 0, 0, true, true)),
            ("had-one-offer", f(0, 1, 0, true, true)),
        ];
        let got: Vec<_> = rank(&offers_heavy, 1, candidates, |id| *id)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(got, ["worked-two-days", "had-one-offer"]);
    }
}
