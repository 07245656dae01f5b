//! The escrow ledger. `MOCK_ESCROW=true` (the default) keeps balances in D1: deposits name
//! their on-chain digest (the same digest credits once), withdrawals cannot go below zero
//! or below what pending usage will cost, and every charge carries an idempotency key so
//! it is recorded — and deducted — once.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement, Response};

use super::customers::{self, Customer};
use super::pricing;

use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx};
use crate::platform::ids;
use crate::routes::{page_of, Doc};

/// A charge as two statements for one batch: the ledger row (unique idempotency key: a
/// second attempt fails the whole batch) and the balance change.
pub fn charge_statements(
    db: &D1Database,
    customer_id: i64,
    cents: i64,
    idempotency_key: &str,
    description: &str,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    Ok(vec![
        db.prepare(
            "INSERT INTO suiftly_escrow_transactions (id, customer_id, tx_type, amount_usd_cents, idempotency_key, \
             description, created_at) VALUES (?1, ?2, 'charge', ?3, ?4, ?5, ?6)",
        )
        .bind(&[
            ids::new_id()?.into(),
            (customer_id as f64).into(),
            (cents as f64).into(),
            idempotency_key.into(),
            description.into(),
            ids::now_rfc3339().into(),
        ])?,
        db.prepare(
            "UPDATE suiftly_customers SET current_balance_usd_cents = current_balance_usd_cents - ?1, \
             current_month_charged_usd_cents = current_month_charged_usd_cents + ?1, updated_at = ?2 \
             WHERE customer_id = ?3",
        )
        .bind(&[(cents as f64).into(), ids::now_rfc3339().into(), (customer_id as f64).into()])?,
    ])
}

/// Whether a batch failed because its charge was already recorded.
pub fn is_duplicate(e: &worker::Error) -> bool {
    let t = e.to_string();
    t.contains("UNIQUE") && t.contains("idempotency_key")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub id: String,
    pub tx_type: String,
    pub amount_usd_cents: i64,
    pub tx_digest: Option<String>,
    pub idempotency_key: Option<String>,
    pub description: String,
    pub created_at: String,
}

#[derive(Deserialize)]
struct TxRow {
    id: String,
    tx_type: String,
    amount_usd_cents: f64,
    tx_digest: Option<String>,
    idempotency_key: Option<String>,
    description: String,
    created_at: String,
}

impl From<TxRow> for Transaction {
    fn from(r: TxRow) -> Self {
        Transaction {
            id: r.id,
            tx_type: r.tx_type,
            amount_usd_cents: r.amount_usd_cents as i64,
            tx_digest: r.tx_digest,
            idempotency_key: r.idempotency_key,
            description: r.description,
            created_at: r.created_at,
        }
    }
}

const TX_COLUMNS: &str =
    "id, tx_type, amount_usd_cents, tx_digest, idempotency_key, description, created_at";

fn require_mock(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.config.suiftly.mock_escrow {
        Ok(())
    } else {
        Err(ApiError::UpstreamFailed(
            "the on-chain escrow is not connected; set MOCK_ESCROW=true".into(),
        ))
    }
}

fn amount(v: i64) -> Result<i64, ApiError> {
    if (1..=100_000_000).contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::validation(
            "amount_usd_cents",
            "must be 1 to 100000000 cents",
        ))
    }
}

#[derive(Deserialize)]
struct DepositBody {
    amount_usd_cents: i64,
    tx_digest: String,
}

