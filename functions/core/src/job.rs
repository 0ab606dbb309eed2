//! Jobs (岗位): what an employer posts, the rules a posting must keep, and the states it
//! moves through. [`JobStatus::can_become`] is the one place transitions are decided.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    dates::WorkDates,
    i18n::{Lang, t},
    input::RawInput,
    money::Money,
    phone::{Email, MobileNumber},
    problem::{FieldError, Invalid, Problems},
    secrets::{SecretError, TokenHash, random_bytes},
    station::{Station, StationId},
    text::{Address, Description, EmployerName, JobTitle, PersonName, Requirements},
};

/// Fewest and most workers one posting may ask for.
pub const HEADCOUNT_RANGE: std::ops::RangeInclusive<u16> = 1..=200;

/// A record identifier: a ULID (26 characters, time-ordered, URL-safe).
pub fn new_id(now: DateTime<Utc>) -> Result<String, SecretError> {
    let mut random = [0u8; 16];
    random_bytes(&mut random)?;
    let ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    Ok(ulid::Ulid::from_parts(ms, u128::from_be_bytes(random)).to_string())
}

/// Whether `text` looks like an id made by [`new_id`] (so junk never reaches a key).
pub fn is_id(text: &str) -> bool {
    text.len() == 26 && ulid::Ulid::from_string(text).is_ok()
}

/// Where a posting stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// On the board, taking workers.
    Published,
    /// Waiting for staff review (pre-moderation).
    PendingReview,
    /// Every place taken.
    Filled,
    /// Closed by the employer or staff.
    Closed,
    /// Past its last day.
    Expired,
    /// Refused or taken down by staff.
    Rejected,
}

impl JobStatus {
    /// Every state.
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Published,
        JobStatus::PendingReview,
        JobStatus::Filled,
        JobStatus::Closed,
        JobStatus::Expired,
        JobStatus::Rejected,
    ];

    /// The state's name in keys and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Published => "published",
            JobStatus::PendingReview => "pending_review",
            JobStatus::Filled => "filled",
            JobStatus::Closed => "closed",
            JobStatus::Expired => "expired",
            JobStatus::Rejected => "rejected",
        }
    }

    /// The state's name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        t(lang, &format!("job_status.{}", self.as_str()))
    }

    /// Whether a posting may move from `self` to `next`. This is the only place
    /// transitions are decided.
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, next),
            (PendingReview, Published | Rejected | Closed | Expired)
                | (
                    Published,
                    Filled | Closed | Expired | Rejected | PendingReview
                )
                | (Filled, Published | Closed | Expired | PendingReview)
                | (Rejected, PendingReview)
        )
    }

    /// Whether the posting is still live for its employer (can be edited or closed).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            JobStatus::Published | JobStatus::PendingReview | JobStatus::Filled
        )
    }
}

/// When the worker is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayTerms {
    /// 日结: paid at the end of each day.
    Daily,
    /// 完工结: paid when the work is done.
    OnCompletion,
}

impl PayTerms {
    /// The name in JSON and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            PayTerms::Daily => "daily",
            PayTerms::OnCompletion => "on_completion",
        }
    }

    /// The name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        t(lang, &format!("pay_terms.{}", self.as_str()))
    }

    fn parse(field: &str, raw: &str) -> Result<PayTerms, FieldError> {
        match raw.trim() {
            "daily" | "日结" => Ok(PayTerms::Daily),
            "on_completion" | "完工结" => Ok(PayTerms::OnCompletion),
            "" => Err(FieldError::new(field, "error.required")),
            _ => Err(FieldError::new(field, "error.pay_terms")),
        }
    }
}

/// How a record came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The public web form or the JSON API.
    Online,
    /// Entered by station staff at the desk or on the phone.
    Desk,
}

