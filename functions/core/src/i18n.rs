//! The language catalogue. Every string a person reads (page text, error messages, SMS,
//! e-mail) comes from `locales/*.toml`; Simplified Chinese is the primary language and
//! English is the second. Rust code refers to messages by key only.

use std::{collections::HashMap, fmt, sync::LazyLock};

use serde::{Deserialize, Serialize};

/// A language the station speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Every supported language, primary first.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag used in `lang` attributes and URLs.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a tag such as `zh`, `zh-CN`, `zh-Hans`, `en` or `en-GB`.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the language an `Accept-Language` header prefers, honouring q-values.
    /// Anything unknown or absent falls back to Chinese.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Lang, f32)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::parse) else {
                continue;
            };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if best.is_none_or(|(_, best_q)| q > best_q) {
                best = Some((lang, q));
            }
        }
        best.map(|(lang, _)| lang).unwrap_or_default()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A name in both languages, as station files and records carry them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalName {
    /// The Chinese name.
    pub zh: String,
    /// The English name.
    pub en: String,
}

impl LocalName {
    /// The name in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// An argument to a catalogue message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// The same text in every language (a number, a code).
    Text(String),
    /// A name that has a form per language (a trade, a district).
    Name(LocalName),
}

impl Arg {
    fn render(&self, lang: Lang) -> &str {
        match self {
            Arg::Text(text) => text,
            Arg::Name(name) => name.get(lang),
        }
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}

impl From<&LocalName> for Arg {
    fn from(value: &LocalName) -> Self {
        Arg::Name(value.clone())
    }
}

macro_rules! arg_from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(value: $t) -> Self {
                Arg::Text(value.to_string())
            }
        }
    )*};
}
arg_from_number!(u8, u16, u32, u64, usize, i64);

/// The loaded catalogue: one flat key → text table per language.
#[derive(Debug)]
pub struct Catalog {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

const ZH_SOURCE: &str = include_str!("../locales/zh-CN.toml");
const EN_SOURCE: &str = include_str!("../locales/en.toml");

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // The catalogue is compiled in; `catalog_files_parse` in the tests guards this.
    Catalog {
        zh: flatten(ZH_SOURCE).expect("locales/zh-CN.toml is valid TOML"),
        en: flatten(EN_SOURCE).expect("locales/en.toml is valid TOML"),
    }
});

/// The process-wide catalogue.
pub fn catalog() -> &'static Catalog {
    &CATALOG
}

/// Looks up `key` in `lang`: shorthand for `catalog().text(lang, key)`.
pub fn t(lang: Lang, key: &str) -> &'static str {
    CATALOG.text(lang, key)
}

/// Looks up and fills in `key`: shorthand for `catalog().format(..)`.
pub fn tf(lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
    CATALOG.format(lang, key, args)
}

fn flatten(source: &str) -> Result<HashMap<String, String>, toml::de::Error> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
        for (name, value) in table {
            let key = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match value {
                toml::Value::Table(inner) => walk(&key, inner, out),
                toml::Value::String(text) => {
                    out.insert(key, text.clone());
                }
                other => {
                    out.insert(key, other.to_string());
                }
            }
        }
    }
    let table: toml::Table = toml::from_str(source)?;
    let mut out = HashMap::new();
    walk("", &table, &mut out);
    Ok(out)
}

impl Catalog {
    fn table(&self, lang: Lang) -> &HashMap<String, String> {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// The text for `key` in `lang`, falling back to Chinese. A key missing from both
    /// (a bug the completeness tests guard against) reads as empty and is logged.
    pub fn text(&self, lang: Lang, key: &str) -> &str {
        match self.table(lang).get(key).or_else(|| self.zh.get(key)) {
            Some(text) => text,
            None => {
                tracing::warn!(key, "missing catalogue key");
                ""
            }
        }
    }

    /// Whether `key` exists in `lang`.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.table(lang).contains_key(key)
    }

    /// The text for `key` with each `{name}` replaced by its argument.
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
        let mut text = self.text(lang, key).to_owned();
        for (name, arg) in args {
            text = text.replace(&format!("{{{name}}}"), arg.render(lang));
        }
        text
    }

    /// All keys of a language, for completeness checks.
    pub fn keys(&self, lang: Lang) -> impl Iterator<Item = &str> {
        self.table(lang).keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_files_parse() {
        assert!(flatten(ZH_SOURCE).is_ok());
        assert!(flatten(EN_SOURCE).is_ok());
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        let zh: Vec<&str> = catalog().keys(Lang::Zh).collect();
        let en: Vec<&str> = catalog().keys(Lang::En).collect();
        let missing_en: Vec<_> = zh.iter().filter(|k| !catalog().has(Lang::En, k)).collect();
        let missing_zh: Vec<_> = en.iter().filter(|k| !catalog().has(Lang::Zh, k)).collect();
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        assert!(missing_zh.is_empty(), "missing in zh-CN: {missing_zh:?}");
    }

    #[test]
    fn placeholders_match_between_languages() {
        fn placeholders(text: &str) -> Vec<String> {
            let mut found: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .collect();
            found.sort();
            found.dedup();
            found
        }
        for key in catalog().keys(Lang::Zh) {
            assert_eq!(
                placeholders(catalog().text(Lang::Zh, key)),
                placeholders(catalog().text(Lang::En, key)),
                "placeholders differ for {key}"
            );
        }
    }

    #[test]
    fn accept_language_honours_q_values() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("zh;q=0.5, en;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr-FR"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }

    #[test]
    fn format_fills_names_per_language() {
        let name = LocalName {
            zh: "保洁".into(),
            en: "Cleaning".into(),
        };
        let zh = tf(
            Lang::Zh,
            "error.below_wage_floor",
            &[("trade", (&name).into()), ("floor", "150".into())],
        );
        assert!(zh.contains("保洁") && zh.contains("150"), "{zh}");
        let en = tf(
            Lang::En,
            "error.below_wage_floor",
            &[("trade", (&name).into()), ("floor", "150".into())],
        );
        assert!(en.contains("Cleaning") && en.contains("150"), "{en}");
    }
}
