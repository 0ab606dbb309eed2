//! Answering offers and applying from the board: both end in taking a place, which
//! writes the job with one more place taken (checked against its version, so a job is
//! never overbooked), the placement, the answered offer and the notices to the employer
//! and the worker in one atomic batch.

use std::time::Duration as StdDuration;

use super::{
    App, Submission, SubmitError,
    phone_code::{CODE_FIELD, SendCodeError},
};
use crate::{
    idempotency::{self, IdempotencyKey, IdempotencyRecord, Prior},
    input::RawInput,
    job::{Job, JobStatus, Source, is_id},
    keys,
    matching::offer::{AnswerVia, Offer, OfferStatus, is_link_part, verify_link},
    notices::{JobSummary, Notice, NoticeData, NoticeKind, Recipient},
    placement::{Placement, PlacementOrigin, PlacementStatus},
    problem::Invalid,
    records::{
        claim_from_item, job_item, notice_item, offer_from_item, offer_item, placement_from_item,
        placement_item, worker_day_item, worker_from_item,
    },
    secrets::{ManageToken, SecretError, random_bytes},
    station::Station,
    store::{Index, Query, StoreError, Write},
    worker::{Worker, WorkerDraft},
};

/// Tries at taking a place before giving up as busy. Every lost race means another
/// worker took a place, so a job with `n` places settles within about `n` rounds.
const PLACE_RETRIES: u32 = 40;

/// An offer with what its page shows.
#[derive(Clone, Debug)]
pub struct OfferView {
    /// The offer.
    pub offer: Offer,
    /// The job.
    pub job: Job,
    /// The worker it was made to.
    pub worker: Worker,
    /// Their place on the job, if they hold one.
    pub placement: Option<Placement>,
}

/// What a worker answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Take the place.
    Accept,
    /// Say no.
    Decline,
}

/// The result of taking a place.
#[derive(Clone, Debug, PartialEq)]
pub enum PlaceOutcome {
    /// The place is theirs (now, or already before: `newly` says which).
    Placed {
        /// The placement.
        placement: Box<Placement>,
        /// Whether this call took it.
        newly: bool,
    },
    /// Every place is taken.
    Full,
    /// The job no longer takes workers (closed, taken down, over).
    NotOpen,
    /// The worker holds a place on another job on some of the same days.
    BusyDates,
}

/// The result of answering an offer.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerOutcome {
    /// Accepted (or accepted before).
    Placed {
        /// The placement.
        placement: Box<Placement>,
        /// Whether this answer took the place.
        newly: bool,
    },
    /// Declined (or declined before, or closed anyway).
    Declined,
    /// Every place was taken first.
    Full,
    /// The job no longer takes workers.
    NotOpen,
    /// The worker holds a place on another job on some of the same days.
    BusyDates,
    /// Already accepted: declining needs a call to the station.
    AlreadyAccepted,
}

/// Why an offer could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    /// No such offer, or the link's signature does not match (not told apart).
    #[error("not found")]
    NotFound,
    /// Kept losing races; try again.
    #[error("busy")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// The result of applying from the board.
#[derive(Clone, Debug)]
pub enum ApplyOutcome {
    /// The place is theirs (now, or already before).
    Placed {
        /// The placement.
        placement: Box<Placement>,
        /// Whether this application took it.
        newly: bool,
        /// The worker (signed up now, or found by phone).
        worker: Box<Worker>,
        /// The worker's manage link token when this application signed them up.
        token: Option<ManageToken>,
    },
    /// Every place is taken.
    Full,
    /// The job no longer takes workers.
    NotOpen,
    /// Staff or the employer asked that this worker not be placed here.
    Blocked,
    /// The worker holds a place on another job on some of the same days.
    BusyDates,
    /// The number is registered: the job was offered to it (or the worker holds the
    /// place, or has an open offer), and its owner confirms from their message.
    ConfirmationSent,
}

/// Why an application was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// No such station or job.
    #[error("not found")]
    NotFound,
    /// The fields are wrong; nothing was stored.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The idempotency key (form nonce) was used before for a different application.
    #[error("idempotency key reused for a different request")]
    KeyReused,
    /// Kept losing races; try again.
    #[error("busy")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Why the code for an application was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ApplyCodeError {
    /// The application itself is wrong (no such job, bad fields).
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The code could not be sent (too many codes, or a failure).
    #[error(transparent)]
    Send(#[from] SendCodeError),
    /// The job takes nobody now (full, closed): no code is sent for it.
    #[error("the job takes no applications")]
    Closed(ApplyOutcome),
}

