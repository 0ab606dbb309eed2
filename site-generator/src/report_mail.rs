//! The station report as an e-mail: an HTML part with bar charts drawn as HTML tables
//! (mail programs show them; they strip SVG and scripts), a plain-text part with the
//! same figures, and the subject, all from the templates under `templates/reports/` and
//! the catalogue.

use lingong_core::{
    Lang,
    i18n::{Arg, t, tf},
    station_report::{PeriodFigures, StationReport},
};
use minijinja::{context, value::Serde};
use serde::Serialize;

use crate::{RenderError, Renderer};

/// A rendered report e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportMail {
    /// Subject line.
    pub subject: String,
    /// HTML part.
    pub html: String,
    /// Plain-text part.
    pub text: String,
    /// The CSV attachment's file name.
    pub csv_name: String,
}

#[derive(Serialize)]
struct Line {
    label: String,
    current: String,
    previous: String,
    change: String,
}

#[derive(Serialize)]
struct Bar {
    name: String,
    openings: u64,
    placements: u64,
    wage: String,
    width: u64,
}

fn number(value: Option<f64>) -> String {
    value.map(|v| format!("{v}")).unwrap_or_else(|| "—".into())
}

fn change(current: Option<f64>, previous: Option<f64>) -> String {
    match (current, previous) {
        (Some(c), Some(p)) if (c - p).abs() < f64::EPSILON => "=".into(),
        (Some(c), Some(p)) => {
            let diff = ((c - p) * 100.0).round() / 100.0;
            if diff > 0.0 {
                format!("▲ {diff}")
            } else {
                format!("▼ {}", -diff)
            }
        }
        _ => "".into(),
    }
}

fn lines(current: &PeriodFigures, previous: &PeriodFigures, lang: Lang) -> Vec<Line> {
    let count = |v: u64| Some(v as f64);
    let rows: Vec<(&str, Option<f64>, Option<f64>)> = vec![
        (
            "station_report.new_employers",
            count(current.new_employers),
            count(previous.new_employers),
        ),
        (
            "station_report.new_workers",
            count(current.new_workers),
            count(previous.new_workers),
        ),
        (
            "station_report.new_jobs",
            count(current.new_jobs),
            count(previous.new_jobs),
        ),
        (
            "station_report.openings",
            count(current.openings),
            count(previous.openings),
        ),
        (
            "station_report.offers",
            count(current.offers),
            count(previous.offers),
        ),
        (
            "station_report.placements",
            count(current.placements),
            count(previous.placements),
        ),
        (
            "station_report.fill_rate",
            current.fill_rate_percent,
            previous.fill_rate_percent,
        ),
        (
            "station_report.average_wage",
            current.average_wage_yuan,
            previous.average_wage_yuan,
        ),
        (
            "station_report.openings_per_job_seeker",
            current.openings_per_job_seeker,
            previous.openings_per_job_seeker,
        ),
        (
            "station_report.complaints_opened",
            count(current.complaints_opened),
            count(previous.complaints_opened),
        ),
        (
            "station_report.complaints_closed",
            count(current.complaints_closed),
            count(previous.complaints_closed),
        ),
    ];
    rows.into_iter()
        .map(|(key, c, p)| Line {
            label: t(lang, key).to_owned(),
            current: number(c),
            previous: number(p),
            change: change(c, p),
        })
        .collect()
}

fn bars(figures: &PeriodFigures) -> Vec<Bar> {
    let most = figures
        .by_trade
        .iter()
        .map(|t| t.openings.max(t.placements))
        .max()
        .unwrap_or(0)
        .max(1);
    figures
        .by_trade
        .iter()
        .map(|trade| Bar {
            name: trade.name.clone(),
            openings: trade.openings,
            placements: trade.placements,
            wage: number(trade.average_wage_yuan),
            width: trade.openings * 100 / most,
        })
        .collect()
}

/// Renders `report` as an e-mail in `lang`.
pub fn render(
    renderer: &Renderer,
    report: &StationReport,
    lang: Lang,
) -> Result<ReportMail, RenderError> {
    let period = |f: &PeriodFigures| match (f.start, f.end) {
        (Some(s), Some(e)) if s == e => s.to_string(),
        (Some(s), Some(e)) => format!("{s} – {e}"),
        _ => String::new(),
    };
    let kind = t(
        lang,
        &format!("station_report.kind_{}", report.period.as_str()),
    )
    .to_owned();
    let subject = tf(
        lang,
        "station_report.subject",
        &[
            ("station", Arg::Text(report.station_name.clone())),
            ("kind", Arg::Text(kind.clone())),
            ("period", Arg::Text(period(&report.current))),
        ],
    );
    let context = context! {
        lang => lang.tag(),
        subject => subject.clone(),
        kind,
        station => report.station_name.clone(),
        period => period(&report.current),
        previous_period => period(&report.previous),
        lines => Serde(lines(&report.current, &report.previous, lang)),
        bars => Serde(bars(&report.current)),
        parked => report.parked_notices,
        jobs => report.rows.len(),
        generated => report.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    };
    Ok(ReportMail {
        subject,
        html: renderer.render("reports/station_report.html", context.clone())?,
        text: renderer.render("reports/station_report.txt", context)?,
        csv_name: format!(
            "lingong-{}-{}-{}.csv",
            report.station,
            report.period.as_str(),
            report
                .current
                .start
                .map(|d| d.to_string())
                .unwrap_or_default()
        ),
    })
}
