//! Linked accounts: onboarding (a Knot session, or the demo accounts), listing, unlinking,
//! and a sync on demand. An account keeps the merchant, the card's name and its last four
//! digits, never a card number or CVV.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::demo;
use super::settings::Settings;
use super::transactions::{self, Incoming};
use super::{knot, queue};
use crate::platform::auth::Caller;
use crate::platform::crypto::sha256;
use crate::platform::db::batch_or_404;
use crate::platform::error::ApiError;
use crate::platform::fields::object;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc};
use crate::platform::page::PageQuery;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub source: String,
    pub merchant: String,
    pub merchant_id: Option<i64>,
    pub name: String,
    pub last4: Option<String>,
    pub linked_at: String,
    pub last_synced_at: Option<String>,
    pub last_sync_error: Option<String>,
}

const COLUMNS: &str =
    "id, source, merchant, merchant_id, name, last4, linked_at, last_synced_at, last_sync_error";

fn select_all(db: &D1Database, user_id: &str) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {COLUMNS} FROM money_accounts WHERE user_id = ?1 ORDER BY id"
        ))
        .bind(&[user_id.into()])?)
}

pub async fn all(db: &D1Database, user_id: &str) -> Result<Vec<Account>, ApiError> {
    Ok(select_all(db, user_id)?.all().await?.results()?)
}

async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Account, ApiError> {
    let row: Option<Account> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM money_accounts WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("account"))
}

/// `POST /onboarding/start`: a Knot TransactionLink session for the app's SDK, or with
/// Knot off a demo session that `complete` turns into demo accounts.
pub async fn start(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let settings = Settings::of(&ctx.config)?;
    if !settings.feature_knot {
        return http::json(
            200,
            &json!({"mode": "mock", "session_id": format!("mock-{}", caller.user_id), "merchants": []}),
        );
    }
    let session = knot::create_session(settings, &caller.user_id).await?;
    knot::remember_session(&ctx.d1()?, &session, &caller.user_id).await?;
    let merchants = knot::merchants(&ctx.env, settings).await?;
    http::json(
        200,
        &json!({"mode": "knot", "session_id": session, "client_id": settings.knot_client_id,
            "environment": if settings.knot_is_development() { "development" } else { "production" },
            "merchants": merchants}),
    )
}

