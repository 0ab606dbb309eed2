//! The use cases, written once against the ports: post a job, sign up, list, and the
//! manage links. HTTP handlers and CLI commands only convert to and from these.

mod board;
mod complaints;
mod desk;
mod events;
mod jobs;
mod moderation;
pub mod paid;
mod policy;
mod privacy;
mod reports;
mod staff;
mod workers;
// Matching and notices (issue 4):
mod blocks;
pub mod offers;
pub mod phone_code;
pub mod sms;
pub mod sweep;

use std::sync::Arc;

pub use board::SweepSummary;
pub use complaints::ComplaintStep;
pub use desk::JobDesk;
pub use events::{EventError, register_action};
pub use jobs::{ConfirmOutcome, JobFilter, POST_JOB};
pub use moderation::{StaffActionError, StationSettings};
pub use offers::{
    Answer, AnswerOutcome, ApplyCodeError, ApplyError, ApplyOutcome, OfferError, OfferView,
    PlaceOutcome,
};
pub use phone_code::{CodeCheck, RequestCodeError, SendCodeError};
pub use policy::PolicyError;
pub use privacy::{ERASED, ErasedBy, Erasure, WorkerExport};
pub use reports::{Filed, ReportError, report_action};
pub use sms::{InboundError, InboundOutcome};
pub use staff::{Actor, AddStaffError, LoginError, SessionError};
pub use sweep::SweepReport;
pub use workers::{SIGN_UP, manage_path};

use crate::{
    clock::Clock,
    idempotency::IdempotencyKey,
    input::RawInput,
    job::{JobStatus, Source},
    problem::Invalid,
    secrets::{ManageToken, SecretError, Secrets},
    station::{Station, Stations},
    store::{ItemStore, StoreError},
};

/// Everything the use cases need, built once at start (cold start on Lambda).
#[derive(Clone)]
pub struct App {
    /// The store.
    pub store: Arc<dyn ItemStore>,
    /// The stations served.
    pub stations: Arc<Stations>,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// The deployment secret.
    pub secrets: Secrets,
}

/// A submission of a public form or API call.
#[derive(Clone, Copy, Debug)]
pub struct Submission<'a> {
    /// The station named in the request, `None` for the default.
    pub station: Option<&'a str>,
    /// The fields.
    pub input: &'a RawInput,
    /// The idempotency key, if the client sent one.
    pub idempotency_key: Option<&'a IdempotencyKey>,
    /// Where it came from.
    pub source: Source,
}

/// Whether a submission made a new record or changed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new record.
    Created,
    /// An existing record was updated (a worker registered again at the desk).
    Updated,
    /// The number was registered already: its owner was sent a fresh manage link and
    /// nothing else changed (whoever typed the number learns nothing more).
    LinkSent,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::LinkSent => "link_sent",
        }
    }

    fn parse(text: &str) -> Outcome {
        match text {
            "updated" => Outcome::Updated,
            "link_sent" => Outcome::LinkSent,
            _ => Outcome::Created,
        }
    }
}

/// A stored submission and the link to manage it.
#[derive(Clone, Debug)]
pub struct Saved<T> {
    /// The record as stored.
    pub record: T,
    /// The manage token (put it in the link; it is not stored).
    pub token: ManageToken,
    /// Created or updated.
    pub outcome: Outcome,
    /// Whether this answers a retry of an earlier request.
    pub replayed: bool,
}

/// Why a submission was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The request names a station this deployment does not serve.
    #[error("unknown station")]
    UnknownStation,
    /// The fields are wrong; nothing was stored.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The idempotency key was used before for a different request.
    #[error("idempotency key reused for a different request")]
    KeyReused,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for ids or tokens.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// Staff have barred this employer from posting.
    #[error("the employer may not post")]
    Refused,
}

/// Why a manage-link action failed.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// No such record, or the token does not match (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The edit's fields are wrong; nothing changed.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The job can no longer be changed (closed, expired).
    #[error("a job in state {0:?} cannot be changed")]
    Locked(JobStatus),
    /// Kept losing races with other writers.
    #[error("the record kept changing; try again")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for tokens.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// How many times a use case re-reads and retries after losing an optimistic race.
const RETRIES: usize = 5;

impl App {
    /// The station a request names (or the default).
    pub fn station(&self, id: Option<&str>) -> Option<&Arc<Station>> {
        self.stations.get(id)
    }

    /// Whether a keyed request is a retry of one already done (so checks that count or
    /// consume something, like rate limits and proof of work, must let it through to
    /// get its first answer back).
    pub async fn is_replay(
        &self,
        station: &Station,
        key: Option<&IdempotencyKey>,
        action: &str,
        input: &RawInput,
    ) -> Result<bool, StoreError> {
        let Some(key) = key else {
            return Ok(false);
        };
        let prior = crate::idempotency::check(
            &*self.store,
            &station.id,
            key,
            action,
            &input.fingerprint(action),
            self.clock.now(),
        )
        .await?;
        Ok(matches!(prior, crate::idempotency::Prior::Replay(_)))
    }

    fn token_for(
        &self,
        kind: &str,
        id: &str,
        key: Option<&IdempotencyKey>,
    ) -> Result<ManageToken, SecretError> {
        match key {
            Some(key) => Ok(self.secrets.manage_token(kind, id, key.hash().as_bytes())),
            None => ManageToken::random(),
        }
    }
}
