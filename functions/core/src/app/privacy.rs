//! Personal information rights (PIPL Arts. 44–47): a worker sees everything held about
//! them and takes it away as JSON, and deletes it; data of workers inactive longer than
//! the station's retention period is deleted by a daily sweep.
//!
//! Erasing a worker deletes their record, skill items (the matching index), phone claim,
//! SMS counters and opt-out, every notice about them (to them, or naming them to an
//! employer), and employers' blocks of them. Complaints they filed stay as case records
//! against the employer, without their name, number or account. Records whose counts the data wall and the
//! reports need (offers and placements) are kept under an anonymous marker in place of the
//! worker's id, and their rows in ranking records are replaced by the same marker; course
//! registrations made with their number keep their place on the course but lose the
//! name and number. Registrations on courses past the retention period are anonymised
//! by the same daily sweep, whether or not the person signed up as a worker. The
//! audit log keeps that an erasure happened, naming nobody. Erasing is safe to repeat:
//! dependents go first and the worker record last, so an interrupted erasure resumes.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::App;
use crate::{
    audit::{self, AuditEntry},
    job::new_id,
    keys,
    matching::{
        decision::Decision,
        offer::{AnswerVia, Offer, OfferStatus},
    },
    notices::Notice,
    placement::Placement,
    records::{
        complaint_from_item, complaint_item, decision_from_item, decision_item, employer_from_item,
        notice_from_item, offer_from_item, offer_item, placement_from_item, placement_item,
        registration_from_item, registration_item, worker_from_item,
    },
    station::Station,
    store::{Index, Item, Key, MAX_WRITES, Query, SortKeyRange, StoreError, Write, query_all},
    text::Description,
    worker::Worker,
};

/// The marker that takes an erased worker's place where counts must survive.
pub const ERASED: &str = "erased";

/// What an erased worker's complaint says in place of their account of events.
const ERASED_ACCOUNT: &str = "（投诉人已要求删除个人信息，原始陈述已删除。）";

/// Who asked for an erasure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErasedBy {
    /// The worker, through their manage link.
    Worker,
    /// Station staff, at the worker's request (username).
    Staff(String),
    /// The retention sweep.
    Retention,
}

/// What an erasure removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erasure {
    /// Items deleted.
    pub deleted: usize,
    /// Items kept under the anonymous marker.
    pub anonymised: usize,
}

/// Everything held about a worker, as they take it away.
#[derive(Clone, Debug, Serialize)]
pub struct WorkerExport {
    /// When exported.
    pub exported_at: DateTime<Utc>,
    /// The station holding the data.
    pub station: String,
    /// The worker record (without the manage token's hash).
    pub worker: Value,
    /// The (trade, district) pairs they take offers for.
    pub skills: Vec<Value>,
    /// Offers made to them.
    pub offers: Vec<Value>,
    /// Places they took.
    pub placements: Vec<Value>,
    /// Notices sent to them or naming them.
    pub notices: Vec<Value>,
    /// Training courses they registered for with their number.
    pub course_registrations: Vec<Value>,
    /// Complaints and requests for help they filed.
    pub complaints: Vec<Value>,
}

impl App {
    async fn worker_items(
        &self,
        station: &Station,
        worker_id: &str,
    ) -> Result<WorkerItems, StoreError> {
        let store = &*self.store;
        let partition = query_all(
            store,
            Query::partition(keys::worker_partition(&station.id, worker_id), 100),
        )
        .await?;
        let index = |pk: String| Query {
            descending: false,
            ..Query::index_newest_first(Index::Gsi2, pk, 500)
        };
        let offers =
            query_all(store, index(keys::offers_of_worker(&station.id, worker_id))).await?;
        let placements = query_all(
            store,
            index(keys::placements_of_worker(&station.id, worker_id)),
        )
        .await?;
        let notices = query_all(
            store,
            index(keys::notices_of_worker(&station.id, worker_id)),
        )
        .await?;
        let complaints = query_all(
            store,
            index(keys::complaints_of_worker(&station.id, worker_id)),
        )
        .await?;
        Ok(WorkerItems {
            partition,
            offers,
            placements,
            notices,
            complaints,
        })
    }

