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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// The body as written (Markdown), for the console's editor.
    #[serde(skip)]
    pub source: String,
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
                source: markdown.to_owned(),
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

    /// These pages with staff's stored pages over them: a stored page replaces the
    /// shipped one with the same slug and language (keeping its place in the index) or
    /// is added after the shipped pages. A page staff added may exist in one language.
    pub fn with_overrides<'a>(
        &self,
        overrides: impl Iterator<Item = &'a lingong_core::policy::PolicyOverride>,
    ) -> PolicyPages {
        let mut by_lang = self.by_lang.clone();
        let mut changed = false;
        for page in overrides {
            changed = true;
            let order = self
                .by_lang
                .values()
                .flatten()
                .find(|p| p.slug == page.slug)
                .map_or(ADDED_PAGE_ORDER, |p| p.order);
            let pages = by_lang.entry(page.lang.tag()).or_default();
            pages.retain(|p| p.slug != page.slug);
            pages.push(PolicyPage {
                slug: page.slug.clone(),
                title: page.title.clone(),
                summary: page.summary.clone(),
                order,
                updated: page.updated,
                html: markdown_to_html(&page.body),
                source: page.body.clone(),
            });
        }
        if changed {
            for pages in by_lang.values_mut() {
                pages.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.slug.cmp(&b.slug)));
            }
        }
        PolicyPages { by_lang }
    }

    /// The page `slug` in `lang`, if there is one.
    pub fn page(&self, lang: Lang, slug: &str) -> Option<&PolicyPage> {
        self.pages(lang).iter().find(|p| p.slug == slug)
    }

    /// The pages in `lang`, in index order.
    pub fn pages(&self, lang: Lang) -> &[PolicyPage] {
        self.by_lang
            .get(lang.tag())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Where pages staff added go in the index: after the shipped ones.
const ADDED_PAGE_ORDER: u32 = 1000;

/// Whether a link or image address is safe to put on a public page: web, mail and
/// phone links, and addresses within the site; never `javascript:`, `data:` or other
/// schemes a browser would run.
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    let scheme_end = lower.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)));
    match scheme_end {
        Some(i) if lower[i..].starts_with(':') => {
            ["http", "https", "mailto", "tel"].contains(&&lower[..i])
        }
        // No scheme: a path, an anchor or a query within the site.
        _ => !lower.contains(|c: char| c.is_control()),
    }
}

/// Markdown to HTML; raw HTML in the source is shown as text and links or images to
/// unsafe addresses lose their address (their text stays).
pub fn markdown_to_html(markdown: &str) -> String {
    use pulldown_cmark::{CowStr, Tag};
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::Borrowed("#"),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::Borrowed(""),
            title,
            id,
        }),
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
    fn unsafe_links_lose_their_address() {
        let html = markdown_to_html(
            "[a](javascript:alert(1)) [b](JAVASCRIPT:x) [c](data:text/html,x) ![d](vbscript:x) \
             [ok](https://www.mohrss.gov.cn/) [tel](tel:12333) [in](/policy/training/)",
        );
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("vbscript:"), "{html}");
        for kept in [
            "https://www.mohrss.gov.cn/",
            "tel:12333",
            "/policy/training/",
        ] {
            assert!(html.contains(kept), "{html}");
        }
    }

    #[test]
    fn stored_pages_replace_or_add_to_the_shipped_ones() {
        use lingong_core::policy::PolicyOverride;
        let shipped = PolicyPages::embedded().unwrap();
        let first = shipped.pages(Lang::Zh)[0].clone();
        let day: NaiveDate = "2026-11-28".parse().unwrap();
        let overrides = [
            PolicyOverride {
                slug: first.slug.clone(),
                lang: Lang::Zh,
                title: "改过的标题".into(),
                summary: "摘要".into(),
                body: "新的内容 <script>alert(1)</script>".into(),
                updated: day,
                version: 1,
            },
            PolicyOverride {
                slug: "heating-subsidy".into(),
                lang: Lang::Zh,
                title: "取暖补贴".into(),
                summary: "摘要".into(),
                body: "冬季取暖补贴怎么领。".into(),
                updated: day,
                version: 1,
            },
        ];
        let merged = shipped.with_overrides(overrides.iter());
        let zh = merged.pages(Lang::Zh);
        assert_eq!(zh.len(), shipped.pages(Lang::Zh).len() + 1);
        assert_eq!(zh[0].slug, first.slug);
        assert_eq!(zh[0].title, "改过的标题");
        assert!(zh[0].html.contains("&lt;script&gt;"), "{}", zh[0].html);
        assert_eq!(zh.last().unwrap().slug, "heating-subsidy");
        // English is untouched.
        assert_eq!(merged.pages(Lang::En), shipped.pages(Lang::En));
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
