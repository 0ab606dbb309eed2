//! Policy pages edited by staff (一键读政策): a page stored in the table overrides the
//! shipped Markdown file with the same slug and language, or adds a page. Each stored
//! page is one versioned item, so two editors never overwrite each other silently.
//!
//! The text is Markdown written by staff and shown on the public site, so the site
//! generator renders it with raw HTML shown as text and unsafe links dropped.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    i18n::Lang,
    input::RawInput,
    problem::{FieldError, Invalid, Problems},
    station::StationId,
    store::{Item, Key, StoreError},
    text::{TextRule, clean_text},
};

/// The sort-key prefix of a stored policy page (`POLICY#<lang>`).
pub const POLICY_SK_PREFIX: &str = "POLICY#";

/// A page's address part: 2–60 lowercase letters, digits and single hyphens.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicySlug(String);

impl PolicySlug {
    /// Checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<PolicySlug, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::new(field, "error.required"));
        }
        let ok = (2..=60).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--");
        if ok {
            Ok(PolicySlug(text.to_owned()))
        } else {
            Err(FieldError::new(field, "staff_policy.error_slug"))
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads a language tag as the console sends it (`zh-CN` or `en`).
pub fn parse_lang(field: &str, raw: &str) -> Result<Lang, FieldError> {
    Lang::ALL
        .into_iter()
        .find(|l| l.tag() == raw.trim())
        .ok_or_else(|| FieldError::new(field, "staff_policy.error_lang"))
}

/// A policy page as staff submit it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDraft {
    /// Title.
    pub title: String,
    /// One line for the index.
    pub summary: String,
    /// The body, Markdown.
    pub body: String,
}

impl PolicyDraft {
    /// Parses and checks an edit.
    pub fn parse(input: &RawInput) -> Result<PolicyDraft, Invalid> {
        let mut p = Problems::new();
        let rule = |min, max, multiline| TextRule {
            min,
            max,
            multiline,
        };
        let title = p.take(clean_text("title", input.text("title"), rule(2, 60, false)));
        let summary = p.take(clean_text(
            "summary",
            input.text("summary"),
            rule(2, 160, false),
        ));
        let body = p.take(clean_text(
            "body",
            input.text("body"),
            rule(10, 30_000, true),
        ));
        p.finish()?;
        match (title, summary, body) {
            (Some(title), Some(summary), Some(body)) => Ok(PolicyDraft {
                title,
                summary,
                body,
            }),
            _ => Err(Invalid::one(FieldError::new("_form", "error.invalid"))),
        }
    }
}

/// A policy page stored by staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    /// The station.
    pub station: StationId,
    /// Slug.
    pub slug: PolicySlug,
    /// Language.
    pub lang: Lang,
    /// Title.
    pub title: String,
    /// One line for the index.
    pub summary: String,
    /// The body, Markdown.
    pub body: String,
    /// Who saved it last.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}

/// The policy pages staff stored, as the site shows them (nothing personal: the
/// editor's name stays out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyFacts {
    pages: BTreeMap<(String, &'static str), PolicyOverride>,
}

/// One stored page, as the site renders it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOverride {
    /// Slug.
    pub slug: String,
    /// Language.
    pub lang: Lang,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Markdown body.
    pub body: String,
    /// The station day it was saved.
    pub updated: chrono::NaiveDate,
    /// Version seen.
    pub version: u64,
}

impl PolicyFacts {
    /// Whether `key` is a stored policy page.
    pub fn owns(key: &Key) -> bool {
        key.sk.starts_with(POLICY_SK_PREFIX)
    }

    /// Takes a stored page as it is now, in zone `tz`.
    pub fn apply_item(&mut self, item: &Item, tz: chrono_tz::Tz) -> Result<(), StoreError> {
        let page = crate::records::policy_from_item(item)?;
        let id = (page.slug.as_str().to_owned(), page.lang.tag());
        if self
            .pages
            .get(&id)
            .is_some_and(|p| p.version > page.version)
        {
            return Ok(());
        }
        self.pages.insert(
            id,
            PolicyOverride {
                slug: page.slug.as_str().to_owned(),
                lang: page.lang,
                title: page.title,
                summary: page.summary,
                body: page.body,
                updated: page.updated_at.with_timezone(&tz).date_naive(),
                version: page.version,
            },
        );
        Ok(())
    }

    /// Forgets the page under `key` (staff reverted it).
    pub fn forget(&mut self, key: &Key) {
        let slug = key.pk.rsplit('#').next().unwrap_or("").to_owned();
        if let Some(lang) = key
            .sk
            .strip_prefix(POLICY_SK_PREFIX)
            .and_then(|t| Lang::ALL.into_iter().find(|l| l.tag() == t))
        {
            self.pages.remove(&(slug, lang.tag()));
        }
    }

    /// Every stored page.
    pub fn pages(&self) -> impl Iterator<Item = &PolicyOverride> {
        self.pages.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain() {
        for ok in ["training", "winter-heating-2026", "a1"] {
            assert!(PolicySlug::parse("slug", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "A",
            "a",
            "../x",
            "-a",
            "a-",
            "a--b",
            "中文",
            "a b",
            &"x".repeat(61),
        ] {
            assert!(PolicySlug::parse("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_edit_needs_title_summary_and_body() {
        let mut input = RawInput::new();
        input.push("title", "冬季取暖补贴");
        let invalid = PolicyDraft::parse(&input).unwrap_err();
        assert!(invalid.for_field("summary").is_some());
        assert!(invalid.for_field("body").is_some());
        assert_eq!(parse_lang("lang", "en").unwrap(), Lang::En);
        assert!(parse_lang("lang", "fr").is_err());
    }
}
