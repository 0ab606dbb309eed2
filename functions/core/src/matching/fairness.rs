//! The fairness inputs of one candidate, from their own history: days worked and
//! offers received in the window, time waited, and whether the job's dates clash with
//! work they already hold. Pure functions; the reads live in [`super::candidates`].

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{offer::OfferStatus, rank::Factors, settings::MatchingSettings};
use crate::{
    dates::WorkDates,
    job::Job,
    placement::{Placement, PlacementStatus},
    worker::Worker,
};

/// What a candidate's history says, read from the indexes.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Their placements that may touch the window or the job's dates.
    pub placements: Vec<Placement>,
    /// Their offers (when, and how each ended), newest first, back to at least the
    /// window's start.
    pub offers: Vec<(DateTime<Utc>, OfferStatus)>,
}

/// Whether an offer counts as a chance the worker had. An offer closed because every
/// place was taken (or the job closed) before they could answer was no chance: it
/// neither adds to their load nor ends their wait. Otherwise a worker who reads SMS
/// slowly would lose races and then be asked less for having lost them.
pub fn was_a_chance(status: OfferStatus) -> bool {
    !matches!(status, OfferStatus::Filled | OfferStatus::Withdrawn)
}

/// The days in the window: the `window_days` days up to and including `today`.
pub fn window(today: NaiveDate, settings: &MatchingSettings) -> (NaiveDate, NaiveDate) {
    let first = today - Duration::days(i64::from(settings.window_days) - 1);
    (first, today)
}

/// Days worked in the window: every day of a held or completed placement inside it.
/// When staff recorded fewer days worked than the placement spans, the record wins.
pub fn days_worked(placements: &[Placement], window: (NaiveDate, NaiveDate)) -> u32 {
    let mut days = BTreeSet::new();
    for placement in placements {
        let held = match placement.status {
            PlacementStatus::Reserved => u32::MAX,
            PlacementStatus::Completed => u32::from(placement.days_worked.unwrap_or(u16::MAX)),
            PlacementStatus::Cancelled => continue,
        };
        let first = placement.start.max(window.0);
        let last = placement.end.min(window.1);
        let mut day = first;
        let mut counted = 0u32;
        while day <= last && counted < held {
            days.insert(day);
            counted += 1;
            day = match day.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
    }
    u32::try_from(days.len()).unwrap_or(u32::MAX)
}

/// Whether a held placement overlaps `dates` (the worker is busy then).
pub fn is_busy(placements: &[Placement], dates: &WorkDates) -> bool {
    placements.iter().any(|p| {
        p.status == PlacementStatus::Reserved && p.start <= dates.end && dates.start <= p.end
    })
}

/// The factors of `worker` for `job` at `now` (`today` in station time).
pub fn factors(
    worker: &Worker,
    job: &Job,
    history: &History,
    now: DateTime<Utc>,
    today: NaiveDate,
    settings: &MatchingSettings,
) -> Factors {
    let window_start = now - Duration::days(i64::from(settings.window_days));
    let chances: Vec<DateTime<Utc>> = history
        .offers
        .iter()
        .filter(|(_, status)| was_a_chance(*status))
        .map(|(at, _)| *at)
        .collect();
    let offers = chances.iter().filter(|t| **t > window_start).count();
    let last_offer = chances.iter().max().copied();
    let last_placement = history
        .placements
        .iter()
        .filter(|p| p.status != PlacementStatus::Cancelled)
        .map(|p| p.created_at)
        .max();
    let since = [last_offer, last_placement, Some(worker.created_at)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now);
    let waited_hours = u32::try_from((now - since).num_hours().max(0)).unwrap_or(u32::MAX);
    Factors {
        days_worked: days_worked(&history.placements, window(today, settings)),
        offers: u32::try_from(offers).unwrap_or(u32::MAX),
        waited_hours,
        never_offered: chances.is_empty(),
        exact_district: worker.districts.iter().any(|d| d == &job.district),
        wage_fit: worker
            .expected_daily_wage
            .is_none_or(|expected| expected <= job.daily_wage),
        draw: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{money::Money, placement::PlacementOrigin, station::StationId};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn placement(start: &str, end: &str, status: PlacementStatus) -> Placement {
        Placement {
            station: StationId::parse("xining-chengzhong").unwrap(),
            job_id: format!("job-{start}"),
            worker_id: "w".into(),
            trade: "cleaning".into(),
            district: "chengzhong".into(),
            daily_wage: Money::from_yuan(200),
            start: day(start),
            end: day(end),
            status,
            origin: PlacementOrigin::Offer,
            days_worked: None,
            wage_paid: None,
            paid_check: None,
            created_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            updated_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            version: 1,
        }
    }

    #[test]
    fn days_in_the_window_are_counted_once() {
        let settings = MatchingSettings::default();
        let w = window(day("2026-11-28"), &settings);
        assert_eq!(w, (day("2026-11-22"), day("2026-11-28")));
        let placements = vec![
            // Started before the window: only its days inside count (22–24).
            placement("2026-11-18", "2026-11-24", PlacementStatus::Reserved),
            // Overlaps the first one on the 24th: counted once.
            placement("2026-11-24", "2026-11-25", PlacementStatus::Completed),
            // Cancelled: nothing.
            placement("2026-11-26", "2026-11-27", PlacementStatus::Cancelled),
            // Ahead of today: not worked yet.
            placement("2026-11-29", "2026-11-30", PlacementStatus::Reserved),
        ];
        assert_eq!(days_worked(&placements, w), 4);
    }

    #[test]
    fn recorded_days_worked_win_over_the_span() {
        let mut done = placement("2026-11-22", "2026-11-28", PlacementStatus::Completed);
        done.days_worked = Some(2);
        let w = window(day("2026-11-28"), &MatchingSettings::default());
        assert_eq!(days_worked(&[done], w), 2);
    }

    #[test]
    fn offers_lost_to_a_full_job_are_no_chance() {
        assert!(was_a_chance(OfferStatus::Declined));
        assert!(was_a_chance(OfferStatus::Expired));
        assert!(was_a_chance(OfferStatus::Accepted));
        assert!(was_a_chance(OfferStatus::Offered));
        assert!(!was_a_chance(OfferStatus::Filled));
        assert!(!was_a_chance(OfferStatus::Withdrawn));
    }

    #[test]
    fn held_work_on_the_same_dates_makes_a_worker_busy() {
        let held = vec![placement(
            "2026-12-01",
            "2026-12-03",
            PlacementStatus::Reserved,
        )];
        let dates = |a: &str, b: &str| WorkDates {
            start: day(a),
            end: day(b),
        };
        assert!(is_busy(&held, &dates("2026-12-03", "2026-12-05")));
        assert!(!is_busy(&held, &dates("2026-12-04", "2026-12-05")));
        let cancelled = vec![placement(
            "2026-12-01",
            "2026-12-03",
            PlacementStatus::Cancelled,
        )];
        assert!(!is_busy(&cancelled, &dates("2026-12-01", "2026-12-01")));
    }
}
