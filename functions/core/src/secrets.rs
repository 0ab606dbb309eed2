//! The deployment secret and what is derived from it: manage-link tokens, and keyed
//! hashes of phone numbers so that numbers never appear in table keys.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{phone::MobileNumber, station::StationId};

type HmacSha256 = Hmac<Sha256>;

/// The deployment's secret key (at least 32 bytes). Locally it lives in the data
/// directory; on AWS in Secrets Manager.
#[derive(Clone)]
pub struct Secrets {
    key: Vec<u8>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

/// Why a secret was refused.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Fewer than 32 bytes.
    #[error("the secret must be at least 32 bytes")]
    TooShort,
    /// The text is not hex.
    #[error("the secret must be written as hex")]
    NotHex,
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    NoRandomness(String),
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), SecretError> {
    getrandom::fill(buf).map_err(|e| SecretError::NoRandomness(e.to_string()))
}

impl Secrets {
    /// Wraps existing key material.
    pub fn from_bytes(key: &[u8]) -> Result<Secrets, SecretError> {
        if key.len() < 32 {
            return Err(SecretError::TooShort);
        }
        Ok(Secrets { key: key.to_vec() })
    }

    /// Reads key material written as hex (how it is kept in files and Secrets Manager).
    pub fn from_hex(text: &str) -> Result<Secrets, SecretError> {
        let text = text.trim();
        if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SecretError::NotHex);
        }
        let bytes: Vec<u8> = (0..text.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
            .collect();
        Secrets::from_bytes(&bytes)
    }

    /// New random key material, e.g. for a fresh data directory.
    pub fn generate() -> Result<Vec<u8>, SecretError> {
        let mut key = vec![0u8; 32];
        random_bytes(&mut key)?;
        Ok(key)
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail for our ≥ 32-byte key.
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The keyed hash of a phone number used in keys: stable for the deployment,
    /// useless to anyone without the secret.
    pub fn phone_key(&self, station: &StationId, phone: &MobileNumber) -> String {
        let mac = self.mac(&[
            b"phone",
            station.as_str().as_bytes(),
            phone.as_str().as_bytes(),
        ]);
        hex(&mac[..16])
    }

    /// The manage token for record `id` of `kind`, derived from `salt`. With an
    /// idempotency key as the salt, a retried request gets back the same link without
    /// the token ever being stored.
    pub fn manage_token(&self, kind: &str, id: &str, salt: &[u8]) -> ManageToken {
        let mac = self.mac(&[b"manage", kind.as_bytes(), id.as_bytes(), salt]);
        ManageToken(URL_SAFE_NO_PAD.encode(mac))
    }

    /// A signature over `message` for links and cookies, URL-safe.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(&[b"sign", purpose.as_bytes(), message.as_bytes()]))
    }

    /// Checks a signature made by [`Secrets::sign`], in constant time.
    pub fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        constant_time_eq(self.sign(purpose, message).as_bytes(), signature.as_bytes())
    }
}

/// A secret that lets its holder manage one record (an employer's job, a worker's
/// profile). Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct ManageToken(String);

impl std::fmt::Debug for ManageToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManageToken(..)")
    }
}

impl ManageToken {
    /// A fresh random token.
    pub fn random() -> Result<ManageToken, SecretError> {
        let mut bytes = [0u8; 32];
        random_bytes(&mut bytes)?;
        Ok(ManageToken(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token as received in a link.
    pub fn from_link(text: &str) -> ManageToken {
        ManageToken(text.trim().to_owned())
    }

    /// The token text, for the link.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash to store.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex(&Sha256::digest(self.0.as_bytes())))
    }
}

/// The stored hash of a [`ManageToken`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    /// Whether `token` is the one this hash was made from (constant time).
    pub fn matches(&self, token: &ManageToken) -> bool {
        constant_time_eq(self.0.as_bytes(), token.hash().0.as_bytes())
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// SHA-256 of `bytes`, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Whether two byte strings are equal, taking the same time wherever they differ (for
/// comparing signatures).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets::from_bytes(&[7u8; 32]).unwrap()
    }

    #[test]
    fn tokens_are_derived_and_checked_by_hash() {
        let s = secrets();
        let a = s.manage_token("job", "01J", b"key-1");
        assert_eq!(a, s.manage_token("job", "01J", b"key-1"));
        assert_ne!(a, s.manage_token("job", "01J", b"key-2"));
        assert_ne!(a, s.manage_token("worker", "01J", b"key-1"));
        assert!(a.hash().matches(&a));
        assert!(!a.hash().matches(&ManageToken::from_link("forged")));
    }

    #[test]
    fn phone_keys_hide_the_number() {
        let s = secrets();
        let station = StationId::parse("xining-chengzhong").unwrap();
        let phone = MobileNumber::parse("phone", "13812345678").unwrap();
        let key = s.phone_key(&station, &phone);
        assert_eq!(key.len(), 32);
        assert!(!key.contains("13812345678"));
        let other = Secrets::from_bytes(&[8u8; 32]).unwrap();
        assert_ne!(key, other.phone_key(&station, &phone));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Secrets::from_bytes(&[1u8; 31]).is_err());
        assert!(Secrets::from_hex(&"ab".repeat(31)).is_err());
        assert!(Secrets::from_hex(&"zz".repeat(32)).is_err());
        assert!(Secrets::from_hex(&format!(" {} ", "ab".repeat(32))).is_ok());
    }

    #[test]
    fn signatures_verify() {
        let s = secrets();
        let sig = s.sign("offer", "job-1/worker-2");
        assert!(s.verify("offer", "job-1/worker-2", &sig));
        assert!(!s.verify("offer", "job-1/worker-3", &sig));
        assert!(!s.verify("cookie", "job-1/worker-2", &sig));
    }
}
