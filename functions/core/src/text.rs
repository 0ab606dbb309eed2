//! Bounded, clean text: names, titles, addresses and descriptions as people type them.
//! Text is trimmed, line endings normalised, and refused if it holds control characters
//! or the bidirectional overrides used to disguise text.

use serde::{Deserialize, Serialize};

use crate::problem::FieldError;

/// The bounds one kind of text must keep, counted in characters (a Chinese character
/// counts as one).
#[derive(Clone, Copy, Debug)]
pub struct TextRule {
    /// Fewest characters after trimming; 0 means the text may be empty.
    pub min: usize,
    /// Most characters after trimming.
    pub max: usize,
    /// Whether line breaks are allowed.
    pub multiline: bool,
}

fn is_forbidden(c: char, multiline: bool) -> bool {
    if c == '\n' {
        return !multiline;
    }
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Cleans and checks `raw` against `rule`; errors name `field`.
pub fn clean_text(field: &str, raw: &str, rule: TextRule) -> Result<String, FieldError> {
    let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = normalised.trim();
    if text.chars().any(|c| is_forbidden(c, rule.multiline)) {
        return Err(FieldError::new(field, "error.control_chars"));
    }
    let count = text.chars().count();
    if count == 0 && rule.min > 0 {
        return Err(FieldError::new(field, "error.required"));
    }
    if count < rule.min {
        return Err(FieldError::new(field, "error.too_short").with("min", rule.min));
    }
    if count > rule.max {
        return Err(FieldError::new(field, "error.too_long").with("max", rule.max));
    }
    Ok(text.to_owned())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, min = $min:expr, max = $max:expr, multiline = $multi:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The bounds this text keeps.
            pub const RULE: TextRule = TextRule { min: $min, max: $max, multiline: $multi };

            /// Cleans and checks `raw`; errors name `field`.
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                clean_text(field, raw, Self::RULE).map($name)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// A job's title, e.g. "小区楼道保洁 2 人".
    JobTitle, min = 4, max = 40, multiline = false
);
bounded_text!(
    /// Where the work is: street or compound level is enough.
    Address, min = 4, max = 100, multiline = false
);
bounded_text!(
    /// A person's name as they give it (a worker, an employer's contact).
    PersonName, min = 1, max = 20, multiline = false
);
bounded_text!(
    /// A firm, shop or household name ("李女士家", "城中区某物业公司").
    EmployerName, min = 2, max = 60, multiline = false
);
bounded_text!(
    /// The work in the employer's words.
    Description, min = 10, max = 2000, multiline = true
);
bounded_text!(
    /// Optional requirements (tools, health certificate, experience); may be empty.
    Requirements, min = 0, max = 500, multiline = true
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_counts_characters_not_bytes() {
        let title = JobTitle::parse("title", "  小区楼道保洁  ").unwrap();
        assert_eq!(title.as_str(), "小区楼道保洁");
        let forty: String = "保".repeat(40);
        assert!(JobTitle::parse("title", &forty).is_ok());
        let forty_one: String = "保".repeat(41);
        assert_eq!(
            JobTitle::parse("title", &forty_one).unwrap_err().key,
            "error.too_long"
        );
    }

    #[test]
    fn refuses_control_and_bidi_characters() {
        assert_eq!(
            JobTitle::parse("title", "保洁\u{0007}工作")
                .unwrap_err()
                .key,
            "error.control_chars"
        );
        assert_eq!(
            JobTitle::parse("title", "保洁\u{202E}工作")
                .unwrap_err()
                .key,
            "error.control_chars"
        );
        assert_eq!(
            JobTitle::parse("title", "保洁\n工作").unwrap_err().key,
            "error.control_chars"
        );
    }

    #[test]
    fn multiline_text_keeps_normalised_line_breaks() {
        let text =
            Description::parse("description", "第一行，打扫楼道\r\n第二行，清理垃圾").unwrap();
        assert_eq!(text.as_str(), "第一行，打扫楼道\n第二行，清理垃圾");
    }

    #[test]
    fn empty_required_text_is_required_not_too_short() {
        assert_eq!(
            PersonName::parse("name", "   ").unwrap_err().key,
            "error.required"
        );
        assert!(Requirements::parse("requirements", "").is_ok());
    }
}
