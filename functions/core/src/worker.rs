//! Workers (零工): who signs up, what they can do, where, and what they agreed to.
//! A worker is identified by phone number within a station: signing up again updates
//! the record instead of creating a second one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    dates::{MAX_LEAD_DAYS, parse_date},
    i18n::Lang,
    input::RawInput,
    job::Source,
    money::Money,
    phone::{Email, MobileNumber},
    problem::{FieldError, Invalid, Problems},
    secrets::TokenHash,
    station::{Station, StationId},
    text::PersonName,
};

/// Most trades one worker may list.
pub const MAX_TRADES: usize = 5;
/// Most districts one worker may list.
pub const MAX_DISTRICTS: usize = 8;

/// How a worker wants to hear from the station.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Text messages to their mobile.
    Sms,
    /// E-mail.
    Email,
}

impl Channel {
    /// The name in JSON and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// Whether a worker is taking work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    /// Signed up and taking work.
    Active,
    /// Withdrew; kept until deleted or the retention period ends.
    Withdrawn,
}

impl WorkerStatus {
    /// The name in keys and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerStatus::Active => "active",
            WorkerStatus::Withdrawn => "withdrawn",
        }
    }
}

/// How consent was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// Ticked online by the worker.
    Online,
    /// Given in person to station staff, who recorded it.
    InPerson,
}

/// The consent a worker gave (PIPL Art. 14): which text, when, how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Version of the privacy notice accepted.
    pub version: String,
    /// When.
    pub accepted_at: DateTime<Utc>,
    /// How.
    pub method: ConsentMethod,
}

/// A sign-up that passed every check, not yet stored.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerDraft {
    /// Name.
    pub name: PersonName,
    /// Mobile number: the worker's identity at the station.
    pub phone: MobileNumber,
    /// Trade slugs, 1–5, known to the station.
    pub trades: Vec<String>,
    /// District slugs, 1–8, known to the station.
    pub districts: Vec<String>,
    /// First day they can work.
    pub available_from: NaiveDate,
    /// The daily wage they hope for, if they said.
    pub expected_daily_wage: Option<Money>,
    /// E-mail, if given.
    pub email: Option<Email>,
    /// How to reach them.
    pub channel: Channel,
    /// Whether they accept automated matching (PIPL Art. 24); they may opt out and
    /// still browse and apply themselves.
    pub auto_matching: bool,
    /// The language they used, for their notices.
    pub lang: Lang,
}

impl WorkerDraft {
    /// Parses and checks a sign-up for `station`; consent must be given.
    pub fn parse(
        station: &Station,
        input: &RawInput,
        today: NaiveDate,
    ) -> Result<WorkerDraft, Invalid> {
        let mut p = Problems::new();
        let name = p.take(PersonName::parse("name", input.text("name")));
        let phone = p.take(MobileNumber::parse("phone", input.text("phone")));
        let trades = p.take(slugs(
            "trades",
            &input.many("trades"),
            MAX_TRADES,
            |s| station.trade(s).is_some(),
            "error.unknown_trade",
        ));
        let districts = p.take(slugs(
            "districts",
            &input.many("districts"),
            MAX_DISTRICTS,
            |s| station.district(s).is_some(),
            "error.unknown_district",
        ));
        let available_from = match input.text("available_from").trim() {
            "" => Some(today),
            raw => p.take(parse_date("available_from", raw).and_then(|day| {
                if day < today {
                    Err(FieldError::new("available_from", "error.date_past"))
                } else if (day - today).num_days() > MAX_LEAD_DAYS {
                    Err(FieldError::new("available_from", "error.date_too_far")
                        .with("days", MAX_LEAD_DAYS))
                } else {
                    Ok(day)
                }
            })),
        };
        let expected_daily_wage = match input.text("expected_daily_wage_yuan").trim() {
            "" => Some(None),
            raw => p
                .take(Money::parse_daily_wage("expected_daily_wage_yuan", raw))
                .map(Some),
        };
        let email = match input.text("email").trim() {
            "" => Some(None),
            raw => p.take(Email::parse("email", raw)).map(Some),
        };
        let channel = p.take(match input.text("channel").trim() {
            "" | "sms" => Ok(Channel::Sms),
            "email" => Ok(Channel::Email),
            _ => Err(FieldError::new("channel", "error.channel")),
        });
        if channel == Some(Channel::Email) && matches!(email, Some(None)) {
            p.push(FieldError::new("email", "error.email_required_for_channel"));
        }
        if input.flag("consent") != Some(true) {
            p.push(FieldError::new("consent", "error.consent_required"));
        }
        let auto_matching = input.flag("auto_matching").unwrap_or(true);
        p.finish()?;
        let (
            Some(name),
            Some(phone),
            Some(trades),
            Some(districts),
            Some(available_from),
            Some(expected_daily_wage),
            Some(email),
            Some(channel),
        ) = (
            name,
            phone,
            trades,
            districts,
            available_from,
            expected_daily_wage,
            email,
            channel,
        )
        else {
            return Err(Invalid::one(FieldError::new("_form", "error.invalid")));
        };
        Ok(WorkerDraft {
            name,
            phone,
            trades,
            districts,
            available_from,
            expected_daily_wage,
            email,
            channel,
            auto_matching,
            lang: input.lang(),
        })
    }
}

fn slugs(
    field: &str,
    values: &[&str],
    max: usize,
    known: impl Fn(&str) -> bool,
    unknown_key: &'static str,
) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        if !known(value) {
            return Err(FieldError::new(field, unknown_key));
        }
        if !out.iter().any(|v| v == value) {
            out.push((*value).to_owned());
        }
    }
    if out.is_empty() {
        return Err(FieldError::new(field, "error.choose_at_least_one"));
    }
    if out.len() > max {
        return Err(FieldError::new(field, "error.too_many").with("max", max));
    }
    Ok(out)
}

