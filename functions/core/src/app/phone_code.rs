//! Phone ownership by a one-time SMS code (验证码): before a number typed into a public
//! form may act (apply from the board and take a place, which hands over the
//! employer's contact), its owner proves they hold the phone by typing back the code
//! sent to it.
//!
//! A code is 6 random digits, stored only as a keyed hash (the deployment secret), one
//! live code per number (a new one replaces the old), valid for [`CODE_MINUTES`], good
//! for [`MAX_TRIES`] tries and used once. Sends are limited per number
//! ([`Limit::PHONE_CODE_GAP`], [`Limit::PHONE_CODE_HOUR`]), reserved before the send.
//! The code SMS is a notice like any other, written in the same batch as the code, so
//! it goes out exactly when the code exists. Every try is a conditional write on the
//! code's version, so a burst of guesses gets no more tries than the limit.
//!
//! Desk and registered-kiosk entries are attested by staff and never ask for a code.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::App;
use crate::{
    i18n::Lang,
    input::RawInput,
    keys,
    limits::{self, Limit},
    notices::{Notice, NoticeData, NoticeKind, OneTimeCode, Recipient},
    phone::MobileNumber,
    problem::{FieldError, Invalid},
    records::notice_item,
    secrets::{SecretError, random_bytes},
    station::{Station, StationId},
    store::{Item, StoreError, Write, from_item, to_body},
    worker::Channel,
};

/// How long a code is valid.
pub const CODE_MINUTES: i64 = 10;
/// Tries per code; after the last wrong one the code is dead.
pub const MAX_TRIES: u32 = 5;
/// The form field a code is typed into.
pub const CODE_FIELD: &str = "code";

/// A live code, as stored: never the digits, only their keyed hash.
#[derive(Debug, Serialize, Deserialize)]
struct PhoneCodeRecord {
    station: StationId,
    code_hash: String,
    sent_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    tries: u32,
}

/// Why a code could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendCodeError {
    /// The number is not a mainland mobile number (nothing was sent).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Codes were asked for this number too often; try again after this time.
    #[error("too many codes for this number")]
    TooSoon {
        /// When the refusing window ends.
        retry_after: DateTime<Utc>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// What checking a typed code found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// The right code, now used up: the number is its owner's.
    Verified,
    /// No code was typed.
    Missing,
    /// No live code for this number (never sent, expired, or used already).
    Expired,
    /// Wrong code; tries are left.
    Wrong,
    /// Wrong too often: the code is dead.
    UsedUp,
}

impl CodeCheck {
    /// The problem to show beside the code field, if the code was not right.
    pub fn problem(self) -> Option<FieldError> {
        let key = match self {
            CodeCheck::Verified => return None,
            CodeCheck::Missing => "error.code_required",
            CodeCheck::Expired => "error.code_expired",
            CodeCheck::Wrong => "error.code_wrong",
            CodeCheck::UsedUp => "error.code_used_up",
        };
        Some(FieldError::new(CODE_FIELD, key))
    }
}

/// Six random digits.
fn new_code() -> Result<OneTimeCode, SecretError> {
    let mut bytes = [0u8; 8];
    random_bytes(&mut bytes)?;
    let digits = format!("{:06}", u64::from_le_bytes(bytes) % 1_000_000);
    OneTimeCode::parse(&digits).ok_or_else(|| SecretError::NoRandomness("not six digits".into()))
}

impl App {
    fn code_hash(&self, station: &StationId, phone_key: &str, code: &str) -> String {
        self.secrets.sign(
            "phone-code",
            &format!("{}\n{phone_key}\n{code}", station.as_str()),
        )
    }

    /// Sends a new code to `phone` (replacing any live one), in `lang`. The send limits
    /// are reserved first and given back if nothing was sent.
    pub async fn send_phone_code(
        &self,
        station: &Station,
        phone: &MobileNumber,
        lang: Lang,
    ) -> Result<(), SendCodeError> {
        let now = self.clock.now();
        let phone_key = self.secrets.phone_key(&station.id, phone);
        let wanted = [
            (Limit::PHONE_CODE_GAP, phone_key.clone()),
            (Limit::PHONE_CODE_HOUR, phone_key.clone()),
        ];
        if let Err(retry_after) =
            limits::reserve(&*self.store, &self.secrets, &station.id, &wanted, now).await?
        {
            tracing::warn!(station = %station.id, phone = %phone.masked(), "phone codes asked too often");
            return Err(SendCodeError::TooSoon { retry_after });
        }
        match self.write_code(station, phone, &phone_key, lang, now).await {
            Ok(()) => {
                tracing::info!(station = %station.id, phone = %phone.masked(), "phone code sent");
                Ok(())
            }
            Err(e) => {
                for (limit, subject) in &wanted {
                    if let Err(e) = limits::release(
                        &*self.store,
                        &self.secrets,
                        &station.id,
                        *limit,
                        subject,
                        now,
                    )
                    .await
                    {
                        tracing::warn!(error = %e, limit = limit.name, "giving back a rate-limit hit failed");
                    }
                }
                Err(e)
            }
        }
    }

