//! Customers: one per wallet user, created at the first wallet sign-in.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::pricing::{self, Account, Refusal};
use super::settings::SuiftlySettings;
use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::Doc;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: i64,
    pub wallet_address: String,
    pub current_balance_usd_cents: i64,
    pub max_monthly_usd_cents: i64,
    pub current_month_charged_usd_cents: i64,
    pub last_month_charged_usd_cents: i64,
    pub current_month_start: String,
    #[serde(skip_serializing)]
    pub carry_millicents: i64,
    pub created_at: String,
}

impl Customer {
    pub fn account(&self) -> Account {
        Account {
            balance_usd_cents: self.current_balance_usd_cents,
            current_month_charged_usd_cents: self.current_month_charged_usd_cents,
            max_monthly_usd_cents: self.max_monthly_usd_cents,
        }
    }

    /// 402 with the seed's details when `cost` may not be spent.
    pub fn check(&self, cost_usd_cents: i64) -> Result<(), ApiError> {
        pricing::validate_operation(&self.account(), cost_usd_cents).map_err(|r| match r {
            Refusal::InsufficientBalance(d) => ApiError::InsufficientBalance(d),
            Refusal::MonthlyLimitExceeded(d) => ApiError::MonthlyLimitExceeded(d),
        })
    }
}

#[derive(Deserialize)]
struct Row {
    customer_id: i64,
    wallet_address: String,
    current_balance_usd_cents: i64,
    max_monthly_usd_cents: i64,
    current_month_charged_usd_cents: i64,
    last_month_charged_usd_cents: i64,
    current_month_start: String,
    carry_millicents: i64,
    created_at: String,
}

impl From<Row> for Customer {
    fn from(r: Row) -> Self {
        Customer {
            customer_id: r.customer_id,
            wallet_address: r.wallet_address,
            current_balance_usd_cents: r.current_balance_usd_cents,
            max_monthly_usd_cents: r.max_monthly_usd_cents,
            current_month_charged_usd_cents: r.current_month_charged_usd_cents,
            last_month_charged_usd_cents: r.last_month_charged_usd_cents,
            current_month_start: r.current_month_start,
            carry_millicents: r.carry_millicents,
            created_at: r.created_at,
        }
    }
}

pub const COLUMNS: &str = "customer_id, wallet_address, current_balance_usd_cents, max_monthly_usd_cents, \
    current_month_charged_usd_cents, last_month_charged_usd_cents, current_month_start, carry_millicents, created_at";

pub fn this_month() -> String {
    pricing::month_start(crate::platform::ids::now().date_naive()).to_string()
}

/// The statement that makes a wallet user a customer, with a random positive 32-bit id,
/// unless they are one. A drawn id another customer has (1 in 2^31) fails the statement's
/// batch with a UNIQUE error on `suiftly_customers.customer_id`: the sign-in draws again.
pub fn ensure_statement(
    db: &D1Database,
    cfg: &SuiftlySettings,
    user_id: &str,
    wallet: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    let id = loop {
        let mut b = [0u8; 4];
        ids::random_bytes(&mut b)?;
        let id = i64::from(u32::from_be_bytes(b) & 0x7fff_ffff);
        if id != 0 {
            break id;
        }
    };
    let now = ids::now_rfc3339();
    Ok(db
        .prepare(
            "INSERT INTO suiftly_customers (customer_id, user_id, wallet_address, max_monthly_usd_cents, \
             current_month_start, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(&[
            (id as f64).into(),
            user_id.into(),
            wallet.into(),
            (cfg.default_max_monthly_usd_cents as f64).into(),
            this_month().into(),
            now.into(),
        ])?)
}

pub async fn of_user(db: &D1Database, user_id: &str) -> Result<Option<Customer>, ApiError> {
    let row: Option<Row> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM suiftly_customers WHERE user_id = ?1"
        ))
        .bind(&[user_id.into()])?
        .first(None)
        .await?;
    Ok(row.map(Customer::from))
}

pub async fn by_id(db: &D1Database, customer_id: i64) -> Result<Option<Customer>, ApiError> {
    let row: Option<Row> = select_by_id(db, customer_id)?.first(None).await?;
    Ok(row.map(Customer::from))
}

