//! Consultation and complaints (咨询维权): a worker asks for advice, or for help when
//! they were not paid or the work was unsafe. The record holds what staff need to call
//! back and nothing more; it is never shown in public. Staff move it through
//! received → in progress → resolved, or referred to the 12333 hotline or to labour
//! inspection ([`ComplaintStatus::can_become`] is the one place that decides), with a
//! note at each step; it is linked to the employer's record so a pattern shows.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    input::RawInput,
    job::is_id,
    phone::MobileNumber,
    problem::{FieldError, Invalid, Problems},
    station::StationId,
    text::{Description, EmployerName, PersonName},
    worker::Consent,
};

/// What the person asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    /// A question about policy, pay, insurance, training (咨询).
    Consult,
    /// Not paid, or paid less than agreed (欠薪).
    Unpaid,
    /// Unsafe work or an injury (安全).
    Unsafe,
    /// Anything else.
    Other,
}

impl ComplaintKind {
    /// Every kind, in the order forms show them.
    pub const ALL: [ComplaintKind; 4] = [
        ComplaintKind::Consult,
        ComplaintKind::Unpaid,
        ComplaintKind::Unsafe,
        ComplaintKind::Other,
    ];

    /// The name in forms and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintKind::Consult => "consult",
            ComplaintKind::Unpaid => "unpaid",
            ComplaintKind::Unsafe => "unsafe",
            ComplaintKind::Other => "other",
        }
    }

    fn parse(field: &str, raw: &str) -> Result<ComplaintKind, FieldError> {
        match raw.trim() {
            "" => Err(FieldError::new(field, "error.required")),
            text => ComplaintKind::ALL
                .into_iter()
                .find(|k| k.as_str() == text)
                .ok_or_else(|| FieldError::new(field, "rights.error_kind")),
        }
    }
}

/// Where a complaint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    /// Filed; staff will call back.
    Received,
    /// Staff are working on it (called back, contacted the employer).
    InProgress,
    /// Settled at the station (paid, answered).
    Resolved,
    /// Handed to the 12333 labour and social security hotline.
    #[serde(rename = "referred_12333")]
    Referred12333,
    /// Handed to labour inspection (劳动保障监察).
    ReferredInspection,
}

impl ComplaintStatus {
    /// Every state, in workflow order.
    pub const ALL: [ComplaintStatus; 5] = [
        ComplaintStatus::Received,
        ComplaintStatus::InProgress,
        ComplaintStatus::Resolved,
        ComplaintStatus::Referred12333,
        ComplaintStatus::ReferredInspection,
    ];

    /// The name in keys, forms and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Received => "received",
            ComplaintStatus::InProgress => "in_progress",
            ComplaintStatus::Resolved => "resolved",
            ComplaintStatus::Referred12333 => "referred_12333",
            ComplaintStatus::ReferredInspection => "referred_inspection",
        }
    }

    /// The state named `raw`, if any.
    pub fn parse(raw: &str) -> Option<ComplaintStatus> {
        ComplaintStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
    }

    /// Whether staff are done with it (settled or handed on).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Resolved
                | ComplaintStatus::Referred12333
                | ComplaintStatus::ReferredInspection
        )
    }

    /// Whether a complaint may move from `self` to `next`: forward from an open state
    /// to any later one, and a closed one may be reopened (back to in progress) when
    /// the person calls again. This is the only place transitions are decided.
    pub fn can_become(self, next: ComplaintStatus) -> bool {
        use ComplaintStatus::*;
        match (self, next) {
            (Received, InProgress) => true,
            (Received | InProgress, next) => next.is_closed(),
            (closed, InProgress) => closed.is_closed(),
            _ => false,
        }
    }
}

/// How a complaint reached the station.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintSource {
    /// The public form (咨询维权).
    #[default]
    Online,
    /// Entered by staff for someone at the desk or on the phone.
    Desk,
    /// A worker answered "no" to "were you paid?".
    PaidFollowUp,
}

