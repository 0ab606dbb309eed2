//! Station configuration: who the station is, where it works, which trades it serves and
//! the wage floor of each. Loaded from TOML (`stations/*.toml`) and validated at start;
//! a station that fails validation stops the process with a message naming the problem.

use std::{collections::BTreeMap, fmt, path::Path, sync::Arc};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{
    i18n::LocalName, matching::settings::MatchingSettings, money::Money,
    notices::settings::NoticeSettings,
};

include!(concat!(env!("OUT_DIR"), "/embedded_stations.rs"));

/// A station's stable identifier, e.g. `xining-chengzhong`: lowercase letters, digits
/// and dashes. It prefixes every key the station's records are stored under.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StationId(String);

impl StationId {
    /// Checks `raw` is a slug of 2–40 characters.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        if is_slug(raw, 40) {
            Ok(StationId(raw.to_owned()))
        } else {
            Err(ConfigError::BadSlug(raw.to_owned()))
        }
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StationId {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        StationId::parse(&value)
    }
}

impl From<StationId> for String {
    fn from(value: StationId) -> Self {
        value.0
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_slug(raw: &str, max: usize) -> bool {
    (2..=max).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
}

/// How new postings reach the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    /// Published at once; staff may take a posting down.
    Post,
    /// Postings from unverified employers wait for staff review.
    Pre,
}

/// A district (区/县) the station serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    /// Stable slug used in URLs and keys.
    pub slug: String,
    /// Chinese and English names.
    pub name: LocalName,
    /// Districts close enough that a worker there may be offered work here.
    #[serde(default)]
    pub neighbours: Vec<String>,
}

/// A trade (工种) the station matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trade {
    /// Stable slug used in URLs and keys.
    pub slug: String,
    /// Chinese and English names.
    pub name: LocalName,
    /// The lowest daily wage a posting in this trade may offer, in whole yuan.
    pub wage_floor_yuan: u32,
}

impl Trade {
    /// The wage floor as money.
    pub fn wage_floor(&self) -> Money {
        Money::from_yuan(u64::from(self.wage_floor_yuan))
    }
}

/// A station file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StationFile {
    id: String,
    name: LocalName,
    hotline: String,
    address: LocalName,
    time_zone: String,
    moderation: Moderation,
    sms_signature: String,
    consent_version: String,
    retention_days: u32,
    districts: Vec<District>,
    trades: Vec<Trade>,
    #[serde(default)]
    matching: MatchingSettings,
    #[serde(default)]
    notices: NoticeSettings,
    #[serde(default)]
    reports: ReportSettings,
    #[serde(default = "default_review_after_reports")]
    review_after_reports: u16,
}

fn default_review_after_reports() -> u16 {
    3
}

/// Who receives the station's report e-mails (`[reports]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Staff addresses the daily and weekly reports go to.
    #[serde(default)]
    pub recipients: Vec<String>,
}

/// A validated station.
#[derive(Clone, Debug)]
pub struct Station {
    /// Stable identifier.
    pub id: StationId,
    /// Display names.
    pub name: LocalName,
    /// The number printed on every page and notice.
    pub hotline: String,
    /// Where the station's desk is.
    pub address: LocalName,
    /// The station's time zone; "today" and quiet hours are reckoned in it.
    pub time_zone: Tz,
    /// How postings are moderated.
    pub moderation: Moderation,
    /// The SMS signature, without brackets.
    pub sms_signature: String,
    /// The version of the consent text workers accept.
    pub consent_version: String,
    /// Days of inactivity after which a worker's data is deleted.
    pub retention_days: u32,
    /// Districts, in display order.
    pub districts: Vec<District>,
    /// Trades, in display order.
    pub trades: Vec<Trade>,
    /// How candidates are ranked and offers sent (`[matching]`).
    pub matching: MatchingSettings,
    /// Quiet hours, SMS limits and retries (`[notices]`).
    pub notices: NoticeSettings,
    /// Report e-mails (`[reports]`).
    pub reports: ReportSettings,
    /// A published posting goes back to review after this many reports by the public
    /// ("report this posting") that staff have not yet looked at (default 3).
    pub review_after_reports: u16,
}