/// The statement that reads a customer by id (for a batch that writes it first).
pub fn select_by_id(
    db: &D1Database,
    customer_id: i64,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {COLUMNS} FROM suiftly_customers WHERE customer_id = ?1"
        ))
        .bind(&[(customer_id as f64).into()])?)
}

/// The customer a batch read back with [`select_by_id`].
pub fn from_result(r: Option<&worker::D1Result>) -> Result<Customer, ApiError> {
    let row: Option<Row> = match r {
        Some(r) => r.results::<Row>()?.pop(),
        None => None,
    };
    row.map(Customer::from)
        .ok_or_else(|| ApiError::not_found("customer"))
}

/// SQL for the caller's customer id from their user id (bound as the named parameter), so a
/// query by customer can go beside the read of the customer instead of after it.
pub const MINE: &str = "(SELECT customer_id FROM suiftly_customers WHERE user_id = ?1)";

/// The caller's customer; users who never signed in with a wallet have none (404).
pub async fn of_caller(db: &D1Database, caller: &Caller) -> Result<Customer, ApiError> {
    of_user(db, &caller.user_id).await?.ok_or_else(|| {
        ApiError::NotFound("customer not found: sign in with a Sui wallet first".into())
    })
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let c = of_caller(&ctx.d1()?, &caller).await?;
    http::json(200, &c)
}

#[derive(Deserialize)]
struct PatchBody {
    max_monthly_usd_cents: i64,
}

pub async fn patch(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: PatchBody = ctx.json().await?;
    if !(0..=100_000_000).contains(&body.max_monthly_usd_cents) {
        return Err(ApiError::validation(
            "max_monthly_usd_cents",
            "must be 0 to 100000000 cents",
        ));
    }
    let db = ctx.d1()?;
    let c = of_caller(&db, &caller).await?;
    let cid: wasm_bindgen::JsValue = (c.customer_id as f64).into();
    db.batch(vec![
        db.prepare("UPDATE suiftly_customers SET max_monthly_usd_cents = ?1, updated_at = ?2 WHERE customer_id = ?3")
            .bind(&[(body.max_monthly_usd_cents as f64).into(), ids::now_rfc3339().into(), cid.clone()])?,
        // A raised limit lets services stopped by the old one run again (billing re-checks).
        db.prepare(
            "UPDATE suiftly_services SET suspended_reason = NULL WHERE customer_id = ?1 \
             AND suspended_reason = 'monthly_limit_exceeded' AND ?2 > ?3",
        )
        .bind(&[cid, (body.max_monthly_usd_cents as f64).into(), (c.current_month_charged_usd_cents as f64).into()])?,
    ])
    .await?;
    http::json(
        200,
        &Customer {
            max_monthly_usd_cents: body.max_monthly_usd_cents,
            ..c
        },
    )
}

pub fn schema() -> Value {
    crate::schema!({"title": "Customer", "type": "object", "properties": {
        "customer_id": {"type": "integer", "minimum": 1, "maximum": 2147483647},
        "wallet_address": {"type": "string"},
        "current_balance_usd_cents": {"type": "integer"},
        "max_monthly_usd_cents": {"type": "integer"},
        "current_month_charged_usd_cents": {"type": "integer"},
        "last_month_charged_usd_cents": {"type": "integer"},
        "current_month_start": {"type": "string", "format": "date"},
        "created_at": {"type": "string", "format": "date-time"}}})
}

pub const GET_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "The caller's customer account",
    description: "Created at the first wallet sign-in. 404 for users without one.",
    request: None,
    response: (200, schema),
};

pub const PATCH_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Set the monthly spending limit",
    description:
        "`{max_monthly_usd_cents}` (0–100,000,000). Charges that would pass it are refused (402 \
        monthly_limit_exceeded) and billing suspends services until next month.",
    request: Some(|| {
        json!({"type": "object", "required": ["max_monthly_usd_cents"], "additionalProperties": false, "properties": {
            "max_monthly_usd_cents": {"type": "integer", "minimum": 0, "maximum": 100_000_000, "examples": [5000]}}})
    }),
    response: (200, schema),
};
