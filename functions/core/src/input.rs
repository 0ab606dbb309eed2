//! Raw input as it arrives, before parsing: a JSON object or a submitted HTML form, both
//! reduced to field → values, so one parser serves both and reports every bad field.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{problem::FieldError, secrets::sha256_hex};

/// Fields whose names start with this are transport details (nonce, language, honeypot)
/// and are left out of a request's fingerprint.
pub const TRANSPORT_PREFIX: char = '_';

/// Submitted fields: name → values in order (a form may repeat a field; a JSON array
/// gives several values).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawInput {
    fields: BTreeMap<String, Vec<String>>,
}

/// Why a JSON body could not be read as input.
#[derive(Debug, PartialEq, Eq)]
pub enum JsonShape {
    /// The body is not a JSON object.
    NotAnObject,
    /// A field holds an object or a list of non-scalars.
    NotScalar(FieldError),
}

impl RawInput {
    /// An empty input.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value to `name`.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields
            .entry(name.into())
            .or_default()
            .push(value.into());
    }

    /// Reads a JSON object: strings stay, numbers and booleans become their text, null
    /// means absent, arrays of scalars give several values.
    pub fn from_json(value: &Value) -> Result<RawInput, JsonShape> {
        let Value::Object(map) = value else {
            return Err(JsonShape::NotAnObject);
        };
        let mut input = RawInput::new();
        for (name, value) in map {
            match value {
                Value::Null => {}
                Value::Array(items) => {
                    input.fields.entry(name.clone()).or_default();
                    for item in items {
                        match scalar_text(item) {
                            Some(text) => input.push(name.clone(), text),
                            None => {
                                return Err(JsonShape::NotScalar(FieldError::new(
                                    name.clone(),
                                    "error.invalid",
                                )));
                            }
                        }
                    }
                }
                other => match scalar_text(other) {
                    Some(text) => input.push(name.clone(), text),
                    None => {
                        return Err(JsonShape::NotScalar(FieldError::new(
                            name.clone(),
                            "error.invalid",
                        )));
                    }
                },
            }
        }
        Ok(input)
    }

    /// The first value of `name`, if given.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// The first value of `name`, or `""`.
    pub fn text(&self, name: &str) -> &str {
        self.one(name).unwrap_or("")
    }

    /// Every non-empty value of `name`; a single value holding commas (`a,b`) is split,
    /// so a kiosk can send a list as one field.
    pub fn many(&self, name: &str) -> Vec<&str> {
        self.fields
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split([',', '，']))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether `name` was sent at all.
    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// Interprets `name` as a yes/no answer (`true`, `1`, `on`, `yes`, `是`, `同意`).
    /// The last value counts, so a form can send a hidden `false` before a checkbox.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.fields.get(name).and_then(|v| v.last()).map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "on" | "yes" | "y" | "是" | "同意"
            )
        })
    }

    /// A fingerprint of what was asked: the action and every field that is not a
    /// transport detail. Two submissions with the same fingerprint ask the same thing.
    pub fn fingerprint(&self, action: &str) -> String {
        let content: BTreeMap<&String, &Vec<String>> = self
            .fields
            .iter()
            .filter(|(name, _)| !name.starts_with(TRANSPORT_PREFIX))
            .collect();
        let json = serde_json::to_string(&(action, content)).unwrap_or_default();
        sha256_hex(json.as_bytes())
    }

    /// The language the submitter used: the transport field `_lang` (forms send it;
    /// the HTTP layer fills it from `Accept-Language` otherwise), else Chinese.
    pub fn lang(&self) -> crate::i18n::Lang {
        self.one("_lang")
            .and_then(crate::i18n::Lang::parse)
            .unwrap_or_default()
    }

    /// Every field, for re-filling a form.
    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.fields
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_and_form_give_the_same_fields_and_fingerprint() {
        let json = RawInput::from_json(&json!({
            "name": "李明", "trades": ["cleaning", "moving"], "headcount": 3, "consent": true, "email": null
        }))
        .unwrap();
        let mut form = RawInput::new();
        form.push("name", "李明");
        form.push("trades", "cleaning");
        form.push("trades", "moving");
        form.push("headcount", "3");
        form.push("consent", "true");
        form.push("_nonce", "abc");
        assert_eq!(json.many("trades"), vec!["cleaning", "moving"]);
        assert_eq!(json.fingerprint("a"), form.fingerprint("a"));
        assert_ne!(json.fingerprint("a"), form.fingerprint("b"));
        assert!(!json.has("email"));
    }

    #[test]
    fn rejects_nested_values() {
        assert_eq!(
            RawInput::from_json(&json!([1, 2])),
            Err(JsonShape::NotAnObject)
        );
        assert!(matches!(
            RawInput::from_json(&json!({"title": {"a": 1}})),
            Err(JsonShape::NotScalar(e)) if e.field == "title"
        ));
    }

    #[test]
    fn comma_lists_split() {
        let mut form = RawInput::new();
        form.push("trades", "cleaning，moving, temp");
        assert_eq!(form.many("trades"), vec!["cleaning", "moving", "temp"]);
    }
}
