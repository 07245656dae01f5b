//! Transactions: stored once per (account, source id), replaced when the source updates
//! them; listed with filters.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement};

use super::rules::insights::Tx;
use super::rules::CATEGORIES;
use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::platform::fields::date;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc};
use crate::platform::page::PageQuery;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub id: String,
    pub account_id: String,
    pub merchant: String,
    pub amount_cents: i64,
    pub currency: String,
    pub category: String,
    pub occurred_at: String,
}

/// A transaction from a source (Knot, the demo), before it has our id.
#[derive(Debug, Clone, Serialize)]
pub struct Incoming {
    pub external_id: String,
    pub merchant: String,
    pub amount_cents: i64,
    pub currency: String,
    pub category: String,
    pub occurred_at: String,
}

const COLUMNS: &str = "id, account_id, merchant, amount_cents, currency, category, occurred_at";

/// One statement that stores `rows` of an account: new ones inserted, known ones (same
/// account and external id) replaced.
pub fn upsert(
    db: &D1Database,
    user_id: &str,
    account_id: &str,
    rows: &[Incoming],
) -> Result<D1PreparedStatement, ApiError> {
    let now = ids::now_rfc3339();
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let mut v = serde_json::to_value(r)?;
        v["id"] = json!(ids::new_id()?);
        items.push(v);
    }
    Ok(db
        .prepare(
            "INSERT INTO money_transactions (id, user_id, account_id, external_id, merchant, amount_cents, currency, \
             category, occurred_at, created_at, updated_at) \
             SELECT value ->> 'id', ?1, ?2, value ->> 'external_id', value ->> 'merchant', value ->> 'amount_cents', \
             value ->> 'currency', value ->> 'category', value ->> 'occurred_at', ?4, ?4 FROM json_each(?3) WHERE true \
             ON CONFLICT (account_id, external_id) DO UPDATE SET merchant = excluded.merchant, \
             amount_cents = excluded.amount_cents, currency = excluded.currency, category = excluded.category, \
             occurred_at = excluded.occurred_at, updated_at = excluded.updated_at",
        )
        .bind(&[user_id.into(), account_id.into(), Value::Array(items).to_string().into(), now.into()])?)
}

/// The user's transactions in `[from, to)` (dates), for insights and answers.
pub async fn between(
    db: &D1Database,
    user_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Tx>, ApiError> {
    #[derive(Deserialize)]
    struct R {
        merchant: String,
        amount_cents: i64,
        currency: String,
        category: String,
        occurred_at: String,
    }
    let rows: Vec<R> = db
        .prepare(
            "SELECT merchant, amount_cents, currency, category, occurred_at FROM money_transactions \
             WHERE user_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3",
        )
        .bind(&[user_id.into(), from.to_string().into(), to.to_string().into()])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let date = NaiveDate::parse_from_str(r.occurred_at.get(..10)?, "%Y-%m-%d").ok()?;
            Some(Tx {
                merchant: r.merchant,
                amount_cents: r.amount_cents,
                currency: r.currency,
                category: r.category,
                date,
            })
        })
        .collect())
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let category = ctx.filter_one_of("category", CATEGORIES)?;
    let q = |name: &str| ctx.query_param(name).filter(|v| !v.is_empty());
    let mut errors = Vec::new();
    let from = q("from").and_then(|d| date(&Value::String(d), "from", &mut errors));
    let to = q("to").and_then(|d| date(&Value::String(d), "to", &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let rows: Vec<Transaction> =
        PageQuery::new(format!("SELECT {COLUMNS} FROM money_transactions"))
            .filter("account_id = ?", q("account_id"))
            .filter("category = ?", category)
            .filter("lower(merchant) = lower(?)", q("merchant"))
            .filter("occurred_at >= ?", from.map(|d| d.to_string()))
            // `to` is inclusive: any time on that day.
            .filter("substr(occurred_at, 1, 10) <= ?", to.map(|d| d.to_string()))
            .search(&["merchant"], search.as_ref())
            .fetch(&ctx.d1()?, &caller, &page)
            .await?;
    http::json(200, &page.respond(rows, |t| &t.id))
}

pub fn schema() -> Value {
    json!({"title": "Transaction", "type": "object", "required": ["id", "account_id", "merchant", "amount_cents", "currency", "category", "occurred_at"],
    "properties": {
        "id": {"type": "string"},
        "account_id": {"type": "string"},
        "merchant": {"type": "string"},
        "amount_cents": {"type": "integer", "description": "Spend positive, refunds negative."},
        "currency": {"type": "string", "examples": ["USD"]},
        "category": {"type": "string", "enum": CATEGORIES},
        "occurred_at": {"type": "string", "format": "date-time"}
    }})
}

pub const LIST_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "List transactions",
    description: "The caller's transactions in the order they were stored. Filters: account_id, category, merchant \
        (exact, any case), from and to (YYYY-MM-DD, both inclusive), q (in the merchant). Paginated.",
    request: None,
    response: (200, || page_of(schema())),
};
