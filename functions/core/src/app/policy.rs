//! Staff edit the policy pages (一键读政策): a page saved here overrides the shipped text
//! with the same slug and language (or adds a page), and reverting deletes the stored
//! page so the shipped text shows again. Saves are version-checked: an editor working
//! on an old copy is refused instead of silently overwriting a colleague. Every save
//! and revert is audited with the page before and after. The public site picks the
//! change up from the change stream like any other record.

use serde_json::Value;

use super::{Actor, App};
use crate::{
    audit::{self, AuditEntry, AuditError},
    i18n::Lang,
    input::RawInput,
    keys,
    policy::{PolicyDraft, PolicySlug, StoredPolicy},
    problem::Invalid,
    records::{policy_from_item, policy_item},
    store::{Condition, Index, Query, StoreError, Write, query_all},
};

/// Why a policy page was not saved or reverted.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A field is wrong; nothing changed.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Someone saved the page since the editor opened it; nothing changed.
    #[error("the page changed since it was opened")]
    Stale,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit entry could not be prepared.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

fn snapshot(page: Option<&StoredPolicy>) -> Value {
    page.map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
        .unwrap_or(Value::Null)
}

fn target(slug: &PolicySlug, lang: Lang) -> String {
    format!("{}.{}", slug.as_str(), lang.tag())
}

impl App {
    /// The pages staff stored for the actor's station, by slug and language.
    pub async fn stored_policies(&self, actor: &Actor) -> Result<Vec<StoredPolicy>, StoreError> {
        query_all(
            &*self.store,
            Query {
                descending: false,
                ..Query::index_newest_first(Index::Gsi3, keys::policy_pages(&actor.station), 200)
            },
        )
        .await?
        .iter()
        .map(policy_from_item)
        .collect()
    }

    /// One stored page, if staff stored it.
    pub async fn stored_policy(
        &self,
        actor: &Actor,
        slug: &PolicySlug,
        lang: Lang,
    ) -> Result<Option<StoredPolicy>, StoreError> {
        match self
            .store
            .get(&keys::policy_page(
                &actor.station,
                slug.as_str(),
                lang.tag(),
            ))
            .await?
        {
            Some(item) => Ok(Some(policy_from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// Saves a page. `expected` is the version the editor opened (0: there was no
    /// stored page). Sending the same save twice is one save.
    pub async fn save_policy(
        &self,
        actor: &Actor,
        slug: &PolicySlug,
        lang: Lang,
        expected: u64,
        input: &RawInput,
    ) -> Result<StoredPolicy, PolicyError> {
        let draft = PolicyDraft::parse(input)?;
        let before = self.stored_policy(actor, slug, lang).await?;
        let same = |p: &StoredPolicy| {
            p.title == draft.title
                && p.summary == draft.summary
                && p.body == draft.body
                && p.updated_by == actor.username
        };
        let current = before.as_ref().map_or(0, |p| p.version);
        if current != expected {
            // A resent save finds its own text already stored: that is success.
            return match before {
                Some(page) if current == expected + 1 && same(&page) => Ok(page),
                _ => Err(PolicyError::Stale),
            };
        }
        let now = self.clock.now();
        let after = StoredPolicy {
            station: actor.station.clone(),
            slug: slug.clone(),
            lang,
            title: draft.title,
            summary: draft.summary,
            body: draft.body,
            updated_by: actor.username.clone(),
            updated_at: now,
            version: expected + 1,
        };
        let write = match expected {
            0 => Write::create(policy_item(&after)?),
            v => Write::replace(policy_item(&after)?, v),
        };
        let log = audit::record(&AuditEntry {
            station: actor.station.clone(),
            actor: actor.username.clone(),
            action: "policy.save".into(),
            target_kind: "policy".into(),
            target_id: target(slug, lang),
            before: snapshot(before.as_ref()),
            after: snapshot(Some(&after)),
            reason: None,
            at: now,
        })?;
        match self.store.write(vec![write, log]).await {
            Ok(()) => {
                tracing::info!(station = %actor.station, slug = slug.as_str(), lang = lang.tag(), user = %actor.username, version = after.version, "policy page saved");
                Ok(after)
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                Err(PolicyError::Stale)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the stored page so the shipped text (if any) shows again. `expected` is
    /// the version the editor saw; reverting a page that is not stored changes nothing.
    pub async fn revert_policy(
        &self,
        actor: &Actor,
        slug: &PolicySlug,
        lang: Lang,
        expected: u64,
    ) -> Result<(), PolicyError> {
        let Some(before) = self.stored_policy(actor, slug, lang).await? else {
            return Ok(());
        };
        if before.version != expected {
            return Err(PolicyError::Stale);
        }
        let now = self.clock.now();
        let writes = vec![
            Write::Delete {
                key: keys::policy_page(&actor.station, slug.as_str(), lang.tag()),
                condition: Some(Condition::Version(expected)),
            },
            audit::record(&AuditEntry {
                station: actor.station.clone(),
                actor: actor.username.clone(),
                action: "policy.revert".into(),
                target_kind: "policy".into(),
                target_id: target(slug, lang),
                before: snapshot(Some(&before)),
                after: Value::Null,
                reason: None,
                at: now,
            })?,
        ];
        match self.store.write(writes).await {
            Ok(()) => {
                tracing::info!(station = %actor.station, slug = slug.as_str(), lang = lang.tag(), user = %actor.username, "policy page reverted");
                Ok(())
            }
            Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                Err(PolicyError::Stale)
            }
            Err(e) => Err(e.into()),
        }
    }
}
