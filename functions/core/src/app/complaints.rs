//! The staff's complaints desk (维权): the queue by state, one complaint with its steps,
//! moving it on with a note (received → in progress → resolved, or referred to 12333
//! or to labour inspection), linking it to an employer's record, and the complaints
//! against one employer. Every change is version-checked and written with its audit
//! entry; a form sent twice adds its note once.

use super::{Actor, App, StaffActionError};
use crate::{
    audit::{self, AuditEntry},
    complaint::{Complaint, ComplaintStatus, MAX_NOTE_CHARS},
    job::is_id,
    keys,
    problem::{FieldError, Invalid},
    records::{complaint_from_item, complaint_item},
    store::{Index, Query, SortKeyRange, StoreError, Write},
    text::{TextRule, clean_text},
};

/// What staff asked to do to a complaint.
#[derive(Clone, Debug, Default)]
pub struct ComplaintStep<'a> {
    /// The state to move to (empty: a note only).
    pub status: &'a str,
    /// What was done or agreed.
    pub note: &'a str,
    /// The employer record to link (empty: leave as is).
    pub employer_id: &'a str,
    /// The version the form showed.
    pub version: &'a str,
}

fn parse_step(step: &ComplaintStep<'_>) -> Result<(Option<ComplaintStatus>, String), Invalid> {
    let status = match step.status.trim() {
        "" => None,
        raw => Some(ComplaintStatus::parse(raw).ok_or_else(|| {
            Invalid::one(FieldError::new("status", "staff_complaints.error_status"))
        })?),
    };
    let note = clean_text(
        "note",
        step.note,
        TextRule {
            min: 2,
            max: MAX_NOTE_CHARS,
            multiline: true,
        },
    )
    .map_err(Invalid::one)?;
    Ok((status, note))
}

impl App {
    /// The station's complaints in one state: open ones oldest first (the queue),
    /// closed ones most recently closed first.
    pub async fn complaints_in_state(
        &self,
        actor: &Actor,
        status: ComplaintStatus,
        limit: u32,
    ) -> Result<Vec<Complaint>, StoreError> {
        let query = Query {
            descending: status.is_closed(),
            ..Query::index_newest_first(
                Index::Gsi3,
                keys::complaints(&actor.station, status.as_str()),
                limit,
            )
        };
        self.store
            .query(&query)
            .await?
            .items
            .iter()
            .map(complaint_from_item)
            .collect()
    }