/// A posting that passed every check, not yet stored.
#[derive(Clone, Debug, PartialEq)]
pub struct JobDraft {
    /// Title.
    pub title: JobTitle,
    /// Trade slug (known to the station).
    pub trade: String,
    /// District slug (known to the station).
    pub district: String,
    /// Where the work is.
    pub address: Address,
    /// First and last day.
    pub dates: WorkDates,
    /// How many workers.
    pub headcount: u16,
    /// Wage per day, at or above the trade's floor.
    pub daily_wage: Money,
    /// When pay is made.
    pub pay_terms: PayTerms,
    /// Firm, shop or household.
    pub employer_name: EmployerName,
    /// Who to ask for.
    pub contact_name: PersonName,
    /// Their mobile number (never shown in full in public).
    pub contact_phone: MobileNumber,
    /// Optional e-mail for notices.
    pub contact_email: Option<Email>,
    /// The work described.
    pub description: Description,
    /// Optional requirements.
    pub requirements: Requirements,
}

impl JobDraft {
    /// Parses and checks a posting for `station`. `earliest_start` is today for a new
    /// posting, or the earlier of today and the current start for an edit.
    pub fn parse(
        station: &Station,
        input: &RawInput,
        today: NaiveDate,
        earliest_start: NaiveDate,
    ) -> Result<JobDraft, Invalid> {
        let mut p = Problems::new();
        let title = p.take(JobTitle::parse("title", input.text("title")));
        let trade = p.take(match input.text("trade").trim() {
            "" => Err(FieldError::new("trade", "error.required")),
            slug => station
                .trade(slug)
                .map(|t| t.slug.clone())
                .ok_or_else(|| FieldError::new("trade", "error.unknown_trade")),
        });
        let district = p.take(match input.text("district").trim() {
            "" => Err(FieldError::new("district", "error.required")),
            slug => station
                .district(slug)
                .map(|d| d.slug.clone())
                .ok_or_else(|| FieldError::new("district", "error.unknown_district")),
        });
        let address = p.take(Address::parse("address", input.text("address")));
        let dates = WorkDates::parse(
            ("start_date", input.text("start_date")),
            ("end_date", input.text("end_date")),
            today,
            earliest_start,
            &mut p,
        );
        let headcount = p.take(parse_headcount("headcount", input.text("headcount")));
        let daily_wage = p.take(Money::parse_daily_wage(
            "daily_wage_yuan",
            input.text("daily_wage_yuan"),
        ));
        if let (Some(wage), Some(trade)) = (
            daily_wage,
            trade.as_deref().and_then(|slug| station.trade(slug)),
        ) && wage < trade.wage_floor()
        {
            p.push(
                FieldError::new("daily_wage_yuan", "error.below_wage_floor")
                    .with("trade", &trade.name)
                    .with("floor", trade.wage_floor().to_string()),
            );
        }
        let pay_terms = p.take(PayTerms::parse("pay_terms", input.text("pay_terms")));
        let employer_name = p.take(EmployerName::parse(
            "employer_name",
            input.text("employer_name"),
        ));
        let contact_name = p.take(PersonName::parse(
            "contact_name",
            input.text("contact_name"),
        ));
        let contact_phone = p.take(MobileNumber::parse(
            "contact_phone",
            input.text("contact_phone"),
        ));
        let contact_email = match input.one("contact_email").map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => p.take(Email::parse("contact_email", raw)).map(Some),
        };
        let description = p.take(Description::parse("description", input.text("description")));
        let requirements = p.take(Requirements::parse(
            "requirements",
            input.text("requirements"),
        ));
        p.finish()?;
        // `finish` passed, so every `take` above holds a value.
        let (
            Some(title),
            Some(trade),
            Some(district),
            Some(address),
            Some(dates),
            Some(headcount),
            Some(daily_wage),
            Some(pay_terms),
            Some(employer_name),
            Some(contact_name),
            Some(contact_phone),
            Some(contact_email),
            Some(description),
            Some(requirements),
        ) = (
            title,
            trade,
            district,
            address,
            dates,
            headcount,
            daily_wage,
            pay_terms,
            employer_name,
            contact_name,
            contact_phone,
            contact_email,
            description,
            requirements,
        )
        else {
            return Err(Invalid::one(FieldError::new("_form", "error.invalid")));
        };
        Ok(JobDraft {
            title,
            trade,
            district,
            address,
            dates,
            headcount,
            daily_wage,
            pay_terms,
            employer_name,
            contact_name,
            contact_phone,
            contact_email,
            description,
            requirements,
        })
    }
}