pub async fn deposit(mut ctx: Ctx) -> Result<Response, ApiError> {
    require_mock(&ctx)?;
    let body: DepositBody = ctx.json().await?;
    let cents = amount(body.amount_usd_cents)?;
    let digest = body.tx_digest.trim();
    if digest.is_empty()
        || digest.len() > 128
        || !digest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::validation(
            "tx_digest",
            "must be 1 to 128 characters of [A-Za-z0-9_-]",
        ));
    }
    let db = ctx.d1()?;
    let c = customers::of_caller(&db, ctx.caller()?).await?;
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    let result = db
        .batch(vec![
            db.prepare(
                "INSERT INTO suiftly_escrow_transactions (id, customer_id, tx_type, amount_usd_cents, tx_digest, \
                 description, created_at) VALUES (?1, ?2, 'deposit', ?3, ?4, 'deposit', ?5)",
            )
            .bind(&[id.as_str().into(), (c.customer_id as f64).into(), (cents as f64).into(), digest.into(), now.as_str().into()])?,
            db.prepare(
                "UPDATE suiftly_customers SET current_balance_usd_cents = current_balance_usd_cents + ?1, updated_at = ?2 \
                 WHERE customer_id = ?3",
            )
            .bind(&[(cents as f64).into(), now.as_str().into(), (c.customer_id as f64).into()])?,
            // Money is back: services stopped for lack of it may run again (billing re-checks).
            db.prepare(
                "UPDATE suiftly_services SET suspended_reason = NULL WHERE customer_id = ?1 \
                 AND suspended_reason = 'insufficient_balance'",
            )
            .bind(&[(c.customer_id as f64).into()])?,
        ])
        .await;
    let duplicate = match result {
        Ok(_) => false,
        Err(e) if e.to_string().contains("tx_digest") => true,
        Err(e) => return Err(e.into()),
    };
    let tx: Option<TxRow> = db
        .prepare(format!("SELECT {TX_COLUMNS} FROM suiftly_escrow_transactions WHERE tx_digest = ?1 AND customer_id = ?2"))
        .bind(&[digest.into(), (c.customer_id as f64).into()])?
        .first(None)
        .await?;
    // Another customer's digest: not ours to show.
    let tx = tx.ok_or_else(|| ApiError::Conflict("tx_digest was already used".into()))?;
    let customer = customers::by_id(&db, c.customer_id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    http::json(
        if duplicate { 200 } else { 201 },
        &json!({"transaction": Transaction::from(tx), "duplicate": duplicate, "customer": customer}),
    )
}

/// Cents that unbilled usage will cost (a withdrawal must leave them).
pub async fn pending_cents(
    db: &D1Database,
    ctx_tiers: &pricing::Tiers,
    c: &Customer,
) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct P {
        request_count: f64,
        tier: Option<String>,
    }
    let rows: Vec<P> = db
        .prepare(
            "SELECT request_count, tier FROM suiftly_usage_records \
             WHERE customer_id = ?1 AND charged_amount_usd_cents IS NULL",
        )
        .bind(&[(c.customer_id as f64).into()])?
        .all()
        .await?
        .results()?;
    let items: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| {
            let tier = r
                .tier
                .as_deref()
                .and_then(pricing::TierName::parse)
                .unwrap_or(pricing::TierName::Starter);
            (
                r.request_count as i64,
                ctx_tiers.get(tier).per_1000_requests_usd_cents,
            )
        })
        .collect();
    Ok(pricing::estimate_cents(&items, c.carry_millicents))
}

#[derive(Deserialize)]
struct WithdrawBody {
    amount_usd_cents: i64,
}