/// Why a station file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid TOML of the expected shape.
    #[error("station file {file}: {source}")]
    Parse {
        /// Which file.
        file: String,
        /// What the parser said.
        source: Box<toml::de::Error>,
    },
    /// The file could not be read.
    #[error("station file {file}: {source}")]
    Read {
        /// Which file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A slug has characters other than `a-z`, `0-9` and `-`.
    #[error("`{0}` is not a valid slug (a-z, 0-9 and -)")]
    BadSlug(String),
    /// The time zone is unknown.
    #[error("unknown time zone `{0}`")]
    BadTimeZone(String),
    /// Something else is wrong; the text says what.
    #[error("station {station}: {problem}")]
    Invalid {
        /// Which station.
        station: String,
        /// What is wrong.
        problem: String,
    },
    /// Two files define the same station.
    #[error("station `{0}` is defined twice")]
    Duplicate(String),
    /// No station is configured.
    #[error("no station is configured")]
    Empty,
    /// The requested default station does not exist.
    #[error("unknown station `{0}`")]
    Unknown(String),
}

impl Station {
    /// Parses and validates one station file.
    pub fn from_toml(file: &str, source: &str) -> Result<Station, ConfigError> {
        let raw: StationFile = toml::from_str(source).map_err(|e| ConfigError::Parse {
            file: file.to_owned(),
            source: Box::new(e),
        })?;
        Station::validate(raw)
    }

