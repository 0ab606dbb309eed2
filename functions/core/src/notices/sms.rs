//! The SMS seam: [`SmsNotifier`] implements the notifier port for SMS on top of an
//! [`SmsGateway`], so each gateway (Amazon SNS, Alibaba Cloud SMS, Tencent Cloud SMS)
//! is one small adapter crate that only talks to its backend. Only mainland mobile
//! numbers (+86) are sent to.

use std::sync::Arc;

use async_trait::async_trait;

use super::{
    Receipt,
    port::{Address, Message, Notifier, SendError, TemplateSms},
};

/// Longest SMS text accepted, in characters (a long SMS is split by the carrier; past
/// this something is wrong with the template).
pub const MAX_SMS_CHARS: usize = 500;

/// One SMS as a gateway receives it.
#[derive(Clone, Copy, Debug)]
pub struct OutgoingSms<'a> {
    /// The notice it sends (for logs and the gateway's own reference field).
    pub notice_id: &'a str,
    /// The recipient, `+86` and eleven digits.
    pub e164: &'a str,
    /// The whole text, signature included (gateways that take free text).
    pub text: &'a str,
    /// The filed template and its variables (gateways that send only templates).
    pub template: Option<&'a TemplateSms>,
}

/// Something that delivers one SMS to one number.
#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// The gateway's name, for receipts and logs.
    fn name(&self) -> &'static str;

    /// Sends `sms`; returns the gateway's message id (the id its delivery reports
    /// name).
    async fn send_sms(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError>;
}

/// The notifier port for SMS, on any gateway.
#[derive(Clone)]
pub struct SmsNotifier {
    gateway: Arc<dyn SmsGateway>,
}

impl SmsNotifier {
    /// SMS through `gateway`.
    pub fn new(gateway: Arc<dyn SmsGateway>) -> SmsNotifier {
        SmsNotifier { gateway }
    }
}

/// Whether `e164` is a mainland China mobile number: `+861` and ten more digits.
pub fn is_mainland_mobile(e164: &str) -> bool {
    e164.len() == 14 && e164.starts_with("+861") && e164[1..].bytes().all(|b| b.is_ascii_digit())
}

#[async_trait]
impl Notifier for SmsNotifier {
    async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let Address::Sms(phone) = &message.to else {
            return Err(SendError::Permanent(
                "the SMS notifier sends SMS only".into(),
            ));
        };
        let e164 = phone.e164();
        if !is_mainland_mobile(&e164) {
            return Err(SendError::Permanent("not a mainland mobile number".into()));
        }
        if message.text.trim().is_empty() || message.text.chars().count() > MAX_SMS_CHARS {
            return Err(SendError::Permanent(format!(
                "SMS text must be 1–{MAX_SMS_CHARS} characters"
            )));
        }
        let id = self
            .gateway
            .send_sms(&OutgoingSms {
                notice_id: &message.notice_id,
                e164: &e164,
                text: &message.text,
                template: message.sms_template.as_ref(),
            })
            .await?;
        Ok(Receipt {
            provider: self.gateway.name().to_owned(),
            message_id: Some(id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mainland_mobiles() {
        assert!(is_mainland_mobile("+8613800000000"));
        assert!(!is_mainland_mobile("+14155550100"));
        assert!(!is_mainland_mobile("+86138000000"));
        assert!(!is_mainland_mobile("+86010123456789"));
    }
}
