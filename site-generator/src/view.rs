//! What templates see: the page chrome (language, paths, the station) and form state.

use std::collections::BTreeMap;

use lingong_core::{Lang, i18n::catalog, input::RawInput, problem::Invalid, station::Station};
use serde::Serialize;

/// A trade or district as a page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    /// Slug.
    pub slug: String,
    /// Name in the page's language.
    pub name: String,
    /// The trade's wage floor in yuan (trades only).
    pub floor: Option<u32>,
}

/// The station as pages show it.
#[derive(Clone, Debug, Serialize)]
pub struct StationView {
    /// Identifier.
    pub id: String,
    /// Name in the page's language.
    pub name: String,
    /// Telephone.
    pub hotline: String,
    /// Address in the page's language.
    pub address: String,
    /// Trades in display order.
    pub trades: Vec<Choice>,
    /// Districts in display order.
    pub districts: Vec<Choice>,
}

impl StationView {
    /// The view of `station` in `lang`.
    pub fn new(station: &Station, lang: Lang) -> StationView {
        StationView {
            id: station.id.to_string(),
            name: station.name.get(lang).to_owned(),
            hotline: station.hotline.clone(),
            address: station.address.get(lang).to_owned(),
            trades: station
                .trades
                .iter()
                .map(|t| Choice {
                    slug: t.slug.clone(),
                    name: t.name.get(lang).to_owned(),
                    floor: Some(t.wage_floor_yuan),
                })
                .collect(),
            districts: station
                .districts
                .iter()
                .map(|d| Choice {
                    slug: d.slug.clone(),
                    name: d.name.get(lang).to_owned(),
                    floor: None,
                })
                .collect(),
        }
    }
}

/// What every page needs: its language, where the site roots are, and the station.
#[derive(Clone, Debug, Serialize)]
pub struct Chrome {
    /// BCP 47 tag of the page (`zh-CN`, `en`); the `t()` function reads it.
    pub lang: &'static str,
    /// The root of this language's pages: `/` or `/en/`.
    pub root: &'static str,
    /// The same page in the other language.
    pub other_lang_url: String,
    /// The station.
    pub station: StationView,
}

impl Chrome {
    /// The chrome of the page at `path` (relative to the language root, e.g. `post/`).
    pub fn new(station: &Station, lang: Lang, path: &str) -> Chrome {
        let path = path.trim_start_matches('/');
        Chrome {
            lang: lang.tag(),
            root: root_of(lang),
            other_lang_url: format!(
                "{}{path}",
                root_of(match lang {
                    Lang::Zh => Lang::En,
                    Lang::En => Lang::Zh,
                })
            ),
            station: StationView::new(station, lang),
        }
    }
}

/// The root path of a language's pages.
pub fn root_of(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "/",
        Lang::En => "/en/",
    }
}

/// One line of a form's error summary.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorLine {
    /// The field (links to `#f-<field>`).
    pub field: String,
    /// The field's label, or empty for problems with the whole request.
    pub label: String,
    /// What is wrong.
    pub message: String,
}

/// A form's entered values and errors, for showing it again.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FormState {
    /// Entered values by field.
    pub values: BTreeMap<String, Vec<String>>,
    /// First error message by field.
    pub errors: BTreeMap<String, String>,
    /// The same errors in form order with the field's label, for the summary.
    pub error_list: Vec<ErrorLine>,
    /// The anti-duplicate nonce to send back.
    pub nonce: String,
    /// A message for the whole form (e.g. a reused request key).
    pub notice: Option<String>,
}

impl FormState {
    /// An empty form.
    pub fn empty() -> FormState {
        FormState::default()
    }

    /// The form as submitted, with the problems found.
    pub fn from_input(input: &RawInput, invalid: Option<&Invalid>, lang: Lang) -> FormState {
        Self::from_input_labelled(input, invalid, lang, "form")
    }

    /// Like [`FormState::from_input`], naming fields in the error summary by the
    /// catalogue labels under `section` (e.g. `rights`) where they exist, else `form`.
    pub fn from_input_labelled(
        input: &RawInput,
        invalid: Option<&Invalid>,
        lang: Lang,
        section: &str,
    ) -> FormState {
        let mut errors = BTreeMap::new();
        let mut error_list = Vec::new();
        for error in invalid.map(|i| i.0.as_slice()).unwrap_or_default() {
            if errors.contains_key(&error.field) {
                continue;
            }
            let message = error.message(lang);
            let label = [
                format!("{section}.{}", error.field),
                format!("form.{}", error.field),
            ]
            .into_iter()
            .find(|key| catalog().has(Lang::Zh, key))
            .map(|key| catalog().text(lang, &key).to_owned())
            .unwrap_or_default();
            error_list.push(ErrorLine {
                field: error.field.clone(),
                label,
                message: message.clone(),
            });
            errors.insert(error.field.clone(), message);
        }
        FormState {
            values: input
                .fields()
                .iter()
                .filter(|(name, _)| !name.starts_with('_'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            errors,
            error_list,
            nonce: input.one("_nonce").unwrap_or_default().to_owned(),
            notice: None,
        }
    }

    /// Sets the values from a stored record's fields (for edit forms).
    pub fn with_values(mut self, values: BTreeMap<String, Vec<String>>) -> FormState {
        self.values = values;
        self
    }
}
