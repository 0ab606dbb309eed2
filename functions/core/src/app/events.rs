//! Training courses and livestream events: staff create and cancel them, workers
//! register for a course through the public form, staff see the registrations and mark
//! attendance. Every staff action is written in one batch with its audit entry.
//!
//! Registering takes a place and writes the registration in one atomic batch that also
//! checks the course's version, so concurrent registrations never overbook a course: a
//! loser of the race reads the course again and either takes a place still free or is
//! told it is full. One phone number holds one place per course; registering again
//! (a retry, a second tap, a new form) returns the first registration.

use serde_json::{Value, json};

use super::{Actor, App, Filed, RETRIES};
use crate::{
    audit::{self, AuditEntry, AuditError},
    events::{
        Attendance, Closed, Course, CourseDraft, EventStatus, LiveDraft, LiveEvent, Registrant,
        Registration, RegistrationDraft,
    },
    idempotency::{self, IdempotencyKey, IdempotencyRecord, Prior},
    input::RawInput,
    job::{is_id, new_id},
    keys,
    notices::{EventSummary, Notice, NoticeData, NoticeKind, Recipient},
    problem::Invalid,
    records::{
        course_from_item, course_item, live_from_item, live_item, notice_item,
        registration_from_item, registration_item,
    },
    secrets::SecretError,
    station::Station,
    store::{Index, Query, SortKeyRange, StoreError, Write, query_all},
    worker::Channel,
    worker::{Consent, ConsentMethod},
};

/// Why a course or livestream action was not done.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The request names a station this deployment does not serve.
    #[error("unknown station")]
    UnknownStation,
    /// No such course, livestream or registration.
    #[error("not found")]
    NotFound,
    /// The fields are wrong; nothing was stored.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The course takes no registration (full, cancelled, started).
    #[error("the course takes no registration: {0:?}")]
    Closed(Closed),
    /// The idempotency key was used before for a different request.
    #[error("idempotency key reused for a different request")]
    KeyReused,
    /// Kept losing races with other writers.
    #[error("the record kept changing")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for ids.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The audit entry could not be prepared.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

const CREATE_COURSE: &str = "create_course";
const CREATE_LIVE: &str = "create_live";
const REGISTER: &str = "register_course";

/// The idempotency action of registering for course `course_id` (one per course, so
/// the same form sent for two courses is two registrations).
pub fn register_action(course_id: &str) -> String {
    format!("{REGISTER}:{course_id}")
}
/// Tries at a registration before giving up. Each lost race means someone else took a
/// place (or the course changed), so a course of `n` places settles within `n` + a few
/// rounds; this bound only guards against a course edited without end.
const REGISTER_TRIES: usize = 60;

fn snapshot<T: serde::Serialize>(record: &T) -> Value {
    serde_json::to_value(record).unwrap_or(Value::Null)
}

fn entry(
    at: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    action: &str,
    kind: &str,
    id: &str,
    before: Value,
    after: Value,
) -> AuditEntry {
    AuditEntry {
        station: actor.station.clone(),
        actor: actor.username.clone(),
        action: action.into(),
        target_kind: kind.into(),
        target_id: id.into(),
        before,
        after,
        reason: None,
        at,
    }
}

/// A short random pause after a lost race, so contenders do not collide in step.
async fn back_off(attempt: usize) {
    let mut byte = [0u8; 1];
    let jitter = match crate::secrets::random_bytes(&mut byte) {
        Ok(()) => u64::from(byte[0] % 16),
        Err(_) => 5,
    };
    let base = (attempt as u64).min(10) * 2;
    tokio::time::sleep(std::time::Duration::from_millis(base + jitter)).await;
}

impl App {
    fn events_station(&self, actor: &Actor) -> Result<std::sync::Arc<Station>, EventError> {
        self.station(Some(actor.station.as_str()))
            .cloned()
            .ok_or(EventError::UnknownStation)
    }

