//! Offers (派活通知): a job offered to one worker, at most once per (job, worker). An
//! offer is answered by the link in its notice, by an SMS reply, or not at all (it
//! expires and the next wave goes out).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::rank::Factors;
use crate::{
    i18n::{Lang, t},
    secrets::Secrets,
    station::StationId,
    worker::Channel,
};

/// Where an offer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Sent; waiting for an answer.
    Offered,
    /// The worker took a place.
    Accepted,
    /// The worker said no.
    Declined,
    /// No answer in time; the next wave went out.
    Expired,
    /// Every place was taken before the worker answered.
    Filled,
    /// The job was closed, taken down or ran out before the worker answered.
    Withdrawn,
}

impl OfferStatus {
    /// The name in keys and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Offered => "offered",
            OfferStatus::Accepted => "accepted",
            OfferStatus::Declined => "declined",
            OfferStatus::Expired => "expired",
            OfferStatus::Filled => "filled",
            OfferStatus::Withdrawn => "withdrawn",
        }
    }

    /// The name for people.
    pub fn label(self, lang: Lang) -> &'static str {
        t(lang, &format!("offer_status.{}", self.as_str()))
    }
}

/// How an answer came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerVia {
    /// The signed link in the notice.
    Link,
    /// An SMS reply (`1`, `2`).
    Sms,
    /// The worker applied from the board.
    Application,
    /// The scheduled expiry step, or the job's own change of state.
    System,
}

/// One job offered to one worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The station.
    pub station: StationId,
    /// The short id in the offer's link (derived from the job and worker ids).
    pub id: String,
    /// The job.
    pub job_id: String,
    /// The worker.
    pub worker_id: String,
    /// The wave (ranking) it came from.
    pub wave: u32,
    /// The worker's place in that ranking (1 = first).
    pub rank: u32,
    /// Why: the worker's factors in that ranking.
    pub factors: Factors,
    /// Where it stands.
    pub status: OfferStatus,
    /// How the worker is reached.
    pub channel: Channel,
    /// When offered.
    pub offered_at: DateTime<Utc>,
    /// Answer by then (after that the next wave goes out; while places remain the
    /// worker may still accept).
    pub expires_at: DateTime<Utc>,
    /// When answered or closed.
    pub answered_at: Option<DateTime<Utc>>,
    /// How.
    pub answered_via: Option<AnswerVia>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

impl Offer {
    /// Whether the offer still waits for an answer.
    pub fn is_open(&self) -> bool {
        self.status == OfferStatus::Offered
    }

    /// Moves the offer to `status` at `now`, answered `via`.
    pub fn close(&mut self, status: OfferStatus, via: AnswerVia, now: DateTime<Utc>) {
        self.status = status;
        self.answered_at = Some(now);
        self.answered_via = Some(via);
        self.updated_at = now;
    }
}

/// Length of an offer id and of its link signature, in characters.
pub const LINK_PART_LEN: usize = 16;

/// A part of a short link (an id or a signature): the first [`LINK_PART_LEN`]
/// characters of the deployment secret's signature of `parts` (joined by `/`) for
/// `purpose`, URL-safe, short enough for an SMS and not to be guessed.
pub fn link_part(secrets: &Secrets, purpose: &str, parts: &[&str]) -> String {
    let mut part = secrets.sign(purpose, &parts.join("/"));
    part.truncate(LINK_PART_LEN);
    part
}

/// The offer id for (job, worker).
pub fn offer_id(secrets: &Secrets, station: &StationId, job_id: &str, worker_id: &str) -> String {
    link_part(secrets, "offer-id", &[station.as_str(), job_id, worker_id])
}

/// The signature that makes an offer link valid.
pub fn link_signature(secrets: &Secrets, station: &StationId, offer_id: &str) -> String {
    link_part(secrets, "offer-link", &[station.as_str(), offer_id])
}

/// Whether `text` could be an offer id or signature (so junk never reaches a key).
pub fn is_link_part(text: &str) -> bool {
    text.len() == LINK_PART_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks an offer link's signature in constant time.
pub fn verify_link(secrets: &Secrets, station: &StationId, offer_id: &str, sig: &str) -> bool {
    let expected = link_signature(secrets, station, offer_id);
    is_link_part(offer_id) && crate::secrets::constant_time_eq(expected.as_bytes(), sig.as_bytes())
}

/// The path of an offer's page: `/api/offers/<id>?sig=<sig>` (and the station when it is
/// not the deployment's default).
pub fn link_path(secrets: &Secrets, station: &StationId, offer_id: &str, default: bool) -> String {
    let sig = link_signature(secrets, station, offer_id);
    if default {
        format!("/api/offers/{offer_id}?sig={sig}")
    } else {
        format!("/api/offers/{offer_id}?sig={sig}&station={station}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_short_signed_and_unguessable() {
        let secrets = Secrets::from_bytes(&[9u8; 32]).unwrap();
        let station = StationId::parse("xining-chengzhong").unwrap();
        let id = offer_id(&secrets, &station, "JOB1", "WKR1");
        assert!(is_link_part(&id));
        assert_eq!(id, offer_id(&secrets, &station, "JOB1", "WKR1"));
        assert_ne!(id, offer_id(&secrets, &station, "JOB1", "WKR2"));
        let path = link_path(&secrets, &station, &id, true);
        assert!(path.len() < 60, "{path}");
        let sig = path.split("sig=").nth(1).unwrap();
        assert!(verify_link(&secrets, &station, &id, sig));
        assert!(!verify_link(&secrets, &station, &id, "AAAAAAAAAAAAAAAA"));
        assert!(!verify_link(&secrets, &station, &id, ""));
        let other = Secrets::from_bytes(&[8u8; 32]).unwrap();
        assert!(!verify_link(&other, &station, &id, sig));
    }
}
