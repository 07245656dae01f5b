//! Knot (TransactionLink): sessions, the merchant list, transaction sync with cursors, the
//! development sample generator, and the webhook receiver. HTTP Basic `client_id:secret`;
//! 429 and 5xx are retried with exponential backoff, honouring `Retry-After`.

use serde_json::{json, Value};
use worker::{D1Database, Env};

use super::accounts::{self, Account};
use super::rules::{amounts, category_of};
use super::settings::{Settings, KNOT_ATTEMPTS};
use super::transactions::{self, Incoming};
use crate::platform::crypto::{b64_encode, constant_time_eq, hmac_sha256};
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::Doc;
use crate::platform::outbound::{post_json, CallError};

/// Longest wait a `Retry-After` may ask for between two tries.
const MAX_WAIT_MS: u64 = 30_000;
/// Pages one sync reads at most (100 transactions each).
const MAX_PAGES: u32 = 1_000;

/// POSTs to Knot with retries. The error says what failed after the last try.
async fn call(settings: &Settings, path: &str, body: &Value) -> Result<Value, ApiError> {
    let (Some(id), Some(secret)) = (&settings.knot_client_id, &settings.knot_secret) else {
        return Err(ApiError::internal(
            "KNOT_CLIENT_ID / KNOT_SECRET are not set",
        ));
    };
    let auth = format!("Basic {}", b64_encode(format!("{id}:{secret}").as_bytes()));
    let url = format!("{}{path}", settings.knot_base_url);
    let mut last = String::new();
    for attempt in 0..KNOT_ATTEMPTS {
        let wait_ms = match post_json(&url, &[("Authorization", &auth)], body).await {
            Ok(v) => return Ok(v),
            Err(CallError::Throttled {
                status,
                retry_after_secs,
            }) => {
                last = format!("HTTP {status}");
                retry_after_secs.saturating_mul(1000).min(MAX_WAIT_MS)
            }
            Err(CallError::Status(s)) if s == 429 || s >= 500 => {
                last = format!("HTTP {s}");
                settings.knot_retry_base_ms.saturating_mul(1 << attempt)
            }
            Err(CallError::Transport(e)) => {
                last = format!("unreachable ({e})");
                settings.knot_retry_base_ms.saturating_mul(1 << attempt)
            }
            Err(CallError::Status(s)) => {
                return Err(ApiError::UpstreamFailed(format!(
                    "Knot {path} answered HTTP {s}"
                )))
            }
            Err(CallError::NotJson) => {
                return Err(ApiError::UpstreamFailed(format!(
                    "Knot {path} did not answer JSON"
                )))
            }
            Err(CallError::Request(e)) => {
                return Err(ApiError::internal(format!("Knot {path}: {e}")))
            }
        };
        if attempt + 1 < KNOT_ATTEMPTS {
            worker::Delay::from(std::time::Duration::from_millis(wait_ms)).await;
        }
    }
    Err(ApiError::UpstreamFailed(format!(
        "Knot {path} failed after {KNOT_ATTEMPTS} tries: {last}"
    )))
}

/// `POST /session/create` (type `transaction_link`): the session id for Knot's SDK.
pub async fn create_session(settings: &Settings, user_id: &str) -> Result<String, ApiError> {
    let v = call(
        settings,
        "/session/create",
        &json!({"type": "transaction_link", "external_user_id": user_id}),
    )
    .await?;
    v["session"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ApiError::UpstreamFailed("Knot /session/create answered no session".into()))
}

/// `POST /merchant/list` for TransactionLink, cached a day in KV `CACHE`.
pub async fn merchants(env: &Env, settings: &Settings) -> Result<Vec<Value>, ApiError> {
    let kv = env.kv("CACHE")?;
    let key = format!(
        "knot:merchants:{}",
        crate::platform::crypto::sha256_hex(settings.knot_base_url.as_bytes())
    );
    if let Some(cached) = kv.get(&key).text().await? {
        if let Ok(Value::Array(list)) = serde_json::from_str(&cached) {
            return Ok(list);
        }
    }
    let v = call(
        settings,
        "/merchant/list",
        &json!({"type": "transaction_link"}),
    )
    .await?;
    let list: Vec<Value> = match v {
        Value::Array(list) => list,
        other => other["merchants"].as_array().cloned().unwrap_or_default(),
    };
    let slim: Vec<Value> = list
        .iter()
        .map(|m| json!({"id": m["id"], "name": m["name"], "logo": m["logo"]}))
        .collect();
    kv.put(&key, Value::Array(slim.clone()).to_string())?
        .expiration_ttl(86_400)
        .execute()
        .await?;
    Ok(slim)
}

