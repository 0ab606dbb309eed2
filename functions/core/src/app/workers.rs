//! Worker sign-up and the worker's manage link.

use std::collections::BTreeSet;

use super::{
    App, ManageError, Outcome, RETRIES, Saved, Submission, SubmitError,
    phone_code::{CODE_FIELD, SendCodeError},
};
use crate::{
    idempotency::{self, IdempotencyKey, IdempotencyRecord, Prior},
    input::RawInput,
    job::{Source, is_id, new_id},
    keys,
    notices::{Notice, NoticeData, NoticeKind, Recipient, notice_id},
    problem::{FieldError, Invalid},
    records::{
        Claim, claim_from_item, claim_item, notice_item, skill_items, worker_from_item, worker_item,
    },
    secrets::ManageToken,
    station::Station,
    store::{Condition, Key, Query, SortKeyRange, StoreError, Write, query_all},
    worker::{Consent, ConsentMethod, Worker, WorkerDraft, WorkerStatus},
};

/// The path of a manage link: `/api/<kind>/<id>/manage?token=…` (and the station when it
/// is not the deployment's default).
pub fn manage_path(
    kind: &str,
    station: &crate::station::StationId,
    id: &str,
    token: &str,
    default: bool,
) -> String {
    if default {
        format!("/api/{kind}/{id}/manage?token={token}")
    } else {
        format!(
            "/api/{kind}/{id}/manage?token={token}&station={}",
            station.as_str()
        )
    }
}

/// The action name of signing up (idempotency records, fingerprints).
pub const SIGN_UP: &str = "sign_up";