/// `POST /onboarding/complete`: with Knot, `{merchant_id}` of the merchant the user linked
/// in Knot's SDK (in development Knot then generates sample transactions) and a sync is
/// queued; without, the demo accounts and their 90-day history. Answers the accounts.
pub async fn complete(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let fields = object(&body)?;
    let settings = Settings::of(&ctx.config)?;
    let db = ctx.d1()?;
    if settings.feature_knot {
        let merchant_id = fields
            .get("merchant_id")
            .and_then(Value::as_i64)
            .filter(|m| *m > 0)
            .ok_or_else(|| {
                ApiError::validation(
                    "merchant_id",
                    "must be the positive integer id of the merchant linked",
                )
            })?;
        let merchants = knot::merchants(&ctx.env, settings).await?;
        let name = merchants
            .iter()
            .find(|m| m["id"].as_i64() == Some(merchant_id))
            .and_then(|m| m["name"].as_str())
            .map(str::to_string)
            .or_else(|| {
                fields
                    .get("merchant_name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .ok_or_else(|| ApiError::validation("merchant_id", "is not a merchant Knot lists"))?;
        db.prepare(
            "INSERT INTO money_accounts (id, user_id, source, merchant, merchant_id, name, last4, linked_at) \
             VALUES (?1, ?2, 'knot', ?3, ?4, ?3, NULL, ?5) ON CONFLICT DO NOTHING",
        )
        .bind(&[ids::new_id()?.into(), caller.user_id.as_str().into(), name.as_str().into(), (merchant_id as f64).into(), ids::now_rfc3339().into()])?
        .run()
        .await?;
        if settings.knot_is_development() {
            knot::generate_sample(settings, &caller.user_id, merchant_id).await?;
        }
        queue(&ctx.env, &caller.user_id, "sync").await?;
    } else {
        let accounts = all(&db, &caller.user_id).await?;
        if accounts.iter().any(|a| a.source == "demo") {
            return http::json(
                201,
                &json!({ "items": accounts.iter().map(view).collect::<Vec<_>>() }),
            );
        }
        // The demo accounts, their history and the accounts read back: one batch.
        let mut stmts = link_demo(&db, &caller.user_id)?;
        stmts.push(select_all(&db, &caller.user_id)?);
        let results = db.batch(stmts).await?;
        queue(&ctx.env, &caller.user_id, "insights").await?;
        let accounts: Vec<Account> = match results.last() {
            Some(r) => r.results()?,
            None => Vec::new(),
        };
        return http::json(
            201,
            &json!({ "items": accounts.iter().map(view).collect::<Vec<_>>() }),
        );
    }
    let accounts = all(&db, &caller.user_id).await?;
    http::json(
        201,
        &json!({ "items": accounts.iter().map(view).collect::<Vec<_>>() }),
    )
}

/// The demo accounts and their history, written in one batch.
/// The statements that link the demo accounts and their 90 days of history.
fn link_demo(db: &D1Database, user_id: &str) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let digest = sha256(user_id.as_bytes());
    let seed = u64::from_le_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ]);
    let today = crate::platform::ids::now().date_naive();
    let (accounts, txs) = demo::generate(seed, today);
    let now = ids::now_rfc3339();
    let mut stmts = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        let id = ids::new_id()?;
        stmts.push(
            db.prepare(
                "INSERT INTO money_accounts (id, user_id, source, merchant, merchant_id, name, last4, linked_at, last_synced_at) \
                 VALUES (?1, ?2, 'demo', ?3, NULL, ?4, ?5, ?6, ?6)",
            )
            .bind(&[id.as_str().into(), user_id.into(), a.merchant.into(), a.name.into(), a.last4.as_str().into(), now.as_str().into()])?,
        );
        let rows: Vec<Incoming> = txs
            .iter()
            .filter(|t| t.account == i)
            .map(|t| Incoming {
                external_id: t.external_id.clone(),
                merchant: t.merchant.into(),
                amount_cents: t.amount_cents,
                currency: t.currency.into(),
                category: t.category.into(),
                occurred_at: format!("{}T12:00:00Z", t.date),
            })
            .collect();
        stmts.push(transactions::upsert(db, user_id, &id, &rows)?);
    }
    Ok(stmts)
}

fn view(a: &Account) -> Value {
    json!({"id": a.id, "source": a.source, "merchant": a.merchant, "merchant_id": a.merchant_id, "name": a.name,
        "last4": a.last4, "linked_at": a.linked_at, "last_synced_at": a.last_synced_at, "last_sync_error": a.last_sync_error})
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let rows: Vec<Account> = PageQuery::new(format!("SELECT {COLUMNS} FROM money_accounts"))
        .fetch(&ctx.d1()?, &caller, &page)
        .await?;
    let items: Vec<Value> = rows.iter().map(view).collect();
    http::json(
        200,
        &page.respond(items, |v| v["id"].as_str().unwrap_or("")),
    )
}

/// `DELETE /accounts/{id}[?keep_transactions=true]`: the account, its cursor (and so its
/// future syncs), and its transactions unless kept.
pub async fn unlink(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let keep = match ctx.query_param("keep_transactions").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::validation(
                "keep_transactions",
                "must be true or false",
            ))
        }
    };
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let mut stmts = vec![
        db.prepare("DELETE FROM money_accounts WHERE id = ?1 AND user_id = ?2")
            .bind(&[id.into(), caller.user_id.as_str().into()])?,
        db.prepare("DELETE FROM money_sync_cursors WHERE account_id = ?1 AND user_id = ?2")
            .bind(&[id.into(), caller.user_id.as_str().into()])?,
    ];
    if !keep {
        stmts.push(
            db.prepare("DELETE FROM money_transactions WHERE account_id = ?1 AND user_id = ?2")
                .bind(&[id.into(), caller.user_id.as_str().into()])?,
        );
    }
    batch_or_404(&db, stmts, "account").await?;
    queue(&ctx.env, &caller.user_id, "insights").await?;
    http::no_content()
}

