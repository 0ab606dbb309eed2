//! Policy pages (一键读政策): Markdown files with TOML front matter in
//! `content/policy/<slug>.<lang>.md`, compiled into the binary and rendered with
//! pulldown-cmark. The files are the project's own, but raw HTML in them is still
//! shown as text: the pages carry no markup the templates did not put there.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lingong_core::Lang;
use pulldown_cmark::{Event, Options, Parser, html};
use serde::{Deserialize, Serialize};

use crate::CONTENT_FILES;

/// The front matter of a policy page, between `+++` lines.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    summary: String,
    order: u32,
    updated: toml::value::Datetime,
}

/// One policy page in one language.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyPage {
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// One-line summary for the index.
    pub summary: String,
    /// Position in the index.
    pub order: u32,
    /// When the text was last checked.
    pub updated: NaiveDate,
    /// The body as HTML.
    pub html: String,
}

/// Why the policy content could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// A file is malformed; the text says how.
    #[error("content/{file}: {problem}")]
    Invalid {
        /// Which file.
        file: String,
        /// What is wrong.
        problem: String,
    },
}

/// Every policy page, by language, in index order.
#[derive(Clone, Debug)]
pub struct PolicyPages {
    by_lang: BTreeMap<&'static str, Vec<PolicyPage>>,
}

impl PolicyPages {
    /// The pages compiled into the binary. Every page must exist in every language.
    pub fn embedded() -> Result<PolicyPages, ContentError> {
        Self::from_files(
            CONTENT_FILES
                .iter()
                .filter(|(name, _)| name.starts_with("policy/") && name.ends_with(".md"))
                .map(|(name, text)| (*name, *text)),
        )
    }

    fn from_files<'a>(
        files: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<PolicyPages, ContentError> {
        let mut by_lang: BTreeMap<&'static str, Vec<PolicyPage>> = BTreeMap::new();
        for (name, text) in files {
            let invalid = |problem: String| ContentError::Invalid {
                file: name.to_owned(),
                problem,
            };
            let stem = name.trim_start_matches("policy/").trim_end_matches(".md");
            let (slug, lang) = stem
                .rsplit_once('.')
                .ok_or_else(|| invalid("name must be <slug>.<lang>.md".into()))?;
            let lang = Lang::parse(lang)
                .filter(|l| l.tag() == lang)
                .ok_or_else(|| invalid(format!("unknown language `{lang}`")))?;
            if slug.is_empty()
                || !slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(invalid(format!("bad slug `{slug}`")));
            }
            let body = text
                .strip_prefix("+++\n")
                .ok_or_else(|| invalid("must start with +++ front matter".into()))?;
            let (front, markdown) = body
                .split_once("\n+++\n")
                .ok_or_else(|| invalid("front matter must end with +++".into()))?;
            let front: FrontMatter = toml::from_str(front).map_err(|e| invalid(e.to_string()))?;
            let updated: NaiveDate = front
                .updated
                .to_string()
                .parse()
                .map_err(|_| invalid("updated must be a date (YYYY-MM-DD)".into()))?;
            by_lang.entry(lang.tag()).or_default().push(PolicyPage {
                slug: slug.to_owned(),
                title: front.title,
                summary: front.summary,
                order: front.order,
                updated,
                html: markdown_to_html(markdown),
            });
        }
        for pages in by_lang.values_mut() {
            pages.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.slug.cmp(&b.slug)));
        }
        let slugs = |lang: Lang| -> Vec<String> {
            by_lang
                .get(lang.tag())
                .map(|p| p.iter().map(|p| p.slug.clone()).collect())
                .unwrap_or_default()
        };
        if slugs(Lang::Zh) != slugs(Lang::En) {
            return Err(ContentError::Invalid {
                file: "policy/".into(),
                problem: format!(
                    "every page needs both languages: zh-CN has {:?}, en has {:?}",
                    slugs(Lang::Zh),
                    slugs(Lang::En)
                ),
            });
        }
        Ok(PolicyPages { by_lang })
    }

    /// The pages in `lang`, in index order.
    pub fn pages(&self, lang: Lang) -> &[PolicyPage] {
        self.by_lang
            .get(lang.tag())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Markdown to HTML; raw HTML in the source is shown as text.
pub fn markdown_to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_pages_parse_in_both_languages() {
        let pages = PolicyPages::embedded().unwrap();
        assert!(pages.pages(Lang::Zh).len() >= 6);
        assert_eq!(pages.pages(Lang::Zh).len(), pages.pages(Lang::En).len());
        for page in pages.pages(Lang::Zh) {
            assert!(page.html.contains("<p>"), "{}", page.slug);
        }
    }

    #[test]
    fn raw_html_is_text() {
        let html = markdown_to_html("hello <script>alert(1)</script>\n\n<img src=x onerror=y>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn malformed_files_are_refused() {
        let bad = [("policy/x.zh-CN.md", "no front matter")];
        assert!(PolicyPages::from_files(bad.into_iter()).is_err());
        let one_language = [(
            "policy/x.zh-CN.md",
            "+++\ntitle = \"t\"\nsummary = \"s\"\norder = 1\nupdated = 2026-11-01\n+++\nbody\n",
        )];
        assert!(PolicyPages::from_files(one_language.into_iter()).is_err());
    }
}
