//! Retention: drops records past their keep period so tables do not grow without bound.

use super::JobCtx;
use crate::platform::error::ApiError;

/// How long cron run records are kept.
const CRON_RUNS_KEEP_DAYS: i64 = 30;

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::days(CRON_RUNS_KEEP_DAYS);
    let result = ctx
        .db
        .prepare("DELETE FROM cron_runs WHERE started_at < ?1")
        .bind(&[crate::platform::ids::rfc3339(cutoff).as_str().into()])?
        .run()
        .await?;
    let removed = result.meta()?.and_then(|m| m.changes).unwrap_or(0);
    Ok(format!(
        "{removed} cron runs older than {CRON_RUNS_KEEP_DAYS} days removed"
    ))
}
