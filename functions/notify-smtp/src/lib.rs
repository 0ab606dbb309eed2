//! Notices by e-mail: the notifier port on SMTP with `lettre` (rustls on aws-lc-rs, no
//! OpenSSL). In production the server is Amazon SES's SMTP endpoint with STARTTLS, or on
//! the mainland any SMTP service with implicit TLS on port 465 (optionally trusting the
//! provider's own CA), with credentials from Secrets Manager; locally and in tests any
//! SMTP server will do (`smtp://127.0.0.1:2525`).
//!
//! Every send has one deadline around all of it (connect, TLS, AUTH, MAIL, DATA and the
//! answer): lettre times only the TCP connect, so a server that took DATA and then said
//! nothing held a send, and the notices behind it, for minutes. Until the connection is
//! ready nothing of the message has left, so a deadline met there is worth a retry; met
//! after `MAIL FROM`, the message may be with the server and the outcome is unknown.
//!
//! Each message carries a `Message-ID` made from its notice id, so in the rare case a
//! connection breaks after the server took the message and the notice is tried again,
//! mail programs show the two copies as one.

mod connect;

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lingong_core::notices::{
    Receipt,
    port::{Address, Message, Notifier, SendError},
};

/// Why the SMTP notifier could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    /// The server URL is not `smtp://`, `smtps://` (or with `?tls=required`).
    #[error("SMTP server URL: {0}")]
    Url(String),
    /// The sender address is not an address.
    #[error("sender address `{0}` is not valid")]
    From(String),
    /// The extra trust root is not a PEM certificate lettre can use.
    #[error("SMTP trust root: {0}")]
    TrustRoot(String),
}

/// The send deadline when the settings name none.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to send mail.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// `smtp://host:port` (plain, local only), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://host:465`.
    pub url: String,
    /// The sender address, e.g. `notices@lingong.example.cn`.
    pub from: String,
    /// User name and password (SES SMTP credentials), if the server wants them.
    pub credentials: Option<(String, String)>,
    /// PEM bytes of a CA certificate to trust besides the public roots: a provider with
    /// its own chain, or a test CA. Needs a TLS URL.
    pub extra_root_pem: Option<Vec<u8>>,
    /// The deadline for one whole send, from connect to the server's last answer;
    /// `None` is [`DEFAULT_SEND_TIMEOUT`].
    pub send_timeout: Option<Duration>,
}

/// Sends e-mail notices over SMTP.
#[derive(Clone)]
pub struct SmtpNotifier {
    connector: connect::Connector,
    from: Mailbox,
    domain: String,
    send_timeout: Duration,
}

impl std::fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpNotifier")
            .field("from", &self.from.email.to_string())
            .finish()
    }
}

