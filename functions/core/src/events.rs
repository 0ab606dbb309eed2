//! Training courses (一键培训) and livestream recruitment events (直播带岗): what staff
//! publish, and the registrations workers make for a course.
//!
//! A course has a fixed number of places; its record counts the registrations, and a
//! registration is written in the same atomic batch as the count, version-checked, so a
//! course is never overbooked however many people register at once. A registration is
//! filed under its course by the keyed hash of the phone number, so one number holds at
//! most one place on a course, and is findable by that hash (erasure, data export).
//!
//! The public may see courses and events and how many places are left, never who
//! registered: [`EventFacts`] holds nothing personal.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    input::RawInput,
    job::is_id,
    keys,
    phone::MobileNumber,
    problem::{FieldError, Invalid, Problems},
    station::{Station, StationId},
    store::{Item, Key, StoreError},
    text::{Address, Description, PersonName, TextRule, clean_text},
    worker::Consent,
};

/// Most places a course may offer.
pub const CAPACITY_RANGE: std::ops::RangeInclusive<u16> = 1..=500;
/// Most jobs a livestream may feature.
pub const MAX_FEATURED_JOBS: usize = 20;
/// Longest link to a livestream.
const MAX_LINK_CHARS: usize = 300;

/// The title of a course or a livestream, e.g. "家政服务员岗前培训".
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventTitle(String);

impl EventTitle {
    /// The bounds of a title.
    pub const RULE: TextRule = TextRule {
        min: 4,
        max: 60,
        multiline: false,
    };