impl ComplaintSource {
    /// The name in JSON and the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintSource::Online => "online",
            ComplaintSource::Desk => "desk",
            ComplaintSource::PaidFollowUp => "paid_follow_up",
        }
    }
}

/// One step staff took on a complaint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintNote {
    /// When.
    pub at: DateTime<Utc>,
    /// Staff username (or `system` for automatic steps).
    pub by: String,
    /// The state it moved to, if it moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ComplaintStatus>,
    /// What was done or agreed.
    pub text: String,
}

/// Longest note staff may add.
pub const MAX_NOTE_CHARS: usize = 1000;

/// A complaint that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintDraft {
    /// What kind.
    pub kind: ComplaintKind,
    /// Who asks.
    pub name: PersonName,
    /// How to call them back.
    pub phone: MobileNumber,
    /// The employer concerned, if any.
    pub employer_name: Option<EmployerName>,
    /// The job concerned, if they know it (the id from the job page's address).
    pub job_id: Option<String>,
    /// What happened or what they ask.
    pub description: Description,
}

impl ComplaintDraft {
    /// Parses and checks a complaint; consent to keep the contact details is required.
    pub fn parse(input: &RawInput) -> Result<ComplaintDraft, Invalid> {
        let mut p = Problems::new();
        let kind = p.take(ComplaintKind::parse("kind", input.text("kind")));
        let name = p.take(PersonName::parse("name", input.text("name")));
        let phone = p.take(MobileNumber::parse("phone", input.text("phone")));
        let employer_name = match input.text("employer_name").trim() {
            "" => Some(None),
            raw => p.take(EmployerName::parse("employer_name", raw)).map(Some),
        };
        let job_id = match input.text("job_id").trim() {
            "" => Some(None),
            raw if is_id(&raw.to_ascii_uppercase()) => Some(Some(raw.to_ascii_uppercase())),
            _ => p.take(Err(FieldError::new("job_id", "rights.error_job_id"))),
        };
        let description = p.take(Description::parse("description", input.text("description")));
        if input.flag("consent") != Some(true) {
            p.push(FieldError::new("consent", "error.consent_required"));
        }
        p.finish()?;
        match (kind, name, phone, employer_name, job_id, description) {
            (
                Some(kind),
                Some(name),
                Some(phone),
                Some(employer_name),
                Some(job_id),
                Some(description),
            ) => Ok(ComplaintDraft {
                kind,
                name,
                phone,
                employer_name,
                job_id,
                description,
            }),
            _ => Err(Invalid::one(FieldError::new("_form", "error.invalid"))),
        }
    }
}

/// A stored complaint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// Identifier (ULID).
    pub id: String,
    /// The reference number told to the person, e.g. `20261128-7KQ2MX`.
    pub reference: String,
    /// The station.
    pub station: StationId,
    /// What kind.
    pub kind: ComplaintKind,
    /// Who asks (`None` once the worker's data was erased).
    pub name: Option<PersonName>,
    /// How to call them back (`None` once erased).
    pub phone: Option<MobileNumber>,
    /// The employer concerned, as the person named them.
    pub employer_name: Option<EmployerName>,
    /// The employer's record, once known (from the job, or linked by staff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_id: Option<String>,
    /// The worker's record, when a registered worker filed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// The job concerned.
    pub job_id: Option<String>,
    /// What happened.
    pub description: Description,
    /// Where it stands.
    pub status: ComplaintStatus,
    /// How it reached the station.
    #[serde(default)]
    pub source: ComplaintSource,
    /// Staff's steps, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<ComplaintNote>,
    /// When it was last closed (resolved or referred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The consent given to keep the contact details.
    pub consent: Consent,
    /// When filed.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

