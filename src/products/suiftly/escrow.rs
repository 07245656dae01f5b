//! The escrow ledger. `MOCK_ESCROW=true` (the default) keeps balances in D1: deposits name
//! their on-chain digest (the same digest credits once), withdrawals cannot go below zero
//! or below what pending usage will cost, and every charge carries an idempotency key so
//! it is recorded — and deducted — once.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement};

use super::customers::{self, Customer};
use super::settings::EscrowMode;
use super::{chain, pricing};
use crate::platform::auth::Caller;
use wasm_bindgen::JsValue;

use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc};

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

/// Which of the schema's money triggers aborted a batch, if one did: a debit that would
/// take the balance below zero (`insufficient_balance`) or the month past its limit
/// (`monthly_limit_exceeded`).
pub fn refused_by_schema(e: &worker::Error) -> Option<&'static str> {
    let t = e.to_string();
    ["insufficient_balance", "monthly_limit_exceeded"]
        .into_iter()
        .find(|r| t.contains(r))
}

/// How a debit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debit {
    /// The purchase was written and paid for.
    Applied,
    /// The purchase statement changed no row (its condition no longer held): nothing was
    /// written or charged; read again and decide again.
    Lost,
    /// This idempotency key was already charged: nothing new was charged.
    AlreadyCharged,
}

/// The one way money leaves a balance on a customer's request. One D1 batch runs
/// `purchase` (what the money buys, usually conditional on the state it was priced
/// against), then — only when `purchase` changed a row — the ledger row under its unique
/// idempotency key and the balance change. The schema's triggers abort the whole batch
/// when the balance would go below zero or the month past its limit, so simultaneous
/// requests cannot overdraw: the loser gets the seed's 402, priced on a fresh read.
pub async fn debit(
    db: &D1Database,
    c: &Customer,
    cents: i64,
    idempotency_key: &str,
    description: &str,
    purchase: D1PreparedStatement,
) -> Result<Debit, ApiError> {
    Ok(debit_then(
        db,
        c,
        cents,
        idempotency_key,
        description,
        purchase,
        Vec::new(),
    )
    .await?
    .0)
}

/// [`debit`], with `after` (reads of what it changed) in the same batch: their results
/// come back with the outcome (empty unless it was applied).
pub async fn debit_then(
    db: &D1Database,
    c: &Customer,
    cents: i64,
    idempotency_key: &str,
    description: &str,
    purchase: D1PreparedStatement,
    after: Vec<D1PreparedStatement>,
) -> Result<(Debit, Vec<worker::D1Result>), ApiError> {
    let cid: wasm_bindgen::JsValue = (c.customer_id as f64).into();
    let now = ids::now_rfc3339();
    let mut stmts = vec![
        purchase,
        db.prepare(
            "INSERT INTO suiftly_escrow_transactions (id, customer_id, tx_type, amount_usd_cents, idempotency_key, \
             description, created_at) SELECT ?1, ?2, 'charge', ?3, ?4, ?5, ?6 WHERE changes() > 0",
        )
        .bind(&[
            ids::new_id()?.into(),
            cid.clone(),
            (cents as f64).into(),
            idempotency_key.into(),
            description.into(),
            now.as_str().into(),
        ])?,
        db.prepare(
            "UPDATE suiftly_customers SET current_balance_usd_cents = current_balance_usd_cents - ?1, \
             current_month_charged_usd_cents = current_month_charged_usd_cents + ?1, updated_at = ?2 \
             WHERE customer_id = ?3 AND changes() = 1",
        )
        .bind(&[(cents as f64).into(), now.as_str().into(), cid])?,
    ];
    stmts.extend(after);
    match db.batch(stmts).await {
        Ok(results) => match results.first() {
            Some(r) if crate::platform::db::changes(r)? > 0 => Ok((Debit::Applied, results)),
            _ => Ok((Debit::Lost, Vec::new())),
        },
        Err(e) if is_duplicate(&e) => Ok((Debit::AlreadyCharged, Vec::new())),
        Err(e) => match refused_by_schema(&e) {
            Some(_) => {
                // Price the refusal on what the balance is now, with the seed's details.
                let fresh = customers::by_id(db, c.customer_id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("customer"))?;
                fresh.check(cents)?;
                Err(ApiError::Conflict(
                    "the balance changed while this was charged; try again".into(),
                ))
            }
            None => Err(e.into()),
        },
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub id: String,
    pub tx_type: String,
    pub amount_usd_cents: i64,
    pub tx_digest: Option<String>,
    pub idempotency_key: Option<String>,
    pub description: String,
    pub status: String,
    pub created_at: String,
}

#[derive(Deserialize)]
struct TxRow {
    id: String,
    tx_type: String,
    amount_usd_cents: i64,
    tx_digest: Option<String>,
    idempotency_key: Option<String>,
    description: String,
    status: String,
    created_at: String,
}

impl From<TxRow> for Transaction {
    fn from(r: TxRow) -> Self {
        Transaction {
            id: r.id,
            tx_type: r.tx_type,
            amount_usd_cents: r.amount_usd_cents,
            tx_digest: r.tx_digest,
            idempotency_key: r.idempotency_key,
            description: r.description,
            status: r.status,
            created_at: r.created_at,
        }
    }
}

const TX_COLUMNS: &str =
    "id, tx_type, amount_usd_cents, tx_digest, idempotency_key, description, status, created_at";

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
    amount_usd_cents: Option<i64>,
    tx_digest: String,
}

