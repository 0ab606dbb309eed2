//! `lingong report --period daily|weekly [--send]`: the station report for staff, for
//! the last complete day or week. Without `--send` it prints the text version (and
//! writes the CSV with `--csv FILE`); with `--send` it e-mails it to the station's
//! staff list (or `--to`) through `--smtp`, as the scheduled function does on AWS.

use anyhow::{Context, bail};
use clap::Args;
use lingong_core::{
    Lang,
    station_report::{ReportPeriod, csv},
};
use lingong_notify_smtp::{SmtpNotifier, SmtpSettings};
use lingong_site::{Renderer, report_mail};

use crate::setup;

/// Options of `lingong report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// `daily` (yesterday) or `weekly` (last Monday to Sunday).
    #[arg(long, default_value = "weekly")]
    pub period: String,
    /// E-mail the report instead of printing it.
    #[arg(long)]
    pub send: bool,
    /// The SMTP server to send through, e.g. `smtp://127.0.0.1:2525`.
    #[arg(long, env = "LINGONG_SMTP")]
    pub smtp: Option<String>,
    /// The sender address.
    #[arg(
        long,
        env = "LINGONG_MAIL_FROM",
        default_value = "reports@lingong.localhost"
    )]
    pub from: String,
    /// Send to these addresses instead of the stations' staff lists.
    #[arg(long)]
    pub to: Vec<String>,
    /// `zh` (default) or `en`.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Write the period's postings as CSV to this file (when printing).
    #[arg(long)]
    pub csv: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub store: setup::StoreArgs,
}

/// Runs `lingong report`.
pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    let period = ReportPeriod::parse(&args.period).context("--period must be daily or weekly")?;
    let lang = Lang::parse(&args.lang).context("--lang must be zh or en")?;
    let app = setup::build_app(&args.store).await?.app;
    let renderer = Renderer::new()?;
    if args.send {
        let Some(url) = &args.smtp else {
            bail!("--send needs --smtp smtp://HOST:PORT");
        };
        let mailer = SmtpNotifier::new(&SmtpSettings {
            url: url.clone(),
            from: args.from.clone(),
            credentials: None,
            extra_root_pem: None,
            send_timeout: None,
        })?;
        let to = (!args.to.is_empty()).then_some(args.to.as_slice());
        for (station, sent) in
            lingong_report::send_reports(&app, &renderer, &mailer, period, lang, to).await?
        {
            println!("{station}: {sent:?}");
        }
        return Ok(());
    }
    for station in app.stations.all() {
        let report = app.station_report(station, period).await?;
        let mail = report_mail::render(&renderer, &report, lang)?;
        println!("{}\n\n{}", mail.subject, mail.text);
        if let Some(path) = &args.csv {
            std::fs::write(path, csv(&report))
                .with_context(|| format!("writing {}", path.display()))?;
            println!("CSV: {}", path.display());
        }
    }
    Ok(())
}