fn parse_headcount(field: &str, raw: &str) -> Result<u16, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    let range_error = || {
        FieldError::new(field, "error.headcount")
            .with("min", *HEADCOUNT_RANGE.start())
            .with("max", *HEADCOUNT_RANGE.end())
    };
    let value: u32 = text.parse().map_err(|_| range_error())?;
    u16::try_from(value)
        .ok()
        .filter(|v| HEADCOUNT_RANGE.contains(v))
        .ok_or_else(range_error)
}

/// The `status_reason` of a posting made online with a verified employer's number: it
/// waits until that number confirms it (or staff approve it).
pub const AWAITING_CONFIRMATION: &str = "awaiting_confirmation";

/// The start of the `status_reason` of a posting sent back to review by reports:
/// `reported:<reporters>:<reason>,<reason>`.
pub const REPORTED_PREFIX: &str = "reported:";

/// A stored posting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Identifier (ULID).
    pub id: String,
    /// The station it belongs to.
    pub station: StationId,
    /// Title.
    pub title: JobTitle,
    /// Trade slug.
    pub trade: String,
    /// District slug.
    pub district: String,
    /// Where the work is.
    pub address: Address,
    /// First and last day.
    pub dates: WorkDates,
    /// Workers asked for.
    pub headcount: u16,
    /// Places already taken.
    pub placed: u16,
    /// Wage per day.
    pub daily_wage: Money,
    /// When pay is made.
    pub pay_terms: PayTerms,
    /// The employer's record.
    pub employer_id: String,
    /// Firm, shop or household name as posted.
    pub employer_name: EmployerName,
    /// Whether staff have verified the employer (copied at posting time).
    pub employer_verified: bool,
    /// Who to ask for.
    pub contact_name: PersonName,
    /// Their number.
    pub contact_phone: MobileNumber,
    /// Their e-mail, if given.
    pub contact_email: Option<Email>,
    /// The work.
    pub description: Description,
    /// Requirements, may be empty.
    pub requirements: Requirements,
    /// Where it stands.
    pub status: JobStatus,
    /// Why staff rejected or took it down, when they did.
    pub status_reason: Option<String>,
    /// How it came in.
    pub source: Source,
    /// Whether staff approved it (in review, or on the console afterwards): they
    /// vouch for it, see [`Job::vouched`].
    #[serde(default)]
    pub approved_by_staff: bool,
    /// When posted.
    pub created_at: DateTime<Utc>,
    /// When it last went on the board.
    pub published_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
    /// Hash of the employer's manage token.
    pub manage_token_hash: TokenHash,
    /// The language the employer posted in, for their notices.
    #[serde(default)]
    pub lang: Lang,
}

/// A transition [`JobStatus::can_become`] does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a job cannot go from {from:?} to {to:?}")]
pub struct TransitionError {
    /// The current state.
    pub from: JobStatus,
    /// The state asked for.
    pub to: JobStatus,
}

impl Job {
    /// Why the posting is in its state, for people to read (staff's reason as given).
    pub fn status_reason_text(&self, lang: crate::Lang) -> Option<String> {
        match self.status_reason.as_deref() {
            Some(AWAITING_CONFIRMATION) => {
                Some(crate::i18n::t(lang, "confirm_posting.waiting").to_owned())
            }
            Some(reason) if reason.starts_with(REPORTED_PREFIX) => {
                let rest = &reason[REPORTED_PREFIX.len()..];
                let (count, reasons) = rest.split_once(':').unwrap_or((rest, ""));
                let separator = if lang == crate::Lang::En { "; " } else { "；" };
                let reasons: Vec<&str> = reasons
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(|r| crate::i18n::t(lang, &format!("report.reason_{r}")))
                    .collect();
                Some(
                    crate::i18n::t(lang, "report.sent_back")
                        .replace("{count}", count)
                        .replace("{reasons}", &reasons.join(separator)),
                )
            }
            other => other.map(str::to_owned),
        }
    }