/// The cents a deposit credits: what the client says with the mock ledger, what the chain
/// shows with `ESCROW_MODE=sui` (a stated amount must then match it).
async fn deposit_cents(
    ctx: &Ctx,
    c: &Customer,
    body: &DepositBody,
    digest: &str,
) -> Result<i64, ApiError> {
    match &crate::products::suiftly::settings::of(&ctx.config)?.escrow {
        EscrowMode::Mock => amount(
            body.amount_usd_cents
                .ok_or_else(|| ApiError::validation("amount_usd_cents", "is required"))?,
        ),
        EscrowMode::Sui(escrow) => {
            if !chain::looks_like_digest(digest) {
                return Err(ApiError::validation(
                    "tx_digest",
                    "must be a Sui transaction digest (base58, 32 to 44 characters)",
                ));
            }
            if let Some(stated) = body.amount_usd_cents {
                amount(stated)?;
            }
            let data = chain::fetch_transaction(escrow, digest).await?;
            let cents = chain::credited_cents(&data, escrow, &c.wallet_address)
                .map_err(chain::Refusal::into_error)?;
            match body.amount_usd_cents {
                Some(stated) if stated != cents => Err(ApiError::Rule {
                    code: "amount_mismatch",
                    message: format!(
                        "the transaction paid {cents} cents to the escrow address, not {stated}"
                    ),
                }),
                _ => Ok(cents),
            }
        }
    }
}

pub async fn deposit(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: DepositBody = ctx.json().await?;
    let digest = body.tx_digest.trim().to_string();
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
    let c = customers::of_caller(&db, &caller).await?;
    let digest = digest.as_str();
    let cents = deposit_cents(&ctx, &c, &body, digest).await?;
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    // One batch: the deposit recorded once per digest (a digest seen before inserts
    // nothing, and then nothing after it moves money), and the transaction and customer
    // read back.
    let results = db
        .batch(vec![
            db.prepare(
                "INSERT INTO suiftly_escrow_transactions (id, customer_id, tx_type, amount_usd_cents, tx_digest, \
                 description, created_at) VALUES (?1, ?2, 'deposit', ?3, ?4, 'deposit', ?5) ON CONFLICT (tx_digest) DO NOTHING",
            )
            .bind(&[id.as_str().into(), (c.customer_id as f64).into(), (cents as f64).into(), digest.into(), now.as_str().into()])?,
            db.prepare(
                "UPDATE suiftly_customers SET current_balance_usd_cents = current_balance_usd_cents + ?1, updated_at = ?2 \
                 WHERE customer_id = ?3 AND changes() = 1",
            )
            .bind(&[(cents as f64).into(), now.as_str().into(), (c.customer_id as f64).into()])?,
            // Money is back: services stopped for lack of it may run again (billing re-checks).
            db.prepare(
                "UPDATE suiftly_services SET suspended_reason = NULL WHERE customer_id = ?1 \
                 AND suspended_reason = 'insufficient_balance' AND changes() = 1",
            )
            .bind(&[(c.customer_id as f64).into()])?,
            db.prepare(format!("SELECT {TX_COLUMNS} FROM suiftly_escrow_transactions WHERE tx_digest = ?1 AND customer_id = ?2"))
                .bind(&[digest.into(), (c.customer_id as f64).into()])?,
            customers::select_by_id(&db, c.customer_id)?,
        ])
        .await?;
    let duplicate = match results.first() {
        Some(r) => crate::platform::db::changes(r)? == 0,
        None => return Err(ApiError::internal("deposit: short batch")),
    };
    let tx: Option<TxRow> = match results.get(3) {
        Some(r) => r.results::<TxRow>()?.pop(),
        None => None,
    };
    // Another customer's digest: not ours to show.
    let tx = tx.ok_or_else(|| ApiError::Conflict("tx_digest was already used".into()))?;
    let customer = customers::from_result(results.get(4))?;
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
    let items = unbilled(db, ctx_tiers, Whose::Customer(c.customer_id)).await?;
    Ok(pricing::estimate_cents(&items, c.carry_millicents))
}