/// The action name of applications in idempotency records.
pub const APPLY: &str = "apply";

impl From<OfferError> for ApplyError {
    fn from(e: OfferError) -> Self {
        match e {
            OfferError::NotFound => ApplyError::NotFound,
            OfferError::Busy => ApplyError::Busy,
            OfferError::Store(e) => ApplyError::Store(e),
            OfferError::Secret(e) => ApplyError::Secret(e),
        }
    }
}

async fn jitter(attempt: u32) {
    let mut byte = [0u8; 1];
    let spread = random_bytes(&mut byte)
        .map(|()| u64::from(byte[0] % 16))
        .unwrap_or(7);
    let base = u64::from(attempt.min(10)) * 4;
    tokio::time::sleep(StdDuration::from_millis(base + spread)).await;
}

impl App {
    /// The offer a link points at, if its signature is right.
    pub async fn offer_by_link(
        &self,
        station: Option<&str>,
        offer_id: &str,
        sig: &str,
    ) -> Result<OfferView, OfferError> {
        let station = self.station(station).ok_or(OfferError::NotFound)?.clone();
        if !is_link_part(offer_id) || !verify_link(&self.secrets, &station.id, offer_id, sig) {
            return Err(OfferError::NotFound);
        }
        let page = self
            .store
            .query(&Query {
                index: Some(Index::Gsi1),
                ..Query::partition(keys::offer_by_link(&station.id, offer_id), 1)
            })
            .await?;
        let item = page.items.first().ok_or(OfferError::NotFound)?;
        // The index may lag: read the offer itself.
        let item = self
            .store
            .get(&item.key)
            .await?
            .ok_or(OfferError::NotFound)?;
        let offer = offer_from_item(&item)?;
        self.offer_view(&station, offer).await
    }

    async fn offer_view(&self, station: &Station, offer: Offer) -> Result<OfferView, OfferError> {
        let job = self
            .job(station, &offer.job_id)
            .await?
            .ok_or(OfferError::NotFound)?;
        let worker = self
            .worker_by_id(station, &offer.worker_id)
            .await?
            .ok_or(OfferError::NotFound)?;
        let placement = match self
            .store
            .get(&keys::placement(&station.id, &job.id, &worker.id))
            .await?
        {
            Some(item) => Some(placement_from_item(&item)?),
            None => None,
        };
        Ok(OfferView {
            offer,
            job,
            worker,
            placement,
        })
    }

    /// Answers the offer a link points at. Safe to repeat: accepting twice holds one
    /// place, declining twice declines once.
    pub async fn answer_offer(
        &self,
        station: Option<&str>,
        offer_id: &str,
        sig: &str,
        answer: Answer,
    ) -> Result<AnswerOutcome, OfferError> {
        let view = self.offer_by_link(station, offer_id, sig).await?;
        let station = self
            .station(Some(view.offer.station.as_str()))
            .ok_or(OfferError::NotFound)?
            .clone();
        self.answer(&station, view.offer, &view.worker, answer, AnswerVia::Link)
            .await
    }

    pub(crate) async fn answer(
        &self,
        station: &Station,
        offer: Offer,
        worker: &Worker,
        answer: Answer,
        via: AnswerVia,
    ) -> Result<AnswerOutcome, OfferError> {
        match answer {
            Answer::Accept => {
                let job_id = offer.job_id.clone();
                let outcome = self
                    .take_place(station, &job_id, worker, Some(offer), via)
                    .await?;
                Ok(match outcome {
                    PlaceOutcome::Placed { placement, newly } => {
                        AnswerOutcome::Placed { placement, newly }
                    }
                    PlaceOutcome::Full => AnswerOutcome::Full,
                    PlaceOutcome::NotOpen => AnswerOutcome::NotOpen,
                    PlaceOutcome::BusyDates => AnswerOutcome::BusyDates,
                })
            }
            Answer::Decline => self.decline(station, offer, via).await,
        }
    }