/// `POST /development/accounts/link`: Knot's development environment generates sample
/// transactions for the user's merchant account.
pub async fn generate_sample(
    settings: &Settings,
    user_id: &str,
    merchant_id: i64,
) -> Result<(), ApiError> {
    call(
        settings,
        "/development/accounts/link",
        &json!({"external_user_id": user_id, "merchant_id": merchant_id, "transactions": {"new": true, "updated": false}}),
    )
    .await
    .map(|_| ())
}

/// A Knot transaction as ours: the total of its price (refunds negative); cancelled and
/// failed orders moved no money and are skipped.
pub fn to_incoming(tx: &Value, merchant: &str) -> Option<Incoming> {
    let status = tx["order_status"].as_str().unwrap_or("COMPLETED");
    if matches!(status, "CANCELLED" | "FAILED") {
        return None;
    }
    let total = amounts::cents(tx["price"]["total"].as_str()?).ok()?;
    let occurred = chrono::DateTime::parse_from_rfc3339(tx["datetime"].as_str()?).ok()?;
    Some(Incoming {
        external_id: tx["id"].as_str()?.to_string(),
        merchant: merchant.to_string(),
        amount_cents: if status == "REFUNDED" {
            -total.abs()
        } else {
            total
        },
        currency: tx["price"]["currency"]
            .as_str()
            .unwrap_or("USD")
            .to_uppercase(),
        category: category_of(merchant).to_string(),
        occurred_at: ids::rfc3339(occurred.with_timezone(&chrono::Utc)),
    })
}