    /// A course of `station`, if it exists.
    pub async fn course(&self, station: &Station, id: &str) -> Result<Option<Course>, StoreError> {
        if !is_id(id) {
            return Ok(None);
        }
        match self.store.get(&keys::course(&station.id, id)).await? {
            Some(item) => Ok(Some(course_from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// Staff create a course. With an idempotency key (the console form's nonce), a
    /// resent form returns the course made the first time.
    pub async fn create_course(
        &self,
        actor: &Actor,
        input: &RawInput,
        key: Option<&IdempotencyKey>,
    ) -> Result<Filed<Course>, EventError> {
        let station = self.events_station(actor)?;
        let now = self.clock.now();
        let draft = CourseDraft::parse(input, &station, now)?;
        let fingerprint = input.fingerprint(CREATE_COURSE);
        for _ in 0..RETRIES {
            let condition = match self
                .prior(&station, key, CREATE_COURSE, &fingerprint)
                .await?
            {
                Ok(condition) => condition,
                Err(record_id) => {
                    let course = self
                        .course(&station, &record_id)
                        .await?
                        .ok_or(EventError::NotFound)?;
                    return Ok(Filed {
                        record: course,
                        replayed: true,
                    });
                }
            };
            let course = Course {
                id: new_id(now)?,
                station: station.id.clone(),
                title: draft.title.clone(),
                description: draft.description.clone(),
                trade: draft.trade.clone(),
                place: draft.place.clone(),
                starts_at: draft.starts_at,
                ends_at: draft.ends_at,
                capacity: draft.capacity,
                registered: 0,
                status: EventStatus::Open,
                created_by: actor.username.clone(),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let mut writes = vec![
                Write::create(course_item(&course)?),
                audit::record(&entry(
                    now,
                    actor,
                    "course.create",
                    "course",
                    &course.id,
                    Value::Null,
                    snapshot(&course),
                ))?,
            ];
            self.claim_into(
                &mut writes,
                &station,
                key,
                condition,
                CREATE_COURSE,
                &fingerprint,
                &course.id,
                now,
            )?;
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, course = %course.id, user = %actor.username, "course created");
                    return Ok(Filed {
                        record: course,
                        replayed: false,
                    });
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EventError::Busy)
    }

    /// Looks up an idempotency key: `Ok(condition)` to go ahead (and claim with it),
    /// `Err(record id)` when the request was done before.
    async fn prior(
        &self,
        station: &Station,
        key: Option<&IdempotencyKey>,
        action: &str,
        fingerprint: &str,
    ) -> Result<Result<Option<crate::store::Condition>, String>, EventError> {
        let Some(key) = key else {
            return Ok(Ok(None));
        };
        match idempotency::check(
            &*self.store,
            &station.id,
            key,
            action,
            fingerprint,
            self.clock.now(),
        )
        .await?
        {
            Prior::Fresh(condition) => Ok(Ok(Some(condition))),
            Prior::Replay(record) => Ok(Err(record.record_id)),
            Prior::Mismatch => Err(EventError::KeyReused),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn claim_into(
        &self,
        writes: &mut Vec<Write>,
        station: &Station,
        key: Option<&IdempotencyKey>,
        condition: Option<crate::store::Condition>,
        action: &str,
        fingerprint: &str,
        record_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        if let (Some(key), Some(condition)) = (key, condition) {
            let record = IdempotencyRecord {
                station: station.id.clone(),
                action: action.into(),
                fingerprint: fingerprint.into(),
                record_id: record_id.into(),
                outcome: "created".into(),
                created_at: now,
            };
            writes.push(idempotency::claim(key, &record, condition)?);
        }
        Ok(())
    }

    /// Staff correct a course (title, description, trade, place, times, places). The
    /// change is written against the course as read, retried if a registration came in
    /// meanwhile (so no place is lost); places cannot go below those taken, and a
    /// cancelled course cannot be edited. The audit log keeps before and after. A resent
    /// form finds the course already as it asks and changes nothing.
    pub async fn update_course(
        &self,
        actor: &Actor,
        id: &str,
        input: &RawInput,
    ) -> Result<Course, EventError> {
        let station = self.events_station(actor)?;
        let draft = CourseDraft::parse(input, &station, self.clock.now())?;
        self.change_course(&station, actor, id, "course.edit", |before| {
            let mut after = before.clone();
            after.title = draft.title.clone();
            after.description = draft.description.clone();
            after.trade = draft.trade.clone();
            after.place = draft.place.clone();
            after.starts_at = draft.starts_at;
            after.ends_at = draft.ends_at;
            after.capacity = draft.capacity;
            if after == *before {
                return Ok(None);
            }
            if before.status == EventStatus::Cancelled {
                return Err(EventError::Closed(Closed::Cancelled));
            }
            if after.capacity < before.registered {
                return Err(Invalid::one(
                    crate::problem::FieldError::new("capacity", "events.error_below_registered")
                        .with("registered", u64::from(before.registered)),
                )
                .into());
            }
            Ok(Some(after))
        })
        .await
    }

    /// Staff cancel a course; registrations stay for the record and everyone registered
    /// is told by SMS. Cancelling again changes nothing, but makes sure the messages
    /// were made (an earlier try may have stopped between the two steps).
    pub async fn cancel_course(&self, actor: &Actor, id: &str) -> Result<Course, EventError> {
        let station = self.events_station(actor)?;
        let course = self
            .change_course(&station, actor, id, "course.cancel", |before| {
                Ok((before.status != EventStatus::Cancelled).then(|| {
                    let mut after = before.clone();
                    after.status = EventStatus::Cancelled;
                    after
                }))
            })
            .await?;
        self.tell_registrants_cancelled(&station, &course).await?;
        Ok(course)
    }

    /// Writes the course `change` makes of the one stored (`None`: nothing to do), with
    /// its audit entry, against the version read; retried when a registration or
    /// another change came in meanwhile. Returns the course as it now stands.
    async fn change_course(
        &self,
        station: &Station,
        actor: &Actor,
        id: &str,
        action: &str,
        change: impl Fn(&Course) -> Result<Option<Course>, EventError>,
    ) -> Result<Course, EventError> {
        for _ in 0..RETRIES {
            let before = self
                .course(station, id)
                .await?
                .ok_or(EventError::NotFound)?;
            let Some(mut after) = change(&before)? else {
                return Ok(before);
            };
            let now = self.clock.now();
            after.updated_at = now;
            after.version = before.version + 1;
            let writes = vec![
                Write::replace(course_item(&after)?, before.version),
                audit::record(&entry(
                    now,
                    actor,
                    action,
                    "course",
                    id,
                    snapshot(&before),
                    snapshot(&after),
                ))?,
            ];
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EventError::Busy)
    }

    /// Everyone still named on a cancelled course gets an SMS (one per registration,
    /// whatever retries do). Notices to a registered worker's number are filed under
    /// them, so erasing the worker removes them too.
    async fn tell_registrants_cancelled(
        &self,
        station: &Station,
        course: &Course,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let items = query_all(
            &*self.store,
            Query {
                range: SortKeyRange::BeginsWith(keys::REGISTRATION_PREFIX.into()),
                ..Query::partition(keys::course_partition(&station.id, &course.id), 500)
            },
        )
        .await?;
        for item in &items {
            let registration = registration_from_item(item)?;
            let Some(registrant) = &registration.registrant else {
                continue;
            };
            let worker = self.worker_by_phone(station, &registrant.phone).await?;
            let mut notice = Notice::new(
                station.id.clone(),
                NoticeKind::CourseCancelled,
                (&course.id, &registration.id),
                Recipient {
                    channel: Channel::Sms,
                    phone: registrant.phone.clone(),
                    email: None,
                    lang: worker.as_ref().map_or(crate::Lang::Zh, |w| w.lang),
                    consented_at: Some(registration.consent.accepted_at),
                },
                NoticeData {
                    event: Some(EventSummary {
                        title: course.title.as_str().to_owned(),
                        starts_at: course.starts_at,
                    }),
                    ..NoticeData::default()
                },
                now,
            );
            notice.worker_id = worker.map(|w| w.id);
            match self
                .store
                .write(vec![Write::create(notice_item(&notice)?)])
                .await
            {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The station's courses, latest start first (the console's list).
    pub async fn courses_for_staff(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<Course>, StoreError> {
        self.store
            .query(&Query::index_newest_first(
                Index::Gsi3,
                keys::courses(&actor.station),
                limit,
            ))
            .await?
            .items
            .iter()
            .map(course_from_item)
            .collect()
    }

    /// A course and everyone registered for it, in order of registration.
    pub async fn course_registrations(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(Course, Vec<Registration>), EventError> {
        let station = self.events_station(actor)?;
        let course = self
            .course(&station, id)
            .await?
            .ok_or(EventError::NotFound)?;
        let items = query_all(
            &*self.store,
            Query {
                range: SortKeyRange::BeginsWith(keys::REGISTRATION_PREFIX.into()),
                ..Query::partition(keys::course_partition(&station.id, id), 500)
            },
        )
        .await?;
        let mut registrations = items
            .iter()
            .map(registration_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        registrations.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok((course, registrations))
    }

    /// A worker registers for a course through the public form. The same number on the
    /// same course gets the first registration back (`replayed`).
    pub async fn register_for_course(
        &self,
        station: Option<&str>,
        course_id: &str,
        input: &RawInput,
        key: Option<&IdempotencyKey>,
    ) -> Result<Filed<Registration>, EventError> {
        let station = self
            .station(station)
            .ok_or(EventError::UnknownStation)?
            .clone();
        if !is_id(course_id) {
            return Err(EventError::NotFound);
        }
        let draft = RegistrationDraft::parse(input)?;
        let phone_key = self.secrets.phone_key(&station.id, &draft.phone);
        let reg_key = keys::registration(&station.id, course_id, &phone_key);
        let action = register_action(course_id);
        let fingerprint = input.fingerprint(&action);
        for attempt in 0..REGISTER_TRIES {
            // The same form again (`Err`): the registration it made is under the same
            // number, read just below; nothing is claimed.
            let condition: Option<crate::store::Condition> = self
                .prior(&station, key, &action, &fingerprint)
                .await?
                .unwrap_or_default();
            if let Some(item) = self.store.get(&reg_key).await? {
                return Ok(Filed {
                    record: registration_from_item(&item)?,
                    replayed: true,
                });
            }
            let course = self
                .course(&station, course_id)
                .await?
                .ok_or(EventError::NotFound)?;
            let now = self.clock.now();
            course.registration(now).map_err(EventError::Closed)?;
            let registration = Registration {
                id: new_id(now)?,
                station: station.id.clone(),
                course_id: course.id.clone(),
                slot: phone_key.clone(),
                registrant: Some(Registrant {
                    name: draft.name.clone(),
                    phone: draft.phone.clone(),
                }),
                consent: Consent {
                    version: station.consent_version.clone(),
                    accepted_at: now,
                    method: ConsentMethod::Online,
                },
                attendance: None,
                created_at: now,
                version: 1,
            };
            let mut taken = course.clone();
            taken.registered += 1;
            taken.updated_at = now;
            taken.version = course.version + 1;
            let mut writes = vec![
                Write::create(registration_item(&registration, Some(&phone_key))?),
                Write::replace(course_item(&taken)?, course.version),
            ];
            self.claim_into(
                &mut writes,
                &station,
                key,
                condition,
                &action,
                &fingerprint,
                &registration.id,
                now,
            )?;
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, course = %course.id, registration = %registration.id, places_left = taken.places_left(), "course registration");
                    return Ok(Filed {
                        record: registration,
                        replayed: false,
                    });
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                    back_off(attempt).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EventError::Busy)
    }

    /// Staff mark whether a registered person came. Marking the same answer again
    /// changes nothing and writes no second audit entry.
    pub async fn mark_attendance(
        &self,
        actor: &Actor,
        course_id: &str,
        registration_id: &str,
        attended: bool,
    ) -> Result<Registration, EventError> {
        if !is_id(registration_id) {
            return Err(EventError::NotFound);
        }
        for _ in 0..RETRIES {
            let (_, registrations) = self.course_registrations(actor, course_id).await?;
            let before = registrations
                .into_iter()
                .find(|r| r.id == registration_id)
                .ok_or(EventError::NotFound)?;
            if before.attendance.as_ref().map(|a| a.attended) == Some(attended) {
                return Ok(before);
            }
            let now = self.clock.now();
            let mut after = before.clone();
            after.attendance = Some(Attendance {
                attended,
                by: actor.username.clone(),
                at: now,
            });
            after.version = before.version + 1;
            let phone_key = after.registrant.as_ref().map(|_| after.slot.clone());
            // The log names the registration, never the person.
            let writes = vec![
                Write::replace(
                    registration_item(&after, phone_key.as_deref())?,
                    before.version,
                ),
                audit::record(&entry(
                    now,
                    actor,
                    "course.attendance",
                    "course",
                    course_id,
                    json!({ "registration": before.id, "attended": before.attendance.map(|a| a.attended) }),
                    json!({ "registration": after.id, "attended": attended }),
                ))?,
            ];
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EventError::Busy)
    }

    /// A livestream of `station`, if it exists.
    pub async fn live_event(
        &self,
        station: &Station,
        id: &str,
    ) -> Result<Option<LiveEvent>, StoreError> {
        if !is_id(id) {
            return Ok(None);
        }
        match self.store.get(&keys::live(&station.id, id)).await? {
            Some(item) => Ok(Some(live_from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// Staff announce a livestream recruitment event.
    pub async fn create_live(
        &self,
        actor: &Actor,
        input: &RawInput,
        key: Option<&IdempotencyKey>,
    ) -> Result<Filed<LiveEvent>, EventError> {
        let station = self.events_station(actor)?;
        let now = self.clock.now();
        let draft = LiveDraft::parse(input, &station, now)?;
        let fingerprint = input.fingerprint(CREATE_LIVE);
        for _ in 0..RETRIES {
            let condition = match self.prior(&station, key, CREATE_LIVE, &fingerprint).await? {
                Ok(condition) => condition,
                Err(record_id) => {
                    let live = self
                        .live_event(&station, &record_id)
                        .await?
                        .ok_or(EventError::NotFound)?;
                    return Ok(Filed {
                        record: live,
                        replayed: true,
                    });
                }
            };
            let live = LiveEvent {
                id: new_id(now)?,
                station: station.id.clone(),
                title: draft.title.clone(),
                description: draft.description.clone(),
                starts_at: draft.starts_at,
                platform: draft.platform.clone(),
                link: draft.link.clone(),
                job_ids: draft.job_ids.clone(),
                status: EventStatus::Open,
                created_by: actor.username.clone(),
                created_at: now,
                updated_at: now,
                version: 1,
            };
            let mut writes = vec![
                Write::create(live_item(&live)?),
                audit::record(&entry(
                    now,
                    actor,
                    "live.create",
                    "live",
                    &live.id,
                    Value::Null,
                    snapshot(&live),
                ))?,
            ];
            self.claim_into(
                &mut writes,
                &station,
                key,
                condition,
                CREATE_LIVE,
                &fingerprint,
                &live.id,
                now,
            )?;
            match self.store.write(writes).await {
                Ok(()) => {
                    tracing::info!(station = %station.id, live = %live.id, user = %actor.username, "livestream created");
                    return Ok(Filed {
                        record: live,
                        replayed: false,
                    });
                }
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EventError::Busy)
    }

    /// Staff call off a livestream; cancelling twice changes nothing.
    pub async fn cancel_live(&self, actor: &Actor, id: &str) -> Result<LiveEvent, EventError> {
        let station = self.events_station(actor)?;
        for _ in 0..RETRIES {
            let before = self
                .live_event(&station, id)
                .await?
                .ok_or(EventError::NotFound)?;
            if before.status == EventStatus::Cancelled {
                return Ok(before);
            }
            let now = self.clock.now();
            let mut after = before.clone();
            after.status = EventStatus::Cancelled;
            after.updated_at = now;
            after.version = before.version + 1;
            let writes = vec![
                Write::replace(live_item(&after)?, before.version),
                audit::record(&entry(
                    now,
                    actor,
                    "live.cancel",
                    "live",
                    id,
                    snapshot(&before),
                    snapshot(&after),
                ))?,
            ];
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EventError::Busy)
    }

    /// The station's livestreams, latest start first (the console's list).
    pub async fn lives_for_staff(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<LiveEvent>, StoreError> {
        self.store
            .query(&Query::index_newest_first(
                Index::Gsi3,
                keys::lives(&actor.station),
                limit,
            ))
            .await?
            .items
            .iter()
            .map(live_from_item)
            .collect()
    }
}
