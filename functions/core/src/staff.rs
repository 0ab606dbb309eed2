//! Station staff (人社专员): accounts with a role, passwords hashed with Argon2id, and
//! sessions carried in a signed cookie and checked against a stored, expiring record
//! (so logging out, or an administrator disabling an account, takes effect at once).

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    problem::FieldError,
    secrets::{SecretError, Secrets, random_bytes, sha256_hex},
    station::StationId,
    text::PersonName,
};

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 8;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What a staff member may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including staff accounts and station settings.
    Admin,
    /// Day-to-day work: moderation, desk registration, matching, placements, complaints.
    Staff,
}

impl Role {
    /// The name in records and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }

    /// Parses `admin` or `staff`.
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim() {
            "admin" => Some(Role::Admin),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }
}

/// A staff account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffAccount {
    /// The station.
    pub station: StationId,
    /// Login name: 3–32 of `a-z 0-9 . _ -`.
    pub username: String,
    /// Name shown in the console and the audit log.
    pub display_name: PersonName,
    /// What they may do.
    pub role: Role,
    /// Argon2id hash in PHC format.
    pub password_hash: String,
    /// Disabled accounts cannot log in.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

/// Checks a username.
pub fn parse_username(field: &str, raw: &str) -> Result<String, FieldError> {
    let text = raw.trim().to_ascii_lowercase();
    let ok = (3..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(text)
    } else {
        Err(FieldError::new(field, "error.username"))
    }
}

/// Why a password could not be set or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// No randomness for the salt.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The hasher failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Hashes a new password with Argon2id (default OWASP parameters) and a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    Argon2::default()
        .hash_password_with_salt(b"not a password anyone can type\0", b"lingong-decoy-salt")
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// A real Argon2id hash of a password nobody can type, verified against when the account
/// does not exist, so a login takes as long either way and does not reveal usernames.
pub fn decoy_hash() -> &'static str {
    &DECOY
}

/// A stored session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The station.
    pub station: StationId,
    /// Who.
    pub username: String,
    /// Their role when they logged in.
    pub role: Role,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Ends.
    pub expires_at: DateTime<Utc>,
}

/// A new session id and the cookie value that carries it: `station.id.expiry.signature`,
/// signed with the deployment secret so a forged or altered cookie is refused before
/// any lookup.
#[derive(Clone, Debug)]
pub struct SessionCookie {
    /// The cookie's value.
    pub value: String,
    /// The session id (its hash is the stored key).
    pub id: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

impl SessionCookie {
    /// A fresh session for `station` from `now`.
    pub fn issue(
        secrets: &Secrets,
        station: &StationId,
        now: DateTime<Utc>,
    ) -> Result<SessionCookie, SecretError> {
        let mut bytes = [0u8; 32];
        random_bytes(&mut bytes)?;
        let id = URL_SAFE_NO_PAD.encode(bytes);
        let expires_at = now + Duration::hours(SESSION_HOURS);
        let payload = format!("{}.{id}.{}", station.as_str(), expires_at.timestamp());
        let signature = secrets.sign("staff-session", &payload);
        Ok(SessionCookie {
            value: format!("{payload}.{signature}"),
            id,
            expires_at,
        })
    }

    /// Reads a cookie value: the station and session id if the signature is right and
    /// the expiry has not passed.
    pub fn verify(
        secrets: &Secrets,
        value: &str,
        now: DateTime<Utc>,
    ) -> Option<(StationId, String)> {
        let (payload, signature) = value.rsplit_once('.')?;
        if !secrets.verify("staff-session", payload, signature) {
            return None;
        }
        let mut fields = payload.split('.');
        let station = StationId::parse(fields.next()?).ok()?;
        let id = fields.next()?.to_owned();
        let expires: i64 = fields.next()?.parse().ok()?;
        if fields.next().is_some() || expires <= now.timestamp() {
            return None;
        }
        Some((station, id))
    }

    /// The stored key's hash of a session id.
    pub fn hash_id(id: &str) -> String {
        sha256_hex(id.as_bytes())
    }
}

/// The CSRF token of a session: every staff form carries it and every staff POST checks
/// it (on top of the `SameSite=Strict` cookie).
pub fn csrf_token(secrets: &Secrets, session_id: &str) -> String {
    secrets.sign("staff-csrf", session_id)
}

/// Whether `token` is the CSRF token of `session_id`.
pub fn csrf_ok(secrets: &Secrets, session_id: &str, token: &str) -> bool {
    secrets.verify("staff-csrf", session_id, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets::from_bytes(&[3u8; 32]).unwrap()
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery!"));
        assert!(matches!(
            hash_password("short"),
            Err(PasswordError::TooShort)
        ));
        assert!(decoy_hash().starts_with("$argon2id$"));
        assert!(!verify_password(decoy_hash(), "anything at all"));
    }

    #[test]
    fn cookies_are_signed_and_expire() {
        let s = secrets();
        let station = StationId::parse("xining-chengzhong").unwrap();
        let now = Utc::now();
        let cookie = SessionCookie::issue(&s, &station, now).unwrap();
        assert_eq!(
            SessionCookie::verify(&s, &cookie.value, now),
            Some((station.clone(), cookie.id.clone()))
        );
        // Expired.
        assert_eq!(
            SessionCookie::verify(&s, &cookie.value, now + Duration::hours(SESSION_HOURS)),
            None
        );
        // Forged: another station, a longer expiry, another secret.
        let tampered = cookie.value.replacen("xining-chengzhong", "golmud", 1);
        assert_eq!(SessionCookie::verify(&s, &tampered, now), None);
        let other = Secrets::from_bytes(&[4u8; 32]).unwrap();
        assert_eq!(SessionCookie::verify(&other, &cookie.value, now), None);
        assert_eq!(SessionCookie::verify(&s, "garbage", now), None);
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let s = secrets();
        let token = csrf_token(&s, "session-a");
        assert!(csrf_ok(&s, "session-a", &token));
        assert!(!csrf_ok(&s, "session-b", &token));
        assert!(!csrf_ok(&s, "session-a", ""));
    }

    #[test]
    fn usernames() {
        assert_eq!(parse_username("u", " Zhang.Li ").unwrap(), "zhang.li");
        for bad in ["ab", "张三", "a b c", &"x".repeat(33)] {
            assert!(parse_username("u", bad).is_err(), "{bad}");
        }
    }
}
