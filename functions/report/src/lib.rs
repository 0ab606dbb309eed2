//! Sending the station reports: for every station with recipients, the report of the
//! last complete period, rendered (HTML with table-drawn bar charts, plain text, a CSV
//! of the period's postings) and sent over SMTP. `lingong report --send` and the
//! scheduled Lambda function run this same step.

use lingong_core::{
    App, Lang,
    station_report::{ReportPeriod, csv},
};
use lingong_notify_smtp::{ReportEmail, SmtpNotifier};
use lingong_site::{Renderer, report_mail};

/// The period a scheduled event asks for: the schedule's input `{"period": "daily"}`
/// (EventBridge Scheduler hands it over as the whole event), or the same under
/// `detail` (an EventBridge rule's event). `None` when it names none.
pub fn period_of(event: &serde_json::Value) -> Option<ReportPeriod> {
    event
        .get("period")
        .or_else(|| event.get("detail").and_then(|d| d.get("period")))
        .and_then(serde_json::Value::as_str)
        .and_then(ReportPeriod::parse)
}

/// What happened for one station.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Sent to this many recipients.
    To(usize),
    /// The station has no recipients configured.
    NoRecipients,
}

/// Sends the `period` report of every station (to `to` instead of the configured staff
/// lists, when given). Fails on the first station that cannot be sent, after logging
/// it; stations already sent stay sent (the `Message-ID` makes a repeat show once).
pub async fn send_reports(
    app: &App,
    renderer: &Renderer,
    mailer: &SmtpNotifier,
    period: ReportPeriod,
    lang: Lang,
    to: Option<&[String]>,
) -> anyhow::Result<Vec<(String, Sent)>> {
    let mut results = Vec::new();
    for station in app.stations.all() {
        let recipients: Vec<String> = match to {
            Some(to) => to.to_vec(),
            None => station.reports.recipients.clone(),
        };
        if recipients.is_empty() {
            results.push((station.id.to_string(), Sent::NoRecipients));
            continue;
        }
        let report = app.station_report(station, period).await?;
        let mail = report_mail::render(renderer, &report, lang)?;
        let report_id = format!(
            "report-{}-{}-{}",
            station.id,
            period.as_str(),
            report
                .current
                .start
                .map(|d| d.to_string())
                .unwrap_or_default()
        );
        let table = csv(&report);
        mailer
            .send_report(&ReportEmail {
                to: &recipients,
                from_name: &station.name.zh,
                subject: &mail.subject,
                html: &mail.html,
                text: &mail.text,
                report_id: &report_id,
                csv_name: &mail.csv_name,
                csv: &table,
            })
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "sending the {} report of {}: {e}",
                    period.as_str(),
                    station.id
                )
            })?;
        tracing::info!(station = %station.id, period = period.as_str(), recipients = recipients.len(), "report sent");
        results.push((station.id.to_string(), Sent::To(recipients.len())));
    }
    Ok(results)
}
