//! Lingong's pages: one template tree (`templates/`) rendered with minijinja, in
//! Simplified Chinese at `/` and English at `/en/`, every string from the language
//! catalogue in `lingong_core::i18n`.
//!
//! The same templates serve the static board and the pages the API answers with (a form
//! returned with its errors, a confirmation, a manage page), so a page looks the same
//! whichever way it reached the reader.
//!
//! The static board is built as a flat pipeline: [`BoardFacts`](lingong_core::board)
//! from the store → [`site::SiteBuilder`] renders `(path, bytes)` pairs →
//! [`publish::publish`] writes what changed to a [`publish::Sink`]. [`rebuild`] keeps
//! it current from the change stream, re-rendering only the pages a change touches.

pub mod charts;
pub mod content;
pub mod publish;
pub mod rebuild;
pub mod site;
mod view;
// Matching and notices (issue 4):
pub mod notices;
pub mod report_mail;
// Training, livestreams, staff-edited policy pages (issue 6):
pub mod outreach;

use lingong_core::{Lang, i18n::Arg};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, Value, value::Kwargs};

pub use notices::NoticeTemplates;
pub use view::{Chrome, FormState, StationView, root_of};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("rendering {template}: {source:#}")]
pub struct RenderError {
    /// Which template.
    pub template: String,
    /// What minijinja said.
    #[source]
    pub source: Error,
}

thread_local! {
    /// The language of the page being rendered on this thread, when the caller said
    /// ([`Renderer::render_in`]); saves `t()` a context lookup per string.
    static RENDER_LANG: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

/// The template environment, built once.
pub struct Renderer {
    env: Environment<'static>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}

/// `t("key", name=value, …)`: the catalogue text for `key` in the page's language.
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<Value, Error> {
    let lang = match RENDER_LANG.with(std::cell::Cell::get) {
        Some(lang) => lang,
        None => match state.lookup("lang") {
            Some(v) if v.as_str() == Some("en") => Lang::En,
            Some(v) => v.as_str().and_then(Lang::parse).unwrap_or_default(),
            None => Lang::default(),
        },
    };
    let catalog = lingong_core::i18n::catalog();
    if !catalog.has(Lang::Zh, key) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("unknown catalogue key `{key}`"),
        ));
    }
    let names: Vec<&str> = kwargs.args().collect();
    if names.is_empty() {
        // The common case: no placeholders, no allocation.
        return Ok(Value::from(catalog.text(lang, key)));
    }
    let mut args: Vec<(&str, Arg)> = Vec::with_capacity(names.len());
    for name in &names {
        let value: Value = kwargs.get(name)?;
        args.push((name, Arg::Text(value.to_string())));
    }
    kwargs.assert_all_used()?;
    Ok(Value::from(catalog.format(lang, key, &args)))
}

impl Renderer {
    /// The environment over the embedded templates (compiled lazily; the tests compile
    /// every one, so a broken template never reaches a release).
    pub fn new() -> Result<Renderer, RenderError> {
        let mut env = Environment::new();
        // Escape HTML and XML by file name; everything else (plain-text mail, SMS) raw.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".xml") || name.ends_with(".svg") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|source| RenderError {
                template: "(syntax)".into(),
                source,
            })?;
        env.set_syntax(syntax);
        // Templates compile on first use, so a cold start that answers JSON never pays
        // for parsing pages it will not render.
        env.set_loader(|name| {
            Ok(TEMPLATES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, source)| (*source).to_owned()))
        });
        env.set_formatter(html_formatter);
        env.add_function("t", translate);
        env.add_function("asset", asset_url);
        Ok(Renderer { env })
    }

    /// Renders `template` with `context`.
    pub fn render(&self, template: &str, context: Value) -> Result<String, RenderError> {
        let error = |source| RenderError {
            template: template.to_owned(),
            source,
        };
        self.env
            .get_template(template)
            .map_err(error)?
            .render(context)
            .map_err(error)
    }

    /// Renders `template` with `context`, a page in `lang` (which must be the context's
    /// `lang`).
    pub fn render_in(
        &self,
        lang: Lang,
        template: &str,
        context: Value,
    ) -> Result<String, RenderError> {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                RENDER_LANG.with(|l| l.set(None));
            }
        }
        RENDER_LANG.with(|l| l.set(Some(lang)));
        let _reset = Reset;
        self.render(template, context)
    }

    /// Names of all templates, for tests.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        TEMPLATES.iter().map(|(name, _)| *name)
    }
}

/// Escapes text for HTML/XML: `& < > " '`. (minijinja's default also escapes `/`,
/// which is not needed in text or quoted attributes and makes every link longer.)
pub fn escape_html(text: &str, out: &mut impl std::fmt::Write) -> std::fmt::Result {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i])?;
        out.write_str(replacement)?;
        last = i + 1;
    }
    out.write_str(&text[last..])
}

fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut State,
    value: &Value,
) -> Result<(), Error> {
    if matches!(state.auto_escape(), AutoEscape::Html)
        && !value.is_safe()
        && let Some(text) = value.as_str()
    {
        return escape_html(text, out)
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "formatting failed"));
    }
    minijinja::escape_formatter(out, state, value)
}

/// `asset("style.css")`: the file's URL with a version from its content, so browsers
/// may keep it long and still see a new one at once.
/// `asset("style.css")`: the file's URL with a content hash for cache busting, under
/// `/assets/`, or under the page's `assets_root` when it sets one (the staff console,
/// served by the API on its own origin, uses `/staff/assets/`).
fn asset_url(state: &State, name: &str) -> Result<String, Error> {
    let body = static_file(name).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("unknown asset `{name}`"),
        )
    })?;
    let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
    let root = state
        .lookup("assets_root")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "/assets/".to_owned());
    Ok(format!("{root}{name}?v={:08x}", hash >> 32))
}

/// A static file (stylesheet, script) by its path under `static/`.
pub fn static_file(path: &str) -> Option<&'static str> {
    STATIC_FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, body)| *body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let renderer = Renderer::new().unwrap();
        assert!(renderer.template_names().count() > 5);
        for name in renderer.template_names() {
            if let Err(e) = renderer.env.get_template(name) {
                panic!("{name}: {e:#}");
            }
        }
    }
}
