//! Retention: drops records past their keep period so tables do not grow without bound.

use super::JobCtx;
use crate::platform::error::ApiError;
use crate::platform::ids::rfc3339;

const CRON_RUNS_KEEP_DAYS: i64 = 30;
const ACCESS_LOGS_KEEP_DAYS: i64 = 90;
const DELIVERED_NOISE_KEEP_DAYS: i64 = 7;
/// Rows one statement deletes.
const CHUNK: f64 = 10_000.0;

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let now = chrono::Utc::now();
    let days = |d: i64| now - chrono::Duration::days(d);
    // Raw logs go only once metered (their id is at or below the metering watermark).
    let now_s = rfc3339(now);
    let steps: [(&str, &str, wasm_bindgen::JsValue); 6] = [
        ("cron runs", "DELETE FROM cron_runs WHERE id IN (SELECT id FROM cron_runs WHERE started_at < ?1 LIMIT ?2)",
         rfc3339(days(CRON_RUNS_KEEP_DAYS)).into()),
        ("raw access logs",
         "DELETE FROM suiftly_access_logs WHERE id IN (SELECT id FROM suiftly_access_logs WHERE ts < ?1 \
          AND id <= COALESCE((SELECT value FROM job_watermarks WHERE name = 'metering'), 0) LIMIT ?2)",
         (days(ACCESS_LOGS_KEEP_DAYS).timestamp_millis() as f64).into()),
        ("delivered noise events",
         "DELETE FROM noise_events WHERE id IN (SELECT id FROM noise_events WHERE delivered = 1 AND created_at < ?1 LIMIT ?2)",
         rfc3339(days(DELIVERED_NOISE_KEEP_DAYS)).into()),
        ("phantom cycles",
         "DELETE FROM phantom_cycles WHERE rowid IN (SELECT rowid FROM phantom_cycles WHERE created_at < ?1 LIMIT ?2)",
         rfc3339(days(DELIVERED_NOISE_KEEP_DAYS)).into()),
        // Sign-in sessions past their life, with their refresh tokens (ON DELETE CASCADE).
        ("expired sessions",
         "DELETE FROM auth_sessions WHERE id IN (SELECT id FROM auth_sessions WHERE expires_at < ?1 LIMIT ?2)",
         now_s.as_str().into()),
        ("expired wallet challenges",
         "DELETE FROM wallet_challenges WHERE nonce IN (SELECT nonce FROM wallet_challenges WHERE expires_at < ?1 LIMIT ?2)",
         now_s.as_str().into()),
    ];
    let mut budget = i64::from(ctx.config.cron_statement_budget);
    let mut report = Vec::new();
    for (what, sql, cutoff) in steps {
        let mut removed = 0;
        while budget > 0 {
            let r = ctx
                .db
                .prepare(sql)
                .bind(&[cutoff.clone(), CHUNK.into()])?
                .run()
                .await?;
            budget -= 1;
            let n = crate::platform::db::changes(&r)?;
            removed += n;
            if (n as f64) < CHUNK {
                break;
            }
        }
        report.push(format!("{removed} {what}"));
    }
    Ok(format!("removed {}", report.join(", ")))
}
