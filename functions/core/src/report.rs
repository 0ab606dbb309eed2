//! Reports about job postings ("report this posting" on the board): anyone may say a
//! posting looks wrong, without giving their name. A report is filed under the job, so
//! the reports on one job are one query; staff review them (a later step adds the
//! threshold at which a posting is taken down for review).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    input::RawInput,
    problem::{FieldError, Invalid, Problems},
    station::StationId,
    text::{TextRule, clean_text},
};

/// Why someone reports a posting: a fixed list, so reports can be counted and sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    /// The wage, dates, place or work are not as posted.
    WrongInfo,
    /// The employer asks workers for a fee, a deposit or their ID card.
    Fee,
    /// Workers were not paid.
    Unpaid,
    /// The work is unsafe.
    Unsafe,
    /// Discriminatory requirements (sex, ethnicity, origin, …).
    Discrimination,
    /// Looks like a scam.
    Scam,
    /// Something else (say what in the details).
    Other,
}

impl ReportReason {
    /// Every reason, in the order forms show them.
    pub const ALL: [ReportReason; 7] = [
        ReportReason::WrongInfo,
        ReportReason::Fee,
        ReportReason::Unpaid,
        ReportReason::Unsafe,
        ReportReason::Discrimination,
        ReportReason::Scam,
        ReportReason::Other,
    ];

    /// The name in forms and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::WrongInfo => "wrong_info",
            ReportReason::Fee => "fee",
            ReportReason::Unpaid => "unpaid",
            ReportReason::Unsafe => "unsafe",
            ReportReason::Discrimination => "discrimination",
            ReportReason::Scam => "scam",
            ReportReason::Other => "other",
        }
    }

    fn parse(field: &str, raw: &str) -> Result<ReportReason, FieldError> {
        match raw.trim() {
            "" => Err(FieldError::new(field, "error.required")),
            text => ReportReason::ALL
                .into_iter()
                .find(|r| r.as_str() == text)
                .ok_or_else(|| FieldError::new(field, "report.error_reason")),
        }
    }
}

/// Where a report stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting for staff; counts towards sending the posting back to review.
    Received,
    /// Staff looked at the posting after it (approved it again or took it down).
    Reviewed,
}

impl ReportStatus {
    /// The name in keys and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Received => "received",
            ReportStatus::Reviewed => "reviewed",
        }
    }
}

/// Rule for the optional details.
pub const DETAILS_RULE: TextRule = TextRule {
    min: 0,
    max: 500,
    multiline: true,
};

/// A report that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportDraft {
    /// Why.
    pub reason: ReportReason,
    /// What the reporter adds, may be empty.
    pub details: String,
}

impl ReportDraft {
    /// Parses and checks a report. "Other" needs details, so staff know what is wrong.
    pub fn parse(input: &RawInput) -> Result<ReportDraft, Invalid> {
        let mut p = Problems::new();
        let reason = p.take(ReportReason::parse("reason", input.text("reason")));
        let details = p.take(clean_text("details", input.text("details"), DETAILS_RULE));
        if reason == Some(ReportReason::Other) && details.as_deref() == Some("") {
            p.push(FieldError::new("details", "report.error_details_needed"));
        }
        p.finish()?;
        match (reason, details) {
            (Some(reason), Some(details)) => Ok(ReportDraft { reason, details }),
            _ => Err(Invalid::one(FieldError::new("_form", "error.invalid"))),
        }
    }
}

/// A stored report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobReport {
    /// Identifier (ULID).
    pub id: String,
    /// The station.
    pub station: StationId,
    /// The job reported.
    pub job_id: String,
    /// Why.
    pub reason: ReportReason,
    /// Details, may be empty.
    pub details: String,
    /// Where it stands.
    pub status: ReportStatus,
    /// When filed.
    pub created_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
    /// Who reported: a keyed hash of their address (never the address itself), so
    /// staff can tell reporters apart. Reports from before it was kept have none.
    #[serde(default)]
    pub reporter: Option<String>,
    /// The reporter's address masked for staff (`203.0.*.*`, `2001:db8:*`).
    #[serde(default)]
    pub reporter_hint: Option<String>,
    /// Whether it counts towards sending the posting back to review: only the first
    /// report of each reporter on a posting does, ever (see
    /// [`crate::keys::job_reporter`]).
    #[serde(default = "counted_by_default")]
    pub counted: bool,
}

fn counted_by_default() -> bool {
    true
}

/// An address masked for staff: the first half of an IPv4 address (`203.0.*.*`), the
/// first 32 bits of an IPv6 one (`2001:db8:*`); `?` when it is not an address.
pub fn address_hint(address: &str) -> String {
    match address.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let [a, b, _, _] = v4.octets();
            format!("{a}.{b}.*.*")
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:*", s[0], s[1])
        }
        Err(_) => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_for_staff() {
        assert_eq!(address_hint("203.0.113.7"), "203.0.*.*");
        assert_eq!(address_hint("2001:db8:85a3::7334"), "2001:db8:*");
        assert_eq!(address_hint("unknown"), "?");
    }

    fn input(pairs: &[(&str, &str)]) -> RawInput {
        let mut input = RawInput::new();
        for (k, v) in pairs {
            input.push(*k, *v);
        }
        input
    }

    #[test]
    fn reasons_come_from_the_list() {
        let draft = ReportDraft::parse(&input(&[("reason", "fee")])).unwrap();
        assert_eq!(draft.reason, ReportReason::Fee);
        assert_eq!(draft.details, "");
        let invalid = ReportDraft::parse(&input(&[("reason", "because")])).unwrap_err();
        assert_eq!(
            invalid.for_field("reason").unwrap().key,
            "report.error_reason"
        );
        let invalid = ReportDraft::parse(&input(&[])).unwrap_err();
        assert_eq!(invalid.for_field("reason").unwrap().key, "error.required");
    }

    #[test]
    fn other_needs_details_and_details_are_bounded() {
        let invalid = ReportDraft::parse(&input(&[("reason", "other")])).unwrap_err();
        assert_eq!(
            invalid.for_field("details").unwrap().key,
            "report.error_details_needed"
        );
        let long = "很".repeat(501);
        let invalid =
            ReportDraft::parse(&input(&[("reason", "scam"), ("details", &long)])).unwrap_err();
        assert_eq!(invalid.for_field("details").unwrap().key, "error.too_long");
    }
}
