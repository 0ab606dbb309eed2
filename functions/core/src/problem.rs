//! Validation problems: which field is wrong and why, as a catalogue key with arguments,
//! so the same problem reads well in Chinese and in English.

use serde::Serialize;

use crate::i18n::{Arg, Lang, catalog};

/// One problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The input field's name, as the form and the JSON body spell it.
    pub field: String,
    /// The catalogue key of the message, e.g. `error.required`.
    pub key: &'static str,
    /// Values for the message's `{placeholders}`.
    pub args: Vec<(&'static str, Arg)>,
}

impl FieldError {
    /// A problem with `field` described by the catalogue message `key`.
    pub fn new(field: impl Into<String>, key: &'static str) -> Self {
        FieldError {
            field: field.into(),
            key,
            args: Vec::new(),
        }
    }

    /// Adds an argument for the message.
    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        catalog().format(lang, self.key, &self.args)
    }

    /// The field and message, ready to serialise into an API answer.
    pub fn localized(&self, lang: Lang) -> LocalizedFieldError {
        LocalizedFieldError {
            field: self.field.clone(),
            message: self.message(lang),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message(Lang::En))
    }
}

impl std::error::Error for FieldError {}

/// A field error rendered in one language: the shape of `{"errors": [...]}` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalizedFieldError {
    /// The input field's name.
    pub field: String,
    /// What is wrong, in the reader's language.
    pub message: String,
}

/// A rejected input: every problem found, at least one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// A rejection with one problem.
    pub fn one(error: FieldError) -> Self {
        Invalid(vec![error])
    }

    /// All problems rendered in `lang`.
    pub fn localized(&self, lang: Lang) -> Vec<LocalizedFieldError> {
        self.0.iter().map(|e| e.localized(lang)).collect()
    }

    /// The first problem reported for `field`, if any.
    pub fn for_field(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<&str> = self.0.iter().map(|e| e.field.as_str()).collect();
        write!(f, "invalid input in fields: {}", fields.join(", "))
    }
}

impl std::error::Error for Invalid {}

/// Collects field problems while a whole input is parsed, so that a person sees every
/// mistake at once instead of one per submission.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value of `result`, or records its problem and returns `None`.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    /// Records a problem.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Whether nothing is wrong so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing is wrong, else every problem.
    pub fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}
