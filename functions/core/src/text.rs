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
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
        )
}

/// Characters that show nothing and mean nothing in a form's text, but can hide text
/// or split a phone number past the masking: zero-width spaces and joiners, the word
/// joiner and invisible operators, the byte-order mark, the soft hyphen, fillers and
/// the tag characters. They are dropped from input (people paste them unknowingly,
/// from chat apps and web pages, so refusing would puzzle them).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Cleans and checks `raw` against `rule`; errors name `field`. Line and paragraph
/// separators (U+2028, U+2029) count as line breaks; invisible characters
/// ([`is_invisible`]) are dropped; other control and bidirectional control characters
/// are refused.
pub fn clean_text(field: &str, raw: &str, rule: TextRule) -> Result<String, FieldError> {
    let normalised: String = raw
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| match c {
            '\r' | '\u{2028}' | '\u{2029}' | '\u{0085}' => '\n',
            c => c,
        })
        .collect();
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
    fn invisible_characters_are_dropped_and_bidi_marks_refused() {
        // Zero-width space, BOM, word joiner, soft hyphen, zero-width joiner: dropped.
        let title = JobTitle::parse(
            "title",
            "\u{FEFF}小区\u{200B}楼道\u{2060}保\u{00AD}洁\u{200D}",
        )
        .unwrap();
        assert_eq!(title.as_str(), "小区楼道保洁");
        let address = Address::parse("address", "南关街\u{200B}\u{200C}某小区\u{E0041}").unwrap();
        assert_eq!(address.as_str(), "南关街某小区");
        // Only invisible characters: nothing was typed.
        assert_eq!(
            PersonName::parse("name", "\u{200B}\u{FEFF}")
                .unwrap_err()
                .key,
            "error.required"
        );
        // The Arabic letter mark is a bidirectional control: refused like the others.
        assert_eq!(
            JobTitle::parse("title", "保洁\u{061C}工作")
                .unwrap_err()
                .key,
            "error.control_chars"
        );
        // Line and paragraph separators are line breaks: refused where lines are not
        // allowed, kept as a plain line break where they are.
        assert_eq!(
            JobTitle::parse("title", "保洁\u{2028}工作")
                .unwrap_err()
                .key,
            "error.control_chars"
        );
        let text = Description::parse(
            "description",
            "第一行，打扫楼道\u{2028}第二行，清理垃圾\u{2029}",
        )
        .unwrap();
        assert_eq!(text.as_str(), "第一行，打扫楼道\n第二行，清理垃圾");
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
