//! Month rollover: for each customer whose month has ended, last month's total is kept,
//! the month counter resets, pending downgrades apply, limit suspensions lift, and the
//! monthly base of every enabled service is charged for the new month (or the service is
//! suspended when the balance cannot cover it). One D1 batch per customer, guarded by the
//! customer's old month and by the charges' idempotency keys, so a second run changes
//! nothing.

use serde::Deserialize;

use crate::platform::db::parse_closed;
use crate::platform::error::ApiError;
use crate::platform::ids;
use crate::platform::product::JobCtx;
use crate::products::suiftly::pricing::{self, Account, TierName, Tiers};
use crate::products::suiftly::{customers, escrow, services};

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceState {
    pub service_type: String,
    pub tier: TierName,
    pub next_tier: Option<TierName>,
    pub is_enabled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Charge {
        service_type: String,
        tier: TierName,
        cents: i64,
    },
    Suspend {
        service_type: String,
        reason: &'static str,
    },
}

/// What the new month does for one customer: the month counter starts at zero, each
/// enabled service pays its (possibly downgraded) base while money and limit allow.
pub fn plan(balance: i64, max_monthly: i64, svcs: &[ServiceState], tiers: &Tiers) -> Vec<Action> {
    let mut account = Account {
        balance_usd_cents: balance,
        current_month_charged_usd_cents: 0,
        max_monthly_usd_cents: max_monthly,
    };
    let mut out = Vec::new();
    for s in svcs.iter().filter(|s| s.is_enabled) {
        let tier = s.next_tier.unwrap_or(s.tier);
        let cents = tiers.get(tier).monthly_usd_cents;
        match pricing::validate_operation(&account, cents) {
            Ok(()) => {
                account.balance_usd_cents -= cents;
                account.current_month_charged_usd_cents += cents;
                out.push(Action::Charge {
                    service_type: s.service_type.clone(),
                    tier,
                    cents,
                });
            }
            Err(pricing::Refusal::InsufficientBalance(_)) => out.push(Action::Suspend {
                service_type: s.service_type.clone(),
                reason: "insufficient_balance",
            }),
            Err(pricing::Refusal::MonthlyLimitExceeded(_)) => out.push(Action::Suspend {
                service_type: s.service_type.clone(),
                reason: "monthly_limit_exceeded",
            }),
        }
    }
    out
}

#[derive(Deserialize)]
struct Due {
    customer_id: i64,
    balance: i64,
    max_monthly: i64,
    month: String,
}

