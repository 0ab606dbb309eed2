//! `lingong`: run a station on this machine.
//!
//! - `lingong serve [--demo]`: the API, the pages and the background work in one
//!   process, on the embedded store (or DynamoDB with `--dynamodb-endpoint`).
//! - `lingong build-site --out DIR`: the public board as static files.

mod demo;
mod serve;
mod setup;
mod site;

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
    Serve(serve::ServeArgs),
    /// Build the public board (static site) into a directory.
    BuildSite(site::BuildSiteArgs),
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
        Command::Serve(args) => serve::run(args).await,
        Command::BuildSite(args) => site::build(args).await,
    }
}
