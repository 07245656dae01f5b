//! Insights: computed by the user's scheduler (after each sync or onboarding, and daily)
//! from the stored transactions and kept as one row; the routes only read that row.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::insights::compute;
use super::{settings, transactions};
use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::Doc;

/// Recomputes and stores a user's insights (the last 13 months of transactions).
pub async fn refresh(db: &D1Database, user_id: &str) -> Result<String, ApiError> {
    let today = crate::platform::ids::now().date_naive();
    let currency = settings::of_user(db, user_id).await?.home_currency;
    let txs = transactions::between(
        db,
        user_id,
        today - Duration::days(400),
        today + Duration::days(1),
    )
    .await?;
    let data = compute(&txs, today, &currency);
    db.prepare(
        "INSERT INTO money_insights (user_id, data, computed_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE SET data = ?2, computed_at = ?3",
    )
    .bind(&[
        user_id.into(),
        data.to_string().into(),
        ids::now_rfc3339().into(),
    ])?
    .run()
    .await?;
    Ok(format!("insights from {} transactions", txs.len()))
}

async fn stored(db: &D1Database, caller: &Caller) -> Result<(Value, Option<String>), ApiError> {
    #[derive(Deserialize)]
    struct Row {
        data: String,
        computed_at: String,
    }
    let row: Option<Row> = db
        .prepare("SELECT data, computed_at FROM money_insights WHERE user_id = ?1")
        .bind(&[caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    Ok(match row {
        Some(r) => (
            serde_json::from_str(&r.data).unwrap_or(Value::Null),
            Some(r.computed_at),
        ),
        None => (Value::Null, None),
    })
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let (data, computed_at) = stored(&ctx.d1()?, &caller).await?;
    let mut v = if data.is_object() { data } else { json!({}) };
    v["computed_at"] = json!(computed_at);
    v["status"] = json!(if computed_at.is_some() {
        "ready"
    } else {
        "pending"
    });
    http::json(200, &v)
}

pub async fn summary(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let (d, computed_at) = stored(&ctx.d1()?, &caller).await?;
    http::json(
        200,
        &json!({
            "computed_at": computed_at,
            "currency": d["currency"],
            "by_category": d["by_category"].as_array().cloned().unwrap_or_default(),
            "recurring": d["recurring"].as_array().cloned().unwrap_or_default(),
            "month_over_month": d["month_over_month"],
        }),
    )
}

fn summary_schema() -> Value {
    crate::schema!({"title": "InsightSummary", "type": "object", "required": ["computed_at", "by_category", "recurring", "month_over_month"], "properties": {
        "computed_at": {"type": ["string", "null"], "format": "date-time", "description": "null until the scheduler first computed them."},
        "currency": {"type": ["string", "null"]},
        "by_category": {"type": "array", "items": {"type": "object", "properties": {
            "category": {"type": "string"}, "this_month_cents": {"type": "integer"}, "last_month_cents": {"type": "integer"}}}},
        "recurring": {"type": "array", "items": {"type": "object", "properties": {
            "merchant": {"type": "string"}, "amount_cents": {"type": "integer"}, "currency": {"type": "string"},
            "occurrences": {"type": "integer"}, "cadence_days": {"type": "integer"},
            "last_date": {"type": "string", "format": "date"}, "next_expected_date": {"type": "string", "format": "date"},
            "next_expected_cents": {"type": "integer"}}}},
        "month_over_month": {"type": ["object", "null"], "properties": {
            "this_month_cents": {"type": "integer"}, "last_month_same_days_cents": {"type": "integer"},
            "last_month_cents": {"type": "integer"}, "change_cents": {"type": "integer"},
            "change_pct": {"type": ["number", "null"]}, "days": {"type": "integer"}}}
    }})
}

pub const GET_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Insights",
    description: "What the user's scheduler last computed (after onboarding, each sync, and daily), in the home currency: \
        this and last month by category and merchant, month-over-month (this month so far against the same days of last \
        month), recurring charges (same merchant, amount within ±10 %, 25–35 days apart, at least 3 times) with the next \
        expected date and amount. `computed_at` says when; `status: pending` before the first run.",
    request: None,
    response: (200, || crate::schema!({"type": "object", "required": ["computed_at", "status"], "properties": {
        "computed_at": {"type": ["string", "null"]}, "status": {"type": "string", "enum": ["ready", "pending"]}}})),
};
pub const SUMMARY_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Insights summary",
    description:
        "by_category, recurring and month_over_month from the stored insights, with computed_at.",
    request: None,
    response: (200, summary_schema),
};