/// The last four digits of the first card a page of transactions was paid with.
fn card_last4(txs: &[Value]) -> Option<String> {
    txs.iter()
        .flat_map(|t| t["payment_methods"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["type"] == "CARD")
        .filter_map(|p| p["last_four"].as_str().map(str::to_string))
        .find(|l| l.len() == 4 && l.chars().all(|c| c.is_ascii_digit()))
}

pub struct SyncOutcome {
    pub pages: u32,
    pub stored: usize,
}

/// Pages through `/transactions/sync` from the stored cursor until `next_cursor` is null;
/// each page is stored in one batch with the cursor to resume from. A failure after the
/// retries is kept on the account (the cursor stays where it stopped) and returned.
pub async fn sync_account(
    db: &D1Database,
    settings: &Settings,
    user_id: &str,
    account: &Account,
) -> Result<SyncOutcome, ApiError> {
    let merchant_id = account
        .merchant_id
        .ok_or_else(|| ApiError::internal("a Knot account without merchant_id"))?;
    let mut cursor: Option<String> = db
        .prepare("SELECT cursor FROM money_sync_cursors WHERE account_id = ?1 AND user_id = ?2")
        .bind(&[account.id.as_str().into(), user_id.into()])?
        .first(Some("cursor"))
        .await?;
    let mut out = SyncOutcome {
        pages: 0,
        stored: 0,
    };
    loop {
        let body = json!({"merchant_id": merchant_id, "external_user_id": user_id, "cursor": cursor, "limit": 100});
        let page = match call(settings, "/transactions/sync", &body).await {
            Ok(p) => p,
            Err(_) if !still_linked(db, user_id, &account.id).await? => {
                return Err(ApiError::not_found("account"))
            }
            Err(e) => {
                db.prepare(
                    "UPDATE money_accounts SET last_sync_error = ?1 WHERE id = ?2 AND user_id = ?3",
                )
                .bind(&[
                    e.message().into(),
                    account.id.as_str().into(),
                    user_id.into(),
                ])?
                .run()
                .await?;
                return Err(e);
            }
        };
        let raw = page["transactions"].as_array().cloned().unwrap_or_default();
        let merchant = page["merchant"]["name"]
            .as_str()
            .unwrap_or(&account.merchant)
            .to_string();
        let rows: Vec<Incoming> = raw
            .iter()
            .filter_map(|t| to_incoming(t, &merchant))
            .collect();
        let next = page["next_cursor"].as_str().map(str::to_string);
        let now = ids::now_rfc3339();
        let mut stmts = Vec::new();
        if !rows.is_empty() {
            stmts.push(transactions::upsert(db, user_id, &account.id, &rows)?);
        }
        // Resume from the next page; at the end, from this page again (it may grow).
        let resume = next.clone().or_else(|| cursor.clone());
        stmts.push(
            db.prepare(
                "INSERT INTO money_sync_cursors (account_id, user_id, cursor, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account_id) DO UPDATE SET cursor = ?3, updated_at = ?4",
            )
            .bind(&[account.id.as_str().into(), user_id.into(), crate::platform::db::nullable(resume.as_deref()), now.as_str().into()])?,
        );
        stmts.push(
            db.prepare(
                "UPDATE money_accounts SET last_synced_at = ?1, last_sync_error = NULL, last4 = COALESCE(last4, ?2) \
                 WHERE id = ?3 AND user_id = ?4",
            )
            .bind(&[now.as_str().into(), crate::platform::db::nullable(card_last4(&raw).as_deref()), account.id.as_str().into(), user_id.into()])?,
        );
        if let Err(e) = crate::platform::db::write(db, stmts).await {
            // Unlinked while the page was read: the batch wrote nothing (its foreign keys
            // refused it), and the sync stops there.
            if !still_linked(db, user_id, &account.id).await? {
                return Err(ApiError::not_found("account"));
            }
            return Err(e);
        }
        out.pages += 1;
        out.stored += rows.len();
        match next {
            Some(c) if out.pages < MAX_PAGES => cursor = Some(c),
            _ => break,
        }
    }
    Ok(out)
}

/// Whether the account is still linked (a sync in flight stops when it is not).
async fn still_linked(db: &D1Database, user_id: &str, account_id: &str) -> Result<bool, ApiError> {
    let found: Option<String> = db
        .prepare("SELECT id FROM money_accounts WHERE id = ?1 AND user_id = ?2")
        .bind(&[account_id.into(), user_id.into()])?
        .first(Some("id"))
        .await?;
    Ok(found.is_some())
}

/// Syncs every Knot account of a user (the scheduler's `sync` job). Fails when one failed,
/// so the scheduler tries again later.
pub async fn sync_user(
    db: &D1Database,
    settings: &Settings,
    user_id: &str,
) -> Result<String, ApiError> {
    if !settings.feature_knot {
        return Ok("knot off".into());
    }
    let mut stored = 0;
    let mut failed = Vec::new();
    let knot_accounts: Vec<Account> = accounts::all(db, user_id)
        .await?
        .into_iter()
        .filter(|a| a.source == "knot")
        .collect();
    for a in &knot_accounts {
        match sync_account(db, settings, user_id, a).await {
            Ok(o) => stored += o.stored,
            // Unlinked meanwhile: nothing to sync.
            Err(ApiError::NotFound(_)) => {}
            Err(e) => failed.push(format!("{}: {}", a.merchant, e.message())),
        }
    }
    if failed.is_empty() {
        Ok(format!(
            "synced {} accounts, {stored} transactions",
            knot_accounts.len()
        ))
    } else {
        Err(ApiError::UpstreamFailed(failed.join("; ")))
    }
}

/// Knot's webhook signature: HMAC-SHA256 (base64) of
/// `Content-Length|…|Content-Type|…|Encryption-Type|…|event|…[|session_id|…]`.
pub fn signature(
    secret: &str,
    content_length: &str,
    content_type: &str,
    encryption_type: &str,
    event: &str,
    session_id: Option<&str>,
) -> String {
    let mut s = format!("Content-Length|{content_length}|Content-Type|{content_type}|Encryption-Type|{encryption_type}|event|{event}");
    if let Some(sid) = session_id {
        s.push_str(&format!("|session_id|{sid}"));
    }
    b64_encode(&hmac_sha256(secret.as_bytes(), s.as_bytes()))
}

/// How far a webhook's `timestamp` may be from now: older ones (a replay of a captured
/// delivery) are refused.
const FRESH_MS: i64 = 10 * 60_000;
/// A webhook queues at most one sync per linked account in this long: a signature reused
/// on crafted bodies (Knot's does not cover the body's other fields) buys no more.
const QUEUE_EVERY_MS: i64 = 60_000;

/// Records that a Knot session was created for `user_id`, so a webhook naming the session
/// can be bound to its user.
pub async fn remember_session(
    db: &D1Database,
    session_id: &str,
    user_id: &str,
) -> Result<(), ApiError> {
    db.prepare("INSERT OR IGNORE INTO money_knot_sessions (session_id, user_id, created_at) VALUES (?1, ?2, ?3)")
        .bind(&[session_id.into(), user_id.into(), ids::now_rfc3339().into()])?
        .run()
        .await?;
    Ok(())
}

/// `POST /api/money/webhooks/knot`, in order:
/// 1. `Knot-Signature` checked exactly as Knot specifies (constant time; 401 otherwise);
/// 2. `timestamp` within 10 minutes of now (401 otherwise: a replay of an old delivery);
/// 3. the exact body seen before → 200 `duplicate`, nothing done (Knot retries answered
///    once; a replay acts once);
/// 4. bound to what it names: a `session_id` must be one we created for the
///    `external_user_id` (401 otherwise), and a transaction event queues a sync only for
///    an account of that user at that merchant, at most once a minute per account;
/// 5. the sync is queued in the user's scheduler and the answer goes out at once.
pub async fn webhook(mut ctx: Ctx) -> Result<Response, ApiError> {
    let settings = Settings::of(&ctx.config)?;
    let unauthorized = || ApiError::Unauthorized("missing or invalid Knot-Signature".into());
    let secret = settings
        .knot_webhook_secret
        .clone()
        .ok_or_else(unauthorized)?;
    let given = ctx.header("Knot-Signature").ok_or_else(unauthorized)?;
    let bytes = ctx.body_bytes().await?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|_| unauthorized())?;
    let length = ctx
        .header("Content-Length")
        .unwrap_or_else(|| bytes.len().to_string());
    let content_type = ctx.header("Content-Type").unwrap_or_default();
    let encryption = ctx
        .header("Encryption-Type")
        .unwrap_or_else(|| "HMAC-SHA256".into());
    let event = body["event"].as_str().unwrap_or_default();
    let expected = signature(
        &secret,
        &length,
        &content_type,
        &encryption,
        event,
        body["session_id"].as_str(),
    );
    if !constant_time_eq(expected.as_bytes(), given.trim().as_bytes()) {
        return Err(unauthorized());
    }
    let now = ids::now_ms() as i64;
    if body["timestamp"]
        .as_i64()
        .is_none_or(|t| t.abs_diff(now) > FRESH_MS as u64)
    {
        return Err(ApiError::Unauthorized(
            "stale or missing timestamp: a webhook is accepted for 10 minutes".into(),
        ));
    }
    let db = ctx.d1()?;
    let seen = db
        .prepare("INSERT OR IGNORE INTO money_knot_webhooks (body_hash, event, received_at) VALUES (?1, ?2, ?3)")
        .bind(&[crate::platform::crypto::sha256_hex(&bytes).into(), event.into(), ids::now_rfc3339().into()])?
        .run()
        .await?;
    if crate::platform::db::changes(&seen)? == 0 {
        return http::json(
            200,
            &json!({"received": true, "queued": false, "duplicate": true}),
        );
    }
    let user_id = body["external_user_id"].as_str();
    if let Some(session) = body["session_id"].as_str() {
        let owner: Option<String> = db
            .prepare("SELECT user_id FROM money_knot_sessions WHERE session_id = ?1")
            .bind(&[session.into()])?
            .first(Some("user_id"))
            .await?;
        if owner.is_none() || owner.as_deref() != user_id {
            return Err(ApiError::Unauthorized(
                "the session is not one of this user's".into(),
            ));
        }
    }
    let mut queued = false;
    if matches!(
        event,
        "NEW_TRANSACTIONS_AVAILABLE" | "UPDATED_TRANSACTIONS_AVAILABLE"
    ) {
        let (Some(user_id), Some(merchant_id)) = (user_id, body["merchant"]["id"].as_i64()) else {
            return Err(ApiError::validation(
                "body",
                "external_user_id and merchant.id are required",
            ));
        };
        // The account of that user at that merchant, if a sync was not queued for it in
        // the last minute: marked in the same statement that finds it.
        let due = db
            .prepare(
                "UPDATE money_accounts SET webhook_queued_at = ?3 WHERE user_id = ?1 AND merchant_id = ?2 \
                 AND source = 'knot' AND (webhook_queued_at IS NULL OR webhook_queued_at < ?4)",
            )
            .bind(&[user_id.into(), (merchant_id as f64).into(), (now as f64).into(), ((now - QUEUE_EVERY_MS) as f64).into()])?
            .run()
            .await?;
        if crate::platform::db::changes(&due)? > 0 {
            super::queue(&ctx.env, user_id, "sync").await?;
            queued = true;
        }
    }
    http::json(
        200,
        &json!({"received": true, "queued": queued, "duplicate": false}),
    )
}

