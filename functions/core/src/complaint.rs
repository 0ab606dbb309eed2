//! Consultation and complaints (咨询维权): a worker asks for advice, or for help when
//! they were not paid or the work was unsafe. The record holds what staff need to call
//! back and nothing more; it is never shown in public. A later step adds the staff
//! workflow; for now a complaint is `received` and listed for staff by state.

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
}

impl ComplaintStatus {
    /// The name in keys and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Received => "received",
        }
    }
}

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
    /// Who asks.
    pub name: PersonName,
    /// How to call them back.
    pub phone: MobileNumber,
    /// The employer concerned.
    pub employer_name: Option<EmployerName>,
    /// The job concerned.
    pub job_id: Option<String>,
    /// What happened.
    pub description: Description,
    /// Where it stands.
    pub status: ComplaintStatus,
    /// The consent given to keep the contact details.
    pub consent: Consent,
    /// When filed.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
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
    fn references_read_well() {
        let day: NaiveDate = "2026-11-28".parse().unwrap();
        assert_eq!(
            reference_for(day, "01KB0000000000000000K7Q2MX"),
            "20261128-K7Q2MX"
        );
    }
}