/// Why a complaint could not move.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a complaint cannot go from {from:?} to {to:?}")]
pub struct ComplaintTransitionError {
    /// Where it stands.
    pub from: ComplaintStatus,
    /// Where staff asked it to go.
    pub to: ComplaintStatus,
}

impl Complaint {
    /// Moves the complaint to `next` (if it is not there already) and records the note.
    pub fn advance(
        &mut self,
        next: Option<ComplaintStatus>,
        note: String,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ComplaintTransitionError> {
        let moved = match next {
            Some(to) if to != self.status => {
                if !self.status.can_become(to) {
                    return Err(ComplaintTransitionError {
                        from: self.status,
                        to,
                    });
                }
                self.status = to;
                self.closed_at = to.is_closed().then_some(now);
                Some(to)
            }
            _ => None,
        };
        self.notes.push(ComplaintNote {
            at: now,
            by: by.to_owned(),
            status: moved,
            text: note,
        });
        self.updated_at = now;
        Ok(())
    }

    /// The time the staff queue sorts it by: when filed while open, when closed after.
    pub fn queue_time(&self) -> DateTime<Utc> {
        match (self.status.is_closed(), self.closed_at) {
            (true, Some(at)) => at,
            _ => self.created_at,
        }
    }
}

/// A reference number easy to read out on the phone: the station day and the last six
/// characters of the id (Crockford base32: no I, L, O or U to mishear).
pub fn reference_for(day: NaiveDate, id: &str) -> String {
    let tail = &id[id.len().saturating_sub(6)..];
    format!("{}-{tail}", day.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> RawInput {
        let mut input = RawInput::new();
        for (k, v) in pairs {
            input.push(*k, *v);
        }
        input
    }

    #[test]
    fn a_complaint_parses_and_needs_consent() {
        let fields = [
            ("kind", "unpaid"),
            ("name", "韩建国"),
            ("phone", "137 0000 0201"),
            ("employer_name", "某装饰公司"),
            ("job_id", ""),
            ("description", "干了五天活，说好日结，到现在一分钱没给。"),
            ("consent", "true"),
        ];
        let draft = ComplaintDraft::parse(&input(&fields)).unwrap();
        assert_eq!(draft.kind, ComplaintKind::Unpaid);
        assert_eq!(draft.job_id, None);
        let invalid = ComplaintDraft::parse(&input(&fields[..6])).unwrap_err();
        assert!(invalid.for_field("consent").is_some());
    }

    #[test]
    fn bad_kind_and_job_id_are_refused() {
        let invalid = ComplaintDraft::parse(&input(&[("kind", "refund"), ("job_id", "../../x")]))
            .unwrap_err();
        assert_eq!(invalid.for_field("kind").unwrap().key, "rights.error_kind");
        assert_eq!(
            invalid.for_field("job_id").unwrap().key,
            "rights.error_job_id"
        );
        for field in ["name", "phone", "description", "consent"] {
            assert!(invalid.for_field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn complaint_workflow_moves_forward_and_reopens() {
        use ComplaintStatus::*;
        assert!(Received.can_become(InProgress));
        assert!(Received.can_become(Referred12333));
        assert!(InProgress.can_become(Resolved));
        assert!(InProgress.can_become(ReferredInspection));
        assert!(!InProgress.can_become(Received));
        assert!(Resolved.can_become(InProgress));
        assert!(!Resolved.can_become(Referred12333));
        assert!(!Referred12333.can_become(Received));
        for status in ComplaintStatus::ALL {
            assert_eq!(ComplaintStatus::parse(status.as_str()), Some(status));
            assert!(!status.can_become(status), "{status:?}");
        }
        assert_eq!(ComplaintStatus::parse("done"), None);
    }

    #[test]
    fn references_read_well() {
        let day: NaiveDate = "2026-11-28".parse().unwrap();
        assert_eq!(
            reference_for(day, "01KB0000000000000000K7Q2MX"),
            "20261128-K7Q2MX"
        );
    }
}