/// Whose rows a query reads: a customer's by id, or the caller's by their user id (so the
/// query can go beside the read of the customer instead of after it).
#[derive(Clone, Copy)]
pub enum Whose<'a> {
    Customer(i64),
    User(&'a str),
}

impl Whose<'_> {
    /// The SQL that names the customer id (parameter ?1), and its bind.
    pub fn sql(&self) -> (&'static str, wasm_bindgen::JsValue) {
        match self {
            Whose::Customer(id) => ("?1", (*id as f64).into()),
            Whose::User(u) => (customers::MINE, (*u).into()),
        }
    }
}

/// The unbilled usage records, as (requests, price per 1,000 in cents of their tier).
pub async fn unbilled(
    db: &D1Database,
    ctx_tiers: &pricing::Tiers,
    whose: Whose<'_>,
) -> Result<Vec<(i64, i64)>, ApiError> {
    #[derive(Deserialize)]
    struct P {
        id: i64,
        request_count: i64,
        tier: String,
    }
    let (who, bind) = whose.sql();
    let rows: Vec<P> = db
        .prepare(format!(
            "SELECT id, request_count, tier FROM suiftly_usage_records \
             WHERE customer_id = {who} AND charged_amount_usd_cents IS NULL"
        ))
        .bind(&[bind])?
        .all()
        .await?
        .results()?;
    rows.iter()
        .map(|r| {
            let tier = crate::platform::db::parse_closed(
                &r.tier,
                pricing::TierName::parse,
                "suiftly_usage_records",
                r.id,
            )?;
            Ok((
                r.request_count,
                ctx_tiers.get(tier).per_1000_requests_usd_cents,
            ))
        })
        .collect()
}

#[derive(Deserialize)]
struct WithdrawBody {
    amount_usd_cents: i64,
}

pub async fn withdraw(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: WithdrawBody = ctx.json().await?;
    let cents = amount(body.amount_usd_cents)?;
    let db = ctx.d1()?;
    let tiers = &crate::products::suiftly::settings::of(&ctx.config)?.tiers;
    let (c, items) = futures::try_join!(
        customers::of_caller(&db, &caller),
        unbilled(&db, tiers, Whose::User(&caller.user_id))
    )?;
    let pending = pricing::estimate_cents(&items, c.carry_millicents);
    let available = c.current_balance_usd_cents - pending;
    if cents > available {
        return Err(ApiError::Conflict(format!(
            "withdrawal of {cents} cents exceeds the available {} cents (balance {} minus {pending} pending)",
            available.max(0),
            c.current_balance_usd_cents
        )));
    }
    // The mock ledger pays out at once under a made-up digest; on chain the withdrawal is
    // a request the operator's signer sends (the Worker holds no key), its money reserved.
    let (status, digest, description) =
        match crate::products::suiftly::settings::of(&ctx.config)?.escrow {
            EscrowMode::Mock => {
                let mut d = [0u8; 16];
                ids::random_bytes(&mut d)?;
                let digest = format!("mock-{}", ids::hex(&d));
                ("completed", JsValue::from(digest), "withdrawal")
            }
            EscrowMode::Sui(_) => (
                "pending",
                JsValue::NULL,
                "withdrawal request (awaiting the operator's signer)",
            ),
        };
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
                 description, created_at, status) SELECT ?1, ?2, 'withdraw', ?3, ?4, ?5, ?6, ?7 WHERE changes() = 1",
            )
            .bind(&[id.as_str().into(), (c.customer_id as f64).into(), (cents as f64).into(),
                    digest, description.into(), now.as_str().into(), status.into()])?,
            customers::select_by_id(&db, c.customer_id)?,
        ])
        .await?;
    let applied = match results.first() {
        Some(r) => crate::platform::db::changes(r)?,
        None => 0,
    };
    if applied == 0 {
        return Err(ApiError::Conflict(
            "balance changed; withdrawal refused, try again".into(),
        ));
    }
    let customer = customers::from_result(results.get(2))?;
    http::json(
        if status == "pending" { 202 } else { 201 },
        &json!({"transaction_id": id, "status": status, "customer": customer}),
    )
}

