//! Staff accounts, logging in and out, and the session check every console page makes.

use super::App;
use crate::{
    keys,
    limits::{self, Limit},
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

    /// Logs a staff member in. Every attempt first reserves a hit against the
    /// (account, address) pair, the account and the address ([`Limit::LOGIN_PAIR`],
    /// [`Limit::LOGIN_PAIR_DAY`], [`Limit::LOGIN_ACCOUNT`], [`Limit::LOGIN_ADDRESS`]);
    /// past any of them the login is refused before the password is checked, so a burst
    /// of guesses runs at most the limit's number of password checks. A right password
    /// gives its hits back. The check itself runs on the blocking pool, a few at a
    /// time, so password hashing never stalls the server's other requests.
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
        let pair = format!("{username}\n{address}");
        let wanted = [
            (Limit::LOGIN_PAIR, pair.clone()),
            (Limit::LOGIN_PAIR_DAY, pair),
            (Limit::LOGIN_ACCOUNT, username.clone()),
            (Limit::LOGIN_ADDRESS, address.to_owned()),
        ];
        if let Err(retry_after) =
            limits::reserve(store, &self.secrets, &station.id, &wanted, now).await?
        {
            return Err(LoginError::Throttled { retry_after });
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
            .map(|a| a.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_owned());
        let password_ok = check_password(hash, password.to_owned()).await;
        let account = match account {
            Some(account) if password_ok && account.active => account,
            _ => {
                crate::rejections::note(crate::rejections::Rejection::FailedLogin);
                return Err(LoginError::Wrong);
            }
        };
        for (limit, subject) in &wanted {
            limits::release(store, &self.secrets, &station.id, *limit, subject, now).await?;
        }
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

    /// Lifts a lockout of `username` from many addresses (the account-wide limit).
    pub async fn unlock_staff(&self, station: &Station, username: &str) -> Result<(), StoreError> {
        let username = username.trim().to_ascii_lowercase();
        limits::clear(
            &*self.store,
            &self.secrets,
            &station.id,
            Limit::LOGIN_ACCOUNT,
            &username,
            self.clock.now(),
        )
        .await
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

/// Password checks running at once, at most: Argon2 takes a core for a good part of a
/// second, and two cores must still answer everything else.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Checks `password` against `hash` on the blocking pool, a few at a time.
async fn check_password(hash: String, password: String) -> bool {
    let Ok(_permit) = PASSWORD_CHECKS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false)
}
