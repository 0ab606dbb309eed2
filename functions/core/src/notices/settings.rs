//! The `[notices]` section of a station file: quiet hours, the daily SMS limit per
//! number, the daily caps on offer SMS per posting and per employer, the station's
//! daily SMS budget, and how failed sends are retried. Every field has a default.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How a station sends notices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticeSettings {
    /// Start of the quiet hours, station time, `HH:MM`: no SMS from then…
    pub quiet_start: String,
    /// …until this time (the next morning when it is earlier than the start). Equal
    /// start and end turn quiet hours off.
    pub quiet_end: String,
    /// Most SMS one number receives from the station per day; more wait for the next
    /// morning.
    pub sms_daily_limit: u32,
    /// Most SMS the station sends in a day, to all numbers together (a cap on the bill
    /// if a form is abused for toll fraud); more wait for the next morning.
    pub sms_daily_budget: u32,
    /// Most offers by SMS one posting sends in a station day. A wave stops at the
    /// first SMS candidate beyond it, so one posting (up to 200 places, two offers a
    /// place) cannot spend the station's budget; it is enforced where the wave claims
    /// its offers (see [`crate::matching::wave`]).
    pub sms_offers_per_posting_day: u32,
    /// Most offers by SMS the postings of one employer (one contact number, keyed by
    /// its hash) send together in a station day.
    pub sms_offers_per_employer_day: u32,
    /// Tries per notice before it is parked for staff.
    pub max_attempts: u32,
    /// Wait before the first retry, in seconds; each later retry waits four times
    /// longer.
    pub retry_base_seconds: u32,
    /// A send that has not reported back after this many seconds is presumed
    /// interrupted; its outcome is unknown, so it is parked rather than sent again.
    pub send_lease_seconds: u32,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        NoticeSettings {
            quiet_start: "21:00".into(),
            quiet_end: "08:00".into(),
            sms_daily_limit: 6,
            sms_daily_budget: 1000,
            sms_offers_per_posting_day: 40,
            sms_offers_per_employer_day: 80,
            max_attempts: 5,
            retry_base_seconds: 60,
            send_lease_seconds: 300,
        }
    }
}

fn parse_time(field: &str, text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| format!("notices.{field} must be a time like 21:00, not `{text}`"))
}

impl NoticeSettings {
    /// Checks the values make sense; the text names the problem.
    pub fn check(&self) -> Result<(), String> {
        parse_time("quiet_start", &self.quiet_start)?;
        parse_time("quiet_end", &self.quiet_end)?;
        if !(1..=50).contains(&self.sms_daily_limit) {
            return Err("notices.sms_daily_limit must be 1–50".into());
        }
        if !(1..=1_000_000).contains(&self.sms_daily_budget) {
            return Err("notices.sms_daily_budget must be 1–1000000".into());
        }
        if !(1..=100_000).contains(&self.sms_offers_per_posting_day) {
            return Err("notices.sms_offers_per_posting_day must be 1–100000".into());
        }
        if !(1..=100_000).contains(&self.sms_offers_per_employer_day) {
            return Err("notices.sms_offers_per_employer_day must be 1–100000".into());
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err("notices.max_attempts must be 1–10".into());
        }
        if !(1..=3600).contains(&self.retry_base_seconds) {
            return Err("notices.retry_base_seconds must be 1–3600".into());
        }
        if !(30..=3600).contains(&self.send_lease_seconds) {
            return Err("notices.send_lease_seconds must be 30–3600".into());
        }
        Ok(())
    }

    /// The quiet hours (checked by [`NoticeSettings::check`] at start).
    pub fn quiet_hours(&self) -> QuietHours {
        let start = parse_time("quiet_start", &self.quiet_start).unwrap_or(NaiveTime::MIN);
        let end = parse_time("quiet_end", &self.quiet_end).unwrap_or(NaiveTime::MIN);
        QuietHours { start, end }
    }

    /// How long to wait before try number `attempt + 1`, after `attempt` failed tries.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 4i64.saturating_pow(attempt.saturating_sub(1).min(8));
        Duration::seconds(i64::from(self.retry_base_seconds).saturating_mul(factor))
    }
}

/// The hours during which no SMS is sent, in station time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    /// First quiet minute.
    pub start: NaiveTime,
    /// First minute after the quiet hours.
    pub end: NaiveTime,
}

impl QuietHours {
    /// No quiet hours at all.
    pub const NONE: QuietHours = QuietHours {
        start: NaiveTime::MIN,
        end: NaiveTime::MIN,
    };

    /// Whether the station-time `time` is quiet.
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start == self.end {
            false
        } else if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// The first instant at or after `now` that is not quiet in time zone `tz`.
    pub fn next_allowed(&self, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = now.with_timezone(&tz);
        if !self.contains(local.time()) {
            return now;
        }
        let mut day = local.date_naive();
        if local.time() >= self.end {
            day = day.succ_opt().unwrap_or(day);
        }
        // Time zones without daylight saving (China has none) map every local time to
        // one instant; elsewhere take the earliest, or an hour later inside a gap.
        let naive = day.and_time(self.end);
        tz.from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(naive + Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now + Duration::hours(12))
    }

    /// The end of the quiet hours that follow the station-time day of `now`: when a
    /// daily limit is reached, the next SMS waits until then.
    pub fn next_morning(&self, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = now.with_timezone(&tz);
        let tomorrow = local.date_naive().succ_opt().unwrap_or(local.date_naive());
        let at = if self.start == self.end {
            NaiveTime::MIN
        } else {
            self.end
        };
        tz.from_local_datetime(&tomorrow.and_time(at))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now + Duration::hours(24))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_wrap_past_midnight() {
        let quiet = NoticeSettings::default().quiet_hours();
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        assert!(!quiet.contains(t("20:59")));
        assert!(quiet.contains(t("21:00")));
        assert!(quiet.contains(t("03:00")));
        assert!(quiet.contains(t("07:59")));
        assert!(!quiet.contains(t("08:00")));
        assert!(!QuietHours::NONE.contains(t("03:00")));
    }

    #[test]
    fn next_allowed_is_eight_in_the_morning_station_time() {
        let quiet = NoticeSettings::default().quiet_hours();
        let tz = chrono_tz::Asia::Shanghai;
        // 22:30 in Xining → 08:00 the next day.
        assert_eq!(
            quiet.next_allowed(at("2026-11-28T22:30:00+08:00"), tz),
            at("2026-11-29T08:00:00+08:00")
        );
        // 02:00 → 08:00 the same day.
        assert_eq!(
            quiet.next_allowed(at("2026-11-29T02:00:00+08:00"), tz),
            at("2026-11-29T08:00:00+08:00")
        );
        // Daytime: now.
        let noon = at("2026-11-29T12:00:00+08:00");
        assert_eq!(quiet.next_allowed(noon, tz), noon);
        assert_eq!(
            quiet.next_morning(noon, tz),
            at("2026-11-30T08:00:00+08:00")
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut s = NoticeSettings::default();
        assert!(s.check().is_ok());
        s.quiet_start = "9pm".into();
        assert!(s.check().is_err());
        let s = NoticeSettings {
            sms_daily_limit: 0,
            ..NoticeSettings::default()
        };
        assert!(s.check().is_err());
    }

    #[test]
    fn retries_back_off() {
        let s = NoticeSettings::default();
        assert_eq!(s.retry_delay(1), Duration::seconds(60));
        assert_eq!(s.retry_delay(2), Duration::seconds(240));
        assert_eq!(s.retry_delay(3), Duration::seconds(960));
    }
}