impl App {
    /// Signs a worker up. One worker per phone number per station. Online, a number
    /// that is registered already changes nothing: its owner is sent a fresh manage
    /// link by SMS or e-mail (so nobody can take over a record by typing its number).
    /// At the desk, where staff see the person, signing up again updates that worker
    /// and issues a new manage link (the old one stops working).
    pub async fn sign_up(&self, submission: Submission<'_>) -> Result<Saved<Worker>, SubmitError> {
        let station = self
            .station(submission.station)
            .ok_or(SubmitError::UnknownStation)?
            .clone();
        let now = self.clock.now();
        let draft = WorkerDraft::parse(&station, submission.input, station.today(now))?;
        let fingerprint = submission.input.fingerprint(SIGN_UP);
        let key = submission.idempotency_key;
        let consent = Consent {
            version: station.consent_version.clone(),
            accepted_at: now,
            method: match submission.source {
                Source::Online => ConsentMethod::Online,
                Source::Desk => ConsentMethod::InPerson,
            },
        };
        let phone_key = self.secrets.phone_key(&station.id, &draft.phone);
        let claim_key = keys::worker_phone(&station.id, &phone_key);
        for _ in 0..RETRIES {
            let claim_condition = match key {
                None => None,
                Some(key) => match idempotency::check(
                    &*self.store,
                    &station.id,
                    key,
                    SIGN_UP,
                    &fingerprint,
                    now,
                )
                .await?
                {
                    Prior::Fresh(condition) => Some(condition),
                    Prior::Replay(record) => {
                        return self.replay_worker(&station, &record, key).await;
                    }
                    Prior::Mismatch => return Err(SubmitError::KeyReused),
                },
            };
            let existing = match self.store.get(&claim_key).await? {
                Some(item) => {
                    let claim = claim_from_item(&item)?;
                    self.worker_by_id(&station, &claim.owner_id).await?
                }
                None => None,
            };
            let (worker, mut writes, outcome) = match existing {
                // Someone typed a number that is registered. Whoever it was, they get
                // no link and change nothing: the number's owner is sent a fresh
                // manage link (at most one a day), which is also how a worker who lost
                // their link gets it back.
                Some(before) if submission.source == Source::Online => {
                    let (token, writes) = self.manage_link_writes(&station, &before, now).await?;
                    ((before, token), writes, Outcome::LinkSent)
                }
                Some(before) => {
                    let token = self.token_for("worker", &before.id, key)?;
                    let mut worker = before.clone();
                    worker.apply(draft.clone(), consent.clone(), now);
                    worker.version = before.version + 1;
                    worker.manage_token_hash = token.hash();
                    worker.pending_token_hash = None;
                    let writes = self.worker_writes(&before, &worker).await?;
                    ((worker, token), writes, Outcome::Updated)
                }
                None => {
                    let id = new_id(now)?;
                    let token = self.token_for("worker", &id, key)?;
                    let worker = Worker {
                        id: id.clone(),
                        station: station.id.clone(),
                        name: draft.name.clone(),
                        phone: draft.phone.clone(),
                        trades: draft.trades.clone(),
                        districts: draft.districts.clone(),
                        available_from: draft.available_from,
                        expected_daily_wage: draft.expected_daily_wage,
                        email: draft.email.clone(),
                        channel: draft.channel,
                        auto_matching: draft.auto_matching,
                        consent: consent.clone(),
                        status: WorkerStatus::Active,
                        source: submission.source,
                        created_at: now,
                        updated_at: now,
                        version: 1,
                        manage_token_hash: token.hash(),
                        pending_token_hash: None,
                        lang: draft.lang,
                        hold: None,
                    };
                    let mut writes = vec![
                        Write::create(claim_item(
                            claim_key.clone(),
                            &Claim {
                                station: station.id.clone(),
                                owner_id: id.clone(),
                                claimed_at: now,
                            },
                        )?),
                        Write::create(worker_item(&worker)?),
                    ];
                    writes.extend(skill_items(&worker)?.into_iter().map(Write::put));
                    ((worker, token), writes, Outcome::Created)
                }
            };
            let (worker, token) = worker;
            if let (Some(key), Some(condition)) = (key, claim_condition) {
                let record = IdempotencyRecord {
                    station: station.id.clone(),
                    action: SIGN_UP.into(),
                    fingerprint: fingerprint.clone(),
                    record_id: worker.id.clone(),
                    outcome: outcome.as_str().into(),
                    created_at: now,
                };
                writes.push(idempotency::claim(key, &record, condition)?);
            }
            // A number whose owner had their link sent today already: nothing to write.
            let written = if writes.is_empty() {
                Ok(())
            } else {
                self.store.write(writes).await
            };
            match written {
                Ok(()) => {
                    tracing::info!(station = %station.id, worker = %worker.id, outcome = outcome.as_str(), "worker signed up");
                    return Ok(Saved {
                        record: worker,
                        token,
                        outcome,
                        replayed: false,
                    });
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention.into())
    }

    /// The writes that send `worker` a fresh manage link (the new token's hash on the
    /// record, and the notice to their number or address), or none when one went today
    /// already: at most one a day, however often it is asked for.
    async fn manage_link_writes(
        &self,
        station: &Station,
        worker: &Worker,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(ManageToken, Vec<Write>), SubmitError> {
        let token = ManageToken::random()?;
        let day = station.today(now).format("%Y%m%d").to_string();
        let notice_key = keys::notice(
            &station.id,
            &notice_id(&day, &worker.id, NoticeKind::ManageLink),
        );
        if self.store.get(&notice_key).await?.is_some() {
            return Ok((token, Vec::new()));
        }
        // The new link waits beside the old one: the old dies only when the new one is
        // used (see `worker_for_manage`), so asking for it on someone's behalf harms no one.
        let mut after = worker.clone();
        after.pending_token_hash = Some(token.hash());
        after.version = worker.version + 1;
        let default = station.id == self.stations.default_station().id;
        let mut notice = Notice::new(
            station.id.clone(),
            NoticeKind::ManageLink,
            (&day, &worker.id),
            Recipient::worker(worker),
            NoticeData {
                link_path: Some(manage_path(
                    "workers",
                    &station.id,
                    &worker.id,
                    token.as_str(),
                    default,
                )),
                ..NoticeData::default()
            },
            now,
        );
        notice.worker_id = Some(worker.id.clone());
        Ok((
            token,
            vec![
                Write::replace(worker_item(&after)?, worker.version),
                Write::create(notice_item(&notice)?),
            ],
        ))
    }

    /// "I lost my link": the manage link goes to the number's owner (by SMS, or to the
    /// e-mail they gave), at most once a day. Whoever asks is told the same whether the
    /// number is registered or not, so the form reveals nothing about anyone.
    pub async fn resend_manage_link(
        &self,
        station: Option<&str>,
        input: &RawInput,
    ) -> Result<(), SubmitError> {
        let station = self
            .station(station)
            .ok_or(SubmitError::UnknownStation)?
            .clone();
        let phone = crate::phone::MobileNumber::parse("phone", input.text("phone"))
            .map_err(Invalid::one)?;
        for _ in 0..RETRIES {
            let Some(worker) = self.worker_by_phone(&station, &phone).await? else {
                return Ok(());
            };
            let (_, writes) = self
                .manage_link_writes(&station, &worker, self.clock.now())
                .await?;
            if writes.is_empty() {
                return Ok(());
            }
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, worker = %worker.id, "manage link sent again");
                    return Ok(());
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention.into())
    }

    async fn replay_worker(
        &self,
        station: &Station,
        record: &IdempotencyRecord,
        key: &IdempotencyKey,
    ) -> Result<Saved<Worker>, SubmitError> {
        let worker = self
            .worker_by_id(station, &record.record_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                pk: record.record_id.clone(),
                sk: "WKR".into(),
                reason: "idempotency record names a missing worker".into(),
            })?;
        let token = self.token_for("worker", &worker.id, Some(key))?;
        Ok(Saved {
            record: worker,
            token,
            outcome: Outcome::parse(&record.outcome),
            replayed: true,
        })
    }

    pub(crate) async fn worker_by_id(
        &self,
        station: &Station,
        id: &str,
    ) -> Result<Option<Worker>, StoreError> {
        if !is_id(id) {
            return Ok(None);
        }
        match self.store.get(&keys::worker(&station.id, id)).await? {
            Some(item) => Ok(Some(worker_from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// The writes that turn `before` into `after`: the worker item (version-checked),
    /// the skill items brought in line, and the phone claim moved if the number changed.
    pub(crate) async fn worker_writes(
        &self,
        before: &Worker,
        after: &Worker,
    ) -> Result<Vec<Write>, StoreError> {
        let mut writes = vec![Write::replace(worker_item(after)?, before.version)];
        let existing = query_all(
            &*self.store,
            Query {
                range: SortKeyRange::BeginsWith(keys::SKILL_PREFIX.into()),
                ..Query::partition(keys::worker_partition(&after.station, &after.id), 100)
            },
        )
        .await?;
        let wanted = skill_items(after)?;
        let wanted_keys: BTreeSet<&Key> = wanted.iter().map(|i| &i.key).collect();
        writes.extend(
            existing
                .iter()
                .filter(|item| !wanted_keys.contains(&item.key))
                .map(|item| Write::delete(item.key.clone())),
        );
        writes.extend(wanted.into_iter().map(Write::put));
        if before.phone != after.phone {
            let old = keys::worker_phone(
                &after.station,
                &self.secrets.phone_key(&after.station, &before.phone),
            );
            let new = keys::worker_phone(
                &after.station,
                &self.secrets.phone_key(&after.station, &after.phone),
            );
            writes.push(Write::Delete {
                key: old,
                condition: Some(Condition::Exists),
            });
            writes.push(Write::create(claim_item(
                new,
                &Claim {
                    station: after.station.clone(),
                    owner_id: after.id.clone(),
                    claimed_at: after.updated_at,
                },
            )?));
        }
        Ok(writes)
    }

    /// The worker a manage link points at, if the token matches. A link sent again
    /// ("lost your link?", signing up with a registered number) becomes the link at its
    /// first use, and only then does the old one stop working.
    pub async fn worker_for_manage(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
    ) -> Result<Worker, ManageError> {
        let station = self.station(station).ok_or(ManageError::NotFound)?;
        for _ in 0..RETRIES {
            let worker = self
                .worker_by_id(station, id)
                .await?
                .ok_or(ManageError::NotFound)?;
            if worker.manage_token_hash.matches(token) {
                return Ok(worker);
            }
            if !worker
                .pending_token_hash
                .as_ref()
                .is_some_and(|pending| pending.matches(token))
            {
                return Err(ManageError::NotFound);
            }
            let mut after = worker.clone();
            after.manage_token_hash = token.hash();
            after.pending_token_hash = None;
            after.version = worker.version + 1;
            match self
                .store
                .write(vec![Write::replace(worker_item(&after)?, worker.version)])
                .await
            {
                Ok(()) => {
                    tracing::info!(station = %station.id, worker = %after.id, "new manage link used; the old one stops working");
                    return Ok(after);
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ManageError::Busy)
    }

    /// The worker edits their details through the manage link. A new phone number
    /// needs the code sent to it (`code`): only its owner may move a record to it, and
    /// only its owner learns that it belongs to another worker of the station, so the
    /// form tells nobody else whether a number is registered.
    pub async fn edit_worker(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
        input: &RawInput,
    ) -> Result<Worker, ManageError> {
        let station_ref = self.station(station).ok_or(ManageError::NotFound)?.clone();
        let mut verified = false;
        for _ in 0..RETRIES {
            let before = self.worker_for_manage(station, id, token).await?;
            let now = self.clock.now();
            let draft = WorkerDraft::parse(&station_ref, input, station_ref.today(now))?;
            if draft.phone != before.phone && !verified {
                let check = self
                    .check_phone_code(&station_ref, &draft.phone, input.one(CODE_FIELD))
                    .await?;
                if let Some(problem) = check.problem() {
                    return Err(Invalid::one(problem).into());
                }
                verified = true;
            }
            let consent = Consent {
                version: station_ref.consent_version.clone(),
                accepted_at: now,
                method: ConsentMethod::Online,
            };
            let mut after = before.clone();
            after.apply(draft, consent, now);
            after.version = before.version + 1;
            let writes = self.worker_writes(&before, &after).await?;
            let phone_claim_index = writes.len() - 1;
            let moved_phone = before.phone != after.phone;
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { index })
                    if moved_phone && index == phone_claim_index =>
                {
                    return Err(Invalid::one(FieldError::new("phone", "error.phone_taken")).into());
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ManageError::Busy)
    }

    /// The first step of changing the number through the manage form without scripts:
    /// when the edit moves the record to another number, a code goes to that number
    /// (which number it went to is returned); otherwise nothing is sent.
    pub async fn request_edit_code(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
        input: &RawInput,
    ) -> Result<Option<crate::phone::MobileNumber>, ManageError> {
        let station_ref = self.station(station).ok_or(ManageError::NotFound)?.clone();
        let before = self.worker_for_manage(station, id, token).await?;
        let draft = WorkerDraft::parse(&station_ref, input, station_ref.today(self.clock.now()))?;
        if draft.phone == before.phone {
            return Ok(None);
        }
        let now = self.clock.now();
        let wait = || Invalid::one(FieldError::new(CODE_FIELD, "error.code_wait")).into();
        let verdict = crate::limits::hit(
            &*self.store,
            &self.secrets,
            &station_ref.id,
            crate::limits::Limit::NUMBER_CHANGE,
            &before.id,
            now,
        )
        .await?;
        if verdict != crate::limits::Verdict::Allowed {
            return Err(wait());
        }
        match self
            .send_phone_code(&station_ref, &draft.phone, draft.lang)
            .await
        {
            Ok(()) => Ok(Some(draft.phone)),
            Err(SendCodeError::TooSoon { .. }) => Err(wait()),
            Err(SendCodeError::Invalid(invalid)) => Err(invalid.into()),
            Err(SendCodeError::Store(e)) => Err(e.into()),
            Err(SendCodeError::Secret(e)) => Err(e.into()),
        }
    }

    /// The worker withdraws: no more offers; the record stays until they delete it or
    /// the retention period ends. Withdrawing twice is not an error.
    pub async fn withdraw_worker(
        &self,
        station: Option<&str>,
        id: &str,
        token: &ManageToken,
    ) -> Result<Worker, ManageError> {
        for _ in 0..RETRIES {
            let before = self.worker_for_manage(station, id, token).await?;
            if before.status == WorkerStatus::Withdrawn {
                return Ok(before);
            }
            let mut after = before.clone();
            after.status = WorkerStatus::Withdrawn;
            after.updated_at = self.clock.now();
            after.version = before.version + 1;
            let writes = self.worker_writes(&before, &after).await?;
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ManageError::Busy)
    }
}