    /// Moves the posting to `next`, if allowed, stamping the time.
    pub fn transition(
        &mut self,
        next: JobStatus,
        now: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        if !self.status.can_become(next) {
            return Err(TransitionError {
                from: self.status,
                to: next,
            });
        }
        if next == JobStatus::Published && self.status != JobStatus::Filled {
            self.published_at = Some(now);
        }
        self.status = next;
        self.updated_at = now;
        Ok(())
    }

    /// Whether someone answerable stands behind the posting, so it may send a full
    /// wave of offers. The rule:
    /// - entered by staff at the desk (`Source::Desk`): they saw or heard the employer;
    /// - or its employer is verified by staff (business licence); an online posting
    ///   with a verified employer's number is published only once that number
    ///   confirms it (`ConfirmPosting`), so a stranger cannot borrow the mark;
    /// - or staff approved it (in pre-moderation review, or on the job's console page).
    ///
    /// Anything else is an anonymous online posting: it gets at most
    /// `matching.unvouched_offers` offers in all until one of the above happens (a
    /// later wave then offers the rest). Typing a phone number proves nothing about it
    /// yet, so the contact number does not count as verification.
    pub fn vouched(&self) -> bool {
        self.source == Source::Desk || self.employer_verified || self.approved_by_staff
    }

    /// Places still open.
    pub fn open_places(&self) -> u16 {
        self.headcount.saturating_sub(self.placed)
    }

    /// The time the posting is listed under: when it was published, else created.
    pub fn listed_at(&self) -> DateTime<Utc> {
        self.published_at.unwrap_or(self.created_at)
    }

    /// Replaces the posted fields with `draft`, keeping identity and state.
    pub fn apply(&mut self, draft: JobDraft, now: DateTime<Utc>) {
        self.title = draft.title;
        self.trade = draft.trade;
        self.district = draft.district;
        self.address = draft.address;
        self.dates = draft.dates;
        self.headcount = draft.headcount;
        self.daily_wage = draft.daily_wage;
        self.pay_terms = draft.pay_terms;
        self.employer_name = draft.employer_name;
        self.contact_name = draft.contact_name;
        self.contact_phone = draft.contact_phone;
        self.contact_email = draft.contact_email;
        self.description = draft.description;
        self.requirements = draft.requirements;
        self.updated_at = now;
    }

    /// The fields anyone may see: no contact name, phone or e-mail, and numbers typed
    /// into the free text masked ([`crate::mask::mask_numbers`]).
    pub fn public(&self) -> PublicJob {
        use crate::mask::mask_numbers;
        PublicJob {
            id: self.id.clone(),
            station: self.station.clone(),
            title: mask_numbers(self.title.as_str()),
            trade: self.trade.clone(),
            district: self.district.clone(),
            address: mask_numbers(self.address.as_str()),
            start_date: self.dates.start,
            end_date: self.dates.end,
            headcount: self.headcount,
            open_places: self.open_places(),
            daily_wage_yuan: self.daily_wage.yuan_f64(),
            pay_terms: self.pay_terms,
            employer_name: mask_numbers(self.employer_name.as_str()),
            employer_verified: self.employer_verified,
            description: mask_numbers(self.description.as_str()),
            requirements: mask_numbers(self.requirements.as_str()),
            status: self.status,
            published_at: self.published_at,
        }
    }
}

