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

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let db = &ctx.db;
    let tiers = crate::products::suiftly::settings::of(&ctx.config)?.tiers;
    let mut budget = i64::from(ctx.config.cron_statement_budget);
    let (mut charged, mut suspended, mut cents_total, mut skipped) = (0, 0, 0i64, 0);
    let mut after = 0i64;
    'outer: while budget > 2 {
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
            break;
        }
        let mut pending: Vec<Vec<worker::D1PreparedStatement>> = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let cid = rows[i].customer_id as i64;
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
                balance_usd_cents: group[0].balance as i64,
                current_month_charged_usd_cents: group[0].month_charged as i64,
                max_monthly_usd_cents: group[0].max_monthly as i64,
            };
            let stmts = match decide(&records, &tiers, &account, group[0].carry as i64) {
                Decision::Suspend(reason) => {
                    suspended += 1;
                    vec![db
                        .prepare(
                            "UPDATE suiftly_services SET suspended_reason = ?2 WHERE customer_id = ?1 AND is_enabled = 1 \
                             AND suspended_reason IS NULL",
                        )
                        .bind(&[(cid as f64).into(), reason.into()])?]
                }
                Decision::Charge {
                    per_record,
                    total,
                    carry,
                } => {
                    charged += 1;
                    cents_total += total;
                    charge_statements(
                        db,
                        &records,
                        &per_record,
                        total,
                        carry,
                        group[0].carry as i64,
                    )?
                }
            };
            let need = stmts.len() as i64;
            if need > budget {
                skipped += 1;
                break 'outer;
            }
            budget -= need;
            after = cid;
            pending.push(stmts);
            // Flush in batches of about 100 statements.
            if pending.iter().map(Vec::len).sum::<usize>() >= 100 {
                flush(db, std::mem::take(&mut pending)).await?;
            }
            i = j;
        }
        flush(db, pending).await?;
    }
    Ok(format!(
        "{charged} customers charged {cents_total} cents, {suspended} suspended{}",
        if skipped > 0 {
            ", statement budget reached (next run continues)"
        } else {
            ""
        }
    ))
}

fn charge_statements(
    db: &worker::D1Database,
    records: &[Unbilled],
    per_record: &[(i64, i64)],
    total: i64,
    carry: i64,
    old_carry: i64,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let now = ids::now_rfc3339();
    let mut out = Vec::with_capacity(records.len() * 2 + 1);
    let cid = records.first().map_or(0, |r| r.customer_id);
    for (r, (_, cents)) in records.iter().zip(per_record) {
        out.push(
            db.prepare(
                "INSERT INTO suiftly_escrow_transactions (id, customer_id, tx_type, amount_usd_cents, idempotency_key, \
                 description, created_at) VALUES (?1, ?2, 'charge', ?3, ?4, ?5, ?6)",
            )
            .bind(&[
                ids::new_id()?.into(),
                (cid as f64).into(),
                (*cents as f64).into(),
                idempotency_key(r).into(),
                format!("{} usage, {} requests", r.service_type, r.request_count).into(),
                now.as_str().into(),
            ])?,
        );
        out.push(
            db.prepare(
                "UPDATE suiftly_usage_records SET charged_amount_usd_cents = ?1, billed_at = ?2 \
                 WHERE id = ?3 AND charged_amount_usd_cents IS NULL",
            )
            .bind(&[
                (*cents as f64).into(),
                now.as_str().into(),
                (r.id as f64).into(),
            ])?,
        );
    }
    // The carry moves from the value priced against: a concurrent change fails the key
    // insert above first, so this only guards against a hand edit.
    out.push(
        db.prepare(
            "UPDATE suiftly_customers SET current_balance_usd_cents = current_balance_usd_cents - ?1, \
             current_month_charged_usd_cents = current_month_charged_usd_cents + ?1, carry_millicents = ?2, updated_at = ?3 \
             WHERE customer_id = ?4 AND carry_millicents = ?5",
        )
        .bind(&[(total as f64).into(), (carry as f64).into(), now.as_str().into(), (cid as f64).into(), (old_carry as f64).into()])?,
    );
    Ok(out)
}

/// Runs the customers' statement groups as one batch. When a charge in it was already
/// applied by another run, or a customer's balance or limit moved under it (the schema's
/// money triggers abort the batch rather than overdraw), the whole batch rolled back;
/// each customer's group is then run as its own batch. The ones already billed fail
/// again and are left alone; the ones whose money moved stay unbilled, and the next run
/// prices them on the new balance (and suspends them if it no longer covers them).
async fn flush(
    db: &worker::D1Database,
    groups: Vec<Vec<worker::D1PreparedStatement>>,
) -> Result<(), ApiError> {
    if groups.is_empty() {
        return Ok(());
    }
    let retry_alone =
        |e: &worker::Error| escrow::is_duplicate(e) || escrow::refused_by_schema(e).is_some();
    match db.batch(groups.concat()).await {
        Ok(_) => Ok(()),
        Err(e) if retry_alone(&e) => {
            for group in groups {
                match db.batch(group).await {
                    Ok(_) => {}
                    Err(e) if retry_alone(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(())
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
