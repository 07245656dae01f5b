//! The demo history a user gets when onboarding without Knot: three cards and 90 days of
//! realistic spending (groceries weekly, dining and rides most days, some shopping, three
//! monthly subscriptions, a refund, a short trip paid in euros), the same for the same
//! seed and day.

use chrono::{Datelike, Duration, NaiveDate};

use crate::platform::rng::Rng;

pub struct DemoAccount {
    /// The issuer, shown as the account's merchant.
    pub merchant: &'static str,
    /// The card's name (the catalogue knows it).
    pub name: &'static str,
    pub last4: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTx {
    /// Index into the accounts.
    pub account: usize,
    pub external_id: String,
    pub merchant: &'static str,
    pub amount_cents: i64,
    pub currency: &'static str,
    pub category: &'static str,
    pub date: NaiveDate,
}

pub const DAYS: i64 = 90;

pub fn generate(seed: u64, today: NaiveDate) -> (Vec<DemoAccount>, Vec<DemoTx>) {
    let mut rng = Rng::new(seed);
    let accounts = vec![
        DemoAccount {
            merchant: "Chase",
            name: "Chase Sapphire Preferred",
            last4: rng.range(1000, 9999).to_string(),
        },
        DemoAccount {
            merchant: "American Express",
            name: "Amex Gold",
            last4: rng.range(1000, 9999).to_string(),
        },
        DemoAccount {
            merchant: "Citi",
            name: "Citi Double Cash",
            last4: rng.range(1000, 9999).to_string(),
        },
    ];
    let (sapphire, gold, citi) = (0, 1, 2);
    let mut txs: Vec<DemoTx> = Vec::new();
    let mut add = |account: usize,
                   merchant: &'static str,
                   cents: i64,
                   currency: &'static str,
                   category: &'static str,
                   date: NaiveDate| {
        let n = txs.len();
        txs.push(DemoTx {
            account,
            external_id: format!("demo-{n:04}"),
            merchant,
            amount_cents: cents,
            currency,
            category,
            date,
        });
    };
    let first = today - Duration::days(DAYS - 1);
    let grocery_day = rng.range(0, 6) as i64;
    let trip_start = today - Duration::days(rng.range(40, 55) as i64);
    let mut day = first;
    while day <= today {
        let offset = (day - first).num_days();
        if offset % 7 == grocery_day {
            let store = *rng.pick(&["Whole Foods Market", "Trader Joe's"]);
            add(
                gold,
                store,
                rng.range(4_000, 12_000) as i64,
                "USD",
                "groceries",
                day,
            );
        }
        let in_trip = day >= trip_start && day < trip_start + Duration::days(4);
        if in_trip {
            const CAFES: [&str; 2] = ["Café de Flore", "Le Comptoir du Relais"];
            let cafe = CAFES[rng.range(0, 1) as usize];
            add(
                sapphire,
                cafe,
                rng.range(1_800, 6_500) as i64,
                "EUR",
                "dining",
                day,
            );
        } else {
            if rng.range(0, 99) < 35 {
                let (place, lo, hi) = *rng.pick(&[
                    ("Chipotle", 1_100, 1_800),
                    ("Sweetgreen", 1_300, 2_000),
                    ("Starbucks", 450, 900),
                    ("Joe's Pizza", 900, 2_600),
                    ("DoorDash", 2_200, 5_500),
                ]);
                let card = if rng.range(0, 1) == 0 { gold } else { sapphire };
                add(card, place, rng.range(lo, hi) as i64, "USD", "dining", day);
            }
            if rng.range(0, 99) < 25 {
                let (ride, lo, hi) = *rng.pick(&[
                    ("Uber", 900, 3_500),
                    ("Lyft", 800, 3_000),
                    ("MTA", 290, 290),
                ]);
                add(
                    citi,
                    ride,
                    rng.range(lo, hi) as i64,
                    "USD",
                    "transport",
                    day,
                );
            }
            if rng.range(0, 99) < 8 {
                let shop = *rng.pick(&["Amazon", "Target"]);
                add(
                    citi,
                    shop,
                    rng.range(1_500, 15_000) as i64,
                    "USD",
                    "shopping",
                    day,
                );
            }
        }
        day += Duration::days(1);
    }
    // A purchase returned ten days later.
    let bought = first + Duration::days(rng.range(10, 60) as i64);
    let price = rng.range(3_000, 9_000) as i64;
    add(citi, "Amazon", price, "USD", "shopping", bought);
    add(
        citi,
        "Amazon",
        -price,
        "USD",
        "shopping",
        bought + Duration::days(10),
    );
    // Subscriptions on a fixed day of the month, three months running (the day is at most
    // today's, so this month's charge has happened).
    let max_day = u64::from(today.day().min(28));
    for (name, cents, card) in [
        ("Netflix", 1_549, sapphire),
        ("Spotify", 1_199, sapphire),
        ("Blink Fitness Gym", 4_900, citi),
    ] {
        let dom = rng.range(1, max_day) as u32;
        for back in 0..3 {
            let month_first = months_back(today, back);
            if let Some(date) =
                NaiveDate::from_ymd_opt(month_first.year(), month_first.month(), dom)
            {
                add(card, name, cents, "USD", "subscriptions", date);
            }
        }
    }
    crate::platform::sort::sort_by(&mut txs, |a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| a.external_id.cmp(&b.external_id))
    });
    (accounts, txs)
}

fn months_back(today: NaiveDate, n: u32) -> NaiveDate {
    let total = today.year() * 12 + today.month0() as i32 - n as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::super::insights::{recurring, Tx};
    use super::*;

    #[test]
    fn the_demo_history_is_deterministic_and_realistic() {
        for today in ["2026-11-25", "2026-03-01", "2027-01-31"] {
            let today = NaiveDate::parse_from_str(today, "%Y-%m-%d").expect("date");
            let (accounts, txs) = generate(42, today);
            let (_, again) = generate(42, today);
            assert_eq!(txs, again, "same seed, same history");
            assert_eq!(accounts.len(), 3);
            assert!(txs
                .iter()
                .all(|t| t.date <= today && t.date > today - Duration::days(DAYS + 62)));
            assert!(txs.len() > 60, "{}", txs.len());
            let currencies: std::collections::BTreeSet<&str> =
                txs.iter().map(|t| t.currency).collect();
            assert_eq!(currencies.len(), 2);
            assert_eq!(
                txs.iter().filter(|t| t.amount_cents < 0).count(),
                1,
                "one refund"
            );
            let as_tx: Vec<Tx> = txs
                .iter()
                .map(|t| Tx {
                    merchant: t.merchant.into(),
                    amount_cents: t.amount_cents,
                    currency: t.currency.into(),
                    category: t.category.into(),
                    date: t.date,
                })
                .collect();
            let found: Vec<String> = recurring(&as_tx).into_iter().map(|r| r.merchant).collect();
            for s in ["Netflix", "Spotify", "Blink Fitness Gym"] {
                assert!(
                    found.contains(&s.to_string()),
                    "{s} recurring on {today}: {found:?}"
                );
            }
        }
        let ids: std::collections::HashSet<String> =
            generate(7, NaiveDate::from_ymd_opt(2026, 11, 25).expect("d"))
                .1
                .into_iter()
                .map(|t| t.external_id)
                .collect();
        assert!(ids.len() > 60);
    }
}
