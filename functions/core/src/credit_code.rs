//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from
//! `0-9A-HJ-NPQRTUWXY` (no I, O, Z, S, V), the last a check character computed from the
//! first 17 with weights 3^i mod 31. Staff verify employers by it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::FieldError;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code whose check character is right.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreditCode(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a code.
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, weight) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * weight;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

impl CreditCode {
    /// Normalises (trims, upper-cases, drops spaces) and checks `raw`; errors name `field`.
    pub fn parse(field: &str, raw: &str) -> Result<CreditCode, FieldError> {
        let text: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if text.is_empty() {
            return Err(FieldError::new(field, "error.required"));
        }
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 18 && bytes.iter().all(|b| value_of(*b).is_some());
        if !well_formed || check_character(&bytes[..17]) != Some(char::from(bytes[17])) {
            return Err(FieldError::new(field, "error.credit_code"));
        }
        Ok(CreditCode(text))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid code from 17 characters, so tests never depend on a real firm.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_character(first17.as_bytes()).unwrap())
    }

    #[test]
    fn published_examples_check_out() {
        // The worked example in GB 32100-2015 Appendix A.
        assert!(CreditCode::parse("c", "91350100M000100Y43").is_ok());
        // Lower case and spaces as people type them.
        assert!(CreditCode::parse("c", " 91350100m000100y43 ").is_ok());
    }

    #[test]
    fn a_wrong_check_character_is_refused() {
        let valid = with_check("91630100MA7543210");
        assert!(CreditCode::parse("c", &valid).is_ok());
        let last = valid.chars().last().unwrap();
        let wrong: char = ALPHABET
            .iter()
            .map(|b| char::from(*b))
            .find(|c| *c != last)
            .unwrap();
        let broken = format!("{}{wrong}", &valid[..17]);
        assert_eq!(
            CreditCode::parse("c", &broken).unwrap_err().key,
            "error.credit_code"
        );
    }

    #[test]
    fn bad_shapes_are_refused() {
        for raw in [
            "9135010",
            "91350100M000100Y4O",
            "91350100M000100Y43X",
            "9135 0100 I000 100Y 4",
        ] {
            assert!(CreditCode::parse("c", raw).is_err(), "{raw}");
        }
        assert_eq!(
            CreditCode::parse("c", "").unwrap_err().key,
            "error.required"
        );
    }
}
