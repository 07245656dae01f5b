//! Metering: raw access logs → usage records per customer, service and 5-minute window.
//! A watermark (the last raw log id counted) makes every row count once. A pass takes the
//! rows after the watermark up to the first row of a window that is still open, so a
//! window is counted once it has closed; rows arriving late for a closed window are
//! counted by a later pass (a supplementary record, its own `pass`).
//!
//! Each pass is one D1 batch: move the watermark from the value this pass read (a
//! concurrent pass that moved it first makes ours a no-op), then insert the records
//! only if the watermark is ours.

use serde::Deserialize;

use crate::platform::error::ApiError;
use crate::platform::product::JobCtx;
use crate::products::suiftly::pricing::WINDOW_MS;

/// Raw rows one pass may aggregate (one statement's work).
const MAX_ROWS_PER_PASS: i64 = 250_000;

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let db = &ctx.db;
    let mut budget = i64::from(ctx.config.cron_statement_budget);
    let (mut passes, mut rows_counted) = (0, 0i64);
    let mut skips: Vec<String> = Vec::new();
    let closed_before = {
        let now = crate::platform::ids::now_ms() as i64;
        now - now.rem_euclid(WINDOW_MS)
    };
    while budget >= 5 {
        #[derive(Deserialize)]
        struct Span {
            wm: i64,
            max_id: Option<i64>,
            first_open: Option<i64>,
        }
        let span: Option<Span> = db
            .prepare(
                "SELECT COALESCE((SELECT value FROM job_watermarks WHERE name = 'metering'), 0) AS wm, \
                 (SELECT MAX(id) FROM suiftly_access_logs) AS max_id, \
                 (SELECT MIN(id) FROM suiftly_access_logs WHERE id > COALESCE((SELECT value FROM job_watermarks \
                    WHERE name = 'metering'), 0) AND ts >= ?1) AS first_open",
            )
            .bind(&[(closed_before as f64).into()])?
            .first(None)
            .await?;
        budget -= 1;
        let Some(span) = span else { break };
        let wm = span.wm;
        let mut upto = span.max_id.map_or(wm, |m| m).min(wm + MAX_ROWS_PER_PASS);
        if let Some(open) = span.first_open {
            upto = upto.min(open - 1);
        }
        if upto <= wm {
            break;
        }
        let claimed = db
            .batch(vec![
                db.prepare(WATERMARK_CAS).bind(&[(wm as f64).into(), (upto as f64).into()])?,
                db.prepare(format!("{AGGREGATE} AND (SELECT value FROM job_watermarks WHERE name = 'metering') = ?2 {GROUPED}"))
                    .bind(&[(wm as f64).into(), (upto as f64).into(), (WINDOW_MS as f64).into()])?,
            ])
            .await;
        if let Err(e) = claimed {
            // Something in the range broke the pass: count each customer on its own, skip
            // (and record) the ones that still fail, and move on, so one customer never
            // stops metering for the others.
            let (skipped, spent) =
                isolate(db, wm, upto, &ApiError::from(e).to_string(), budget).await?;
            budget -= spent;
            skips.extend(skipped);
        }
        budget -= 2;
        passes += 1;
        rows_counted += upto - wm;
    }
    if skips.is_empty() {
        Ok(format!("{passes} passes over {rows_counted} raw log ids"))
    } else {
        // The run succeeds (the others were metered); its record names what was skipped.
        Ok(format!(
            "{passes} passes over {rows_counted} raw log ids; ALERT skipped (see suiftly_metering_skips): {}",
            skips.join("; ")
        ))
    }
}

/// Moves the watermark from the value a pass read (`?1`) to the end of its range (`?2`);
/// a concurrent pass that moved it first makes this a no-op.
const WATERMARK_CAS: &str = "INSERT INTO job_watermarks (name, value) VALUES ('metering', ?2) \
     ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE job_watermarks.value = ?1";

/// Usage records of the raw rows in `(?1, ?2]` by customer, service and window (`?3` ms).
/// Each row's bytes count at most `MAX_BYTES_OUT` (rows stored before that bound was
/// checked at ingest), so no sum can overflow. Records are keyed by their pass (`?2`):
/// writing one twice changes nothing.
const AGGREGATE: &str =
    "INSERT INTO suiftly_usage_records (customer_id, service_type, window_start, window_end, \
     pass, tier, request_count, bytes_transferred) \
     SELECT l.customer_id, l.service_type, l.ts - (l.ts % ?3), l.ts - (l.ts % ?3) + ?3, ?2, \
       COALESCE(s.tier, 'starter'), SUM(CASE WHEN l.status_code < 500 THEN 1 ELSE 0 END), \
       SUM(MIN(MAX(l.bytes_out, 0), 1000000000000)) \
     FROM suiftly_access_logs l LEFT JOIN suiftly_services s \
       ON s.customer_id = l.customer_id AND s.service_type = l.service_type \
     WHERE l.id > ?1 AND l.id <= ?2";

const GROUPED: &str = "GROUP BY l.customer_id, l.service_type, l.ts - (l.ts % ?3) \
     ON CONFLICT (customer_id, service_type, window_start, pass) DO NOTHING";

/// Meters `(wm, upto]` one customer at a time: each customer's records in their own
/// statement (idempotent, keyed by the pass), a customer whose statement fails recorded
/// in `suiftly_metering_skips` with the error, then the watermark moved. Returns the
/// skips and the statements spent.
async fn isolate(
    db: &worker::D1Database,
    wm: i64,
    upto: i64,
    why: &str,
    budget: i64,
) -> Result<(Vec<String>, i64), ApiError> {
    #[derive(Deserialize)]
    struct C {
        customer_id: i64,
    }
    let customers: Vec<C> = db
        .prepare("SELECT DISTINCT customer_id FROM suiftly_access_logs WHERE id > ?1 AND id <= ?2")
        .bind(&[(wm as f64).into(), (upto as f64).into()])?
        .all()
        .await?
        .results()?;
    let mut spent = 1;
    let mut skipped = Vec::new();
    for c in &customers {
        if budget - spent < 3 {
            // Out of statements: the watermark stays, the next run goes on from here.
            return Ok((skipped, spent));
        }
        let one = db
            .prepare(format!("{AGGREGATE} AND l.customer_id = ?4 {GROUPED}"))
            .bind(&[
                (wm as f64).into(),
                (upto as f64).into(),
                (WINDOW_MS as f64).into(),
                (c.customer_id as f64).into(),
            ])?
            .run()
            .await;
        spent += 1;
        if let Err(e) = one {
            let error = ApiError::from(e).to_string();
            db.prepare(
                "INSERT INTO suiftly_metering_skips (customer_id, from_id, to_id, error, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[(c.customer_id as f64).into(), (wm as f64).into(), (upto as f64).into(), error.as_str().into(), crate::platform::ids::now_rfc3339().into()])?
            .run()
            .await?;
            spent += 1;
            skipped.push(format!(
                "customer {} ids {}..={}",
                c.customer_id,
                wm + 1,
                upto
            ));
        }
    }
    worker::console_error!(
        "{}",
        serde_json::json!({"level": "error", "msg": "metering pass failed; customers metered one by one",
            "from_id": wm + 1, "to_id": upto, "error": why, "skipped": skipped.len()})
    );
    db.prepare(WATERMARK_CAS)
        .bind(&[(wm as f64).into(), (upto as f64).into()])?
        .run()
        .await?;
    Ok((skipped, spent + 1))
}
