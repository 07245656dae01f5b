//! Import checks of the points wallet: rewards and the ledger.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::check::Import;
use super::tables;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::ids;
use crate::products::os::{text, wallet};

/// Rewards.
pub(super) fn rewards(x: &mut Import) -> Result<(), ApiError> {
    // Rewards.
    let mut out = Vec::new();
    for (i, r) in x.rows("rewards").iter().enumerate() {
        let p = format!("rewards[{i}]");
        let Some((name, cost, description)) = x.c.parsed(&p, wallet::parse_reward(r)) else {
            continue;
        };
        out.push(json!({"id": x.new_id("reward", r), "name": name, "cost": cost, "description": description,
            "created_at": x.c.timestamp(r.get("created_at"), &format!("{p}.created_at"), &x.now)}));
    }
    x.plan.counts.insert("rewards".into(), out.len().into());
    x.plan.table(&tables::REWARDS, out);
    Ok(())
}

/// The ledger (`wallet.ledger`, stated `wallet.balance`): it adds up, never goes below zero along the way, each idempotency key once.
pub(super) fn ledger(x: &mut Import, wallet: Option<&Value>) -> Result<(), ApiError> {
    // The ledger: it must add up, never below zero, each idempotency key once.
    let mut out = Vec::new();
    let mut keys = HashSet::new();
    let mut sum = 0i64;
    // In order, as the wallet paid and spent: it never goes below zero on the way either.
    let mut dipped = false;
    for (i, r) in x.rows("ledger").iter().enumerate() {
        let p = format!("wallet.ledger[{i}]");
        let mut e = Vec::new();
        let delta = r["delta"]
            .as_i64()
            .filter(|d| *d != 0 && d.abs() <= 1_000_000_000);
        if delta.is_none() {
            e.push(FieldError::new("delta", "must be a non-zero integer"));
        }
        let reason = text(&r["reason"], "reason", 1000, &mut e);
        let source_type = text(&r["source_type"], "source_type", 50, &mut e);
        x.c.nested(&p, e);
        let (Some(delta), Some(reason), Some(source_type)) = (delta, reason, source_type) else {
            continue;
        };
        sum += delta;
        if sum < 0 && !dipped {
            dipped = true;
            x.c.fail(
                format!("{p}.delta"),
                format!("takes the running balance below zero ({sum})"),
            );
        }
        let id = ids::new_id()?;
        let source = r["source_id"]
            .as_str()
            .and_then(|s| x.ids.get(&source_type, s))
            .cloned();
        // Keys name the rows they pay for (`task_complete:{task id}`): rewritten to the new
        // ids; a key naming nothing of this document is made unique to its new entry.
        let key = match &r["idempotency_key"] {
            Value::Null => None,
            Value::String(k) if k.len() <= 300 => {
                if !keys.insert(k.clone()) {
                    x.c.fail(format!("{p}.idempotency_key"), "is repeated");
                }
                let mut mapped = false;
                let parts: Vec<String> = k
                    .split(':')
                    .map(|s| match x.ids.any.get(s) {
                        Some(n) => {
                            mapped = true;
                            n.clone()
                        }
                        None => s.to_string(),
                    })
                    .collect();
                Some(if mapped {
                    parts.join(":")
                } else {
                    format!("import:{id}:{k}")
                })
            }
            _ => {
                x.c.fail(
                    format!("{p}.idempotency_key"),
                    "must be a string of at most 300 characters or null",
                );
                None
            }
        };
        out.push(json!({"id": id, "delta": delta, "reason": reason, "source_type": source_type, "source_id": source,
            "idempotency_key": key, "created_at": x.c.timestamp(r.get("created_at"), &format!("{p}.created_at"), &x.now)}));
    }
    if sum < 0 && !dipped {
        x.c.fail("wallet.ledger", "adds up to a negative balance");
    }
    if let Some(b) = wallet
        .and_then(|w| w.get("balance"))
        .filter(|b| !b.is_null())
    {
        if b.as_i64() != Some(sum) {
            x.c.fail(
                "wallet.balance",
                format!("must equal the sum of the ledger ({sum})"),
            );
        }
    }
    x.plan.counts.insert("ledger".into(), out.len().into());
    x.plan.table(&tables::LEDGER, out);
    Ok(())
}
