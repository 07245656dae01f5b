//! Suiftly's money rules, in integer cents: tiers, the seed's `validateOperation`, request
//! pricing with fractions of a cent carried per customer, and months.

use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TierName {
    Starter,
    Pro,
    Enterprise,
}

impl TierName {
    pub const ALL: [TierName; 3] = [TierName::Starter, TierName::Pro, TierName::Enterprise];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "starter" => Some(Self::Starter),
            "pro" => Some(Self::Pro),
            "enterprise" => Some(Self::Enterprise),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Starter => "starter",
            Self::Pro => "pro",
            Self::Enterprise => "enterprise",
        }
    }
}

/// Price and limits of a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tier {
    pub monthly_usd_cents: i64,
    /// Cents per 1,000 requests.
    pub per_1000_requests_usd_cents: i64,
    pub rate_limit_rps: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiers {
    pub starter: Tier,
    pub pro: Tier,
    pub enterprise: Tier,
}

impl Default for Tiers {
    fn default() -> Self {
        Self {
            starter: Tier {
                monthly_usd_cents: 900,
                per_1000_requests_usd_cents: 10,
                rate_limit_rps: 100,
            },
            pro: Tier {
                monthly_usd_cents: 2_900,
                per_1000_requests_usd_cents: 8,
                rate_limit_rps: 500,
            },
            enterprise: Tier {
                monthly_usd_cents: 18_500,
                per_1000_requests_usd_cents: 5,
                rate_limit_rps: 2_000,
            },
        }
    }
}

impl Tiers {
    pub fn get(&self, t: TierName) -> Tier {
        match t {
            TierName::Starter => self.starter,
            TierName::Pro => self.pro,
            TierName::Enterprise => self.enterprise,
        }
    }

    /// `"900/10/100"` → monthly cents / cents per 1,000 requests / requests per second.
    pub fn parse_tier(s: &str) -> Option<Tier> {
        let parts: Vec<i64> = s
            .split('/')
            .map(|p| p.trim().parse().ok())
            .collect::<Option<_>>()?;
        match parts.as_slice() {
            &[m, r, l] if m >= 0 && r >= 0 && l > 0 => Some(Tier {
                monthly_usd_cents: m,
                per_1000_requests_usd_cents: r,
                rate_limit_rps: l,
            }),
            _ => None,
        }
    }
}

/// The customer figures a cost check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub balance_usd_cents: i64,
    pub current_month_charged_usd_cents: i64,
    pub max_monthly_usd_cents: i64,
}

/// Why an operation may not raise cost, with the seed's `details`.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    InsufficientBalance(Value),
    MonthlyLimitExceeded(Value),
}