    /// Cleans and checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<EventTitle, FieldError> {
        clean_text(field, raw, Self::RULE).map(EventTitle)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a livestream is broadcast ("抖音", "快手", "微信视频号").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Platform(String);

impl Platform {
    /// Cleans and checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Platform, FieldError> {
        clean_text(
            field,
            raw,
            TextRule {
                min: 1,
                max: 20,
                multiline: false,
            },
        )
        .map(Platform)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link to a livestream: `https://` only, a host, no spaces, quotes or angle brackets.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpsLink(String);

impl HttpsLink {
    /// Checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<HttpsLink, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::new(field, "error.required"));
        }
        if text.chars().count() > MAX_LINK_CHARS {
            return Err(FieldError::new(field, "error.too_long").with("max", MAX_LINK_CHARS));
        }
        let Some(rest) = text
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("https://"))
            .map(|_| &text[8..])
        else {
            return Err(FieldError::new(field, "events.error_https"));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_ok = !host.is_empty()
            && !host.contains('@')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            && host.contains('.');
        let chars_ok = text
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`'));
        if !host_ok || !chars_ok {
            return Err(FieldError::new(field, "events.error_https"));
        }
        Ok(HttpsLink(format!("https://{rest}")))
    }

    /// The link.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads a local date and time (`2026-12-05T09:00`, as a `datetime-local` input sends
/// it, or `2026-12-05 09:00`) in the station's time zone.
pub fn parse_local_time(
    field: &str,
    raw: &str,
    station: &Station,
) -> Result<DateTime<Utc>, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| FieldError::new(field, "events.error_time"))?;
    station
        .time_zone
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| FieldError::new(field, "events.error_time"))
}

/// Whether a course takes registrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Published; a course takes registrations until it starts.
    Open,
    /// Called off by staff.
    Cancelled,
}

impl EventStatus {
    /// The name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Open => "open",
            EventStatus::Cancelled => "cancelled",
        }
    }
}

/// A course as staff enter it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseDraft {
    /// Title.
    pub title: EventTitle,
    /// What is taught, for whom, what to bring.
    pub description: Description,
    /// The trade it trains for, if one.
    pub trade: Option<String>,
    /// Where it is held.
    pub place: Address,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: u16,
}

fn required_time(
    p: &mut Problems,
    input: &RawInput,
    field: &str,
    station: &Station,
) -> Option<DateTime<Utc>> {
    p.take(parse_local_time(field, input.text(field), station))
}

impl CourseDraft {
    /// Parses and checks a course for `station`, which must start after `now`.
    pub fn parse(
        input: &RawInput,
        station: &Station,
        now: DateTime<Utc>,
    ) -> Result<CourseDraft, Invalid> {
        let mut p = Problems::new();
        let title = p.take(EventTitle::parse("title", input.text("title")));
        let description = p.take(Description::parse("description", input.text("description")));
        let trade = match input.text("trade").trim() {
            "" => Some(None),
            slug if station.trade(slug).is_some() => Some(Some(slug.to_owned())),
            _ => p.take(Err(FieldError::new("trade", "error.unknown_trade"))),
        };
        let place = p.take(Address::parse("place", input.text("place")));
        let starts_at = required_time(&mut p, input, "starts_at", station);
        let ends_at = required_time(&mut p, input, "ends_at", station);
        if let Some(start) = starts_at
            && start <= now
        {
            p.push(FieldError::new("starts_at", "events.error_past"));
        }
        if let (Some(start), Some(end)) = (starts_at, ends_at)
            && end <= start
        {
            p.push(FieldError::new("ends_at", "events.error_end_before_start"));
        }
        let capacity = match input.text("capacity").trim().parse::<u16>() {
            Ok(n) if CAPACITY_RANGE.contains(&n) => Some(n),
            _ if input.text("capacity").trim().is_empty() => {
                p.take(Err(FieldError::new("capacity", "error.required")))
            }
            _ => p.take(Err(FieldError::new("capacity", "events.error_capacity")
                .with("min", *CAPACITY_RANGE.start())
                .with("max", *CAPACITY_RANGE.end()))),
        };
        p.finish()?;
        match (
            title,
            description,
            trade,
            place,
            starts_at,
            ends_at,
            capacity,
        ) {
            (
                Some(title),
                Some(description),
                Some(trade),
                Some(place),
                Some(starts_at),
                Some(ends_at),
                Some(capacity),
            ) => Ok(CourseDraft {
                title,
                description,
                trade,
                place,
                starts_at,
                ends_at,
                capacity,
            }),
            _ => Err(Invalid::one(FieldError::new("_form", "error.invalid"))),
        }
    }
}

/// A stored course.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    /// Identifier (ULID).
    pub id: String,
    /// The station.
    pub station: StationId,
    /// Title.
    pub title: EventTitle,
    /// Description.
    pub description: Description,
    /// Trade slug, if one.
    pub trade: Option<String>,
    /// Where.
    pub place: Address,
    /// Starts.
    pub starts_at: DateTime<Utc>,
    /// Ends.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: u16,
    /// Places taken (registrations ever made; erased ones stay counted, anonymised).
    pub registered: u16,
    /// Open or cancelled.
    pub status: EventStatus,
    /// The staff member who created it.
    pub created_by: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

impl Course {
    /// Places still free.
    pub fn places_left(&self) -> u16 {
        self.capacity.saturating_sub(self.registered)
    }

    /// Whether it takes registrations at `now`: open, not started, not full.
    pub fn registration(&self, now: DateTime<Utc>) -> Result<(), Closed> {
        if self.status == EventStatus::Cancelled {
            Err(Closed::Cancelled)
        } else if self.starts_at <= now {
            Err(Closed::Started)
        } else if self.places_left() == 0 {
            Err(Closed::Full)
        } else {
            Ok(())
        }
    }
}

/// Why a course takes no registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// Every place is taken.
    Full,
    /// Staff called it off.
    Cancelled,
    /// It has started or is over.
    Started,
}

impl Closed {
    /// The catalogue key of the message.
    pub fn message_key(self) -> &'static str {
        match self {
            Closed::Full => "events.error_full",
            Closed::Cancelled => "events.error_cancelled",
            Closed::Started => "events.error_started",
        }
    }
}

/// A livestream as staff enter it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveDraft {
    /// Title.
    pub title: EventTitle,
    /// Which employers, which jobs, how to apply.
    pub description: Description,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// Where it is broadcast.
    pub platform: Platform,
    /// The link to watch.
    pub link: HttpsLink,
    /// Jobs on the board it features.
    pub job_ids: Vec<String>,
}

impl LiveDraft {
    /// Parses and checks a livestream for `station`, which must start after `now`.
    pub fn parse(
        input: &RawInput,
        station: &Station,
        now: DateTime<Utc>,
    ) -> Result<LiveDraft, Invalid> {
        let mut p = Problems::new();
        let title = p.take(EventTitle::parse("title", input.text("title")));
        let description = p.take(Description::parse("description", input.text("description")));
        let starts_at = required_time(&mut p, input, "starts_at", station);
        if let Some(start) = starts_at
            && start <= now
        {
            p.push(FieldError::new("starts_at", "events.error_past"));
        }
        let platform = p.take(Platform::parse("platform", input.text("platform")));
        let link = p.take(HttpsLink::parse("link", input.text("link")));
        let mut job_ids: Vec<String> = Vec::new();
        for raw in input
            .many("job_ids")
            .into_iter()
            .flat_map(|v| v.split_whitespace())
        {
            let id = raw.to_ascii_uppercase();
            if !is_id(&id) {
                p.push(FieldError::new("job_ids", "events.error_job_ids"));
                break;
            }
            if !job_ids.contains(&id) {
                job_ids.push(id);
            }
        }
        if job_ids.len() > MAX_FEATURED_JOBS {
            p.push(
                FieldError::new("job_ids", "events.error_too_many_jobs")
                    .with("max", MAX_FEATURED_JOBS),
            );
        }
        p.finish()?;
        match (title, description, starts_at, platform, link) {
            (Some(title), Some(description), Some(starts_at), Some(platform), Some(link)) => {
                Ok(LiveDraft {
                    title,
                    description,
                    starts_at,
                    platform,
                    link,
                    job_ids,
                })
            }
            _ => Err(Invalid::one(FieldError::new("_form", "error.invalid"))),
        }
    }
}

/// A stored livestream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// Identifier (ULID).
    pub id: String,
    /// The station.
    pub station: StationId,
    /// Title.
    pub title: EventTitle,
    /// Description.
    pub description: Description,
    /// Starts.
    pub starts_at: DateTime<Utc>,
    /// Platform.
    pub platform: Platform,
    /// Link.
    pub link: HttpsLink,
    /// Featured jobs.
    pub job_ids: Vec<String>,
    /// Open or cancelled.
    pub status: EventStatus,
    /// The staff member who created it.
    pub created_by: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

/// A registration as the public form sends it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationDraft {
    /// Who.
    pub name: PersonName,
    /// How staff reach them.
    pub phone: MobileNumber,
}

impl RegistrationDraft {
    /// Parses and checks a registration; consent to keep the details is required.
    pub fn parse(input: &RawInput) -> Result<RegistrationDraft, Invalid> {
        let mut p = Problems::new();
        let name = p.take(PersonName::parse("name", input.text("name")));
        let phone = p.take(MobileNumber::parse("phone", input.text("phone")));
        if input.flag("consent") != Some(true) {
            p.push(FieldError::new("consent", "error.consent_required"));
        }
        p.finish()?;
        match (name, phone) {
            (Some(name), Some(phone)) => Ok(RegistrationDraft { name, phone }),
            _ => Err(Invalid::one(FieldError::new("_form", "error.invalid"))),
        }
    }
}

/// Who registered, while they may be named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registrant {
    /// Name.
    pub name: PersonName,
    /// Phone number.
    pub phone: MobileNumber,
}

/// Attendance as staff marked it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    /// Came or not.
    pub attended: bool,
    /// Who marked it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A place taken on a course.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Identifier (ULID): stays when the person is erased.
    pub id: String,
    /// The station.
    pub station: StationId,
    /// The course.
    pub course_id: String,
    /// The sort-key part that makes it unique on the course: the phone key while the
    /// person is named, `erased-<id>` after.
    pub slot: String,
    /// Who, until erased.
    pub registrant: Option<Registrant>,
    /// The consent given to keep the details.
    pub consent: Consent,
    /// Attendance, once marked.
    pub attendance: Option<Attendance>,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

/// A course as the public board shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicCourse {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Trade slug.
    pub trade: Option<String>,
    /// Where.
    pub place: String,
    /// Starts.
    pub starts_at: DateTime<Utc>,
    /// Ends.
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: u16,
    /// Places left.
    pub places_left: u16,
    /// Version seen.
    pub version: u64,
}

impl PublicCourse {
    /// The public view of `course` (phone numbers typed into its text masked).
    pub fn of(course: &Course) -> PublicCourse {
        let mask = crate::board::mask_numbers;
        PublicCourse {
            places_left: course.places_left(),
            id: course.id.clone(),
            title: mask(course.title.as_str()),
            description: mask(course.description.as_str()),
            trade: course.trade.clone(),
            place: mask(course.place.as_str()),
            starts_at: course.starts_at,
            ends_at: course.ends_at,
            capacity: course.capacity,
            version: course.version,
        }
    }
}

/// A livestream as the public board shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicLive {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Starts.
    pub starts_at: DateTime<Utc>,
    /// Platform.
    pub platform: String,
    /// Link.
    pub link: String,
    /// Featured jobs.
    pub job_ids: Vec<String>,
    /// Version seen.
    pub version: u64,
}

/// The courses and livestreams the board lists: open ones, public fields only (free
/// text with phone numbers masked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFacts {
    courses: BTreeMap<String, PublicCourse>,
    lives: BTreeMap<String, PublicLive>,
}

/// The sort key of a course item.
pub const COURSE_SK: &str = "COURSE";
/// The sort key of a livestream item.
pub const LIVE_SK: &str = "LIVE";

impl EventFacts {
    /// Whether `key` is a course or livestream record.
    pub fn owns(key: &Key) -> bool {
        key.sk == COURSE_SK || key.sk == LIVE_SK
    }

    /// Takes a record as stored now (a newer version is never replaced by an older).
    pub fn apply_item(&mut self, item: &Item) -> Result<(), StoreError> {
        let mask = crate::board::mask_numbers;
        if item.key.sk == COURSE_SK {
            let course = crate::records::course_from_item(item)?;
            if self
                .courses
                .get(&course.id)
                .is_some_and(|c| c.version > course.version)
            {
                return Ok(());
            }
            if course.status == EventStatus::Cancelled {
                self.courses.remove(&course.id);
                return Ok(());
            }
            self.courses
                .insert(course.id.clone(), PublicCourse::of(&course));
        } else if item.key.sk == LIVE_SK {
            let live = crate::records::live_from_item(item)?;
            if self
                .lives
                .get(&live.id)
                .is_some_and(|l| l.version > live.version)
            {
                return Ok(());
            }
            if live.status == EventStatus::Cancelled {
                self.lives.remove(&live.id);
                return Ok(());
            }
            self.lives.insert(
                live.id.clone(),
                PublicLive {
                    id: live.id,
                    title: mask(live.title.as_str()),
                    description: mask(live.description.as_str()),
                    starts_at: live.starts_at,
                    platform: mask(live.platform.as_str()),
                    link: live.link.as_str().to_owned(),
                    job_ids: live.job_ids,
                    version: live.version,
                },
            );
        }
        Ok(())
    }

    /// Forgets the record under `key` (it was deleted).
    pub fn forget(&mut self, key: &Key) {
        let id = key.pk.rsplit('#').next().unwrap_or("");
        if key.sk == COURSE_SK {
            self.courses.remove(id);
        } else if key.sk == LIVE_SK {
            self.lives.remove(id);
        }
    }

    /// Courses not yet over on `today` (station days, zone `tz`), soonest first.
    pub fn upcoming_courses(&self, today: NaiveDate, tz: chrono_tz::Tz) -> Vec<&PublicCourse> {
        let mut out: Vec<&PublicCourse> = self
            .courses
            .values()
            .filter(|c| c.ends_at.with_timezone(&tz).date_naive() >= today)
            .collect();
        out.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
        out
    }

    /// Livestreams on or after `today`, soonest first.
    pub fn upcoming_lives(&self, today: NaiveDate, tz: chrono_tz::Tz) -> Vec<&PublicLive> {
        let mut out: Vec<&PublicLive> = self
            .lives
            .values()
            .filter(|l| l.starts_at.with_timezone(&tz).date_naive() >= today)
            .collect();
        out.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
        out
    }
}

/// The key of course `id` (for callers that hold only the id).
pub fn course_key(station: &StationId, id: &str) -> Key {
    keys::course(station, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::Stations;

    fn input(pairs: &[(&str, &str)]) -> RawInput {
        let mut input = RawInput::new();
        for (k, v) in pairs {
            input.push(*k, *v);
        }
        input
    }

    fn now() -> DateTime<Utc> {
        "2026-11-28T02:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_course_parses_in_station_time() {
        let stations = Stations::embedded().unwrap();
        let station = stations.default_station();
        let draft = CourseDraft::parse(
            &input(&[
                ("title", "家政服务员岗前培训"),
                (
                    "description",
                    "三天课程：保洁、收纳、老人照护基础。带身份证。",
                ),
                ("trade", "housekeeping"),
                ("place", "城中区零工驿站二楼培训室"),
                ("starts_at", "2026-12-05T09:00"),
                ("ends_at", "2026-12-05T17:00"),
                ("capacity", "30"),
            ]),
            station,
            now(),
        )
        .unwrap();
        // Xining is UTC+8.
        assert_eq!(draft.starts_at.to_rfc3339(), "2026-12-05T01:00:00+00:00");
        assert_eq!(draft.capacity, 30);
    }

    #[test]
    fn bad_courses_are_refused_field_by_field() {
        let stations = Stations::embedded().unwrap();
        let station = stations.default_station();
        let invalid = CourseDraft::parse(
            &input(&[
                ("trade", "astronaut"),
                ("starts_at", "2026-11-01T09:00"),
                ("ends_at", "tomorrow"),
                ("capacity", "501"),
            ]),
            station,
            now(),
        )
        .unwrap_err();
        assert_eq!(
            invalid.for_field("trade").unwrap().key,
            "error.unknown_trade"
        );
        assert_eq!(
            invalid.for_field("starts_at").unwrap().key,
            "events.error_past"
        );
        assert_eq!(
            invalid.for_field("ends_at").unwrap().key,
            "events.error_time"
        );
        assert_eq!(
            invalid.for_field("capacity").unwrap().key,
            "events.error_capacity"
        );
        for field in ["title", "description", "place"] {
            assert!(invalid.for_field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn livestream_links_must_be_https() {
        for bad in [
            "http://live.example.cn/1",
            "javascript:alert(1)",
            "https://",
            "https://exa mple.cn/",
            "https://user@evil.cn/",
            "https://x.cn/\"onmouseover=1",
            "https://localhost/",
        ] {
            assert!(HttpsLink::parse("link", bad).is_err(), "{bad}");
        }
        assert_eq!(
            HttpsLink::parse("link", " HTTPS://v.douyin.com/abc?x=1 ")
                .unwrap()
                .as_str(),
            "https://v.douyin.com/abc?x=1"
        );
    }

    #[test]
    fn featured_jobs_are_ids() {
        let stations = Stations::embedded().unwrap();
        let station = stations.default_station();
        let base = [
            ("title", "城中区直播带岗专场"),
            ("description", "十家企业现场讲岗位，直播间留言报名。"),
            ("starts_at", "2026-12-10T19:30"),
            ("platform", "抖音"),
            ("link", "https://live.douyin.com/123"),
        ];
        let mut fields = base.to_vec();
        fields.push((
            "job_ids",
            "01kbsm6y0000000000000000aa 01KBSM6Y0000000000000000AA, 01KBSM6Y0000000000000000AB",
        ));
        let draft = LiveDraft::parse(&input(&fields), station, now()).unwrap();
        assert_eq!(draft.job_ids.len(), 2);
        let mut fields = base.to_vec();
        fields.push(("job_ids", "../etc"));
        let invalid = LiveDraft::parse(&input(&fields), station, now()).unwrap_err();
        assert_eq!(
            invalid.for_field("job_ids").unwrap().key,
            "events.error_job_ids"
        );
    }

    #[test]
    fn a_registration_needs_consent() {
        let ok = [
            ("name", "马占山"),
            ("phone", "139 0000 0301"),
            ("consent", "true"),
        ];
        assert!(RegistrationDraft::parse(&input(&ok)).is_ok());
        let invalid = RegistrationDraft::parse(&input(&ok[..2])).unwrap_err();
        assert!(invalid.for_field("consent").is_some());
    }
}