#[derive(Deserialize)]
struct SvcRow {
    service_type: String,
    tier: String,
    next_tier: Option<String>,
    #[serde(deserialize_with = "crate::platform::db::flag")]
    is_enabled: bool,
}

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let db = &ctx.db;
    let tiers = crate::products::suiftly::settings::of(&ctx.config)?.tiers;
    let this_month = customers::this_month();
    let key_month = &this_month[..7];
    let mut budget = i64::from(ctx.config.cron_statement_budget);
    let mut rolled = 0;
    while budget > 10 {
        let due: Vec<Due> = db
            .prepare(
                "SELECT customer_id, current_balance_usd_cents AS balance, max_monthly_usd_cents AS max_monthly, \
                 current_month_start AS month FROM suiftly_customers WHERE current_month_start < ?1 \
                 ORDER BY customer_id LIMIT 50",
            )
            .bind(&[this_month.as_str().into()])?
            .all()
            .await?
            .results()?;
        budget -= 1;
        if due.is_empty() {
            break;
        }
        for c in due {
            let cid = c.customer_id;
            let svcs: Vec<SvcRow> = db
                .prepare("SELECT service_type, tier, next_tier, is_enabled FROM suiftly_services WHERE customer_id = ?1")
                .bind(&[(cid as f64).into()])?
                .all()
                .await?
                .results()?;
            let row = |s: &SvcRow| format!("{cid}/{}", s.service_type);
            let states = svcs
                .iter()
                .map(|s| {
                    Ok(ServiceState {
                        service_type: s.service_type.clone(),
                        tier: parse_closed(&s.tier, TierName::parse, "suiftly_services", row(s))?,
                        next_tier: s
                            .next_tier
                            .as_deref()
                            .map(|n| parse_closed(n, TierName::parse, "suiftly_services", row(s)))
                            .transpose()?,
                        is_enabled: s.is_enabled,
                    })
                })
                .collect::<Result<Vec<ServiceState>, ApiError>>()?;
            let now = ids::now_rfc3339();
            let cidv: wasm_bindgen::JsValue = (cid as f64).into();
            let mut stmts = vec![
                // Downgrades apply and limit suspensions lift — only while the month is the old one.
                db.prepare(
                    "UPDATE suiftly_services SET tier = COALESCE(next_tier, tier), next_tier = NULL, \
                     suspended_reason = CASE WHEN suspended_reason = 'monthly_limit_exceeded' THEN NULL ELSE suspended_reason END \
                     WHERE customer_id = ?1 AND (SELECT current_month_start FROM suiftly_customers WHERE customer_id = ?1) = ?2",
                )
                .bind(&[cidv.clone(), c.month.as_str().into()])?,
                db.prepare(
                    "UPDATE suiftly_customers SET last_month_charged_usd_cents = current_month_charged_usd_cents, \
                     current_month_charged_usd_cents = 0, current_month_start = ?3, updated_at = ?4 \
                     WHERE customer_id = ?1 AND current_month_start = ?2",
                )
                .bind(&[cidv.clone(), c.month.as_str().into(), this_month.as_str().into(), now.as_str().into()])?,
            ];
            for action in plan(c.balance, c.max_monthly, &states, &tiers) {
                match action {
                    Action::Charge { service_type, tier, cents } => stmts.extend(escrow::charge_statements(
                        db,
                        cid,
                        cents,
                        &services::tier_key(cid, &service_type, key_month, tier),
                        &format!("{service_type} {} monthly base", tier.as_str()),
                    )?),
                    Action::Suspend { service_type, reason } => stmts.push(
                        db.prepare("UPDATE suiftly_services SET suspended_reason = ?3 WHERE customer_id = ?1 AND service_type = ?2")
                            .bind(&[cidv.clone(), service_type.as_str().into(), reason.into()])?,
                    ),
                }
            }
            budget -= stmts.len() as i64 + 1;
            match db.batch(stmts).await {
                Ok(_) => rolled += 1,
                Err(e) if escrow::is_duplicate(&e) => {} // another run rolled this customer over
                // The balance moved under the plan (a concurrent debit): the next run plans again.
                Err(e) if escrow::refused_by_schema(&e).is_some() => {}
                Err(e) => return Err(e.into()),
            }
            if budget <= 10 {
                break;
            }
        }
    }
    Ok(format!("{rolled} customers rolled over to {this_month}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(t: &str, tier: TierName, next: Option<TierName>, enabled: bool) -> ServiceState {
        ServiceState {
            service_type: t.into(),
            tier,
            next_tier: next,
            is_enabled: enabled,
        }
    }

    #[test]
    fn charges_every_enabled_base_and_applies_downgrades() {
        let a = plan(
            10_000,
            25_000,
            &[
                svc("seal", TierName::Pro, Some(TierName::Starter), true),
                svc("grpc", TierName::Pro, None, false),
            ],
            &Tiers::default(),
        );
        assert_eq!(
            a,
            vec![Action::Charge {
                service_type: "seal".into(),
                tier: TierName::Starter,
                cents: 900
            }]
        );
    }

    #[test]
    fn suspends_what_the_balance_or_limit_cannot_cover() {
        let two = [
            svc("seal", TierName::Pro, None, true),
            svc("graphql", TierName::Pro, None, true),
        ];
        let a = plan(3_000, 25_000, &two, &Tiers::default());
        assert_eq!(
            a[0],
            Action::Charge {
                service_type: "seal".into(),
                tier: TierName::Pro,
                cents: 2_900
            }
        );
        assert_eq!(
            a[1],
            Action::Suspend {
                service_type: "graphql".into(),
                reason: "insufficient_balance"
            }
        );
        let a = plan(100_000, 1_000, &two[..1], &Tiers::default());
        assert_eq!(
            a,
            vec![Action::Suspend {
                service_type: "seal".into(),
                reason: "monthly_limit_exceeded"
            }]
        );
    }

    #[test]
    fn nothing_enabled_nothing_charged() {
        assert!(plan(0, 0, &[], &Tiers::default()).is_empty());
    }
}
