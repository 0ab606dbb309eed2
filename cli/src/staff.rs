//! `lingong staff add`: creates a staff account (the first administrator of a station is
//! made this way; later ones too, by an operator).

use std::io::Read;

use anyhow::{Context, bail};
use clap::Args;
use lingong_core::{app::AddStaffError, secrets::random_bytes, staff::Role};

use crate::setup;

/// Options of `lingong staff add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Login name (3–32 of a-z 0-9 . _ -).
    #[arg(long)]
    pub username: String,
    /// Name shown in the console and the audit log.
    #[arg(long)]
    pub name: String,
    /// `admin` or `staff`.
    #[arg(long, default_value = "staff")]
    pub role: String,
    /// Read the password from standard input instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub store: setup::StoreArgs,
}

/// A random password of 16 characters from an alphabet without look-alikes.
pub fn generate_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Runs `lingong staff add`.
pub async fn add(args: AddArgs) -> anyhow::Result<()> {
    let role = Role::parse(&args.role).context("--role must be admin or staff")?;
    let wired = setup::build_app(&args.store).await?;
    let app = wired.app;
    let station = app.stations.default_station().clone();
    let (password, generated) = if args.password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        (text.trim_end_matches(['\n', '\r']).to_owned(), false)
    } else {
        (generate_password()?, true)
    };
    match app
        .add_staff(&station, &args.username, &args.name, role, &password)
        .await
    {
        Ok(account) => {
            println!(
                "Created {} account `{}` for {}.",
                role.as_str(),
                account.username,
                station.id
            );
            if generated {
                println!("Password: {password}");
                println!("Keep it safe; it is not stored anywhere in readable form.");
            }
            Ok(())
        }
        Err(AddStaffError::Taken) => bail!("the username `{}` is taken", args.username),
        Err(AddStaffError::Invalid(invalid)) => {
            let messages: Vec<String> = invalid.0.iter().map(|e| e.to_string()).collect();
            bail!("{}", messages.join("; "))
        }
        Err(e) => Err(e.into()),
    }
}

/// Options of `lingong staff unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Login name whose account-wide lockout to lift.
    #[arg(long)]
    pub username: String,
    #[command(flatten)]
    pub store: setup::StoreArgs,
}

/// Runs `lingong staff unlock`: lifts the account-wide login limit, so the account's
/// owner can log in again at once after guesses from many addresses.
pub async fn unlock(args: UnlockArgs) -> anyhow::Result<()> {
    let wired = setup::build_app(&args.store).await?;
    let app = wired.app;
    let station = app.stations.default_station().clone();
    app.unlock_staff(&station, &args.username).await?;
    println!(
        "Lifted the login lockout of `{}` at {}.",
        args.username.trim(),
        station.id
    );
    Ok(())
}