fn usd(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// The seed's `validateOperation`: enough balance first, then within the monthly limit.
pub fn validate_operation(a: &Account, cost_usd_cents: i64) -> Result<(), Refusal> {
    if a.balance_usd_cents < cost_usd_cents {
        return Err(Refusal::InsufficientBalance(json!({
            "current_balance_usd": usd(a.balance_usd_cents),
            "estimated_cost_usd": usd(cost_usd_cents),
            "required_deposit_usd": usd(cost_usd_cents - a.balance_usd_cents),
        })));
    }
    if a.current_month_charged_usd_cents + cost_usd_cents > a.max_monthly_usd_cents {
        return Err(Refusal::MonthlyLimitExceeded(json!({
            "max_monthly_usd": usd(a.max_monthly_usd_cents),
            "current_month_charged_usd": usd(a.current_month_charged_usd_cents),
            "estimated_cost_usd": usd(cost_usd_cents),
            "remaining_authorization_usd": usd(a.max_monthly_usd_cents - a.current_month_charged_usd_cents),
        })));
    }
    Ok(())
}

/// Whole cents charged for `requests` at `per_1000` cents per 1,000 requests, given the
/// customer's carried thousandths of a cent; returns (cents, new carry). No fraction is
/// lost or invented: cents × 1000 + carry always equals the exact price plus old carry.
pub fn charge_requests(requests: i64, per_1000: i64, carry_millicents: i64) -> (i64, i64) {
    let exact = requests * per_1000 + carry_millicents;
    (exact / 1000, exact % 1000)
}

/// Cents a pending set of records will cost, rounded up (what a withdrawal must leave).
pub fn estimate_cents(items: &[(i64, i64)], carry_millicents: i64) -> i64 {
    let exact: i64 = items.iter().map(|(n, p)| n * p).sum::<i64>() + carry_millicents;
    (exact + 999) / 1000
}

/// The first day of the month of `date` (`YYYY-MM-01`).
pub fn month_start(date: chrono::NaiveDate) -> chrono::NaiveDate {
    chrono::Datelike::with_day(&date, 1).unwrap_or(date)
}

/// `YYYY-MM` of a date (idempotency keys of monthly charges).
pub fn month_key(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

/// The 5-minute metering window of a unix-ms timestamp: (start, end).
pub fn window_of(ts_ms: i64) -> (i64, i64) {
    let start = ts_ms - ts_ms.rem_euclid(WINDOW_MS);
    (start, start + WINDOW_MS)
}

pub const WINDOW_MS: i64 = 300_000;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn acct(balance: i64, charged: i64, max: i64) -> Account {
        Account {
            balance_usd_cents: balance,
            current_month_charged_usd_cents: charged,
            max_monthly_usd_cents: max,
        }
    }

    #[test]
    fn default_tiers_match_the_price_list() {
        let t = Tiers::default();
        assert_eq!(
            (
                t.starter.monthly_usd_cents,
                t.starter.per_1000_requests_usd_cents,
                t.starter.rate_limit_rps
            ),
            (900, 10, 100)
        );
        assert_eq!(
            (
                t.pro.monthly_usd_cents,
                t.pro.per_1000_requests_usd_cents,
                t.pro.rate_limit_rps
            ),
            (2_900, 8, 500)
        );
        assert_eq!(
            (
                t.enterprise.monthly_usd_cents,
                t.enterprise.per_1000_requests_usd_cents,
                t.enterprise.rate_limit_rps
            ),
            (18_500, 5, 2_000)
        );
        assert_eq!(Tiers::parse_tier("900/10/100"), Some(t.starter));
        assert_eq!(Tiers::parse_tier("900/10"), None);
        assert_eq!(Tiers::parse_tier("-1/10/100"), None);
    }

    #[test]
    fn validate_operation_balance_first_then_limit() {
        assert_eq!(validate_operation(&acct(1_000, 0, 25_000), 900), Ok(()));
        match validate_operation(&acct(500, 0, 25_000), 900) {
            Err(Refusal::InsufficientBalance(d)) => {
                assert_eq!(d["current_balance_usd"], 5.0);
                assert_eq!(d["estimated_cost_usd"], 9.0);
                assert_eq!(d["required_deposit_usd"], 4.0);
            }
            other => panic!("{other:?}"),
        }
        match validate_operation(&acct(100_000, 24_500, 25_000), 900) {
            Err(Refusal::MonthlyLimitExceeded(d)) => {
                assert_eq!(d["max_monthly_usd"], 250.0);
                assert_eq!(d["current_month_charged_usd"], 245.0);
                assert_eq!(d["estimated_cost_usd"], 9.0);
                assert_eq!(d["remaining_authorization_usd"], 5.0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            validate_operation(&acct(900, 24_100, 25_000), 900),
            Ok(()),
            "exactly at both edges"
        );
    }

    #[test]
    fn fractions_carry_without_loss() {
        // 2,345 starter requests: 23.45 ¢ → 23 ¢ now, 0.45 ¢ carried.
        assert_eq!(charge_requests(2_345, 10, 0), (23, 450));
        // 1,001 more: 10.01 ¢ + 0.45 ¢ = 10.46 ¢ → 10 ¢, carry 0.46 ¢.
        assert_eq!(charge_requests(1_001, 10, 450), (10, 460));
        // Many tiny windows add up exactly: 1,000 windows of 7 requests at 8 ¢/1000 = 56 ¢.
        let (mut total, mut carry) = (0, 0);
        for _ in 0..1_000 {
            let (c, k) = charge_requests(7, 8, carry);
            total += c;
            carry = k;
        }
        assert_eq!(total * 1000 + carry, 7 * 8 * 1_000);
        assert_eq!(total, 56);
    }

    #[test]
    fn estimates_round_up() {
        assert_eq!(estimate_cents(&[(1, 10)], 0), 1);
        assert_eq!(estimate_cents(&[(1_000, 10), (500, 8)], 0), 14);
        assert_eq!(estimate_cents(&[], 0), 0);
    }

    #[test]
    fn months_and_windows() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 28).expect("date");
        assert_eq!(month_start(d).to_string(), "2026-02-01");
        assert_eq!(month_key(d), "2026-02");
        let leap = NaiveDate::from_ymd_opt(2028, 2, 29).expect("leap day");
        assert_eq!(month_start(leap).to_string(), "2028-02-01");
        assert_eq!(
            window_of(1_800_000_123_456),
            (1_800_000_000_000, 1_800_000_300_000)
        );
        assert_eq!(window_of(600_000), (600_000, 900_000));
    }
}
