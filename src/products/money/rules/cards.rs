//! The card catalogue (reward rates per category, in basis points: 300 = 3 %) and the
//! choice of a linked card for a purchase.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRates {
    pub name: String,
    /// Category → rate in basis points; `other` is the base rate.
    pub rates: Vec<(String, u32)>,
}

impl CardRates {
    pub fn rate(&self, category: &str) -> u32 {
        let of = |c: &str| self.rates.iter().find(|(k, _)| k == c).map(|(_, r)| *r);
        of(category).or_else(|| of("other")).unwrap_or(100)
    }
}

/// The default catalogue: common US cards and their published category rates.
pub fn default_catalogue() -> Vec<CardRates> {
    let card = |name: &str, rates: &[(&str, u32)]| CardRates {
        name: name.to_string(),
        rates: rates.iter().map(|(c, r)| (c.to_string(), *r)).collect(),
    };
    vec![
        card(
            "Amex Gold",
            &[
                ("dining", 400),
                ("groceries", 400),
                ("travel", 300),
                ("other", 100),
            ],
        ),
        card(
            "Chase Sapphire Preferred",
            &[
                ("travel", 500),
                ("dining", 300),
                ("subscriptions", 300),
                ("other", 100),
            ],
        ),
        card("Citi Double Cash", &[("other", 200)]),
        card(
            "Amex Blue Cash Preferred",
            &[
                ("groceries", 600),
                ("subscriptions", 600),
                ("transport", 300),
                ("other", 100),
            ],
        ),
        card(
            "Chase Freedom Unlimited",
            &[("dining", 300), ("health", 300), ("other", 150)],
        ),
        card(
            "Capital One Savor",
            &[
                ("dining", 300),
                ("entertainment", 300),
                ("groceries", 300),
                ("other", 100),
            ],
        ),
    ]
}

/// The catalogue as configured (`MONEY_CARD_CATALOG`): `{"Card name": {"category": bps}}`.
pub fn parse_catalogue(json: &str) -> Result<Vec<CardRates>, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let cards = v.as_object().ok_or("must be a JSON object of cards")?;
    let mut out = Vec::new();
    for (name, rates) in cards {
        let rates = rates
            .as_object()
            .ok_or(format!("{name}: rates must be an object"))?;
        let mut r = Vec::new();
        for (cat, bps) in rates {
            let bps = bps
                .as_u64()
                .filter(|b| *b <= 10_000)
                .ok_or(format!("{name}.{cat}: basis points 0–10000"))?;
            r.push((cat.clone(), bps as u32));
        }
        out.push(CardRates {
            name: name.clone(),
            rates: r,
        });
    }
    Ok(out)
}

/// The best of `linked` (card names) for `category`: its name and rate. Cards the
/// catalogue does not know earn its base of 1 %.
pub fn best<'a>(
    catalogue: &[CardRates],
    linked: &'a [String],
    category: &str,
) -> Option<(&'a str, u32)> {
    linked
        .iter()
        .map(|name| {
            let rate = catalogue
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .map_or(100, |c| c.rate(category));
            (name.as_str(), rate)
        })
        // Highest rate; the first linked card on a tie.
        .fold(None, |best: Option<(&str, u32)>, (n, r)| match best {
            Some((_, br)) if br >= r => best,
            _ => Some((n, r)),
        })
}

/// Basis points as a percentage for replies: 400 → "4%", 150 → "1.5%".
pub fn percent(bps: u32) -> String {
    if bps.is_multiple_of(100) {
        format!("{}%", bps / 100)
    } else {
        format!("{}%", f64::from(bps) / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_linked_card_wins_by_category() {
        let cat = default_catalogue();
        let linked = vec!["Citi Double Cash".to_string(), "Amex Gold".to_string()];
        assert_eq!(best(&cat, &linked, "groceries"), Some(("Amex Gold", 400)));
        assert_eq!(
            best(&cat, &linked, "transport"),
            Some(("Citi Double Cash", 200))
        );
        assert_eq!(best(&cat, &[], "dining"), None);
        let unknown = vec!["Store Card".to_string()];
        assert_eq!(best(&cat, &unknown, "dining"), Some(("Store Card", 100)));
        assert_eq!(percent(150), "1.5%");
    }

    #[test]
    fn catalogues_parse_or_say_why() {
        let c = parse_catalogue(r#"{"My Card": {"dining": 500, "other": 100}}"#).expect("ok");
        assert_eq!(c[0].rate("dining"), 500);
        assert_eq!(c[0].rate("travel"), 100);
        assert!(parse_catalogue(r#"{"X": {"dining": 20000}}"#).is_err());
        assert!(parse_catalogue("[]").is_err());
    }
}
