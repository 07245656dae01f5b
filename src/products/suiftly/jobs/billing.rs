//! Billing: unbilled usage records → tier price → limit and balance checks → charge.
//! A customer's charge is one D1 batch: each record marked billed with its cents, one
//! escrow row per (customer, service, window[, pass]) under a unique idempotency key, and
//! the balance change — so a second run, or two overlapping runs, cannot charge twice (the
//! second batch hits the key and is rolled back whole). Insufficient balance suspends the
//! customer's services (their keys leave the vault); passing the monthly limit suspends
//! them until the month rolls over. Unbilled records stay for a later run.

use serde::Deserialize;

use crate::platform::db::parse_closed;
use crate::platform::error::ApiError;
use crate::platform::ids;
use crate::platform::product::JobCtx;
use crate::products::suiftly::escrow;
use crate::products::suiftly::pricing::{self, Account, TierName, Tiers};

/// One unbilled usage record with what pricing needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Unbilled {
    pub id: i64,
    pub customer_id: i64,
    pub service_type: String,
    pub window_start: i64,
    pub pass: i64,
    pub request_count: i64,
    pub tier: TierName,
}

/// What to do with one customer's unbilled records.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Charge {
        per_record: Vec<(i64, i64)>,
        total: i64,
        carry: i64,
    },
    Suspend(&'static str),
}

/// Prices a customer's records in order, carrying fractions of a cent, and checks the
/// total against balance and monthly limit.
pub fn decide(records: &[Unbilled], tiers: &Tiers, account: &Account, carry: i64) -> Decision {
    let mut carry = carry;
    let mut per_record = Vec::with_capacity(records.len());
    let mut total = 0;
    for r in records {
        let (cents, next) = pricing::charge_requests(
            r.request_count,
            tiers.get(r.tier).per_1000_requests_usd_cents,
            carry,
        );
        carry = next;
        total += cents;
        per_record.push((r.id, cents));
    }
    match pricing::validate_operation(account, total) {
        Ok(()) => Decision::Charge {
            per_record,
            total,
            carry,
        },
        Err(pricing::Refusal::InsufficientBalance(_)) => Decision::Suspend("insufficient_balance"),
        Err(pricing::Refusal::MonthlyLimitExceeded(_)) => {
            Decision::Suspend("monthly_limit_exceeded")
        }
    }
}

pub fn idempotency_key(r: &Unbilled) -> String {
    format!(
        "usage:{}:{}:{}:{}",
        r.customer_id, r.service_type, r.window_start, r.pass
    )
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    customer_id: i64,
    service_type: String,
    window_start: i64,
    pass: i64,
    request_count: i64,
    tier: String,
    balance: i64,
    month_charged: i64,
    max_monthly: i64,
    carry: i64,
}

/// Customers per read; their records per read stay under a few thousand.
const CUSTOMERS_PER_READ: i64 = 200;

