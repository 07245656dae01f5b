//! Usage: the gateway's access-log ingest (`POST /usage/logs`, gateway token), and the
//! customer's usage records and billing summary.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::{customers, escrow, services};
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::openapi::Doc;

pub const MAX_BATCH: usize = 1_000;
/// The most bytes one logged request may report: 1 TB, far past any RPC answer. Bounded so
/// that no sum of logged rows can overflow a 64-bit integer: a metering pass adds at most
/// 250,000 rows (2.5 × 10^17 bytes), and a month of windows stays far below 2^63.
pub const MAX_BYTES_OUT: i64 = 1_000_000_000_000;
const RETENTION_MS: i64 = 90 * 86_400_000;
const FUTURE_SLACK_MS: i64 = 300_000;
/// 6 columns × 16 rows = 96 bound parameters (D1 allows 100 per statement).
const ROWS_PER_INSERT: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    pub ts: i64,
    pub customer_id: i64,
    pub service_type: &'static str,
    pub method: String,
    pub status_code: i64,
    pub bytes_out: i64,
}

fn parse_ts(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// Checks a batch at time `now`: every bad field of every row is named (`logs[3].status_code`).
pub fn parse_batch(body: &Value, now: i64) -> Result<Vec<LogRow>, Vec<FieldError>> {
    let Some(logs) = body.get("logs").and_then(Value::as_array) else {
        return Err(vec![FieldError::new(
            "logs",
            "must be an array of access log rows",
        )]);
    };
    if logs.is_empty() || logs.len() > MAX_BATCH {
        return Err(vec![FieldError::new(
            "logs",
            format!("must hold 1 to {MAX_BATCH} rows"),
        )]);
    }
    let mut rows = Vec::with_capacity(logs.len());
    let mut errors = Vec::new();
    for (i, l) in logs.iter().enumerate() {
        let mut bad = |f: &str, m: &str| errors.push(FieldError::new(format!("logs[{i}].{f}"), m));
        let ts = parse_ts(&l["timestamp"]);
        match ts {
            Some(t) if t >= now - RETENTION_MS && t <= now + FUTURE_SLACK_MS => {}
            // 1e9..1e11 is "now" in seconds, not milliseconds.
            Some(t) if (1_000_000_000..100_000_000_000).contains(&t) => bad(
                "timestamp",
                "looks like unix seconds: send unix milliseconds (seconds × 1000) or an RFC 3339 time",
            ),
            Some(_) => bad(
                "timestamp",
                "must be within the last 90 days and not in the future (unix milliseconds or RFC 3339)",
            ),
            None => bad("timestamp", "must be an RFC 3339 time or unix milliseconds"),
        }
        let customer_id = l["customer_id"]
            .as_i64()
            .filter(|c| (1..=i64::from(i32::MAX)).contains(c));
        if customer_id.is_none() {
            bad("customer_id", "must be a positive 32-bit integer");
        }
        let service_type = l["service_type"]
            .as_str()
            .and_then(|s| services::SERVICE_TYPES.iter().find(|t| **t == s).copied());
        if service_type.is_none() {
            bad("service_type", "must be seal, grpc or graphql");
        }
        let method = l["method"]
            .as_str()
            .filter(|m| !m.is_empty() && m.len() <= 64);
        if method.is_none() {
            bad("method", "must be a string of 1 to 64 characters");
        }
        let status = l["status_code"]
            .as_i64()
            .filter(|s| (100..=599).contains(s));
        if status.is_none() {
            bad("status_code", "must be an HTTP status from 100 to 599");
        }
        let bytes = l["bytes_out"]
            .as_i64()
            .filter(|b| (0..=MAX_BYTES_OUT).contains(b));
        if bytes.is_none() {
            bad(
                "bytes_out",
                "must be an integer from 0 to 1,000,000,000,000",
            );
        }
        if let (
            Some(ts),
            Some(customer_id),
            Some(service_type),
            Some(method),
            Some(status_code),
            Some(bytes_out),
        ) = (ts, customer_id, service_type, method, status, bytes)
        {
            rows.push(LogRow {
                ts,
                customer_id,
                service_type,
                method: method.to_string(),
                status_code,
                bytes_out,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.truncate(50);
        Err(errors)
    }
}

async fn unknown_customers(db: &D1Database, rows: &[LogRow]) -> Result<Vec<i64>, ApiError> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    crate::platform::sort::sort(&mut ids);
    ids.dedup();
    let mut unknown = Vec::new();
    for chunk in ids.chunks(90) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let binds: Vec<wasm_bindgen::JsValue> = chunk.iter().map(|c| (*c as f64).into()).collect();
        #[derive(Deserialize)]
        struct C {
            customer_id: i64,
        }
        let found: Vec<C> = db
            .prepare(format!(
                "SELECT customer_id FROM suiftly_customers WHERE customer_id IN ({marks})"
            ))
            .bind(&binds)?
            .all()
            .await?
            .results()?;
        unknown.extend(
            chunk
                .iter()
                .filter(|c| !found.iter().any(|f| f.customer_id == **c)),
        );
    }
    Ok(unknown)
}

/// `POST /usage/logs`: validates the whole batch, then writes it in one D1 batch.
pub async fn ingest(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let now = crate::platform::ids::now_ms() as i64;
    let rows = parse_batch(&body, now).map_err(ApiError::Validation)?;
    let db = ctx.d1()?;
    let unknown = unknown_customers(&db, &rows).await?;
    if !unknown.is_empty() {
        let errors = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| unknown.contains(&r.customer_id))
            .take(50)
            .map(|(i, _)| FieldError::new(format!("logs[{i}].customer_id"), "is not a customer"))
            .collect();
        return Err(ApiError::Validation(errors));
    }
    let mut stmts = Vec::with_capacity(rows.len().div_ceil(ROWS_PER_INSERT));
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let values = vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        let mut binds: Vec<wasm_bindgen::JsValue> = Vec::with_capacity(chunk.len() * 6);
        for r in chunk {
            binds.extend([
                (r.ts as f64).into(),
                (r.customer_id as f64).into(),
                r.service_type.into(),
                r.method.as_str().into(),
                (r.status_code as f64).into(),
                (r.bytes_out as f64).into(),
            ]);
        }
        stmts.push(
            db.prepare(format!(
                "INSERT INTO suiftly_access_logs (ts, customer_id, service_type, method, status_code, bytes_out) VALUES {values}"
            ))
            .bind(&binds)?,
        );
    }
    crate::platform::db::write(&db, stmts).await?;
    http::json(202, &json!({"accepted": rows.len()}))
}

