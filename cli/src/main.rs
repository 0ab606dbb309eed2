//! `lingong`: run a station on this machine.
//!
//! - `lingong serve [--demo]`: the API, the pages and the background work in one
//!   process, on the embedded store (or DynamoDB with `--dynamodb-endpoint`).
//! - `lingong build-site --out DIR`: the public board as static files.
//! - `lingong report --period weekly [--send]`: the station report for staff.
//! - `lingong staff add`: create a staff account.
//! - `lingong sms-inbound-key`: the key an SMS gateway signs inbound replies with.
//! - `lingong sms-push-urls`: the URLs to give Alibaba or Tencent Cloud for replies and
//!   delivery reports.
//! - `lingong sms-templates`: the SMS templates to file with a mainland gateway.

mod demo;
mod notices;
mod report;
mod serve;
mod setup;
mod site;
mod sms;
mod staff;

use clap::{Parser, Subcommand};

/// Lingong (零工驿站): software for neighbourhood gig-work stations.
#[derive(Debug, Parser)]
#[command(name = "lingong", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API and the pages locally, printing the address to open.
    Serve(Box<serve::ServeArgs>),
    /// Build the public board (static site) into a directory.
    BuildSite(site::BuildSiteArgs),
    /// Print (or, with --send, e-mail) the station report for the last day or week.
    Report(report::ReportArgs),
    /// Manage staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Print the key an SMS gateway signs inbound replies with (`POST /api/sms/inbound`).
    SmsInboundKey {
        /// Data directory holding the deployment secret (or set `LINGONG_SECRET`).
        #[arg(long, default_value = ".lingong-data", env = "LINGONG_DATA")]
        data: std::path::PathBuf,
    },
    /// Print the push URLs for a mainland SMS gateway's console (replies, reports).
    SmsPushUrls(sms::PushUrlsArgs),
    /// Print the SMS templates to file with a mainland gateway, in its own form.
    SmsTemplates(sms::TemplatesArgs),
}

#[derive(Debug, Subcommand)]
enum StaffCommand {
    /// Create a staff account (prints a generated password unless --password-stdin).
    Add(staff::AddArgs),
    /// Lift an account's login lockout (after guesses from many addresses).
    Unlock(staff::UnlockArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn")
            }),
        )
        .with_target(false)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::BuildSite(args) => site::build(args).await,
        Command::Report(args) => report::run(args).await,
        Command::Staff(StaffCommand::Add(args)) => staff::add(args).await,
        Command::Staff(StaffCommand::Unlock(args)) => staff::unlock(args).await,
        Command::SmsPushUrls(args) => sms::push_urls(args),
        Command::SmsTemplates(args) => sms::templates(args),
        Command::SmsInboundKey { data } => {
            let secrets = setup::load_secret(&data)?;
            println!("{}", lingong_core::app::sms::inbound_key(&secrets));
            Ok(())
        }
    }
}