pub async fn transactions(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let page = ctx.page()?;
    let rows = async {
        let rows: Vec<TxRow> = db
            .prepare(format!(
                "SELECT {TX_COLUMNS} FROM suiftly_escrow_transactions WHERE customer_id = {} AND id > ?2 ORDER BY id LIMIT ?3",
                customers::MINE
            ))
            .bind(&[caller.user_id.as_str().into(), page.after.as_deref().unwrap_or("").into(), f64::from(page.fetch()).into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    // The customer (404 for a user who is none) and the page, read at once.
    let (_, rows) = futures::try_join!(customers::of_caller(&db, &caller), rows)?;
    let items: Vec<Transaction> = rows.into_iter().map(Transaction::from).collect();
    http::json(200, &page.respond(items, |t| &t.id))
}

pub fn tx_schema() -> Value {
    crate::schema!({"title": "EscrowTransaction", "type": "object", "properties": {
        "id": {"type": "string"}, "tx_type": {"type": "string", "enum": ["deposit", "withdraw", "charge"]},
        "amount_usd_cents": {"type": "integer"}, "tx_digest": {"type": ["string", "null"]},
        "idempotency_key": {"type": ["string", "null"]}, "description": {"type": "string"},
        "status": {"type": "string", "enum": ["completed", "pending"], "description": "pending: a withdrawal request awaiting the operator's signer (ESCROW_MODE=sui)"},
        "created_at": {"type": "string", "format": "date-time"}}})
}

pub const DEPOSIT_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Record a deposit",
    description: "`{tx_digest, amount_usd_cents}`: 201 when credited, 200 with `duplicate: true` when the digest was \
        already credited to this account (a digest credits once; another account's digest is 409). Lifts \
        insufficient-balance suspensions. With ESCROW_MODE=sui the transaction is read from the Sui GraphQL RPC and \
        only what it shows is credited: it must have succeeded, be sent by the account's wallet and pay \
        ESCROW_COIN_TYPE to ESCROW_ADDRESS; the cents are the coin amount received, fractions of a cent dropped. \
        `amount_usd_cents` is then optional and, when sent, must equal that. Refusals are 422 with code \
        unknown_transaction, transaction_failed, wrong_sender, wrong_recipient, wrong_coin, amount_too_small or \
        amount_mismatch; 502 when the RPC cannot be read. With ESCROW_MODE=mock (development only) the stated \
        amount is credited as is.",
    request: Some(|| crate::schema!({"type": "object", "required": ["tx_digest"], "properties": {
        "amount_usd_cents": {"type": "integer", "minimum": 1, "maximum": 100000000,
            "description": "required with ESCROW_MODE=mock; with sui, checked against the chain"},
        "tx_digest": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9_-]+$"}}})),
    response: (201, || json!({"type": "object", "properties": {"transaction": tx_schema(), "duplicate": {"type": "boolean"},
        "customer": super::customers::schema()}})),
};
pub const WITHDRAW_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Withdraw from the balance",
    description: "`{amount_usd_cents}`; 409 when it would go below zero or below what unbilled usage will cost. \
        The amount leaves the balance at once. With ESCROW_MODE=mock the withdrawal is completed (201); with \
        ESCROW_MODE=sui it is recorded as a pending request for the operator's signer, which sends the coins \
        on chain (202, `status: pending`).",
    request: Some(|| crate::schema!({"type": "object", "required": ["amount_usd_cents"], "properties": {
        "amount_usd_cents": {"type": "integer", "minimum": 1, "maximum": 100000000}}})),
    response: (201, || json!({"type": "object", "properties": {"transaction_id": {"type": "string"},
        "status": {"type": "string", "enum": ["completed", "pending"]}, "customer": super::customers::schema()}})),
};
pub const TRANSACTIONS_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Escrow ledger",
    description: "Deposits, withdrawals and charges, oldest first, paginated.",
    request: None,
    response: (200, || page_of(tx_schema())),
};