#[derive(Debug, Clone, Serialize)]
pub struct UsageItem {
    #[serde(skip)]
    cursor: String,
    pub service_type: String,
    pub window_start: String,
    pub window_end: String,
    pub request_count: i64,
    pub bytes_transferred: i64,
    pub charged_amount_usd_cents: Option<i64>,
}

fn rfc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(crate::platform::ids::rfc3339)
        .unwrap_or_default()
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let page = ctx.page()?;
    let bound = |name: &str| -> Result<Option<i64>, ApiError> {
        match ctx.query_param(name) {
            None => Ok(None),
            Some(v) => chrono::DateTime::parse_from_rfc3339(&v)
                .map(|t| Some(t.timestamp_millis()))
                .map_err(|_| ApiError::validation(name, "must be an RFC 3339 time")),
        }
    };
    let from = bound("from")?.unwrap_or(0);
    let to = bound("to")?.unwrap_or(i64::MAX / 2);
    // Usage ids are integers; a cursor this API never made (not an integer, or past
    // i64) is a position after every row, like any other list's unknown cursor.
    let after: i64 = page
        .after
        .as_deref()
        .map_or(0, |a| a.parse().unwrap_or(i64::MAX));
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        service_type: String,
        window_start: i64,
        window_end: i64,
        request_count: i64,
        bytes_transferred: i64,
        charged_amount_usd_cents: Option<i64>,
    }
    let rows = async {
        let rows: Vec<Row> = db
            .prepare(format!(
                "SELECT id, service_type, window_start, window_end, request_count, bytes_transferred, charged_amount_usd_cents \
                 FROM suiftly_usage_records WHERE customer_id = {} AND window_start >= ?2 AND window_start < ?3 AND id > ?4 \
                 ORDER BY id LIMIT ?5",
                customers::MINE
            ))
            .bind(&[caller.user_id.as_str().into(), (from as f64).into(), (to as f64).into(), (after as f64).into(), f64::from(page.fetch()).into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    let whose = escrow::Whose::User(&caller.user_id);
    // The customer (404 for a user who is none), the page and what is pending, read at once.
    let (_, rows, pending) = futures::try_join!(
        customers::of_caller(&db, &caller),
        rows,
        pending(&db, whose)
    )?;
    let items: Vec<UsageItem> = rows
        .into_iter()
        .map(|r| UsageItem {
            cursor: r.id.to_string(),
            service_type: r.service_type,
            window_start: rfc(r.window_start),
            window_end: rfc(r.window_end),
            request_count: r.request_count,
            bytes_transferred: r.bytes_transferred,
            charged_amount_usd_cents: r.charged_amount_usd_cents,
        })
        .collect();
    let mut body = page.respond(items, |i| &i.cursor);
    body["pending"] = pending;
    http::json(200, &body)
}

/// Gateway logs received but not metered yet: their window is still open, or closed and
/// waiting for the next cron tick (every 5 minutes).
async fn pending(db: &D1Database, whose: escrow::Whose<'_>) -> Result<Value, ApiError> {
    #[derive(Deserialize)]
    struct P {
        n: i64,
        first: Option<i64>,
        last: Option<i64>,
    }
    let (who, bind) = whose.sql();
    let p: Option<P> = db
        .prepare(format!(
            "SELECT COUNT(*) AS n, MIN(ts) AS first, MAX(ts) AS last FROM suiftly_access_logs WHERE customer_id = {who} \
             AND id > COALESCE((SELECT value FROM job_watermarks WHERE name = 'metering'), 0)"
        ))
        .bind(&[bind])?
        .first(None)
        .await?;
    let window = crate::products::suiftly::pricing::WINDOW_MS;
    Ok(match p {
        Some(P {
            n,
            first: Some(first),
            last: Some(last),
        }) if n > 0 => {
            let end = last - last.rem_euclid(window) + window;
            json!({"raw_logs": n, "oldest": rfc(first), "newest": rfc(last),
                "window_start": rfc(end - window), "window_end": rfc(end),
                "note": format!("{n} request(s) not metered yet: a 5-minute window is metered by the first cron run after it closes (the latest closes at {})", rfc(end))})
        }
        _ => crate::schema!({"raw_logs": 0, "note": "every request received has been metered"}),
    })
}

pub async fn billing(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let tiers = &crate::products::suiftly::settings::of(&ctx.config)?.tiers;
    #[derive(Deserialize)]
    struct Month {
        month: String,
        charged: i64,
    }
    let history = async {
        let history: Vec<Month> = db
            .prepare(format!(
                "SELECT substr(created_at, 1, 7) AS month, SUM(amount_usd_cents) AS charged FROM suiftly_escrow_transactions \
                 WHERE customer_id = {} AND tx_type = 'charge' GROUP BY month ORDER BY month DESC LIMIT 24",
                customers::MINE
            ))
            .bind(&[caller.user_id.as_str().into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(history)
    };
    // The customer, the unbilled records and the monthly history, read at once.
    let (c, items, history) = futures::try_join!(
        customers::of_caller(&db, &caller),
        escrow::unbilled(&db, tiers, escrow::Whose::User(&caller.user_id)),
        history
    )?;
    let pending = crate::products::suiftly::pricing::estimate_cents(&items, c.carry_millicents);
    http::json(
        200,
        &json!({
            "current_balance_usd_cents": c.current_balance_usd_cents,
            "month_to_date_usd_cents": c.current_month_charged_usd_cents,
            "max_monthly_usd_cents": c.max_monthly_usd_cents,
            "current_month_start": c.current_month_start,
            "last_month_charged_usd_cents": c.last_month_charged_usd_cents,
            "pending": {"usage_records": items.len(), "estimated_usd_cents": pending},
            "carried_fraction_usd_cents": c.carry_millicents as f64 / 1000.0,
            "history": history.iter().map(|m| json!({"month": m.month, "charged_usd_cents": m.charged})).collect::<Vec<_>>(),
        }),
    )
}

pub const INGEST_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Ingest gateway access logs",
    description: "Gateway token. `{\"logs\": [{timestamp, customer_id, service_type, method, status_code, bytes_out}, …]}`, \
        1–1,000 rows, one per request; every row is checked (422 names `logs[i].field`; `bytes_out` at most 10^12) \
        and the batch is written all or nothing. Metering counts requests with status < 500 once their 5-minute window has closed.",
    request: Some(|| json!({"type": "object", "required": ["logs"], "properties": {"logs": {"type": "array", "maxItems": 1000, "items": {
        "type": "object", "required": ["timestamp", "customer_id", "service_type", "method", "status_code", "bytes_out"], "properties": {
        "timestamp": {"type": ["string", "integer"], "description": "RFC 3339 or unix ms"}, "customer_id": {"type": "integer", "minimum": 1, "maximum": i32::MAX},
        "service_type": {"type": "string", "enum": services::SERVICE_TYPES}, "method": {"type": "string", "minLength": 1, "maxLength": 64},
        "status_code": {"type": "integer", "minimum": 100, "maximum": 599},
        "bytes_out": {"type": "integer", "minimum": 0, "maximum": MAX_BYTES_OUT}}}}}})),
    response: (202, || crate::schema!({"type": "object", "properties": {"accepted": {"type": "integer"}}})),
};
pub const LIST_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Usage records",
    description: "Per service and 5-minute window: `{service_type, window_start, window_end, request_count, bytes_transferred, \
        charged_amount_usd_cents}` (null until billed). `?from=&to=` (RFC 3339), paginated. `pending` says how many \
        requests the gateway sent that are not metered yet and when the latest window closes (windows are metered by the \
        first cron run after they close).",
    request: None,
    response: (200, || crate::schema!({"type": "object", "properties": {"items": {"type": "array"}, "next_cursor": {"type": ["string", "null"]},
        "pending": {"type": "object", "required": ["raw_logs", "note"], "properties": {"raw_logs": {"type": "integer"},
            "oldest": {"type": "string"}, "newest": {"type": "string"}, "window_start": {"type": "string"},
            "window_end": {"type": "string"}, "note": {"type": "string"}}}}})),
};
pub const BILLING_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Billing summary",
    description: "Balance, month to date, pending (unbilled usage and its estimated cost), the carried fraction of a cent, \
        and charges per month.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn row() -> Value {
        crate::schema!({"timestamp": "2027-01-15T08:00:00Z", "customer_id": 42, "service_type": "seal", "method": "POST",
               "status_code": 200, "bytes_out": 512})
    }

    #[test]
    fn a_good_batch_parses() {
        let mut r2 = row();
        r2["timestamp"] = json!(NOW - 1_000);
        let rows = parse_batch(&json!({"logs": [row(), r2]}), NOW).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].ts, NOW - 1_000);
        assert_eq!(rows[0].service_type, "seal");
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = json!({"timestamp": "yesterday", "customer_id": 0, "service_type": "rest", "method": "",
                         "status_code": 700, "bytes_out": -1});
        let errs = parse_batch(&json!({"logs": [row(), bad]}), NOW).expect_err("bad row");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "logs[1].timestamp",
                "logs[1].customer_id",
                "logs[1].service_type",
                "logs[1].method",
                "logs[1].status_code",
                "logs[1].bytes_out"
            ]
        );
    }

    #[test]
    fn batch_size_and_time_bounds() {
        assert!(parse_batch(&json!({"logs": []}), NOW).is_err());
        assert!(parse_batch(&json!({"logs": vec![row(); 1_001]}), NOW).is_err());
        assert!(parse_batch(&json!({"logs": vec![row(); 1_000]}), NOW).is_ok());
        let mut old = row();
        old["timestamp"] = json!(NOW - 91 * 86_400_000);
        assert!(parse_batch(&json!({"logs": [old]}), NOW).is_err());
        let mut future = row();
        future["timestamp"] = json!(NOW + 600_000);
        assert!(parse_batch(&json!({"logs": [future]}), NOW).is_err());
        assert!(parse_batch(&json!({"rows": []}), NOW).is_err());
    }
}
