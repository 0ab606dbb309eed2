//! Chinese mobile numbers and e-mail addresses: the two ways the station reaches people.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::FieldError;

/// A mainland China mobile number: 11 digits, `1[3-9]` then nine more.
///
/// Parsing accepts what people type: `+86`/`0086`/`86` prefixes, spaces (also the
/// full-width space), dashes, brackets and full-width digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Normalises and checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for c in raw.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => {
                    let value = c as u32 - '０' as u32;
                    digits.push(char::from(b'0' + value as u8));
                }
                '+' | '＋' if digits.is_empty() && !plus => plus = true,
                ' ' | '\u{3000}' | '-' | '－' | '(' | ')' | '（' | '）' => {}
                _ => return Err(Self::error(field, raw)),
            }
        }
        if raw.trim().is_empty() {
            return Err(FieldError::new(field, "error.required"));
        }
        let national = if let Some(rest) = digits.strip_prefix("0086") {
            rest
        } else if digits.len() == 13 && digits.starts_with("86") {
            &digits[2..]
        } else if plus {
            return Err(Self::error(field, raw));
        } else {
            digits.as_str()
        };
        let bytes = national.as_bytes();
        let valid = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
        if valid {
            Ok(MobileNumber(national.to_owned()))
        } else {
            Err(Self::error(field, raw))
        }
    }

    fn error(field: &str, _raw: &str) -> FieldError {
        FieldError::new(field, "error.phone")
    }

    /// The 11 national digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The E.164 form for SMS gateways, e.g. `+8613812345678`.
    pub fn e164(&self) -> String {
        format!("+86{}", self.0)
    }

    /// The form safe to show in public and write to logs: `138****5678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for MobileNumber {
    /// Displays the masked form, so a stray `{}` never leaks a full number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// An e-mail address, checked for shape (the mail server decides the rest).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(FieldError::new(field, "error.required"));
        }
        let ok = text.len() <= 254
            && !text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
            && text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            });
        if ok {
            Ok(Email(text.to_owned()))
        } else {
            Err(FieldError::new(field, "error.email"))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form safe for logs: `z***@example.com`.
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_what_people_type() {
        for raw in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "008613812345678",
            "8613812345678",
            "（138）1234－5678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(
                MobileNumber::parse("phone", raw).map(|p| p.as_str().to_owned()),
                Ok("13812345678".to_owned()),
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_mobile_number() {
        for raw in [
            "12812345678",
            "1381234567",
            "138123456789",
            "0971-1234567",
            "+1 415 555 0100",
            "13812345678x",
            "abc",
        ] {
            assert_eq!(
                MobileNumber::parse("phone", raw).unwrap_err().key,
                "error.phone",
                "{raw}"
            );
        }
        assert_eq!(
            MobileNumber::parse("phone", "  ").unwrap_err().key,
            "error.required"
        );
    }

    #[test]
    fn display_and_masked_never_show_the_full_number() {
        let phone = MobileNumber::parse("phone", "13812345678").unwrap();
        assert_eq!(phone.masked(), "138****5678");
        assert_eq!(phone.to_string(), "138****5678");
        assert_eq!(phone.e164(), "+8613812345678");
    }

    #[test]
    fn email_shape() {
        assert!(Email::parse("email", "li.ming@example.com").is_ok());
        for raw in [
            "li",
            "li@",
            "@example.com",
            "li@example",
            "li @example.com",
            "a@b..com",
        ] {
            assert!(Email::parse("email", raw).is_err(), "{raw}");
        }
        assert_eq!(
            Email::parse("email", "li.ming@example.com")
                .unwrap()
                .masked(),
            "l***@example.com"
        );
    }
}