pub async fn withdraw(mut ctx: Ctx) -> Result<Response, ApiError> {
    require_mock(&ctx)?;
    let body: WithdrawBody = ctx.json().await?;
    let cents = amount(body.amount_usd_cents)?;
    let db = ctx.d1()?;
    let c = customers::of_caller(&db, ctx.caller()?).await?;
    let pending = pending_cents(&db, &ctx.config.suiftly.tiers, &c).await?;
    let available = c.current_balance_usd_cents - pending;
    if cents > available {
        return Err(ApiError::Conflict(format!(
            "withdrawal of {cents} cents exceeds the available {} cents (balance {} minus {pending} pending)",
            available.max(0),
            c.current_balance_usd_cents
        )));
    }
    let mut digest = [0u8; 16];
    ids::random_bytes(&mut digest)?;
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    let results = db
        .batch(vec![
            // Guarded: a concurrent charge or withdrawal cannot take the balance below pending.
            db.prepare(
                "UPDATE suiftly_customers SET current_balance_usd_cents = current_balance_usd_cents - ?1, updated_at = ?2 \
                 WHERE customer_id = ?3 AND current_balance_usd_cents - ?1 >= ?4",
            )
            .bind(&[(cents as f64).into(), now.as_str().into(), (c.customer_id as f64).into(), (pending as f64).into()])?,
            db.prepare(
                "INSERT INTO suiftly_escrow_transactions (id, customer_id, tx_type, amount_usd_cents, tx_digest, \
                 description, created_at) SELECT ?1, ?2, 'withdraw', ?3, ?4, 'withdrawal', ?5 WHERE changes() = 1",
            )
            .bind(&[id.as_str().into(), (c.customer_id as f64).into(), (cents as f64).into(),
                    format!("mock-{}", ids::hex(&digest)).into(), now.as_str().into()])?,
        ])
        .await?;
    let applied = results
        .first()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|m| m.changes)
        .unwrap_or(0);
    if applied == 0 {
        return Err(ApiError::Conflict(
            "balance changed; withdrawal refused, try again".into(),
        ));
    }
    let customer = customers::by_id(&db, c.customer_id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    http::json(201, &json!({"transaction_id": id, "customer": customer}))
}

pub async fn transactions(ctx: Ctx) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let c = customers::of_caller(&db, ctx.caller()?).await?;
    let page = ctx.page()?;
    let rows: Vec<TxRow> = db
        .prepare(format!(
            "SELECT {TX_COLUMNS} FROM suiftly_escrow_transactions WHERE customer_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .bind(&[(c.customer_id as f64).into(), page.after.as_deref().unwrap_or("").into(), f64::from(page.fetch()).into()])?
        .all()
        .await?
        .results()?;
    let items: Vec<Transaction> = rows.into_iter().map(Transaction::from).collect();
    http::json(200, &page.respond(items, |t| &t.id))
}

pub fn tx_schema() -> Value {
    json!({"type": "object", "properties": {
        "id": {"type": "string"}, "tx_type": {"type": "string", "enum": ["deposit", "withdraw", "charge"]},
        "amount_usd_cents": {"type": "integer"}, "tx_digest": {"type": ["string", "null"]},
        "idempotency_key": {"type": ["string", "null"]}, "description": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}}})
}

pub const DEPOSIT_DOC: Doc = Doc {
    tag: "suiftly",
    summary: "Record a deposit",
    description: "`{amount_usd_cents, tx_digest}`: 201 when credited, 200 with `duplicate: true` when the digest was \
        already credited (credited once). Lifts insufficient-balance suspensions. Internal ledger (MOCK_ESCROW=true).",
    request: Some(|| json!({"type": "object", "required": ["amount_usd_cents", "tx_digest"], "properties": {
        "amount_usd_cents": {"type": "integer", "minimum": 1}, "tx_digest": {"type": "string"}}})),
    response: (201, || json!({"type": "object", "properties": {"transaction": tx_schema(), "duplicate": {"type": "boolean"}}})),
};
pub const WITHDRAW_DOC: Doc = Doc {
    tag: "suiftly",
    summary: "Withdraw from the balance",
    description: "`{amount_usd_cents}`; 409 when it would go below zero or below what unbilled usage will cost.",
    request: Some(|| json!({"type": "object", "required": ["amount_usd_cents"], "properties": {"amount_usd_cents": {"type": "integer", "minimum": 1}}})),
    response: (201, || json!({"type": "object"})),
};
pub const TRANSACTIONS_DOC: Doc = Doc {
    tag: "suiftly",
    summary: "Escrow ledger",
    description: "Deposits, withdrawals and charges, oldest first, paginated.",
    request: None,
    response: (200, || page_of(tx_schema())),
};