    async fn write_code(
        &self,
        station: &Station,
        phone: &MobileNumber,
        phone_key: &str,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<(), SendCodeError> {
        let code = new_code()?;
        let expires_at = now + Duration::minutes(CODE_MINUTES);
        let record = PhoneCodeRecord {
            station: station.id.clone(),
            code_hash: self.code_hash(&station.id, phone_key, code.digits()),
            sent_at: now,
            expires_at,
            tries: 0,
        };
        let mut item = Item::new(keys::phone_code(&station.id, phone_key), to_body(&record)?);
        item.expires_at = Some(expires_at.timestamp());
        // One notice per send: the send time (at most one a minute) and the number's key.
        let reference = format!("code-{}", now.timestamp());
        let mut notice = Notice::new(
            station.id.clone(),
            NoticeKind::PhoneCode,
            (&reference, &phone_key[..16.min(phone_key.len())]),
            Recipient {
                channel: Channel::Sms,
                phone: phone.clone(),
                email: None,
                lang,
                consented_at: Some(now),
            },
            NoticeData {
                code: Some(code),
                ..NoticeData::default()
            },
            now,
        );
        // A code that arrives after it expired only confuses.
        notice.stale_after = Some(expires_at);
        self.store
            .write(vec![Write::put(item), Write::create(notice_item(&notice)?)])
            .await?;
        Ok(())
    }

    /// Checks `typed` against the live code of `phone`. A right code is used up; a
    /// wrong one costs a try. Each outcome is one conditional write, so concurrent
    /// tries are counted one by one.
    pub async fn check_phone_code(
        &self,
        station: &Station,
        phone: &MobileNumber,
        typed: Option<&str>,
    ) -> Result<CodeCheck, StoreError> {
        let typed = typed.map(str::trim).unwrap_or("");
        if typed.is_empty() {
            return Ok(CodeCheck::Missing);
        }
        let phone_key = self.secrets.phone_key(&station.id, phone);
        let key = keys::phone_code(&station.id, &phone_key);
        for _ in 0..super::RETRIES {
            let now = self.clock.now();
            let Some(item) = self.store.get(&key).await? else {
                return Ok(CodeCheck::Expired);
            };
            let record: PhoneCodeRecord = from_item(&item)?;
            if record.expires_at <= now {
                return Ok(CodeCheck::Expired);
            }
            if record.tries >= MAX_TRIES {
                return Ok(CodeCheck::UsedUp);
            }
            let right = typed.len() <= 6
                && typed.bytes().all(|b| b.is_ascii_digit())
                && self.secrets.verify(
                    "phone-code",
                    &format!("{}\n{phone_key}\n{typed}", station.id.as_str()),
                    &record.code_hash,
                );
            let write = if right {
                Write::Delete {
                    key: key.clone(),
                    condition: Some(crate::store::Condition::Version(item.version)),
                }
            } else {
                let tried = PhoneCodeRecord {
                    tries: record.tries + 1,
                    ..record
                };
                let mut after = Item::new(key.clone(), to_body(&tried)?);
                after.expires_at = item.expires_at;
                after.version = item.version + 1;
                Write::replace(after, item.version)
            };
            match self.store.write(vec![write]).await {
                Ok(()) if right => return Ok(CodeCheck::Verified),
                Ok(()) => {
                    tracing::info!(station = %station.id, phone = %phone.masked(), "wrong phone code");
                    return Ok(if tried_out(&item)? {
                        CodeCheck::UsedUp
                    } else {
                        CodeCheck::Wrong
                    });
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Contention)
    }

    /// A code for the number typed into a public form (`phone`, `_lang`): the JSON
    /// route any client asks before it applies.
    pub async fn request_phone_code(
        &self,
        station: Option<&str>,
        input: &RawInput,
    ) -> Result<MobileNumber, RequestCodeError> {
        let station = self
            .station(station)
            .ok_or(RequestCodeError::UnknownStation)?
            .clone();
        let phone = MobileNumber::parse("phone", input.text("phone"))
            .map_err(|e| SendCodeError::Invalid(Invalid::one(e)))?;
        let lang = input.one("_lang").and_then(Lang::parse).unwrap_or(Lang::Zh);
        self.send_phone_code(&station, &phone, lang).await?;
        Ok(phone)
    }
}

/// Whether the wrong try just written was the last one.
fn tried_out(before: &Item) -> Result<bool, StoreError> {
    Ok(from_item::<PhoneCodeRecord>(before)?.tries + 1 >= MAX_TRIES)
}

/// Why a code asked for through a public route was not sent.
#[derive(Debug, thiserror::Error)]
pub enum RequestCodeError {
    /// No such station.
    #[error("unknown station")]
    UnknownStation,
    /// The number was wrong, or codes were asked too often, or the store failed.
    #[error(transparent)]
    Send(#[from] SendCodeError),
}