    /// How many complaints are in each state (up to 1,000 each).
    pub async fn complaint_counts_by_state(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(ComplaintStatus, usize)>, StoreError> {
        self.complaint_counts_in(actor, &ComplaintStatus::ALL).await
    }

    /// How many complaints are still open (received or in progress): the staff home.
    pub async fn open_complaints(&self, actor: &Actor) -> Result<usize, StoreError> {
        let open: Vec<ComplaintStatus> = ComplaintStatus::ALL
            .into_iter()
            .filter(|s| !s.is_closed())
            .collect();
        Ok(self
            .complaint_counts_in(actor, &open)
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum())
    }

    async fn complaint_counts_in(
        &self,
        actor: &Actor,
        states: &[ComplaintStatus],
    ) -> Result<Vec<(ComplaintStatus, usize)>, StoreError> {
        let mut counts = Vec::new();
        for &status in states {
            let items = crate::store::query_all(
                &*self.store,
                Query::index_newest_first(
                    Index::Gsi3,
                    keys::complaints(&actor.station, status.as_str()),
                    1000,
                ),
            )
            .await?;
            counts.push((status, items.len()));
        }
        Ok(counts)
    }

    /// One complaint of the actor's station.
    pub async fn complaint_for_staff(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Complaint, StaffActionError> {
        if !is_id(id) {
            return Err(StaffActionError::NotFound);
        }
        match self.store.get(&keys::complaint(&actor.station, id)).await? {
            Some(item) => Ok(complaint_from_item(&item)?),
            None => Err(StaffActionError::NotFound),
        }
    }

    /// Complaints linked to an employer, newest first.
    pub async fn complaints_of_employer(
        &self,
        actor: &Actor,
        employer_id: &str,
        limit: u32,
    ) -> Result<Vec<Complaint>, StoreError> {
        let query = Query::index_newest_first(
            Index::Gsi1,
            keys::complaints_of_employer(&actor.station, employer_id),
            limit,
        );
        self.store
            .query(&query)
            .await?
            .items
            .iter()
            .map(complaint_from_item)
            .collect()
    }

    /// Staff move a complaint on and/or add a note, and may link it to an employer.
    /// The form carries the version it showed: if the complaint changed since, and the
    /// newest note is not this very step (a resent form), nothing is written and the
    /// answer is `Busy`, so staff reload and see what their colleague did.
    pub async fn advance_complaint(
        &self,
        actor: &Actor,
        id: &str,
        step: &ComplaintStep<'_>,
    ) -> Result<Complaint, StaffActionError> {
        let (status, note) = parse_step(step)?;
        let employer_id = match step.employer_id.trim() {
            "" => None,
            raw if is_id(raw) => {
                let employer = self.employer_for_staff(actor, raw).await?;
                Some(employer.id)
            }
            _ => {
                return Err(Invalid::one(FieldError::new(
                    "employer_id",
                    "staff_complaints.error_employer",
                ))
                .into());
            }
        };
        let before = self.complaint_for_staff(actor, id).await?;
        let shown: Option<u64> = step.version.trim().parse().ok();
        if shown.is_some_and(|v| v != before.version) {
            let resent = before.notes.last().is_some_and(|last| {
                last.by == actor.username
                    && last.text == note
                    && (status.is_none() || status == Some(before.status))
            });
            return if resent {
                Ok(before)
            } else {
                Err(StaffActionError::Busy)
            };
        }
        let now = self.clock.now();
        let mut after = before.clone();
        after
            .advance(status, note.clone(), &actor.username, now)
            .map_err(|_| {
                Invalid::one(FieldError::new(
                    "status",
                    "staff_complaints.error_transition",
                ))
            })?;
        if let Some(employer) = employer_id {
            after.employer_id = Some(employer);
        }
        after.version = before.version + 1;
        let snapshot = |c: &Complaint| {
            serde_json::json!({
                "status": c.status.as_str(),
                "employer_id": c.employer_id,
                "notes": c.notes.len(),
            })
        };
        let entry = audit::record(&AuditEntry {
            station: actor.station.clone(),
            actor: actor.username.clone(),
            action: "complaint.step".into(),
            target_kind: "complaint".into(),
            target_id: before.id.clone(),
            before: snapshot(&before),
            after: snapshot(&after),
            reason: Some(note),
            at: now,
        })?;
        match self
            .store
            .write(vec![
                Write::replace(complaint_item(&after)?, before.version),
                entry,
            ])
            .await
        {
            Ok(()) => {
                tracing::info!(station = %actor.station, complaint = %after.id, status = after.status.as_str(), "complaint step");
                Ok(after)
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                Err(StaffActionError::Busy)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Complaints opened in `[from, until)` and complaints closed in it (the reports).
    pub(crate) async fn complaints_opened_and_closed(
        &self,
        station: &crate::station::StationId,
        from: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(u64, u64), StoreError> {
        let (mut opened, mut closed) = (0, 0);
        for status in ComplaintStatus::ALL {
            // Open states sort by filing time; closed ones by closing time, which is
            // never before filing, so everything filed since `from` sorts after it.
            let upper = if status.is_closed() {
                "~".to_owned()
            } else {
                keys::sortable_time(until)
            };
            let query = Query {
                index: Some(Index::Gsi3),
                range: SortKeyRange::Between(keys::sortable_time(from), upper),
                ..Query::partition(keys::complaints(station, status.as_str()), 500)
            };
            for item in crate::store::query_all(&*self.store, query).await? {
                let complaint = complaint_from_item(&item)?;
                if complaint.created_at >= from && complaint.created_at < until {
                    opened += 1;
                }
                if status.is_closed()
                    && complaint
                        .closed_at
                        .is_some_and(|at| at >= from && at < until)
                {
                    closed += 1;
                }
            }
        }
        Ok((opened, closed))
    }
}
