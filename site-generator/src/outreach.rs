//! Training courses (一键培训) and livestream recruitment events (直播带岗) as pages show
//! them: the static `/training/` and `/live/` pages, and the pages the API answers a
//! registration with. Views hold public fields only; a course shows how many places
//! are left, never who took them.

use chrono::{DateTime, Utc};
use lingong_core::{
    Lang,
    board::BoardFacts,
    events::{PublicCourse, PublicLive},
    station::Station,
};
use serde::Serialize;

use crate::view::root_of;

/// A course as a page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CourseView {
    /// Identifier (the form posts to `/api/courses/<id>/register`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The trade's name, if the course trains for one.
    pub trade_name: Option<String>,
    /// Where.
    pub place: String,
    /// Day and time span, e.g. "2026年12月5日（星期六） 09:00–17:00".
    pub when: String,
    /// Start in ISO form (for `<time datetime>`).
    pub start_iso: String,
    /// Places.
    pub capacity: u16,
    /// Places left.
    pub places_left: u16,
}

/// A livestream as a page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct LiveView {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Day and time.
    pub when: String,
    /// Start in ISO form.
    pub start_iso: String,
    /// Platform.
    pub platform: String,
    /// Link to watch (https only, checked when staff entered it).
    pub link: String,
    /// Featured jobs still on the board: (title, url).
    pub jobs: Vec<(String, String)>,
}

fn time_span(
    station: &Station,
    lang: Lang,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
) -> String {
    let start = start.with_timezone(&station.time_zone);
    let day = crate::site::format_date(lang, start.date_naive());
    match end.map(|e| e.with_timezone(&station.time_zone)) {
        Some(end) if end.date_naive() == start.date_naive() => {
            format!("{day} {}–{}", start.format("%H:%M"), end.format("%H:%M"))
        }
        Some(end) => format!(
            "{day} {} – {} {}",
            start.format("%H:%M"),
            crate::site::format_date(lang, end.date_naive()),
            end.format("%H:%M")
        ),
        None => format!("{day} {}", start.format("%H:%M")),
    }
}

impl CourseView {
    /// The view of `course` in `lang`.
    pub fn new(station: &Station, lang: Lang, course: &PublicCourse) -> CourseView {
        CourseView {
            id: course.id.clone(),
            title: course.title.clone(),
            description: course.description.clone(),
            trade_name: course
                .trade
                .as_deref()
                .and_then(|slug| station.trade(slug))
                .map(|t| t.name.get(lang).to_owned()),
            place: course.place.clone(),
            when: time_span(station, lang, course.starts_at, Some(course.ends_at)),
            start_iso: course.starts_at.to_rfc3339(),
            capacity: course.capacity,
            places_left: course.places_left,
        }
    }
}

impl LiveView {
    /// The view of `live` in `lang`, featuring those of its jobs still on the board.
    pub fn new(station: &Station, lang: Lang, live: &PublicLive, facts: &BoardFacts) -> LiveView {
        LiveView {
            id: live.id.clone(),
            title: live.title.clone(),
            description: live.description.clone(),
            when: time_span(station, lang, live.starts_at, None),
            start_iso: live.starts_at.to_rfc3339(),
            platform: live.platform.clone(),
            link: live.link.clone(),
            jobs: live
                .job_ids
                .iter()
                .filter_map(|id| facts.board_job(id))
                .map(|job| {
                    (
                        job.title.clone(),
                        format!("{}jobs/{}/", root_of(lang), job.id),
                    )
                })
                .collect(),
        }
    }
}