pub const WEBHOOK_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Knot webhook receiver",
    description: "Knot calls this. `Knot-Signature` must be the base64 HMAC-SHA256, under KNOT_WEBHOOK_SECRET (else \
        KNOT_SECRET), of `Content-Length|…|Content-Type|…|Encryption-Type|…|event|…` (plus `|session_id|…` when the \
        body has one); anything else is 401. `timestamp` (unix ms) must be within 10 minutes of now (401). A body \
        received before answers 200 with `duplicate: true` and does nothing. A `session_id` must be one this API \
        created for `external_user_id` (401). NEW_TRANSACTIONS_AVAILABLE and UPDATED_TRANSACTIONS_AVAILABLE for an \
        account of that user at `merchant.id` queue a sync in the user's scheduler, at most once a minute per account.",
    request: Some(|| crate::schema!({"type": "object", "required": ["event"], "properties": {
        "event": {"type": "string", "examples": ["NEW_TRANSACTIONS_AVAILABLE"]},
        "external_user_id": {"type": "string"}, "session_id": {"type": "string"},
        "merchant": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "timestamp": {"type": "integer", "description": "Unix milliseconds; within 10 minutes of now."}}})),
    response: (200, || crate::schema!({"type": "object", "required": ["received", "queued", "duplicate"], "properties": {
        "received": {"type": "boolean"}, "queued": {"type": "boolean"},
        "duplicate": {"type": "boolean", "description": "This exact body was received before: nothing was done."}}})),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knot_transactions_become_ours() {
        let tx = crate::schema!({"id": "13da3c28", "datetime": "2024-11-10T00:00:00+00:00", "order_status": "COMPLETED",
            "price": {"total": "43.20", "currency": "USD"}, "payment_methods": [{"type": "CARD", "last_four": "5690"}]});
        let t = to_incoming(&tx, "DoorDash").expect("converted");
        assert_eq!(
            (t.amount_cents, t.category.as_str(), t.occurred_at.as_str()),
            (4320, "dining", "2024-11-10T00:00:00.000Z")
        );
        let mut refunded = tx.clone();
        refunded["order_status"] = json!("REFUNDED");
        assert_eq!(
            to_incoming(&refunded, "DoorDash").map(|t| t.amount_cents),
            Some(-4320)
        );
        let mut cancelled = tx.clone();
        cancelled["order_status"] = json!("CANCELLED");
        assert!(to_incoming(&cancelled, "DoorDash").is_none());
        assert_eq!(card_last4(&[tx]), Some("5690".into()));
    }

    #[test]
    fn webhook_signatures_follow_knots_recipe() {
        let a = signature(
            "secret",
            "178",
            "application/json",
            "HMAC-SHA256",
            "CARD_UPDATED",
            Some("fb5a"),
        );
        let b = signature(
            "secret",
            "178",
            "application/json",
            "HMAC-SHA256",
            "CARD_UPDATED",
            None,
        );
        assert_ne!(a, b);
        let msg = "Content-Length|178|Content-Type|application/json|Encryption-Type|HMAC-SHA256|event|CARD_UPDATED|session_id|fb5a";
        assert_eq!(a, b64_encode(&hmac_sha256(b"secret", msg.as_bytes())));
    }
}