    fn validate(raw: StationFile) -> Result<Station, ConfigError> {
        let id = StationId::parse(&raw.id)?;
        let invalid = |problem: String| ConfigError::Invalid {
            station: raw.id.clone(),
            problem,
        };
        let time_zone: Tz = raw
            .time_zone
            .parse()
            .map_err(|_| ConfigError::BadTimeZone(raw.time_zone.clone()))?;
        if raw.name.zh.trim().is_empty() || raw.name.en.trim().is_empty() {
            return Err(invalid("name needs both zh and en".into()));
        }
        if raw.hotline.trim().is_empty()
            || !raw.hotline.chars().all(|c| c.is_ascii_digit() || c == '-')
        {
            return Err(invalid(format!(
                "hotline `{}` must be digits and dashes",
                raw.hotline
            )));
        }
        if raw.sms_signature.trim().is_empty() || raw.sms_signature.chars().count() > 12 {
            return Err(invalid("sms_signature must be 1–12 characters".into()));
        }
        if raw.consent_version.trim().is_empty() {
            return Err(invalid("consent_version is required".into()));
        }
        if raw.retention_days < 30 {
            return Err(invalid("retention_days must be at least 30".into()));
        }
        if raw.districts.is_empty() || raw.trades.is_empty() {
            return Err(invalid(
                "at least one district and one trade are required".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for slug in raw.districts.iter().map(|d| &d.slug) {
            if !is_slug(slug, 32) {
                return Err(ConfigError::BadSlug(slug.clone()));
            }
            if !seen.insert(slug.clone()) {
                return Err(invalid(format!("district `{slug}` appears twice")));
            }
        }
        for district in &raw.districts {
            for neighbour in &district.neighbours {
                if neighbour == &district.slug || !seen.contains(neighbour) {
                    return Err(invalid(format!(
                        "district `{}` lists unknown neighbour `{neighbour}`",
                        district.slug
                    )));
                }
            }
        }
        let mut trades = std::collections::BTreeSet::new();
        for trade in &raw.trades {
            if !is_slug(&trade.slug, 32) {
                return Err(ConfigError::BadSlug(trade.slug.clone()));
            }
            if !trades.insert(trade.slug.clone()) {
                return Err(invalid(format!("trade `{}` appears twice", trade.slug)));
            }
            if trade.wage_floor_yuan == 0
                || Money::from_yuan(u64::from(trade.wage_floor_yuan)) > Money::MAX_DAILY_WAGE
            {
                return Err(invalid(format!(
                    "trade `{}` needs a wage floor between 1 and 5000 yuan",
                    trade.slug
                )));
            }
        }
        raw.matching.check().map_err(&invalid)?;
        raw.notices.check().map_err(&invalid)?;
        if !(1..=50).contains(&raw.review_after_reports) {
            return Err(invalid(
                "review_after_reports must be between 1 and 50".into(),
            ));
        }
        for address in &raw.reports.recipients {
            crate::phone::Email::parse("recipients", address).map_err(|_| {
                invalid(format!(
                    "report recipient `{address}` is not an e-mail address"
                ))
            })?;
        }
        Ok(Station {
            id,
            name: raw.name,
            hotline: raw.hotline,
            address: raw.address,
            time_zone,
            moderation: raw.moderation,
            sms_signature: raw.sms_signature,
            consent_version: raw.consent_version,
            retention_days: raw.retention_days,
            districts: raw.districts,
            trades: raw.trades,
            matching: raw.matching,
            notices: raw.notices,
            reports: raw.reports,
            review_after_reports: raw.review_after_reports,
        })
    }

    /// The trade with `slug`.
    pub fn trade(&self, slug: &str) -> Option<&Trade> {
        self.trades.iter().find(|t| t.slug == slug)
    }

    /// The district with `slug`.
    pub fn district(&self, slug: &str) -> Option<&District> {
        self.districts.iter().find(|d| d.slug == slug)
    }

    /// Districts whose workers may be offered work in `district`: the district itself
    /// and its neighbours.
    pub fn reach<'a>(&'a self, district: &'a str) -> Vec<&'a str> {
        let mut out = vec![district];
        if let Some(d) = self.district(district) {
            out.extend(d.neighbours.iter().map(String::as_str));
        }
        out
    }

    /// The calendar date at the station at instant `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.time_zone).date_naive()
    }
}

/// Every station this deployment serves, and which one answers when none is named.
#[derive(Clone, Debug)]
pub struct Stations {
    by_id: BTreeMap<StationId, Arc<Station>>,
    default: StationId,
}

impl Stations {
    /// The stations compiled into the binary (`stations/*.toml` at build time).
    pub fn embedded() -> Result<Stations, ConfigError> {
        Self::from_sources(
            EMBEDDED_STATIONS
                .iter()
                .map(|(name, text)| (name.to_string(), text.to_string())),
        )
    }

    /// The stations in the `*.toml` files of `dir`.
    pub fn from_dir(dir: &Path) -> Result<Stations, ConfigError> {
        let read_err = |source| ConfigError::Read {
            file: dir.display().to_string(),
            source,
        };
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    file: path.display().to_string(),
                    source,
                })?;
                sources.push((path.display().to_string(), text));
            }
        }
        sources.sort();
        Self::from_sources(sources)
    }

    fn from_sources(
        sources: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Stations, ConfigError> {
        let mut by_id = BTreeMap::new();
        for (file, text) in sources {
            let station = Station::from_toml(&file, &text)?;
            if by_id.contains_key(&station.id) {
                return Err(ConfigError::Duplicate(station.id.to_string()));
            }
            by_id.insert(station.id.clone(), Arc::new(station));
        }
        let default = by_id.keys().next().cloned().ok_or(ConfigError::Empty)?;
        Ok(Stations { by_id, default })
    }

    /// Makes `id` the station that answers when a request names none.
    pub fn with_default(mut self, id: &str) -> Result<Stations, ConfigError> {
        let id = StationId::parse(id)?;
        if !self.by_id.contains_key(&id) {
            return Err(ConfigError::Unknown(id.to_string()));
        }
        self.default = id;
        Ok(self)
    }

    /// The station named `id`, or the default one when `id` is `None`.
    pub fn get(&self, id: Option<&str>) -> Option<&Arc<Station>> {
        match id {
            None => self.by_id.get(&self.default),
            Some(id) => self
                .by_id
                .iter()
                .find(|(k, _)| k.as_str() == id)
                .map(|(_, v)| v),
        }
    }

    /// The default station.
    pub fn default_station(&self) -> &Arc<Station> {
        // `from_sources` only builds a registry whose default exists.
        &self.by_id[&self.default]
    }

    /// The same stations with SMS quiet hours switched off, for the local demo (so that
    /// notices show at any hour). Never used for a real deployment.
    pub fn without_quiet_hours(mut self) -> Stations {
        for station in self.by_id.values_mut() {
            let mut changed = (**station).clone();
            changed.notices.quiet_end = changed.notices.quiet_start.clone();
            *station = Arc::new(changed);
        }
        self
    }

    /// All stations, ordered by id.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Station>> {
        self.by_id.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_station_is_valid() {
        let stations = Stations::embedded().unwrap();
        let xining = stations.get(Some("xining-chengzhong")).unwrap();
        assert_eq!(xining.moderation, Moderation::Post);
        assert_eq!(xining.districts.len(), 7);
        assert_eq!(xining.trades.len(), 10);
        for slug in ["temp", "cleaning", "moving", "housekeeping", "community"] {
            assert!(xining.trade(slug).is_some(), "{slug}");
        }
        for slug in [
            "chengzhong",
            "chengdong",
            "chengxi",
            "chengbei",
            "huangzhong",
            "datong",
            "huangyuan",
        ] {
            assert!(xining.district(slug).is_some(), "{slug}");
        }
        assert_eq!(xining.time_zone, chrono_tz::Asia::Shanghai);
    }

    #[test]
    fn today_is_reckoned_in_the_station_time_zone() {
        let stations = Stations::embedded().unwrap();
        let station = stations.default_station();
        // 17:00 UTC is 01:00 the next day in Xining.
        let now: DateTime<Utc> = "2026-11-28T17:00:00Z".parse().unwrap();
        assert_eq!(station.today(now).to_string(), "2026-11-29");
    }

    fn minimal(extra: &str) -> String {
        format!(
            r#"
id = "test-station"
name = {{ zh = "测试", en = "Test" }}
hotline = "12333"
address = {{ zh = "某地", en = "Somewhere" }}
time_zone = "Asia/Shanghai"
moderation = "pre"
sms_signature = "测试"
consent_version = "1"
retention_days = 365
{extra}
"#
        )
    }

    #[test]
    fn refuses_broken_stations() {
        let district = "[[districts]]\nslug = \"a-district\"\nname = { zh = \"甲\", en = \"A\" }\n";
        let trade = "[[trades]]\nslug = \"cleaning\"\nname = { zh = \"保洁\", en = \"Cleaning\" }\nwage_floor_yuan = 150\n";
        assert!(Station::from_toml("ok", &minimal(&format!("{district}{trade}"))).is_ok());
        assert!(Station::from_toml("no trades", &minimal(district)).is_err());
        let bad_neighbour = district.replace("name =", "neighbours = [\"nowhere\"]\nname =");
        assert!(
            Station::from_toml("neighbour", &minimal(&format!("{bad_neighbour}{trade}"))).is_err()
        );
        let zero_floor = trade.replace("150", "0");
        assert!(Station::from_toml("floor", &minimal(&format!("{district}{zero_floor}"))).is_err());
        let bad_slug = trade.replace("cleaning", "Cleaning!");
        assert!(Station::from_toml("slug", &minimal(&format!("{district}{bad_slug}"))).is_err());
        let unknown_field = format!("{district}{trade}colour = \"red\"\n");
        assert!(Station::from_toml("unknown", &minimal(&unknown_field)).is_err());
        let bad_tz =
            minimal(&format!("{district}{trade}")).replace("Asia/Shanghai", "Mars/Olympus");
        assert!(Station::from_toml("tz", &bad_tz).is_err());
    }

    #[test]
    fn matching_and_notice_sections_are_optional_and_checked() {
        let district = "[[districts]]\nslug = \"a-district\"\nname = { zh = \"甲\", en = \"A\" }\n";
        let trade = "[[trades]]\nslug = \"cleaning\"\nname = { zh = \"保洁\", en = \"Cleaning\" }\nwage_floor_yuan = 150\n";
        let base = format!("{district}{trade}");
        let station = Station::from_toml("defaults", &minimal(&base)).unwrap();
        assert_eq!(station.matching, MatchingSettings::default());
        assert_eq!(station.notices, NoticeSettings::default());
        let tuned = format!(
            "{base}[matching]\nwave_factor = 3\nwindow_days = 14\n[notices]\nquiet_start = \"22:00\"\nsms_daily_limit = 3\n"
        );
        let station = Station::from_toml("tuned", &minimal(&tuned)).unwrap();
        assert_eq!(station.matching.wave_factor, 3);
        assert_eq!(station.matching.window_days, 14);
        assert_eq!(station.matching.offer_expiry_minutes, 120);
        assert_eq!(station.notices.sms_daily_limit, 3);
        for bad in [
            "[matching]\nwave_factor = 0\n",
            "[matching]\nweight_days_worked = 0\nweight_offers = 0\n",
            "[matching]\nspeed = 3\n",
            "[notices]\nquiet_start = \"late\"\n",
            "[notices]\nsms_daily_limit = 0\n",
        ] {
            let text = minimal(&format!("{base}{bad}"));
            assert!(Station::from_toml("bad", &text).is_err(), "{bad}");
        }
    }
}
