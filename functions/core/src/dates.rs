//! Work dates, reckoned in the station's time zone.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::problem::{FieldError, Problems};

/// Longest a single posting may run, in days (inclusive of both ends).
pub const MAX_SPAN_DAYS: i64 = 92;
/// How far ahead a posting may start, in days.
pub const MAX_LEAD_DAYS: i64 = 180;

/// Parses `YYYY-MM-DD` (also `YYYY/MM/DD` and `YYYY.MM.DD`, as people type dates).
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    let normalised = text.replace(['/', '.'], "-");
    NaiveDate::parse_from_str(&normalised, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "error.date_format"))
}

/// The first and last day of a piece of work, both inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkDates {
    /// First day of work.
    pub start: NaiveDate,
    /// Last day of work.
    pub end: NaiveDate,
}

impl WorkDates {
    /// Checks the dates: start not before `earliest` (today, or the old start when an
    /// employer edits a job already under way), start at most [`MAX_LEAD_DAYS`] after
    /// `today`, end not before start, at most [`MAX_SPAN_DAYS`] days in all.
    pub fn parse(
        start_field: (&str, &str),
        end_field: (&str, &str),
        today: NaiveDate,
        earliest: NaiveDate,
        problems: &mut Problems,
    ) -> Option<WorkDates> {
        let start = problems.take(parse_date(start_field.0, start_field.1));
        let end = problems.take(parse_date(end_field.0, end_field.1));
        let (start, end) = (start?, end?);
        let mut ok = true;
        if start < earliest {
            problems.push(FieldError::new(start_field.0, "error.date_past"));
            ok = false;
        }
        if (start - today).num_days() > MAX_LEAD_DAYS {
            problems.push(
                FieldError::new(start_field.0, "error.date_too_far").with("days", MAX_LEAD_DAYS),
            );
            ok = false;
        }
        if end < start {
            problems.push(FieldError::new(end_field.0, "error.end_before_start"));
            ok = false;
        } else if (end - start).num_days() + 1 > MAX_SPAN_DAYS {
            problems.push(
                FieldError::new(end_field.0, "error.span_too_long").with("days", MAX_SPAN_DAYS),
            );
            ok = false;
        }
        ok.then_some(WorkDates { start, end })
    }

    /// Number of calendar days, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// Whether `day` falls within the dates.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        parse_date("d", s).unwrap()
    }

    fn check(start: &str, end: &str, today: &str) -> Result<WorkDates, Vec<&'static str>> {
        let mut problems = Problems::new();
        let dates = WorkDates::parse(
            ("start_date", start),
            ("end_date", end),
            day(today),
            day(today),
            &mut problems,
        );
        match problems.finish() {
            Ok(()) => Ok(dates.unwrap()),
            Err(invalid) => Err(invalid.0.iter().map(|e| e.key).collect()),
        }
    }

    #[test]
    fn accepts_today_and_a_range() {
        let dates = check("2026-11-28", "2026-11-30", "2026-11-28").unwrap();
        assert_eq!(dates.days(), 3);
        assert!(check("2026/12/01", "2026.12.01", "2026-11-28").is_ok());
    }

    #[test]
    fn refuses_past_reversed_far_and_long() {
        assert_eq!(
            check("2026-11-27", "2026-11-28", "2026-11-28"),
            Err(vec!["error.date_past"])
        );
        assert_eq!(
            check("2026-11-29", "2026-11-28", "2026-11-28"),
            Err(vec!["error.end_before_start"])
        );
        assert_eq!(
            check("2027-06-01", "2027-06-02", "2026-11-28"),
            Err(vec!["error.date_too_far"])
        );
        assert_eq!(
            check("2026-12-01", "2027-03-05", "2026-11-28"),
            Err(vec!["error.span_too_long"])
        );
        assert_eq!(
            check("2026-13-01", "2026-12-01", "2026-11-28"),
            Err(vec!["error.date_format"])
        );
        assert_eq!(
            check("", "2026-12-01", "2026-11-28"),
            Err(vec!["error.required"])
        );
    }
}