    async fn decline(
        &self,
        station: &Station,
        offer: Offer,
        via: AnswerVia,
    ) -> Result<AnswerOutcome, OfferError> {
        let key = keys::offer(&station.id, &offer.job_id, &offer.worker_id);
        for _ in 0..super::RETRIES {
            let item = self.store.get(&key).await?.ok_or(OfferError::NotFound)?;
            let current = offer_from_item(&item)?;
            match current.status {
                OfferStatus::Accepted => return Ok(AnswerOutcome::AlreadyAccepted),
                OfferStatus::Declined | OfferStatus::Filled | OfferStatus::Withdrawn => {
                    return Ok(AnswerOutcome::Declined);
                }
                OfferStatus::Offered | OfferStatus::Expired => {}
            }
            let mut after = current.clone();
            after.close(OfferStatus::Declined, via, self.clock.now());
            after.version = current.version + 1;
            match self
                .store
                .write(vec![Write::replace(offer_item(&after)?, current.version)])
                .await
            {
                Ok(()) => {
                    tracing::info!(station = %station.id, job = %after.job_id, worker = %after.worker_id, "offer declined");
                    return Ok(AnswerOutcome::Declined);
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(OfferError::Busy)
    }

    /// Takes a place on `job_id` for `worker` (answering `offer` if there is one):
    /// the job with one more place taken, checked against its version, the placement,
    /// the offer and the notices, in one atomic batch. Never overbooks; safe to repeat.
    pub async fn take_place(
        &self,
        station: &Station,
        job_id: &str,
        worker: &Worker,
        offer: Option<Offer>,
        via: AnswerVia,
    ) -> Result<PlaceOutcome, OfferError> {
        let placement_key = keys::placement(&station.id, job_id, &worker.id);
        let offer_key = keys::offer(&station.id, job_id, &worker.id);
        for attempt in 0..PLACE_RETRIES {
            let job = self
                .job(station, job_id)
                .await?
                .ok_or(OfferError::NotFound)?;
            let offer = match &offer {
                None => None,
                Some(_) => match self.store.get(&offer_key).await? {
                    Some(item) => Some(offer_from_item(&item)?),
                    None => None,
                },
            };
            let now = self.clock.now();
            if let Some(item) = self.store.get(&placement_key).await? {
                let placement = placement_from_item(&item)?;
                if placement.status != PlacementStatus::Cancelled {
                    if let Some(offer) = offer.filter(|o| o.status != OfferStatus::Accepted) {
                        // Applied first, then answered the offer: the offer is settled too.
                        let mut after = offer.clone();
                        after.close(OfferStatus::Accepted, via, now);
                        after.version = offer.version + 1;
                        match self
                            .store
                            .write(vec![Write::replace(offer_item(&after)?, offer.version)])
                            .await
                        {
                            Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                    return Ok(PlaceOutcome::Placed {
                        placement: Box::new(placement),
                        newly: false,
                    });
                }
            }
            if job.status != JobStatus::Published || job.open_places() == 0 {
                let full = job.status == JobStatus::Filled
                    || (job.status == JobStatus::Published && job.open_places() == 0);
                if let Some(offer) = offer.filter(|o| o.is_open()) {
                    let mut after = offer.clone();
                    let status = if full {
                        OfferStatus::Filled
                    } else {
                        OfferStatus::Withdrawn
                    };
                    after.close(status, via, now);
                    after.version = offer.version + 1;
                    match self
                        .store
                        .write(vec![Write::replace(offer_item(&after)?, offer.version)])
                        .await
                    {
                        Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                return Ok(if full {
                    PlaceOutcome::Full
                } else {
                    PlaceOutcome::NotOpen
                });
            }
            let mut after = job.clone();
            after.placed += 1;
            after.updated_at = now;
            after.version = job.version + 1;
            if after.open_places() == 0 {
                after
                    .transition(JobStatus::Filled, now)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
            }
            let placement = Placement {
                station: station.id.clone(),
                job_id: job.id.clone(),
                worker_id: worker.id.clone(),
                trade: job.trade.clone(),
                district: job.district.clone(),
                daily_wage: job.daily_wage,
                start: job.dates.start,
                end: job.dates.end,
                status: PlacementStatus::Reserved,
                origin: match via {
                    AnswerVia::Application => PlacementOrigin::Application,
                    _ => PlacementOrigin::Offer,
                },
                days_worked: None,
                wage_paid: None,
                paid_check: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let mut writes = vec![
                Write::replace(job_item(&after)?, job.version),
                Write::create(placement_item(&placement)?),
            ];
            let offer_index = writes.len();
            if let Some(offer) = &offer {
                let mut answered = offer.clone();
                answered.close(OfferStatus::Accepted, via, now);
                answered.version = offer.version + 1;
                writes.push(Write::replace(offer_item(&answered)?, offer.version));
            }
            // Each day of the job is claimed for the worker in the same transaction: two
            // overlapping places can never both be taken, however close together.
            let days = writes.len();
            for day in placement
                .start
                .iter_days()
                .take_while(|day| *day <= placement.end)
            {
                writes.push(Write::create(worker_day_item(&placement, day)?));
            }
            let days = days..writes.len();
            for notice in self.placement_notices(&after, worker, via, now) {
                // A placement is made once, so these are new: `put` keeps an old notice
                // of a cancelled placement from blocking a new one.
                writes.push(Write::put(notice_item(&notice)?));
            }
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, job = %job.id, worker = %worker.id, placed = after.placed, headcount = after.headcount, "place taken");
                    return Ok(PlaceOutcome::Placed {
                        placement: Box::new(placement),
                        newly: true,
                    });
                }
                Err(StoreError::ConditionFailed { index }) if days.contains(&index) => {
                    self.withdraw_if_open(offer.as_ref(), via, now).await?;
                    return Ok(PlaceOutcome::BusyDates);
                }
                Err(StoreError::ConditionFailed { index: 0 }) => jitter(attempt).await,
                Err(StoreError::Contention) => jitter(attempt).await,
                Err(StoreError::ConditionFailed { index })
                    if index == 1 || index == offer_index => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(OfferError::Busy)
    }

    /// Closes `offer` as withdrawn if it still waits for an answer (the worker cannot
    /// take it), so the job's next wave goes on without waiting for it.
    async fn withdraw_if_open(
        &self,
        offer: Option<&Offer>,
        via: AnswerVia,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let Some(offer) = offer.filter(|o| o.is_open()) else {
            return Ok(());
        };
        let mut after = offer.clone();
        after.close(OfferStatus::Withdrawn, via, now);
        after.version = offer.version + 1;
        match self
            .store
            .write(vec![Write::replace(offer_item(&after)?, offer.version)])
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The notices a placement makes: the employer learns the worker's name and phone
    /// (only now), the worker learns whom to call and where to go.
    fn placement_notices(
        &self,
        job: &Job,
        worker: &Worker,
        via: AnswerVia,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<Notice> {
        let summary = JobSummary::of(job);
        let mut to_employer = Notice::new(
            job.station.clone(),
            NoticeKind::WorkerPlaced,
            (&job.id, &worker.id),
            Recipient::employer(job),
            NoticeData {
                job: Some(summary.clone()),
                worker_name: Some(worker.name.as_str().to_owned()),
                worker_phone: Some(worker.phone.clone()),
                ..NoticeData::default()
            },
            now,
        );
        to_employer.job_id = Some(job.id.clone());
        to_employer.worker_id = Some(worker.id.clone());
        let recipient = if via == AnswerVia::Sms {
            Recipient::worker_by_sms(worker)
        } else {
            Recipient::worker(worker)
        };
        let mut to_worker = Notice::new(
            job.station.clone(),
            NoticeKind::Placed,
            (&job.id, &worker.id),
            recipient,
            NoticeData {
                job: Some(summary),
                contact_name: Some(job.contact_name.as_str().to_owned()),
                contact_phone: Some(job.contact_phone.clone()),
                ..NoticeData::default()
            },
            now,
        );
        to_worker.job_id = Some(job.id.clone());
        to_worker.worker_id = Some(worker.id.clone());
        vec![to_employer, to_worker]
    }

    /// A worker applies from the board: signs up (or is found by phone) and takes a
    /// place exactly as if accepting an offer. Fields: `name`, `phone`, `consent`;
    /// automated offers stay off unless `auto_matching` is sent (applying is not
    /// consent to them). Safe to repeat: a second application holds the same place.
    pub async fn apply_to_job(
        &self,
        station: Option<&str>,
        job_id: &str,
        input: &RawInput,
        key: Option<&IdempotencyKey>,
    ) -> Result<ApplyOutcome, ApplyError> {
        let station = self.station(station).ok_or(ApplyError::NotFound)?.clone();
        if !is_id(job_id) {
            return Err(ApplyError::NotFound);
        }
        let job = self
            .job(&station, job_id)
            .await?
            .filter(|j| j.status != JobStatus::PendingReview && j.status != JobStatus::Rejected)
            .ok_or(ApplyError::NotFound)?;
        let mut fields = RawInput::new();
        for name in ["name", "phone", "consent", "_lang"] {
            if let Some(value) = input.one(name) {
                fields.push(name, value);
            }
        }
        fields.push("trades", job.trade.as_str());
        fields.push("districts", job.district.as_str());
        fields.push("channel", "sms");
        fields.push(
            "auto_matching",
            if input.flag("auto_matching") == Some(true) {
                "true"
            } else {
                "false"
            },
        );
        let now = self.clock.now();
        let draft = WorkerDraft::parse(&station, &fields, station.today(now))?;
        // The request's key is remembered under `apply` once a place is held (so a
        // retried form is known as one); the sign-up inside uses a key derived from it.
        let fingerprint = input.fingerprint(APPLY);
        let (claim, replay) = match key {
            None => (None, false),
            Some(key) => {
                match idempotency::check(&*self.store, &station.id, key, APPLY, &fingerprint, now)
                    .await?
                {
                    Prior::Mismatch => return Err(ApplyError::KeyReused),
                    Prior::Replay(_) => (None, true),
                    Prior::Fresh(condition) => (Some((key, condition)), false),
                }
            }
        };
        // Only the phone's owner may apply with it: the code sent to it must come back.
        // A retry of an application already made used its code the first time.
        if !replay {
            let check = self
                .check_phone_code(&station, &draft.phone, input.one(CODE_FIELD))
                .await?;
            if let Some(problem) = check.problem() {
                return Err(ApplyError::Invalid(Invalid::one(problem)));
            }
        }
        let signup_key =
            key.map(|k| IdempotencyKey::from_fingerprint(&format!("apply:{}", k.hash())));
        let key = signup_key.as_ref();
        let phone_key = self.secrets.phone_key(&station.id, &draft.phone);
        let existing = match self
            .store
            .get(&keys::worker_phone(&station.id, &phone_key))
            .await?
        {
            Some(item) => {
                let claim = claim_from_item(&item)?;
                self.worker_by_id(&station, &claim.owner_id).await?
            }
            None => None,
        };
        let (worker, token) = match existing {
            // A known worker: taking the place decides (they may already hold it).
            Some(worker) => {
                let token = match key {
                    Some(key) => {
                        let token = self.token_for("worker", &worker.id, Some(key))?;
                        worker.manage_token_hash.matches(&token).then_some(token)
                    }
                    None => None,
                };
                match token {
                    // A retry of this very application, which signed them up: go on.
                    Some(token) => (worker, Some(token)),
                    // Someone typed a registered number. Placing them would hand their
                    // name and number to the employer on a stranger's word: the job is
                    // offered to the number instead, and its owner confirms.
                    None => return self.offer_on_request(&station, &job, worker, now).await,
                }
            }
            // Someone new is signed up only for a job that takes workers.
            None => {
                match job.status {
                    JobStatus::Filled => return Ok(ApplyOutcome::Full),
                    JobStatus::Published if job.open_places() == 0 => {
                        return Ok(ApplyOutcome::Full);
                    }
                    JobStatus::Published => {}
                    _ => return Ok(ApplyOutcome::NotOpen),
                }
                let saved = self
                    .sign_up(Submission {
                        station: Some(station.id.as_str()),
                        input: &fields,
                        idempotency_key: key,
                        source: Source::Online,
                    })
                    .await
                    .map_err(|e| match e {
                        SubmitError::Invalid(invalid) => ApplyError::Invalid(invalid),
                        SubmitError::UnknownStation => ApplyError::NotFound,
                        SubmitError::KeyReused => ApplyError::KeyReused,
                        SubmitError::Store(e) => ApplyError::Store(e),
                        SubmitError::Secret(e) => ApplyError::Secret(e),
                        // Only employers are barred from posting; a sign-up never is.
                        SubmitError::Refused => {
                            ApplyError::Store(StoreError::Invalid("sign-up refused".into()))
                        }
                    })?;
                (saved.record, Some(saved.token))
            }
        };
        if self.barred(&station, &job, &worker).await? {
            return Ok(ApplyOutcome::Blocked);
        }
        let offer = match self
            .store
            .get(&keys::offer(&station.id, &job.id, &worker.id))
            .await?
        {
            Some(item) => Some(offer_from_item(&item)?),
            None => None,
        };
        let outcome = self
            .take_place(&station, &job.id, &worker, offer, AnswerVia::Application)
            .await?;
        if let (PlaceOutcome::Placed { .. }, Some((key, condition))) = (&outcome, claim) {
            let record = IdempotencyRecord {
                station: station.id.clone(),
                action: APPLY.into(),
                fingerprint,
                record_id: worker.id.clone(),
                outcome: "created".into(),
                created_at: now,
            };
            match self
                .store
                .write(vec![idempotency::claim(key, &record, condition)?])
                .await
            {
                // A concurrent retry recorded it first: the same application either way.
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(match outcome {
            PlaceOutcome::Placed { placement, newly } => ApplyOutcome::Placed {
                placement,
                newly,
                worker: Box::new(worker),
                token,
            },
            PlaceOutcome::Full => ApplyOutcome::Full,
            PlaceOutcome::NotOpen => ApplyOutcome::NotOpen,
            PlaceOutcome::BusyDates => ApplyOutcome::BusyDates,
        })
    }

    /// The first step of applying from a form without scripts: the fields are checked
    /// as an application would check them, then a code goes to the number. Nothing
    /// else is stored. Gives the number the code went to.
    pub async fn request_apply_code(
        &self,
        station: Option<&str>,
        job_id: &str,
        input: &RawInput,
    ) -> Result<crate::phone::MobileNumber, ApplyCodeError> {
        let station = self.station(station).ok_or(ApplyError::NotFound)?.clone();
        if !is_id(job_id) {
            return Err(ApplyError::NotFound.into());
        }
        let job = self
            .job(&station, job_id)
            .await
            .map_err(ApplyError::from)?
            .filter(|j| j.status != JobStatus::PendingReview && j.status != JobStatus::Rejected)
            .ok_or(ApplyError::NotFound)?;
        let mut fields = RawInput::new();
        for name in ["name", "phone", "consent", "_lang"] {
            if let Some(value) = input.one(name) {
                fields.push(name, value);
            }
        }
        fields.push("trades", job.trade.as_str());
        fields.push("districts", job.district.as_str());
        fields.push("channel", "sms");
        let now = self.clock.now();
        let draft =
            WorkerDraft::parse(&station, &fields, station.today(now)).map_err(ApplyError::from)?;
        // No SMS for a job nobody can take any more.
        match job.status {
            JobStatus::Published if job.open_places() > 0 => {}
            JobStatus::Published | JobStatus::Filled => {
                return Err(ApplyCodeError::Closed(ApplyOutcome::Full));
            }
            _ => return Err(ApplyCodeError::Closed(ApplyOutcome::NotOpen)),
        }
        self.send_phone_code(&station, &draft.phone, draft.lang)
            .await?;
        Ok(draft.phone)
    }

    /// An application made with a registered number: the job is offered to that worker
    /// (SMS or e-mail, the offer link and the SMS replies), unless they hold the place
    /// already or have an open offer for it. Whoever applied learns only that a message
    /// went to the number.
    async fn offer_on_request(
        &self,
        station: &Station,
        job: &Job,
        worker: Worker,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ApplyOutcome, ApplyError> {
        if self.barred(station, job, &worker).await? {
            return Ok(ApplyOutcome::Blocked);
        }
        if let Some(item) = self
            .store
            .get(&keys::placement(&station.id, &job.id, &worker.id))
            .await?
            && placement_from_item(&item)?.status != PlacementStatus::Cancelled
        {
            return Ok(ApplyOutcome::ConfirmationSent);
        }
        match job.status {
            JobStatus::Filled => return Ok(ApplyOutcome::Full),
            JobStatus::Published if job.open_places() == 0 => return Ok(ApplyOutcome::Full),
            JobStatus::Published => {}
            _ => return Ok(ApplyOutcome::NotOpen),
        }
        if let Some(item) = self
            .store
            .get(&keys::offer(&station.id, &job.id, &worker.id))
            .await?
            && offer_from_item(&item)?.is_open()
        {
            return Ok(ApplyOutcome::ConfirmationSent);
        }
        let (_, _, writes) = self.single_offer(station, job, &worker, now).await?;
        self.store.write(writes.into()).await?;
        tracing::info!(station = %station.id, job = %job.id, worker = %worker.id, "offered on the worker's application");
        Ok(ApplyOutcome::ConfirmationSent)
    }

    /// Whether `worker` may not be placed on `job`: held by staff, or blocked by the
    /// employer.
    async fn barred(
        &self,
        station: &Station,
        job: &Job,
        worker: &Worker,
    ) -> Result<bool, StoreError> {
        Ok(worker.hold.is_some()
            || self
                .store
                .get(&keys::employer_block(
                    &station.id,
                    &job.employer_id,
                    &worker.id,
                ))
                .await?
                .is_some())
    }

    /// A worker by id (for staff tools and tests).
    pub async fn worker(&self, station: &Station, id: &str) -> Result<Option<Worker>, StoreError> {
        match self.store.get(&keys::worker(&station.id, id)).await? {
            Some(item) if is_id(id) => Ok(Some(worker_from_item(&item)?)),
            _ => Ok(None),
        }
    }
}