/// `POST /accounts/{id}/sync`: a Knot sync of one account now (what the scheduler does
/// after a webhook), answering what it stored.
pub async fn sync_now(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let account = find(&db, &caller, ctx.param("id")).await?;
    if account.source != "knot" {
        return http::json(
            200,
            &json!({"account_id": account.id, "pages": 0, "stored": 0, "note": "demo accounts do not sync"}),
        );
    }
    let settings = Settings::of(&ctx.config)?;
    let outcome = knot::sync_account(&db, settings, &caller.user_id, &account).await?;
    queue(&ctx.env, &caller.user_id, "insights").await?;
    http::json(
        200,
        &json!({"account_id": account.id, "pages": outcome.pages, "stored": outcome.stored}),
    )
}

pub fn schema() -> Value {
    crate::schema!({"title": "Account", "type": "object", "required": ["id", "merchant", "name", "last4", "linked_at"], "properties": {
        "id": {"type": "string"},
        "source": {"type": "string", "enum": ["demo", "knot"]},
        "merchant": {"type": "string"},
        "merchant_id": {"type": ["integer", "null"], "description": "Knot's merchant id."},
        "name": {"type": "string", "description": "The card's or merchant account's name."},
        "last4": {"type": ["string", "null"], "pattern": "^[0-9]{4}$"},
        "linked_at": {"type": "string", "format": "date-time"},
        "last_synced_at": {"type": ["string", "null"], "format": "date-time"},
        "last_sync_error": {"type": ["string", "null"]}
    }})
}

pub const START_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Start onboarding",
    description: "With FEATURE_KNOT=true: a Knot TransactionLink session (`session_id`, `client_id`, `environment`) for \
        Knot's SDK, and the merchants Knot lists. Otherwise `mode: mock`: onboarding/complete links demo accounts.",
    request: None,
    response: (200, || crate::schema!({"type": "object", "required": ["mode", "session_id"], "properties": {
        "mode": {"type": "string", "enum": ["knot", "mock"]}, "session_id": {"type": "string"},
        "client_id": {"type": ["string", "null"]}, "environment": {"type": "string"}, "merchants": {"type": "array"}}})),
};
pub const COMPLETE_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Finish onboarding",
    description: "With Knot: `{merchant_id}` of the merchant the user linked; a sync is queued in the user's scheduler \
        (in Knot's development environment, sample transactions are generated first). Without: three demo cards and a \
        deterministic 90-day history (groceries, dining, transport, shopping, monthly subscriptions, a refund, a trip in \
        euros); linking twice changes nothing. Insights follow from the scheduler.",
    request: Some(|| json!({"type": "object", "additionalProperties": false, "properties": {
        "merchant_id": {"type": "integer", "minimum": 1, "description": "Required when Knot is configured."},
        "merchant_name": crate::platform::fields::text_schema(100)}})),
    response: (201, || json!({"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": schema()}}})),
};
pub const LIST_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "List linked accounts",
    description: "Paginated.",
    request: None,
    response: (200, || page_of(schema())),
};
pub const UNLINK_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Unlink an account",
    description: "Removes the account and its sync cursor, so it is never synced again, and its transactions unless \
        `keep_transactions=true`.",
    request: None,
    response: (204, crate::platform::openapi::no_body),
};
pub const SYNC_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Sync an account now",
    description: "Pages through Knot's /transactions/sync from the stored cursor until next_cursor is null, storing \
        each page with its cursor; 429 and 5xx are retried with backoff (honouring Retry-After), then 502 with the \
        error kept on the account and the cursor where it stopped.",
    request: None,
    response: (200, || crate::schema!({"type": "object", "properties": {"account_id": {"type": "string"},
        "pages": {"type": "integer"}, "stored": {"type": "integer"}}})),
};
