//! Insights from a user's transactions, computed exactly in integer cents: spend by
//! category and merchant for this and last month, the month-over-month change, and
//! recurring charges with the next expected date and amount.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Value};

use super::intent::Period;

/// A transaction as insights see it: spend positive, refunds negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx {
    pub merchant: String,
    pub amount_cents: i64,
    pub currency: String,
    pub category: String,
    pub date: NaiveDate,
}

/// Amounts by name, largest first (ties by name).
pub type Ranked = Vec<(String, i64)>;

/// Totals of `txs` in `currency` within `[from, to)`: all, by category, by merchant.
pub fn totals(txs: &[Tx], currency: &str, from: NaiveDate, to: NaiveDate) -> (i64, Ranked, Ranked) {
    let mut total = 0;
    let mut cats: BTreeMap<String, i64> = BTreeMap::new();
    let mut merchants: BTreeMap<String, i64> = BTreeMap::new();
    for t in txs
        .iter()
        .filter(|t| t.currency == currency && t.date >= from && t.date < to)
    {
        total += t.amount_cents;
        *cats.entry(t.category.clone()).or_default() += t.amount_cents;
        *merchants.entry(t.merchant.clone()).or_default() += t.amount_cents;
    }
    let ranked = |m: BTreeMap<String, i64>| {
        let mut v: Vec<(String, i64)> = m.into_iter().collect();
        crate::platform::sort::sort_by(&mut v, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    (total, ranked(cats), ranked(merchants))
}

/// A charge that repeats: same merchant and currency, amount within ±10 % of the usual one,
/// 25–35 days apart, at least 3 times in a row up to the latest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurring {
    pub merchant: String,
    pub currency: String,
    pub category: String,
    pub amount_cents: i64,
    pub occurrences: usize,
    pub cadence_days: i64,
    pub last_date: NaiveDate,
    pub next_expected_date: NaiveDate,
}

pub fn recurring(txs: &[Tx]) -> Vec<Recurring> {
    let mut by: BTreeMap<(String, String), Vec<&Tx>> = BTreeMap::new();
    for t in txs.iter().filter(|t| t.amount_cents > 0) {
        by.entry((t.merchant.to_lowercase(), t.currency.clone()))
            .or_default()
            .push(t);
    }
    let mut out = Vec::new();
    for (_, mut charges) in by {
        crate::platform::sort::sort_by_key(&mut charges, |t| t.date);
        let Some(last) = charges.last().copied() else {
            continue;
        };
        // Walk back from the latest charge while the gaps are monthly and the amounts close.
        let mut run = vec![last];
        for t in charges.iter().rev().skip(1) {
            let prev = run[run.len() - 1];
            let gap = (prev.date - t.date).num_days();
            let close = (t.amount_cents - last.amount_cents).abs() * 10 <= last.amount_cents;
            if gap == 0 {
                continue;
            }
            match gap {
                25..=35 if close => run.push(t),
                // A similar charge sooner than monthly: a habit, not a subscription.
                _ if gap < 25 && close => break,
                _ if gap > 35 => break,
                _ => {}
            }
        }
        if run.len() < 3 {
            continue;
        }
        let span = (last.date - run[run.len() - 1].date).num_days();
        let cadence = (span as f64 / (run.len() - 1) as f64).round() as i64;
        // A charge expected after the last date the API takes is not one it can name.
        let Some(next_expected_date) = crate::platform::fields::days_after(last.date, cadence)
        else {
            continue;
        };
        out.push(Recurring {
            merchant: last.merchant.clone(),
            currency: last.currency.clone(),
            category: last.category.clone(),
            amount_cents: last.amount_cents,
            occurrences: run.len(),
            cadence_days: cadence,
            last_date: last.date,
            next_expected_date,
        });
    }
    crate::platform::sort::sort_by(&mut out, |a, b| {
        a.next_expected_date
            .cmp(&b.next_expected_date)
            .then_with(|| a.merchant.cmp(&b.merchant))
    });
    out
}

/// The insights document stored per user and served by `GET /insights`.
pub fn compute(txs: &[Tx], today: NaiveDate, currency: &str) -> Value {
    let (this_from, this_to, this_label) = Period::ThisMonth.range(today);
    let (last_from, last_to, last_label) = Period::LastMonth.range(today);
    // The same days of last month as have passed of this one, for a fair comparison.
    let same_day = last_from + Duration::days(i64::from(today.day()));
    let same_to = same_day.min(last_to);
    let (this_total, this_cats, this_merchants) = totals(txs, currency, this_from, this_to);
    let (last_total, last_cats, last_merchants) = totals(txs, currency, last_from, last_to);
    let (last_same, _, _) = totals(txs, currency, last_from, same_to);
    let pairs = |v: &[(String, i64)], key: &str| -> Vec<Value> {
        v.iter()
            .map(|(k, c)| json!({key: k, "total_cents": c}))
            .collect()
    };
    let mut categories: Vec<String> = this_cats
        .iter()
        .chain(&last_cats)
        .map(|(c, _)| c.clone())
        .collect();
    crate::platform::sort::sort(&mut categories);
    categories.dedup();
    let cents_of =
        |v: &[(String, i64)], k: &str| v.iter().find(|(c, _)| c == k).map_or(0, |(_, c)| *c);
    let by_category: Vec<Value> = categories
        .iter()
        .map(|c| {
            let (now, before) = (cents_of(&this_cats, c), cents_of(&last_cats, c));
            json!({"category": c, "this_month_cents": now, "last_month_cents": before})
        })
        .collect();
    let change = this_total - last_same;
    let change_pct = if last_same == 0 {
        Value::Null
    } else {
        json!(((change as f64 / last_same as f64) * 1000.0).round() / 10.0)
    };
    let mut others: BTreeMap<String, i64> = BTreeMap::new();
    for t in txs
        .iter()
        .filter(|t| t.currency != currency && t.date >= this_from && t.date < this_to)
    {
        *others.entry(t.currency.clone()).or_default() += t.amount_cents;
    }
    let recurring: Vec<Value> = recurring(txs)
        .into_iter()
        .map(|r| {
            json!({"merchant": r.merchant, "category": r.category, "currency": r.currency,
                "amount_cents": r.amount_cents, "occurrences": r.occurrences, "cadence_days": r.cadence_days,
                "last_date": r.last_date.to_string(), "next_expected_date": r.next_expected_date.to_string(),
                "next_expected_cents": r.amount_cents})
        })
        .collect();
    json!({
        "currency": currency,
        "this_month": {"label": this_label, "from": this_from.to_string(), "total_cents": this_total,
            "by_category": pairs(&this_cats, "category"), "by_merchant": pairs(&this_merchants[..this_merchants.len().min(10)], "merchant")},
        "last_month": {"label": last_label, "from": last_from.to_string(), "total_cents": last_total,
            "by_category": pairs(&last_cats, "category"), "by_merchant": pairs(&last_merchants[..last_merchants.len().min(10)], "merchant")},
        "by_category": by_category,
        "month_over_month": {"this_month_cents": this_total, "last_month_same_days_cents": last_same,
            "last_month_cents": last_total, "change_cents": change, "change_pct": change_pct,
            "days": today.day()},
        "recurring": recurring,
        "other_currencies_this_month": others,
        "transactions": txs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn tx(merchant: &str, cents: i64, date: &str, category: &str) -> Tx {
        Tx {
            merchant: merchant.into(),
            amount_cents: cents,
            currency: "USD".into(),
            category: category.into(),
            date: d(date),
        }
    }

    #[test]
    fn a_charge_due_after_the_last_date_is_not_listed() {
        let late = [
            tx("Netflix", 1549, "2100-10-20", "subscriptions"),
            tx("Netflix", 1549, "2100-11-20", "subscriptions"),
            tx("Netflix", 1549, "2100-12-20", "subscriptions"),
        ];
        assert!(recurring(&late).is_empty());
        let earlier = [
            tx("Netflix", 1549, "2100-09-20", "subscriptions"),
            tx("Netflix", 1549, "2100-10-20", "subscriptions"),
            tx("Netflix", 1549, "2100-11-20", "subscriptions"),
        ];
        assert_eq!(
            recurring(&earlier)[0].next_expected_date,
            d("2100-12-21"),
            "a 31-day cadence"
        );
    }

    #[test]
    fn monthly_charges_are_recurring_and_weekly_ones_are_not() {
        let mut txs = vec![
            tx("Netflix", 1549, "2026-08-03", "subscriptions"),
            tx("Netflix", 1549, "2026-09-03", "subscriptions"),
            tx("Netflix", 1599, "2026-10-03", "subscriptions"),
            tx("Netflix", 1599, "2026-11-03", "subscriptions"),
            tx("Gym", 4900, "2026-10-15", "subscriptions"),
            tx("Gym", 4900, "2026-11-15", "subscriptions"),
        ];
        for w in 0..12 {
            txs.push(tx(
                "Whole Foods",
                8000,
                &(d("2026-09-01") + Duration::days(7 * w)).to_string(),
                "groceries",
            ));
        }
        let r = recurring(&txs);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].merchant, "Netflix");
        assert_eq!(r[0].occurrences, 4);
        assert_eq!(r[0].next_expected_date, d("2026-12-04"));
        assert_eq!(r[0].amount_cents, 1599);
    }

    #[test]
    fn totals_and_month_over_month_are_exact() {
        let txs = vec![
            tx("Chipotle", 1250, "2026-11-02", "dining"),
            tx("Chipotle", 1250, "2026-10-02", "dining"),
            tx("Amazon", 5000, "2026-11-10", "shopping"),
            tx("Amazon", -2000, "2026-11-12", "shopping"),
            tx("Amazon", 9999, "2026-10-28", "shopping"),
        ];
        let v = compute(&txs, d("2026-11-25"), "USD");
        assert_eq!(v["this_month"]["total_cents"], 4250);
        assert_eq!(v["last_month"]["total_cents"], 11_249);
        assert_eq!(v["month_over_month"]["last_month_same_days_cents"], 1250);
        assert_eq!(v["month_over_month"]["change_cents"], 3000);
        assert_eq!(v["month_over_month"]["change_pct"], 240.0);
        assert_eq!(
            v["this_month"]["by_category"][0],
            crate::schema!({"category": "shopping", "total_cents": 3000})
        );
    }
}