/// One customer's outcome of a run, written together with other customers' by
/// [`statements`].
enum Plan {
    Charge {
        records: Vec<Unbilled>,
        per_record: Vec<(i64, i64)>,
        total: i64,
        carry: i64,
        old_carry: i64,
    },
    Suspend {
        customer_id: i64,
        reason: &'static str,
    },
}

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let db = &ctx.db;
    let tiers = crate::products::suiftly::settings::of(&ctx.config)?.tiers;
    let mut budget = i64::from(ctx.config.cron_statement_budget);
    let (mut charged, mut suspended, mut cents_total) = (0, 0, 0i64);
    let mut finished = false;
    let mut after = 0i64;
    // A read, then at most four writes for all the customers it found.
    while budget > MAX_STATEMENTS {
        let rows: Vec<Row> = db
            .prepare(
                "SELECT u.id, u.customer_id, u.service_type, u.window_start, u.pass, u.request_count, u.tier, \
                   c.current_balance_usd_cents AS balance, c.current_month_charged_usd_cents AS month_charged, \
                   c.max_monthly_usd_cents AS max_monthly, c.carry_millicents AS carry \
                 FROM suiftly_usage_records u \
                 JOIN suiftly_customers c ON c.customer_id = u.customer_id \
                 WHERE u.charged_amount_usd_cents IS NULL AND u.customer_id IN ( \
                   SELECT DISTINCT customer_id FROM suiftly_usage_records \
                   WHERE charged_amount_usd_cents IS NULL AND customer_id > ?1 ORDER BY customer_id LIMIT ?2) \
                 ORDER BY u.customer_id, u.window_start, u.id",
            )
            .bind(&[(after as f64).into(), (CUSTOMERS_PER_READ as f64).into()])?
            .all()
            .await?
            .results()?;
        budget -= 1;
        if rows.is_empty() {
            finished = true;
            break;
        }
        let mut plans = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let cid = rows[i].customer_id;
            let j = rows[i..]
                .iter()
                .position(|r| r.customer_id != cid)
                .map_or(rows.len(), |k| i + k);
            let group = &rows[i..j];
            let records = group
                .iter()
                .map(|r| {
                    Ok(Unbilled {
                        id: r.id,
                        customer_id: cid,
                        service_type: r.service_type.clone(),
                        window_start: r.window_start,
                        pass: r.pass,
                        request_count: r.request_count,
                        tier: parse_closed(
                            &r.tier,
                            TierName::parse,
                            "suiftly_usage_records",
                            r.id,
                        )?,
                    })
                })
                .collect::<Result<Vec<Unbilled>, ApiError>>()?;
            let account = Account {
                balance_usd_cents: group[0].balance,
                current_month_charged_usd_cents: group[0].month_charged,
                max_monthly_usd_cents: group[0].max_monthly,
            };
            plans.push(match decide(&records, &tiers, &account, group[0].carry) {
                Decision::Suspend(reason) => {
                    suspended += 1;
                    Plan::Suspend {
                        customer_id: cid,
                        reason,
                    }
                }
                Decision::Charge {
                    per_record,
                    total,
                    carry,
                } => {
                    charged += 1;
                    cents_total += total;
                    Plan::Charge {
                        records,
                        per_record,
                        total,
                        carry,
                        old_carry: group[0].carry,
                    }
                }
            });
            after = cid;
            i = j;
        }
        budget -= flush(db, &plans).await?;
    }
    Ok(format!(
        "{charged} customers charged {cents_total} cents, {suspended} suspended{}",
        if !finished {
            ", statement budget reached (next run continues)"
        } else {
            ""
        }
    ))
}

/// Statements [`statements`] writes for any number of customers.
const MAX_STATEMENTS: i64 = 4;

/// The writes of many customers' plans in at most [`MAX_STATEMENTS`] statements, each
/// reading its rows from one JSON array (`json_each`): the escrow charges, one per record
/// under its idempotency key; the records marked billed; the balances, month totals and
/// carries; and the suspensions.
fn statements(
    db: &worker::D1Database,
    plans: &[Plan],
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let now = ids::now_rfc3339();
    let (mut escrow, mut usage, mut customers, mut suspend) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for plan in plans {
        match plan {
            Plan::Charge {
                records,
                per_record,
                total,
                carry,
                old_carry,
            } => {
                for (r, (_, cents)) in records.iter().zip(per_record) {
                    escrow.push(serde_json::json!({
                        "id": ids::new_id()?, "c": r.customer_id, "a": cents, "k": idempotency_key(r),
                        "d": format!("{} usage, {} requests", r.service_type, r.request_count),
                    }));
                    usage.push(serde_json::json!({"id": r.id, "a": cents}));
                }
                let cid = records.first().map_or(0, |r| r.customer_id);
                customers.push(
                    serde_json::json!({"c": cid, "t": total, "carry": carry, "old": old_carry}),
                );
            }
            Plan::Suspend {
                customer_id,
                reason,
            } => {
                suspend.push(serde_json::json!({"c": customer_id, "r": reason}));
            }
        }
    }
    let mut out = Vec::new();
    // Each statement reads its rows from ?1; the ones that stamp a time take it as ?2.
    let mut add = |sql: &str, rows: Vec<serde_json::Value>| -> Result<(), ApiError> {
        if !rows.is_empty() {
            let mut binds = vec![serde_json::to_string(&rows)?.into()];
            if sql.contains("?2") {
                binds.push(now.as_str().into());
            }
            out.push(db.prepare(sql).bind(&binds)?);
        }
        Ok(())
    };
    add(
        "INSERT INTO suiftly_escrow_transactions (id, customer_id, tx_type, amount_usd_cents, idempotency_key, \
         description, created_at) SELECT value->>'id', value->>'c', 'charge', value->>'a', value->>'k', value->>'d', ?2 \
         FROM json_each(?1)",
        escrow,
    )?;
    add(
        "UPDATE suiftly_usage_records SET charged_amount_usd_cents = j.value->>'a', billed_at = ?2 \
         FROM json_each(?1) AS j WHERE suiftly_usage_records.id = j.value->>'id' AND charged_amount_usd_cents IS NULL",
        usage,
    )?;
    // The carry moves from the value priced against: a concurrent change fails the key
    // insert above first, so this only guards against a hand edit.
    add(
        "UPDATE suiftly_customers SET current_balance_usd_cents = current_balance_usd_cents - (j.value->>'t'), \
         current_month_charged_usd_cents = current_month_charged_usd_cents + (j.value->>'t'), \
         carry_millicents = j.value->>'carry', updated_at = ?2 \
         FROM json_each(?1) AS j WHERE customer_id = j.value->>'c' AND carry_millicents = j.value->>'old'",
        customers,
    )?;
    add(
        "UPDATE suiftly_services SET suspended_reason = j.value->>'r' FROM json_each(?1) AS j \
         WHERE customer_id = j.value->>'c' AND is_enabled = 1 AND suspended_reason IS NULL",
        suspend,
    )?;
    Ok(out)
}

