//! Money, held in fen (分) so arithmetic is exact, read and shown in yuan (元).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::FieldError;

/// An amount of money in fen. Wages are per day.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(u64);

impl Money {
    /// The most a daily wage may be: anything above is almost surely a typo.
    pub const MAX_DAILY_WAGE: Money = Money(5_000 * 100);

    /// An amount of whole yuan.
    pub const fn from_yuan(yuan: u64) -> Money {
        Money(yuan * 100)
    }

    /// An amount in fen.
    pub const fn from_fen(fen: u64) -> Money {
        Money(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> u64 {
        self.0
    }

    /// The amount in yuan as a decimal number, for JSON answers.
    pub fn yuan_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Parses a daily wage typed in yuan: `245`, `245.5`, `245.50`, `￥245`, `245元`,
    /// full-width digits too. Must be above zero and at most [`Money::MAX_DAILY_WAGE`].
    pub fn parse_daily_wage(field: &str, raw: &str) -> Result<Money, FieldError> {
        Self::parse_yuan(field, raw, Self::MAX_DAILY_WAGE)
    }

    /// Parses an amount typed in yuan (as [`Money::parse_daily_wage`] reads it), above
    /// zero and at most `max`.
    pub fn parse_yuan(field: &str, raw: &str, max: Money) -> Result<Money, FieldError> {
        let cleaned: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, '¥' | '￥' | '元' | ' ' | ','))
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' => '.',
                other => other,
            })
            .collect();
        if cleaned.is_empty() {
            return Err(FieldError::new(field, "error.required"));
        }
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty()
            || !digits_only(whole)
            || !digits_only(frac)
            || frac.len() > 2
            || whole.len() > 7
        {
            return Err(FieldError::new(field, "error.money_format"));
        }
        let yuan: u64 = whole
            .parse()
            .map_err(|_| FieldError::new(field, "error.money_format"))?;
        let fen_part: u64 = match frac.len() {
            0 => 0,
            1 => {
                frac.parse::<u64>()
                    .map_err(|_| FieldError::new(field, "error.money_format"))?
                    * 10
            }
            _ => frac
                .parse()
                .map_err(|_| FieldError::new(field, "error.money_format"))?,
        };
        let money = Money(yuan * 100 + fen_part);
        if money.0 == 0 || money > max {
            return Err(FieldError::new(field, "error.money_range").with("max", max.to_string()));
        }
        Ok(money)
    }
}

impl fmt::Display for Money {
    /// Yuan without a unit: `245`, or `245.50` when there are fen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (yuan, fen) = (self.0 / 100, self.0 % 100);
        if fen == 0 {
            write!(f, "{yuan}")
        } else {
            write!(f, "{yuan}.{fen:02}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_wages() {
        let cases = [
            ("245", 24_500),
            ("245.5", 24_550),
            ("245.50", 24_550),
            ("￥245", 24_500),
            ("245元", 24_500),
            ("２４５", 24_500),
            (" 1,200 ", 120_000),
        ];
        for (raw, fen) in cases {
            assert_eq!(
                Money::parse_daily_wage("w", raw),
                Ok(Money::from_fen(fen)),
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_bad_wages() {
        for raw in ["-5", "abc", "1.234", "0", "0.00", ".5", "1e3"] {
            assert!(Money::parse_daily_wage("w", raw).is_err(), "{raw}");
        }
        assert_eq!(
            Money::parse_daily_wage("w", "5000.01").unwrap_err().key,
            "error.money_range"
        );
        assert!(Money::parse_daily_wage("w", "5000").is_ok());
    }

    #[test]
    fn displays_yuan() {
        assert_eq!(Money::from_yuan(245).to_string(), "245");
        assert_eq!(Money::from_fen(24_505).to_string(), "245.05");
    }
}
