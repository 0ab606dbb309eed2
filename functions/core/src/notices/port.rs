//! The ports notices go out through: one [`Notifier`] (SMS gateway, mail server, a
//! file locally) and one [`NoticeRenderer`] (the templates). Adapters live in their
//! own crates; this module holds only the contracts.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Notice, Receipt};
use crate::{
    phone::{Email, MobileNumber},
    station::Station,
};

/// Where a message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// A mainland China mobile number (SMS).
    Sms(MobileNumber),
    /// An e-mail address.
    Email(Email),
}

/// A rendered message, ready for a gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The notice it renders (for logs and idempotency tokens).
    pub notice_id: String,
    /// The recipient.
    pub to: Address,
    /// The sender's display name (the station).
    pub from_name: String,
    /// E-mail subject (e-mail only).
    pub subject: Option<String>,
    /// The text: the whole SMS, or the plain-text part of an e-mail.
    pub text: String,
    /// The HTML part of an e-mail.
    pub html: Option<String>,
    /// An SMS as a registered template and its variables, for gateways that send only
    /// filed templates (the mainland gateways). `text` is then the same template filled
    /// in, so every other notifier shows what the gateway sends.
    pub sms_template: Option<TemplateSms>,
}

/// One SMS as a filed template: which template of the catalogue
/// ([`crate::notices::sms_catalogue`]) and the value of each of its variables, checked
/// against the variable's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateSms {
    /// The station sending it (gateways keep template codes per station).
    pub station: String,
    /// The station's SMS signature (签名) as approved by the gateway, without 【】.
    pub signature: String,
    /// The template's key in the catalogue (the notice kind, e.g. `offer`).
    pub template: String,
    /// Each variable's name and value, in the order the template uses them.
    pub params: Vec<(String, String)>,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Not sent, and worth trying again later (throttled, server busy, no connection).
    #[error("temporary failure: {0}")]
    Retryable(String),
    /// Not sent, and never will be as it stands (bad number or address, refused).
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// It may or may not have gone (a timeout after the message was handed over).
    /// Sending again could send it twice, so such notices are parked for staff.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// The one way notices leave the system.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one message. Must not retry on its own after the message may have been
    /// handed over (the caller decides, knowing the ledger).
    async fn send(&self, message: &Message) -> Result<Receipt, SendError>;

    /// Deletes whatever this notifier keeps of notice `notice_id` outside the store (a
    /// local copy of the message), called once the notice is deleted: an erasure or the
    /// retention period. Notifiers that keep nothing do nothing.
    async fn forget(&self, notice_id: &str) -> Result<(), SendError> {
        let _ = notice_id;
        Ok(())
    }
}

/// SMS through one notifier, e-mail through another.
pub struct ByChannel {
    /// Sends SMS.
    pub sms: Arc<dyn Notifier>,
    /// Sends e-mail.
    pub email: Arc<dyn Notifier>,
}

#[async_trait]
impl Notifier for ByChannel {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        match message.to {
            Address::Sms(_) => self.sms.send(message).await,
            Address::Email(_) => self.email.send(message).await,
        }
    }

    async fn forget(&self, notice_id: &str) -> Result<(), SendError> {
        self.sms.forget(notice_id).await?;
        self.email.forget(notice_id).await
    }
}

/// A template problem: a bug, so the notice is parked rather than retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rendering notice {notice}: {reason}")]
pub struct RenderError {
    /// Which notice.
    pub notice: String,
    /// What went wrong.
    pub reason: String,
}

/// Turns a notice into the message its recipient reads.
pub trait NoticeRenderer: Send + Sync {
    /// The message for `notice` of `station`.
    fn render(&self, notice: &Notice, station: &Station) -> Result<Message, RenderError>;
}