/// Writes the plans of a read as one batch; returns the statements it ran. When a charge
/// in it was already applied by another run, or a customer's balance or limit moved
/// under it (the schema's money triggers abort the batch rather than overdraw), the whole
/// batch rolled back; each customer's plan is then written as its own batch. The ones
/// already billed fail again and are left alone; the ones whose money moved stay
/// unbilled, and the next run prices them on the new balance (and suspends them if it no
/// longer covers them).
async fn flush(db: &worker::D1Database, plans: &[Plan]) -> Result<i64, ApiError> {
    let all = statements(db, plans)?;
    if all.is_empty() {
        return Ok(0);
    }
    let mut ran = all.len() as i64;
    let retry_alone =
        |e: &worker::Error| escrow::is_duplicate(e) || escrow::refused_by_schema(e).is_some();
    match db.batch(all).await {
        Ok(_) => Ok(ran),
        Err(e) if retry_alone(&e) => {
            for plan in plans {
                let one = statements(db, std::slice::from_ref(plan))?;
                ran += one.len() as i64;
                match db.batch(one).await {
                    Ok(_) => {}
                    Err(e) if retry_alone(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(ran)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: i64, requests: i64, tier: TierName) -> Unbilled {
        Unbilled {
            id,
            customer_id: 7,
            service_type: "seal".into(),
            window_start: id * 300_000,
            pass: 1,
            request_count: requests,
            tier,
        }
    }

    fn acct(balance: i64) -> Account {
        Account {
            balance_usd_cents: balance,
            current_month_charged_usd_cents: 900,
            max_monthly_usd_cents: 25_000,
        }
    }

    #[test]
    fn charges_per_record_with_carry() {
        let d = decide(
            &[
                rec(1, 2_345, TierName::Starter),
                rec(2, 1_001, TierName::Starter),
            ],
            &Tiers::default(),
            &acct(10_000),
            0,
        );
        assert_eq!(
            d,
            Decision::Charge {
                per_record: vec![(1, 23), (2, 10)],
                total: 33,
                carry: 460
            }
        );
    }

    #[test]
    fn tiers_price_differently() {
        let d = decide(
            &[
                rec(1, 10_000, TierName::Pro),
                rec(2, 10_000, TierName::Enterprise),
            ],
            &Tiers::default(),
            &acct(10_000),
            999,
        );
        // 80,000 + 999 → 80 ¢ carry 999; 50,000 + 999 → 50 ¢ carry 999.
        assert_eq!(
            d,
            Decision::Charge {
                per_record: vec![(1, 80), (2, 50)],
                total: 130,
                carry: 999
            }
        );
    }

    #[test]
    fn refuses_without_balance_or_over_limit() {
        let recs = [rec(1, 100_000, TierName::Starter)]; // 1,000 ¢
        assert_eq!(
            decide(&recs, &Tiers::default(), &acct(999), 0),
            Decision::Suspend("insufficient_balance")
        );
        let near_limit = Account {
            balance_usd_cents: 100_000,
            current_month_charged_usd_cents: 24_500,
            max_monthly_usd_cents: 25_000,
        };
        assert_eq!(
            decide(&recs, &Tiers::default(), &near_limit, 0),
            Decision::Suspend("monthly_limit_exceeded")
        );
    }

    #[test]
    fn keys_name_customer_service_window_and_pass() {
        assert_eq!(
            idempotency_key(&rec(3, 1, TierName::Pro)),
            "usage:7:seal:900000:1"
        );
    }
}