    /// Everything held about a worker, for them to see and keep.
    pub async fn export_worker(
        &self,
        station: &Station,
        worker: &Worker,
    ) -> Result<WorkerExport, StoreError> {
        let items = self.worker_items(station, &worker.id).await?;
        let mut record = serde_json::to_value(worker).unwrap_or(Value::Null);
        if let Some(map) = record.as_object_mut() {
            map.remove("manage_token_hash");
            map.remove("pending_token_hash");
            map.remove("version");
        }
        let skills = items
            .partition
            .iter()
            .filter(|i| i.key.sk.starts_with(keys::SKILL_PREFIX))
            .map(|i| json!({ "trade": i.body.get("trade"), "district": i.body.get("district") }))
            .collect();
        let offers = items
            .offers
            .iter()
            .map(offer_from_item)
            .map(|o| {
                o.map(|o| {
                    json!({
                        "job_id": o.job_id, "status": o.status.as_str(), "offered_at": o.offered_at,
                        "answered_at": o.answered_at, "why": o.factors,
                    })
                })
            })
            .collect::<Result<_, _>>()?;
        let placements = items
            .placements
            .iter()
            .map(|i| placement_from_item(i).map(|p| serde_json::to_value(p).unwrap_or(Value::Null)))
            .collect::<Result<_, _>>()?;
        let notices = items
            .notices
            .iter()
            .map(notice_from_item)
            .map(|n| {
                n.map(|n: Notice| {
                    json!({
                        "kind": n.kind.as_str(), "status": n.status.as_str(), "channel": n.to.channel,
                        "created_at": n.created_at, "sent_at": n.sent_at,
                    })
                })
            })
            .collect::<Result<_, _>>()?;
        let phone_key = self.secrets.phone_key(&station.id, &worker.phone);
        let course_registrations = self
            .registrations_of_phone(station, &phone_key)
            .await?
            .iter()
            .map(|i| {
                registration_from_item(i).map(|r| {
                    json!({
                        "course_id": r.course_id, "registered_at": r.created_at,
                        "name": r.registrant.as_ref().map(|p| p.name.as_str().to_owned()),
                        "phone": r.registrant.as_ref().map(|p| p.phone.as_str().to_owned()),
                        "consent": r.consent, "attended": r.attendance.map(|a| a.attended),
                    })
                })
            })
            .collect::<Result<_, _>>()?;
        let complaints = items
            .complaints
            .iter()
            .map(complaint_from_item)
            .map(|c| {
                c.map(|c| {
                    json!({
                        "reference": c.reference, "kind": c.kind.as_str(),
                        "status": c.status.as_str(), "employer_name": c.employer_name,
                        "job_id": c.job_id, "description": c.description,
                        "created_at": c.created_at, "closed_at": c.closed_at,
                    })
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(WorkerExport {
            course_registrations,
            exported_at: self.clock.now(),
            station: station.id.to_string(),
            worker: record,
            skills,
            offers,
            placements,
            notices,
            complaints,
        })
    }

    /// Erases a worker (see the module documentation). Erasing a worker who is gone
    /// already is not an error.
    pub async fn erase_worker(
        &self,
        station: &Station,
        worker_id: &str,
        by: ErasedBy,
    ) -> Result<Erasure, StoreError> {
        let mut report = Erasure::default();
        let Some(item) = self
            .store
            .get(&keys::worker(&station.id, worker_id))
            .await?
        else {
            return Ok(report);
        };
        let worker = worker_from_item(&item)?;
        let now = self.clock.now();
        let items = self.worker_items(station, worker_id).await?;
        let mut writes: Vec<Write> = Vec::new();

        // Offers and placements stay, for the counts, under the anonymous marker.
        for item in &items.offers {
            let offer: Offer = offer_from_item(item)?;
            let mut kept = offer.clone();
            let marker = format!(
                "{ERASED}-{}",
                new_id(now).map_err(|e| StoreError::Invalid(e.to_string()))?
            );
            kept.worker_id = marker.clone();
            kept.id = marker;
            if kept.is_open() {
                kept.close(OfferStatus::Withdrawn, AnswerVia::System, now);
            }
            kept.version = 1;
            writes.push(Write::delete(item.key.clone()));
            writes.push(Write::put(offer_item(&kept)?));
            report.anonymised += 1;
        }
        for item in &items.placements {
            let placement: Placement = placement_from_item(item)?;
            let mut kept = placement.clone();
            kept.worker_id = format!(
                "{ERASED}-{}",
                new_id(now).map_err(|e| StoreError::Invalid(e.to_string()))?
            );
            kept.version = 1;
            writes.push(Write::delete(item.key.clone()));
            writes.push(Write::put(placement_item(&kept)?));
            report.anonymised += 1;
        }
        // Complaints they filed stay as case records against the employer (and in the
        // counts), without their name, number or account of events.
        for item in &items.complaints {
            let mut kept = complaint_from_item(item)?;
            kept.name = None;
            kept.phone = None;
            kept.worker_id = None;
            kept.description = Description::parse("description", ERASED_ACCOUNT)
                .map_err(|e| StoreError::Invalid(e.key.to_owned()))?;
            kept.version += 1;
            writes.push(Write::put(complaint_item(&kept)?));
            report.anonymised += 1;
        }
        // Ranking rows name candidates: replace the worker's rows with the marker.
        for decision in self.decisions_naming(station, worker_id).await? {
            let mut kept = decision.clone();
            for row in kept.rows.iter_mut().filter(|r| r.worker_id == worker_id) {
                row.worker_id = ERASED.to_owned();
            }
            writes.push(Write::put(decision_item(&kept)?));
            report.anonymised += 1;
        }
        // Notices (they hold names, numbers and addresses) and employers' blocks go.
        for item in &items.notices {
            writes.push(Write::delete(item.key.clone()));
            report.deleted += 1;
        }
        for key in self.blocks_of(station, worker_id).await? {
            writes.push(Write::delete(key));
            report.deleted += 1;
        }
        let phone_key = self.secrets.phone_key(&station.id, &worker.phone);
        let today = station.today(now);
        for days_ago in 0..4 {
            writes.push(Write::delete(keys::sms_day(
                &station.id,
                &phone_key,
                today - Duration::days(days_ago),
            )));
        }
        writes.push(Write::delete(keys::sms_opt_out(&station.id, &phone_key)));
        // Course registrations made with their number stay counted on the course, but
        // name nobody (issue 6).
        for item in self.registrations_of_phone(station, &phone_key).await? {
            writes.extend(anonymise_registration(&item)?);
            report.anonymised += 1;
        }
        self.apply_in_batches(writes).await?;

        // Last, in one batch: the worker's own items, the phone claim and the audit entry.
        let mut last: Vec<Write> = items
            .partition
            .iter()
            .filter(|i| i.key != keys::worker(&station.id, worker_id))
            .map(|i| Write::delete(i.key.clone()))
            .collect();
        report.deleted += last.len() + 2;
        let claim = keys::worker_phone(&station.id, &phone_key);
        if let Some(item) = self.store.get(&claim).await?
            && item.body.get("owner_id").and_then(Value::as_str) == Some(worker_id)
        {
            last.push(Write::delete(claim));
        }
        let (actor, reason) = match &by {
            ErasedBy::Worker => ("worker".to_owned(), "request"),
            ErasedBy::Staff(user) => (user.clone(), "request at the desk"),
            ErasedBy::Retention => ("system".to_owned(), "retention period ended"),
        };
        last.push(
            audit::record(&AuditEntry {
                station: station.id.clone(),
                actor,
                action: "worker.erase".into(),
                target_kind: "worker".into(),
                target_id: ERASED.into(),
                before: Value::Null,
                after: serde_json::to_value(&report).unwrap_or(Value::Null),
                reason: Some(reason.into()),
                at: now,
            })
            .map_err(|e| StoreError::Invalid(e.to_string()))?,
        );
        last.push(Write::delete(keys::worker(&station.id, worker_id)));
        self.apply_in_batches(last).await?;
        tracing::info!(station = %station.id, deleted = report.deleted, anonymised = report.anonymised, "worker erased");
        Ok(report)
    }

    async fn apply_in_batches(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut batch: Vec<Write> = Vec::new();
        let mut keys: HashSet<Key> = HashSet::new();
        for write in writes {
            if batch.len() == MAX_WRITES || keys.contains(write.key()) {
                self.store.write(std::mem::take(&mut batch)).await?;
                keys.clear();
            }
            keys.insert(write.key().clone());
            batch.push(write);
        }
        if !batch.is_empty() {
            self.store.write(batch).await?;
        }
        Ok(())
    }

    /// The ranking records of the station that list `worker_id`.
    async fn decisions_naming(
        &self,
        station: &Station,
        worker_id: &str,
    ) -> Result<Vec<Decision>, StoreError> {
        let heads = query_all(
            &*self.store,
            Query::index_newest_first(Index::Gsi3, keys::decisions(&station.id), 500),
        )
        .await?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for head in &heads {
            let decision = decision_from_item(head)?;
            let parts = if decision.parts > 1 && seen.insert(decision.job_id.clone()) {
                query_all(
                    &*self.store,
                    Query {
                        range: SortKeyRange::BeginsWith(format!("{:04}#", decision.wave)),
                        ..Query::partition(head.key.pk.clone(), 100)
                    },
                )
                .await?
                .iter()
                .map(decision_from_item)
                .collect::<Result<Vec<_>, _>>()?
            } else {
                vec![decision]
            };
            out.extend(
                parts
                    .into_iter()
                    .filter(|d| d.rows.iter().any(|r| r.worker_id == worker_id)),
            );
        }
        Ok(out)
    }

    /// The keys of employers' blocks of `worker_id`.
    async fn blocks_of(&self, station: &Station, worker_id: &str) -> Result<Vec<Key>, StoreError> {
        let employers = query_all(
            &*self.store,
            Query::index_newest_first(Index::Gsi3, keys::employers(&station.id), 500),
        )
        .await?;
        let candidates: Vec<Key> = employers
            .iter()
            .map(employer_from_item)
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .map(|e| keys::employer_block(&station.id, &e.id, worker_id))
            .collect();
        let mut found = Vec::new();
        for chunk in candidates.chunks(100) {
            found.extend(
                self.store
                    .get_many(chunk)
                    .await?
                    .into_iter()
                    .map(|i: Item| i.key),
            );
        }
        Ok(found)
    }

    /// Erases the workers of `station` who have done nothing at the station for longer
    /// than its retention period: no change to their record, no offer and no placement
    /// ending within it. Returns how many were erased.
    pub async fn retention_sweep(&self, station: &Station) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let cutoff = now - Duration::days(i64::from(station.retention_days));
        let mut erased = 0;
        for status in ["active", "withdrawn"] {
            let workers = query_all(
                &*self.store,
                Query::index_newest_first(
                    Index::Gsi3,
                    keys::workers_by_status(&station.id, status),
                    500,
                ),
            )
            .await?;
            for item in &workers {
                let worker = worker_from_item(item)?;
                if worker.updated_at > cutoff
                    || self.active_since(station, &worker.id, cutoff).await?
                {
                    continue;
                }
                self.erase_worker(station, &worker.id, ErasedBy::Retention)
                    .await?;
                erased += 1;
            }
        }
        self.forget_old_registrations(station, cutoff).await?;
        Ok(erased)
    }

    /// Staff erase, at the person's request, everything a course registrant gave: every
    /// registration made with that registration's number is kept for the counts but
    /// names nobody (a registered worker is erased from the worker page instead, which
    /// covers their registrations too). Audited without naming anyone; safe to repeat.
    pub async fn erase_registrant(
        &self,
        actor: &super::Actor,
        course_id: &str,
        registration_id: &str,
    ) -> Result<usize, super::events::EventError> {
        let station = self
            .station(Some(actor.station.as_str()))
            .cloned()
            .ok_or(super::events::EventError::NotFound)?;
        let (_, registrations) = self.course_registrations(actor, course_id).await?;
        let registration = registrations
            .into_iter()
            .find(|r| r.id == registration_id)
            .ok_or(super::events::EventError::NotFound)?;
        if registration.registrant.is_none() {
            return Ok(0);
        }
        let named = self
            .registrations_of_phone(&station, &registration.slot)
            .await?;
        let mut writes = Vec::new();
        for item in &named {
            writes.extend(anonymise_registration(item)?);
        }
        writes.push(
            audit::record(&AuditEntry {
                station: station.id.clone(),
                actor: actor.username.clone(),
                action: "registration.erase".into(),
                target_kind: "course".into(),
                target_id: course_id.into(),
                before: Value::Null,
                after: json!({ "registrations": named.len() }),
                reason: Some("request at the desk".into()),
                at: self.clock.now(),
            })
            .map_err(|e| StoreError::Invalid(e.to_string()))?,
        );
        self.apply_in_batches(writes).await?;
        tracing::info!(station = %station.id, registrations = named.len(), "course registrant erased at their request");
        Ok(named.len())
    }

    /// The registrations made with the number whose key is `phone_key` and still
    /// naming the person.
    async fn registrations_of_phone(
        &self,
        station: &Station,
        phone_key: &str,
    ) -> Result<Vec<Item>, StoreError> {
        query_all(
            &*self.store,
            Query {
                descending: false,
                ..Query::index_newest_first(
                    Index::Gsi2,
                    keys::registrations_of_phone(&station.id, phone_key),
                    500,
                )
            },
        )
        .await
    }

    /// Anonymises the registrations on courses that ended before `cutoff` (the
    /// station's retention period), whether or not the person signed up as a worker.
    /// Returns how many it anonymised.
    pub async fn forget_old_registrations(
        &self,
        station: &Station,
        cutoff: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        // Courses last at most days: one that started a month before the cutoff is over.
        let courses = query_all(
            &*self.store,
            Query {
                range: SortKeyRange::Between(
                    "0".into(),
                    keys::sortable_time(cutoff - Duration::days(31)),
                ),
                ..Query::index_newest_first(Index::Gsi3, keys::courses(&station.id), 500)
            },
        )
        .await?;
        let mut writes = Vec::new();
        let mut count = 0;
        for course in &courses {
            let named = query_all(
                &*self.store,
                Query {
                    range: SortKeyRange::BeginsWith(keys::REGISTRATION_PREFIX.into()),
                    ..Query::partition(course.key.pk.clone(), 500)
                },
            )
            .await?;
            for item in named.iter().filter(|i| i.index(Index::Gsi2).is_some()) {
                writes.extend(anonymise_registration(item)?);
                count += 1;
            }
        }
        if !writes.is_empty() {
            self.apply_in_batches(writes).await?;
            tracing::info!(station = %station.id, registrations = count, "old course registrations anonymised");
        }
        Ok(count)
    }

    async fn active_since(
        &self,
        station: &Station,
        worker_id: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let newest = |pk: String| Query::index_newest_first(Index::Gsi2, pk, 1);
        if let Some(item) = self
            .store
            .query(&newest(keys::offers_of_worker(&station.id, worker_id)))
            .await?
            .items
            .first()
            && offer_from_item(item)?.offered_at > cutoff
        {
            return Ok(true);
        }
        if let Some(item) = self
            .store
            .query(&newest(keys::placements_of_worker(&station.id, worker_id)))
            .await?
            .items
            .first()
            && placement_from_item(item)?.end
                >= cutoff.with_timezone(&station.time_zone).date_naive()
        {
            return Ok(true);
        }
        Ok(false)
    }
}

struct WorkerItems {
    partition: Vec<Item>,
    offers: Vec<Item>,
    placements: Vec<Item>,
    notices: Vec<Item>,
    complaints: Vec<Item>,
}

/// The writes that replace a named registration by one naming nobody (kept, so the
/// course's count of places stays true).
fn anonymise_registration(item: &Item) -> Result<Vec<Write>, StoreError> {
    let mut kept = registration_from_item(item)?;
    kept.registrant = None;
    kept.slot = format!("{ERASED}-{}", kept.id);
    kept.version = 1;
    Ok(vec![
        Write::delete(item.key.clone()),
        Write::put(registration_item(&kept, None)?),
    ])
}