/// A stored worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Worker {
    /// Identifier (ULID).
    pub id: String,
    /// The station.
    pub station: StationId,
    /// Name.
    pub name: PersonName,
    /// Mobile number.
    pub phone: MobileNumber,
    /// Trade slugs.
    pub trades: Vec<String>,
    /// District slugs.
    pub districts: Vec<String>,
    /// First day they can work.
    pub available_from: NaiveDate,
    /// Hoped-for daily wage.
    pub expected_daily_wage: Option<Money>,
    /// E-mail.
    pub email: Option<Email>,
    /// How to reach them.
    pub channel: Channel,
    /// Accepts automated matching.
    pub auto_matching: bool,
    /// The consent given.
    pub consent: Consent,
    /// Taking work or withdrawn.
    pub status: WorkerStatus,
    /// How the record came in.
    pub source: Source,
    /// First sign-up.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
    /// Hash of the worker's manage token.
    pub manage_token_hash: TokenHash,
    /// Hash of a manage token sent to the worker's number or address and not used yet.
    /// Until it is used the old link keeps working, so a stranger who types the number
    /// into "lost your link?" cannot lock the owner out; its first use makes it the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_token_hash: Option<TokenHash>,
    /// The language of their notices (the language they signed up in).
    #[serde(default)]
    pub lang: Lang,
    /// A station hold (blacklist entry): set by staff, e.g. after repeated no-shows;
    /// no automated offers and no applications while it is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
}

/// Why and since when staff hold a worker back from offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The reason staff recorded (kept for the worker to see on request).
    pub reason: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

impl Worker {
    /// Replaces the signed-up fields with `draft` and records fresh consent.
    pub fn apply(&mut self, draft: WorkerDraft, consent: Consent, now: DateTime<Utc>) {
        self.name = draft.name;
        self.phone = draft.phone;
        self.trades = draft.trades;
        self.districts = draft.districts;
        self.available_from = draft.available_from;
        self.expected_daily_wage = draft.expected_daily_wage;
        self.email = draft.email;
        self.channel = draft.channel;
        self.auto_matching = draft.auto_matching;
        self.lang = draft.lang;
        self.consent = consent;
        self.status = WorkerStatus::Active;
        self.updated_at = now;
    }

    /// Whether the worker should receive automated offers: active, not opted out and
    /// not held back by staff.
    pub fn takes_automated_offers(&self) -> bool {
        self.status == WorkerStatus::Active && self.auto_matching && self.hold.is_none()
    }

    /// Every (trade, district) pair the worker takes automated offers for; empty when
    /// they do not take any.
    pub fn skills(&self) -> Vec<(String, String)> {
        if !self.takes_automated_offers() {
            return Vec::new();
        }
        self.trades
            .iter()
            .flat_map(|t| self.districts.iter().map(move |d| (t.clone(), d.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::Stations;

    fn station() -> std::sync::Arc<Station> {
        Stations::embedded().unwrap().default_station().clone()
    }

    fn today() -> NaiveDate {
        "2026-11-28".parse().unwrap()
    }

    fn input(pairs: &[(&str, &str)]) -> RawInput {
        let mut input = RawInput::new();
        for (k, v) in pairs {
            input.push(*k, *v);
        }
        input
    }

    #[test]
    fn a_valid_sign_up_parses() {
        let draft = WorkerDraft::parse(
            &station(),
            &input(&[
                ("name", "马秀英"),
                ("phone", "+86 139 0000 0002"),
                ("trades", "cleaning"),
                ("trades", "housekeeping"),
                ("districts", "chengzhong"),
                ("consent", "on"),
            ]),
            today(),
        )
        .unwrap();
        assert_eq!(draft.trades, vec!["cleaning", "housekeeping"]);
        assert_eq!(draft.available_from, today());
        assert_eq!(draft.channel, Channel::Sms);
        assert!(draft.auto_matching);
    }

    #[test]
    fn consent_is_required_and_email_channel_needs_an_address() {
        let invalid = WorkerDraft::parse(
            &station(),
            &input(&[
                ("name", "马秀英"),
                ("phone", "13900000002"),
                ("trades", "cleaning"),
                ("districts", "chengzhong"),
                ("channel", "email"),
            ]),
            today(),
        )
        .unwrap_err();
        assert!(invalid.for_field("consent").is_some());
        assert_eq!(
            invalid.for_field("email").unwrap().key,
            "error.email_required_for_channel"
        );
    }

    #[test]
    fn lists_are_checked() {
        let invalid = WorkerDraft::parse(
            &station(),
            &input(&[
                ("name", "马秀英"),
                ("phone", "13900000002"),
                ("trades", "cleaning,moving,temp,care,kitchen,delivery"),
                ("districts", "atlantis"),
                ("consent", "true"),
            ]),
            today(),
        )
        .unwrap_err();
        assert_eq!(invalid.for_field("trades").unwrap().key, "error.too_many");
        assert_eq!(
            invalid.for_field("districts").unwrap().key,
            "error.unknown_district"
        );
    }

    #[test]
    fn opting_out_of_automated_matching_removes_all_skills() {
        let draft = WorkerDraft::parse(
            &station(),
            &input(&[
                ("name", "马秀英"),
                ("phone", "13900000002"),
                ("trades", "cleaning"),
                ("districts", "chengzhong,chengxi"),
                ("consent", "true"),
                ("auto_matching", "false"),
            ]),
            today(),
        )
        .unwrap();
        assert!(!draft.auto_matching);
    }
}
