//! The local notifier of `lingong serve`: every notice is written to
//! `<data>/notices/` (SMS as `.txt`, e-mail as `.eml` with its HTML part beside it) and
//! printed, so the demo shows what workers and employers would receive. With
//! `--smtp`, e-mail goes to that SMTP server instead; with `--sms aliyun` or
//! `--sms tencent`, SMS go through that mainland gateway as filed templates, so a
//! station can run the whole product on one server in China.
//!
//! The files are named by notice id, so when a notice is deleted from the store (a
//! person erased, the retention period over) its files go too
//! ([`Notifier::forget`]). What is printed goes to the server's log: numbers in it
//! are masked, and the recipient is shown masked.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context;

use async_trait::async_trait;
use lingong_core::{
    mask::mask_numbers,
    notices::{
        Receipt,
        port::{Address, ByChannel, Message, Notifier, SendError},
        sms::{SmsGateway, SmsNotifier},
        sms_catalogue::full_text,
    },
};
use lingong_notify_smtp::{SmtpNotifier, SmtpSettings};

/// Writes notices to files and prints them.
pub struct FileNotifier {
    dir: PathBuf,
}

impl FileNotifier {
    /// A notifier writing into `dir` (created on first use).
    pub fn new(dir: PathBuf) -> FileNotifier {
        FileNotifier { dir }
    }
}