/// A posting as the public sees it (board, kiosk, JSON API): free text masked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicJob {
    /// Identifier.
    pub id: String,
    /// Station.
    pub station: StationId,
    /// Title.
    pub title: String,
    /// Trade slug.
    pub trade: String,
    /// District slug.
    pub district: String,
    /// Where the work is.
    pub address: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// Workers asked for.
    pub headcount: u16,
    /// Places still open.
    pub open_places: u16,
    /// Wage per day in yuan.
    pub daily_wage_yuan: f64,
    /// When pay is made.
    pub pay_terms: PayTerms,
    /// Employer name.
    pub employer_name: String,
    /// Verified by staff.
    pub employer_verified: bool,
    /// The work.
    pub description: String,
    /// Requirements.
    pub requirements: String,
    /// State.
    pub status: JobStatus,
    /// When it went on the board.
    pub published_at: Option<DateTime<Utc>>,
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

    pub(crate) fn valid_input() -> RawInput {
        let mut input = RawInput::new();
        for (name, value) in [
            ("title", "小区楼道保洁"),
            ("trade", "cleaning"),
            ("district", "chengzhong"),
            ("address", "城中区南大街某小区"),
            ("start_date", "2026-11-30"),
            ("end_date", "2026-12-02"),
            ("headcount", "3"),
            ("daily_wage_yuan", "220"),
            ("pay_terms", "daily"),
            ("employer_name", "城中区某物业公司"),
            ("contact_name", "王经理"),
            ("contact_phone", "138 0000 0001"),
            ("description", "打扫楼道和电梯间，工具由物业提供。"),
        ] {
            input.push(name, value);
        }
        input
    }

    #[test]
    fn a_valid_posting_parses() {
        let draft = JobDraft::parse(&station(), &valid_input(), today(), today()).unwrap();
        assert_eq!(draft.headcount, 3);
        assert_eq!(draft.daily_wage, Money::from_yuan(220));
        assert_eq!(draft.contact_phone.as_str(), "13800000001");
        assert_eq!(draft.contact_email, None);
    }

    #[test]
    fn below_the_wage_floor_names_the_floor() {
        let mut input = valid_input();
        input = {
            let mut changed = RawInput::new();
            for (name, values) in input.fields() {
                for value in values {
                    changed.push(
                        name.clone(),
                        if name == "daily_wage_yuan" {
                            "100"
                        } else {
                            value
                        },
                    );
                }
            }
            changed
        };
        let invalid = JobDraft::parse(&station(), &input, today(), today()).unwrap_err();
        let error = invalid.for_field("daily_wage_yuan").unwrap();
        assert_eq!(error.key, "error.below_wage_floor");
        let zh = error.message(Lang::Zh);
        assert!(zh.contains("150") && zh.contains("保洁"), "{zh}");
        let en = error.message(Lang::En);
        assert!(en.contains("150") && en.contains("Cleaning"), "{en}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let invalid = JobDraft::parse(&station(), &RawInput::new(), today(), today()).unwrap_err();
        let fields: Vec<&str> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        for field in [
            "title",
            "trade",
            "district",
            "address",
            "start_date",
            "end_date",
            "headcount",
            "daily_wage_yuan",
            "pay_terms",
            "employer_name",
            "contact_name",
            "contact_phone",
            "description",
        ] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
        assert!(!fields.contains(&"contact_email"));
        assert!(!fields.contains(&"requirements"));
    }

    #[test]
    fn headcount_is_bounded() {
        assert!(parse_headcount("h", "0").is_err());
        assert!(parse_headcount("h", "201").is_err());
        assert!(parse_headcount("h", "70000").is_err());
        assert!(parse_headcount("h", "-1").is_err());
        assert_eq!(parse_headcount("h", "200"), Ok(200));
    }

    #[test]
    fn transitions_are_enforced_in_one_place() {
        use JobStatus::*;
        let allowed = [
            (PendingReview, Published),
            (PendingReview, Rejected),
            (PendingReview, Closed),
            (PendingReview, Expired),
            (Published, Filled),
            (Published, Closed),
            (Published, Expired),
            (Published, Rejected),
            (Published, PendingReview),
            (Filled, Published),
            (Filled, Closed),
            (Filled, Expired),
            (Filled, PendingReview),
            (Rejected, PendingReview),
        ];
        for from in JobStatus::ALL {
            for to in JobStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn ids_are_ulids() {
        let id = new_id(Utc::now()).unwrap();
        assert!(is_id(&id));
        assert!(!is_id("../../etc/passwd"));
        assert!(!is_id(""));
    }
}