impl SmtpNotifier {
    /// A notifier for `settings`. Connects for each message, when it is sent.
    pub fn new(settings: &SmtpSettings) -> Result<SmtpNotifier, SmtpConfigError> {
        let send_timeout = settings.send_timeout.unwrap_or(DEFAULT_SEND_TIMEOUT);
        let connector = connect::Connector::new(settings, send_timeout)?;
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| SmtpConfigError::From(settings.from.clone()))?;
        let domain = from.email.domain().to_owned();
        Ok(SmtpNotifier {
            connector,
            from,
            domain,
            send_timeout,
        })
    }

    /// Hands `email` to the server within the send deadline, on a connection of its own.
    async fn deliver(&self, email: lettre::Message) -> Result<(), SendError> {
        let deadline = tokio::time::Instant::now() + self.send_timeout;
        let mut connection = match tokio::time::timeout_at(deadline, self.connector.open()).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => return Err(classify_opening(&error)),
            Err(_) => {
                return Err(SendError::Retryable(format!(
                    "SMTP server not ready within {} s; nothing was sent",
                    self.send_timeout.as_secs_f32()
                )));
            }
        };
        let sent = tokio::time::timeout_at(
            deadline,
            connection.send(email.envelope(), &email.formatted()),
        )
        .await;
        match sent {
            Ok(Ok(_)) => {
                // The message is accepted; a server slow to say goodbye changes nothing.
                let _ = tokio::time::timeout_at(deadline, connection.quit()).await;
                Ok(())
            }
            Ok(Err(error)) => Err(classify(&error)),
            // Dropping the connection closes it mid-conversation, which is all a server
            // that stopped answering deserves. The message may be with it already, so
            // sending again could send it twice.
            Err(_) => Err(SendError::Unknown(format!(
                "SMTP send did not finish within {} s",
                self.send_timeout.as_secs_f32()
            ))),
        }
    }

    fn build(&self, message: &Message) -> Result<lettre::Message, SendError> {
        let Address::Email(to) = &message.to else {
            return Err(SendError::Permanent(
                "the SMTP notifier sends e-mail only".into(),
            ));
        };
        let to: Mailbox = to
            .as_str()
            .parse()
            .map_err(|_| SendError::Permanent("recipient address refused".into()))?;
        let from = Mailbox::new(Some(message.from_name.clone()), self.from.email.clone());
        let builder = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(message.subject.clone().unwrap_or_default())
            .message_id(Some(format!("<{}@{}>", message.notice_id, self.domain)));
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(message.text.clone());
        let built = match &message.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => builder.singlepart(text),
        };
        built.map_err(|e| SendError::Permanent(format!("message could not be built: {e}")))
    }
}

/// A report e-mail to staff: HTML and text parts and a CSV attachment.
#[derive(Clone, Debug)]
pub struct ReportEmail<'a> {
    /// Recipients.
    pub to: &'a [String],
    /// The sender's display name (the station).
    pub from_name: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// HTML part.
    pub html: &'a str,
    /// Plain-text part.
    pub text: &'a str,
    /// A stable id for the report (station, period, first day): the `Message-ID`, so a
    /// report sent twice shows once.
    pub report_id: &'a str,
    /// The attachment's file name.
    pub csv_name: &'a str,
    /// The attachment.
    pub csv: &'a str,
}

impl SmtpNotifier {
    /// Sends a report e-mail.
    pub async fn send_report(&self, report: &ReportEmail<'_>) -> Result<Receipt, SendError> {
        use lettre::message::Attachment;
        let from = Mailbox::new(Some(report.from_name.to_owned()), self.from.email.clone());
        let message_id = format!("<{}@{}>", report.report_id, self.domain);
        let mut builder = lettre::Message::builder()
            .from(from)
            .subject(report.subject)
            .message_id(Some(message_id.clone()));
        if report.to.is_empty() {
            return Err(SendError::Permanent(
                "a report needs at least one recipient".into(),
            ));
        }
        for to in report.to {
            let mailbox: Mailbox = to
                .parse()
                .map_err(|_| SendError::Permanent("recipient address refused".into()))?;
            builder = builder.to(mailbox);
        }
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(report.text.to_owned()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(report.html.to_owned()),
            );
        let csv_type = ContentType::parse("text/csv; charset=utf-8")
            .map_err(|e| SendError::Permanent(format!("content type: {e}")))?;
        let attachment = Attachment::new(report.csv_name.to_owned())
            .body(report.csv.as_bytes().to_vec(), csv_type);
        let email = builder
            .multipart(MultiPart::mixed().multipart(body).singlepart(attachment))
            .map_err(|e| SendError::Permanent(format!("message could not be built: {e}")))?;
        self.deliver(email).await?;
        Ok(Receipt {
            provider: "smtp".into(),
            message_id: Some(message_id),
        })
    }
}

