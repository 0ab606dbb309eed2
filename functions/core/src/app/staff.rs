//! Staff accounts, logging in and out, and the session check every console page makes.

use super::App;
use crate::{
    keys,
    limits::{self, Limit, Verdict},
    problem::{FieldError, Invalid},
    records::{session_item, staff_from_item, staff_item},
    staff::{
        PasswordError, Role, Session, SessionCookie, StaffAccount, decoy_hash, hash_password,
        parse_username, verify_password,
    },
    station::Station,
    store::{StoreError, Write, from_item},
    text::PersonName,
};

/// A staff member acting through a valid session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The station they work for.
    pub station: crate::station::StationId,
    /// Their username.
    pub username: String,
    /// Their role.
    pub role: Role,
    /// The session id (for the CSRF token).
    pub session_id: String,
}

/// Why a staff account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AddStaffError {
    /// A field is wrong.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The username is taken.
    #[error("that username is taken")]
    Taken,
    /// The password could not be hashed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a login failed. Wrong username and wrong password are one case on purpose.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password or disabled account.
    #[error("wrong username or password")]
    Wrong,
    /// Too many failures lately for this account or this address.
    #[error("too many attempts")]
    Throttled {
        /// When to try again.
        retry_after: chrono::DateTime<chrono::Utc>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for the session id.
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}

/// Why a request has no valid session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No cookie, a forged or expired one, or a session that was ended.
    #[error("not logged in")]
    Missing,
    /// The account behind the session is disabled or gone.
    #[error("account disabled")]
    Disabled,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl App {
    /// Creates a staff account (`lingong staff add`, or an administrator in the console).
    pub async fn add_staff(
        &self,
        station: &Station,
        username: &str,
        display_name: &str,
        role: Role,
        password: &str,
    ) -> Result<StaffAccount, AddStaffError> {
        let username = parse_username("username", username).map_err(Invalid::one)?;
        let display_name = PersonName::parse("display_name", display_name).map_err(Invalid::one)?;
        let password_hash = match hash_password(password) {
            Ok(hash) => hash,
            Err(PasswordError::TooShort) => {
                return Err(Invalid::one(
                    FieldError::new("password", "error.password_short")
                        .with("min", crate::staff::MIN_PASSWORD_CHARS),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now();
        let account = StaffAccount {
            station: station.id.clone(),
            username,
            display_name,
            role,
            password_hash,
            active: true,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        match self
            .store
            .write(vec![Write::create(staff_item(&account)?)])
            .await
        {
            Ok(()) => Ok(account),
            Err(StoreError::ConditionFailed { .. }) => Err(AddStaffError::Taken),
            Err(e) => Err(e.into()),
        }
    }

    /// Logs a staff member in. Failures count against the account and the address;
    /// past [`Limit::LOGIN_ACCOUNT`] or [`Limit::LOGIN_ADDRESS`] the login is refused
    /// before the password is even checked.
    pub async fn login(
        &self,
        station: &Station,
        username: &str,
        password: &str,
        address: &str,
    ) -> Result<(SessionCookie, StaffAccount), LoginError> {
        let now = self.clock.now();
        let username = username.trim().to_ascii_lowercase();
        let store = &*self.store;
        for (limit, subject) in [
            (Limit::LOGIN_ACCOUNT, username.as_str()),
            (Limit::LOGIN_ADDRESS, address),
        ] {
            if limits::is_limited(store, &self.secrets, &station.id, limit, subject, now).await? {
                let retry_after = now + chrono::Duration::seconds(limit.window_secs);
                return Err(LoginError::Throttled { retry_after });
            }
        }
        let account = match parse_username("username", &username) {
            Ok(name) => match store.get(&keys::staff(&station.id, &name)).await? {
                Some(item) => Some(staff_from_item(&item)?),
                None => None,
            },
            Err(_) => None,
        };
        let hash = account
            .as_ref()
            .map(|a| a.password_hash.as_str())
            .unwrap_or(decoy_hash());
        let password_ok = verify_password(hash, password);
        let account = match account {
            Some(account) if password_ok && account.active => account,
            _ => {
                for (limit, subject) in [
                    (Limit::LOGIN_ACCOUNT, username.as_str()),
                    (Limit::LOGIN_ADDRESS, address),
                ] {
                    if let Verdict::Limited { retry_after } =
                        limits::hit(store, &self.secrets, &station.id, limit, subject, now).await?
                    {
                        return Err(LoginError::Throttled { retry_after });
                    }
                }
                tracing::warn!(station = %station.id, "failed staff login");
                return Err(LoginError::Wrong);
            }
        };
        let cookie = SessionCookie::issue(&self.secrets, &station.id, now)?;
        let session = Session {
            station: station.id.clone(),
            username: account.username.clone(),
            role: account.role,
            created_at: now,
            expires_at: cookie.expires_at,
        };
        store
            .write(vec![Write::create(session_item(
                &session,
                &SessionCookie::hash_id(&cookie.id),
            )?)])
            .await?;
        tracing::info!(station = %station.id, user = %account.username, "staff logged in");
        Ok((cookie, account))
    }

    /// The staff member a session cookie stands for, if it is valid now.
    pub async fn staff_session(&self, cookie_value: &str) -> Result<Actor, SessionError> {
        let now = self.clock.now();
        let (station, id) =
            SessionCookie::verify(&self.secrets, cookie_value, now).ok_or(SessionError::Missing)?;
        let item = self
            .store
            .get(&keys::session(&station, &SessionCookie::hash_id(&id)))
            .await?
            .ok_or(SessionError::Missing)?;
        if item.is_expired(now.timestamp()) {
            return Err(SessionError::Missing);
        }
        let session: Session = from_item(&item)?;
        let account = match self
            .store
            .get(&keys::staff(&station, &session.username))
            .await?
        {
            Some(item) => staff_from_item(&item)?,
            None => return Err(SessionError::Disabled),
        };
        if !account.active {
            return Err(SessionError::Disabled);
        }
        Ok(Actor {
            station,
            username: account.username,
            role: account.role,
            session_id: id,
        })
    }

    /// Ends a session (logging out twice is fine).
    pub async fn logout(&self, actor: &Actor) -> Result<(), StoreError> {
        self.store
            .write(vec![Write::delete(keys::session(
                &actor.station,
                &SessionCookie::hash_id(&actor.session_id),
            ))])
            .await
    }

    /// A station's staff accounts.
    pub async fn staff_accounts(&self, station: &Station) -> Result<Vec<StaffAccount>, StoreError> {
        let query = crate::store::Query {
            descending: false,
            ..crate::store::Query::index_newest_first(
                crate::store::Index::Gsi3,
                keys::staff_accounts(&station.id),
                1000,
            )
        };
        crate::store::query_all(&*self.store, query)
            .await?
            .iter()
            .map(staff_from_item)
            .collect()
    }
}
