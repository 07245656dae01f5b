//! Money amounts as people write them ("$84.50", "84.5", "€12", "1,200") and as Knot sends
//! them ("43.20"), parsed exactly into integer cents: never through a float.

/// The largest amount a split or question may name: $10,000,000.00.
pub const MAX_CENTS: i64 = 1_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Not a number.
    NotAnAmount,
    /// More than two decimals.
    TooPrecise,
    /// Zero or less.
    NotPositive,
    /// Over [`MAX_CENTS`].
    TooLarge,
}

impl AmountError {
    pub fn message(&self) -> &'static str {
        match self {
            Self::NotAnAmount => "is not an amount",
            Self::TooPrecise => "has more than two decimals",
            Self::NotPositive => "must be more than zero",
            Self::TooLarge => "must be at most 10,000,000.00",
        }
    }
}

/// A decimal string (optionally signed, with `,` thousands separators and a currency sign)
/// as cents. Sign allowed; range not checked (see [`positive_cents`]).
pub fn cents(s: &str) -> Result<i64, AmountError> {
    let t = s
        .trim()
        .trim_start_matches(['$', '€', '£'])
        .replace(',', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start_matches(['$', '€', '£']).to_string()),
        None => (false, t),
    };
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 12
    {
        return Err(AmountError::NotAnAmount);
    }
    if frac.len() > 2 {
        return Err(AmountError::TooPrecise);
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| AmountError::NotAnAmount)?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| AmountError::NotAnAmount)? * 10,
        _ => frac.parse().map_err(|_| AmountError::NotAnAmount)?,
    };
    let v = whole * 100 + frac;
    Ok(if neg { -v } else { v })
}

/// An amount someone asks to split: more than zero, at most [`MAX_CENTS`].
pub fn positive_cents(s: &str) -> Result<i64, AmountError> {
    match cents(s)? {
        v if v <= 0 => Err(AmountError::NotPositive),
        v if v > MAX_CENTS => Err(AmountError::TooLarge),
        v => Ok(v),
    }
}

/// Cents as dollars for replies: 123456 → "1,234.56", -50 → "-0.50".
pub fn format(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(cents("84.50"), Ok(8450));
        assert_eq!(cents("$84.5"), Ok(8450));
        assert_eq!(cents("1,200"), Ok(120_000));
        assert_eq!(cents("0.01"), Ok(1));
        assert_eq!(cents(".5"), Ok(50));
        assert_eq!(cents("-4.37"), Ok(-437));
        assert_eq!(cents("€12"), Ok(1200));
        assert_eq!(cents("10.005"), Err(AmountError::TooPrecise));
        assert_eq!(cents("ten"), Err(AmountError::NotAnAmount));
        assert_eq!(cents("."), Err(AmountError::NotAnAmount));
        assert_eq!(positive_cents("0"), Err(AmountError::NotPositive));
        assert_eq!(positive_cents("-5"), Err(AmountError::NotPositive));
        assert_eq!(positive_cents("10000000.01"), Err(AmountError::TooLarge));
        assert_eq!(positive_cents("10000000"), Ok(MAX_CENTS));
    }

    #[test]
    fn amounts_format_for_people() {
        assert_eq!(format(123_456), "1,234.56");
        assert_eq!(format(5), "0.05");
        assert_eq!(format(-50), "-0.50");
        assert_eq!(format(100_000_000), "1,000,000.00");
    }
}
