//! Lingong's pages: one template tree (`templates/`) rendered with minijinja, in
//! Simplified Chinese at `/` and English at `/en/`, every string from the language
//! catalogue in `lingong_core::i18n`.
//!
//! The same templates serve the static board and the pages the API answers with (a form
//! returned with its errors, a confirmation, a manage page), so a page looks the same
//! whichever way it reached the reader.

mod view;
// Matching and notices (issue 4):
pub mod notices;
pub mod report_mail;

use lingong_core::{Lang, i18n::Arg};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, Value, value::Kwargs};

pub use notices::NoticeTemplates;
pub use view::{Chrome, FormState, StationView};

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
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_default();
    let mut args: Vec<(&str, Arg)> = Vec::new();
    let names: Vec<String> = kwargs.args().map(str::to_owned).collect();
    for name in &names {
        let value: Value = kwargs.get(name)?;
        args.push((name.as_str(), Arg::Text(value.to_string())));
    }
    kwargs.assert_all_used()?;
    if !lingong_core::i18n::catalog().has(Lang::Zh, key) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("unknown catalogue key `{key}`"),
        ));
    }
    Ok(lingong_core::i18n::catalog().format(lang, key, &args))
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
        env.add_function("t", translate);
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

    /// Names of all templates, for tests.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        TEMPLATES.iter().map(|(name, _)| *name)
    }
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
