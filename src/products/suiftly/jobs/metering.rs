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
        db.batch(vec![
            db.prepare(
                "INSERT INTO job_watermarks (name, value) VALUES ('metering', ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE job_watermarks.value = ?1",
            )
            .bind(&[(wm as f64).into(), (upto as f64).into()])?,
            db.prepare(
                "INSERT INTO suiftly_usage_records (customer_id, service_type, window_start, window_end, pass, tier, \
                 request_count, bytes_transferred) \
                 SELECT l.customer_id, l.service_type, l.ts - (l.ts % ?3), l.ts - (l.ts % ?3) + ?3, ?2, \
                   COALESCE(s.tier, 'starter'), SUM(CASE WHEN l.status_code < 500 THEN 1 ELSE 0 END), SUM(l.bytes_out) \
                 FROM suiftly_access_logs l LEFT JOIN suiftly_services s \
                   ON s.customer_id = l.customer_id AND s.service_type = l.service_type \
                 WHERE l.id > ?1 AND l.id <= ?2 AND (SELECT value FROM job_watermarks WHERE name = 'metering') = ?2 \
                 GROUP BY l.customer_id, l.service_type, l.ts - (l.ts % ?3) \
                 ON CONFLICT (customer_id, service_type, window_start, pass) DO NOTHING",
            )
            .bind(&[(wm as f64).into(), (upto as f64).into(), (WINDOW_MS as f64).into()])?,
        ])
        .await?;
        budget -= 2;
        passes += 1;
        rows_counted += upto - wm;
    }
    Ok(format!("{passes} passes over {rows_counted} raw log ids"))
}