/// Sorts an SMTP failure into retry, give up, or unknown outcome.
pub fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let code = error
        .status()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "-".into());
    if error.is_transient() {
        SendError::Retryable(format!("SMTP {code}"))
    } else if error.is_permanent() {
        SendError::Permanent(format!("SMTP {code}"))
    } else if is_connecting(error) {
        // Opening the connection (TCP, TLS, an untrusted certificate) failed or timed
        // out: no mail command was sent yet, so nothing can have been accepted. lettre's
        // text names the cause (refused, timed out, unknown issuer) and holds no secret.
        SendError::Retryable(format!("SMTP server not reached: {error}"))
    } else if error.is_timeout() || error.is_response() {
        // The server may have taken the message before we stopped hearing from it.
        SendError::Unknown("SMTP server stopped answering".into())
    } else if error.is_client() || error.is_tls() {
        SendError::Permanent("SMTP client or TLS set-up failed".into())
    } else {
        // No connection, or it broke: nothing was accepted (an accepted message would
        // have had its reply).
        SendError::Retryable("SMTP server unreachable".into())
    }
}

/// Sorts a failure before any mail command: nothing of the message left, so it is never
/// unknown. A refusal (5xx, e.g. wrong credentials) or a set-up the server cannot do
/// (no STARTTLS, no common AUTH mechanism) is permanent; anything else is worth a retry.
fn classify_opening(error: &lettre::transport::smtp::Error) -> SendError {
    if error.is_permanent() || error.is_client() {
        SendError::Permanent(format!("SMTP connection refused: {error}"))
    } else {
        SendError::Retryable(format!("SMTP server not reached: {error}"))
    }
}

/// Whether lettre failed while opening the connection. lettre 0.11 has no predicate for
/// its connection errors, only this fixed text; its connect timeout is one of them and
/// must not read as a timeout after DATA.
fn is_connecting(error: &lettre::transport::smtp::Error) -> bool {
    error.to_string().starts_with("Connection error")
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let email = self.build(message)?;
        let message_id = format!("<{}@{}>", message.notice_id, self.domain);
        match self.deliver(email).await {
            Ok(()) => Ok(Receipt {
                provider: "smtp".into(),
                message_id: Some(message_id),
            }),
            Err(error) => {
                tracing::warn!(%error, "SMTP send failed");
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use lingong_core::phone::{Email, MobileNumber};

    use super::*;

    fn settings(url: &str) -> SmtpSettings {
        SmtpSettings {
            url: url.into(),
            from: "notices@lingong.example.cn".into(),
            credentials: None,
            extra_root_pem: None,
            send_timeout: None,
        }
    }

    #[tokio::test]
    async fn settings_are_checked() {
        assert!(SmtpNotifier::new(&settings("smtp://127.0.0.1:2525")).is_ok());
        assert!(
            SmtpNotifier::new(&settings("smtp://email-smtp.example.com:587?tls=required")).is_ok()
        );
        assert!(SmtpNotifier::new(&settings("http://127.0.0.1")).is_err());
        let mut bad_from = settings("smtp://127.0.0.1:2525");
        bad_from.from = "not an address".into();
        assert!(SmtpNotifier::new(&bad_from).is_err());
    }

    #[tokio::test]
    async fn sms_is_refused_and_a_closed_port_is_retryable() {
        // Port 1 on loopback: nothing listens there.
        let notifier = SmtpNotifier::new(&settings("smtp://127.0.0.1:1")).unwrap();
        let mut message = Message {
            notice_id: "01JOB.01WKR.offer".into(),
            to: Address::Sms(MobileNumber::parse("p", "13800000000").unwrap()),
            from_name: "零工驿站".into(),
            subject: Some("岗位通知".into()),
            text: "text".into(),
            html: None,
            sms_template: None,
        };
        assert!(matches!(
            notifier.send(&message).await,
            Err(SendError::Permanent(_))
        ));
        message.to = Address::Email(Email::parse("e", "ma@example.com").unwrap());
        assert!(matches!(
            notifier.send(&message).await,
            Err(SendError::Retryable(_))
        ));
    }
}