fn safe_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[async_trait]
impl Notifier for FileNotifier {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| SendError::Retryable(format!("notices folder: {e}")))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let base = format!("{stamp}-{}", safe_name(&message.notice_id));
        let (channel, to, path, body) = match &message.to {
            Address::Sms(phone) => (
                "SMS",
                phone.masked(),
                self.dir.join(format!("{base}.sms.txt")),
                format!(
                    "To: {}\n\n{}\n{}",
                    phone.as_str(),
                    message.text,
                    as_filed(message)
                ),
            ),
            Address::Email(email) => (
                "E-mail",
                email.masked(),
                self.dir.join(format!("{base}.eml")),
                format!(
                    "To: {}\nFrom: {}\nSubject: {}\n\n{}",
                    email.as_str(),
                    message.from_name,
                    message.subject.clone().unwrap_or_default(),
                    message.text
                ),
            ),
        };
        tokio::fs::write(&path, body.as_bytes())
            .await
            .map_err(|e| SendError::Retryable(format!("writing {}: {e}", path.display())))?;
        if let Some(html) = &message.html {
            let html_path = self.dir.join(format!("{base}.html"));
            tokio::fs::write(&html_path, html.as_bytes())
                .await
                .map_err(|e| {
                    SendError::Retryable(format!("writing {}: {e}", html_path.display()))
                })?;
        }
        let headline = match &message.subject {
            Some(subject) => format!("{channel} → {to}: {subject}"),
            None => format!("{channel} → {to}"),
        };
        println!("\n── {headline} ({})", path.display());
        // The log is kept longer and seen by more people than the message: numbers in
        // it are masked (the file above holds the message as sent, until erasure).
        println!("{}", mask_numbers(message.text.trim_end()));
        Ok(Receipt {
            provider: "file".into(),
            message_id: Some(path.display().to_string()),
        })
    }

    async fn forget(&self, notice_id: &str) -> Result<(), SendError> {
        let mut entries = match tokio::fs::read_dir(&self.dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(SendError::Retryable(format!("notices folder: {e}"))),
        };
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| SendError::Retryable(format!("notices folder: {e}")))?
        {
            let name = entry.file_name();
            if is_file_of(&name.to_string_lossy(), notice_id) {
                match tokio::fs::remove_file(entry.path()).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(SendError::Retryable(format!(
                            "deleting {}: {e}",
                            entry.path().display()
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether `file_name` is one of the files written for notice `notice_id`.
fn is_file_of(file_name: &str, notice_id: &str) -> bool {
    let Some((_stamp, rest)) = file_name.split_once('-') else {
        return false;
    };
    let Some(extension) = rest.strip_prefix(&safe_name(notice_id)) else {
        return false;
    };
    matches!(extension, ".sms.txt" | ".eml" | ".html")
}

/// The SMS as a mainland gateway sends it: the filed template with its variables.
fn as_filed(message: &Message) -> String {
    let Some(sms) = &message.sms_template else {
        return String::new();
    };
    let params: Vec<String> = sms.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match full_text(sms) {
        Ok(text) => format!(
            "\nAs a mainland gateway sends it (template `{}`: {}):\n{text}\n",
            sms.template,
            params.join(", ")
        ),
        Err(e) => format!("\nNo filed template: {e}\n"),
    }
}

/// Where `lingong serve` sends SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SmsChoice {
    /// Write each SMS to `<data>/notices/` (nothing leaves the machine).
    File,
    /// Send through Alibaba Cloud SMS, by filed templates.
    Aliyun,
    /// Send through Tencent Cloud SMS, by filed templates.
    Tencent,
}

/// The SMS gateway for `choice`, configured from `config` (a JSON file with the
/// credentials and template codes; see the gateway crates' `from_json`) or, without
/// one, from the environment. `None` for [`SmsChoice::File`].
pub fn sms_gateway(
    choice: SmsChoice,
    config: Option<&Path>,
) -> anyhow::Result<Option<Arc<dyn SmsGateway>>> {
    let text = match config {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the SMS gateway settings {}", path.display()))?,
        ),
        None => None,
    };
    Ok(match choice {
        SmsChoice::File => None,
        SmsChoice::Aliyun => {
            let config = match &text {
                Some(text) => lingong_notify_aliyun::AliyunConfig::from_json(text),
                None => lingong_notify_aliyun::AliyunConfig::from_env(),
            }
            .context("Alibaba Cloud SMS settings")?;
            Some(Arc::new(
                lingong_notify_aliyun::AliyunSms::new(config)
                    .context("Alibaba Cloud SMS settings")?,
            ))
        }
        SmsChoice::Tencent => {
            let config = match &text {
                Some(text) => lingong_notify_tencent::TencentConfig::from_json(text),
                None => lingong_notify_tencent::TencentConfig::from_env(),
            }
            .context("Tencent Cloud SMS settings")?;
            Some(Arc::new(
                lingong_notify_tencent::TencentSms::new(config)
                    .context("Tencent Cloud SMS settings")?,
            ))
        }
    })
}

/// The notifier `lingong serve` uses: SMS through `sms` when a gateway is configured,
/// else into files; e-mail through `smtp` when given, else into files.
pub fn local_notifier(
    data: PathBuf,
    smtp: Option<SmtpSettings>,
    sms: Option<Arc<dyn SmsGateway>>,
) -> anyhow::Result<Arc<dyn Notifier>> {
    let files: Arc<dyn Notifier> = Arc::new(FileNotifier::new(data.join("notices")));
    let sms: Arc<dyn Notifier> = match sms {
        Some(gateway) => Arc::new(SmsNotifier::new(gateway)),
        None => files.clone(),
    };
    let email: Arc<dyn Notifier> = match smtp {
        Some(settings) => Arc::new(SmtpNotifier::new(&settings)?),
        None => files,
    };
    Ok(Arc::new(ByChannel { sms, email }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_matched_to_their_notice_exactly() {
        let id = "01JEXAMPLE.offer";
        assert!(is_file_of(
            "20261207T181158.123Z-01JEXAMPLE.offer.sms.txt",
            id
        ));
        assert!(is_file_of("20261207T181158.123Z-01JEXAMPLE.offer.eml", id));
        assert!(is_file_of("20261207T181158.123Z-01JEXAMPLE.offer.html", id));
        // Another notice whose id starts the same.
        assert!(!is_file_of(
            "20261207T181158.123Z-01JEXAMPLE.offer2.sms.txt",
            id
        ));
        assert!(!is_file_of("20261207T181158.123Z-01JEXAMPLE.sms.txt", id));
        assert!(!is_file_of("01JEXAMPLE.offer.sms.txt", id));
    }
}
