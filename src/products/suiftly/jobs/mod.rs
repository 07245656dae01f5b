//! Suiftly's cron jobs, in the order a tick runs them: metering (raw logs → usage
//! records), billing (usage records → charges), month rollover, the key vault, and
//! retention of metered raw logs.

pub mod billing;
pub mod metering;
pub mod rollover;
pub mod vault;

use crate::platform::error::ApiError;
use crate::platform::product::{CronJob, JobCtx};

pub const CRONS: &[CronJob] = &[
    CronJob {
        name: "metering",
        run: |c| Box::pin(metering::run(c)),
    },
    CronJob {
        name: "billing",
        run: |c| Box::pin(billing::run(c)),
    },
    CronJob {
        name: "rollover",
        run: |c| Box::pin(rollover::run(c)),
    },
    CronJob {
        name: "vault",
        run: |c| Box::pin(vault::run(c)),
    },
    CronJob {
        name: "retention",
        run: |c| Box::pin(retention(c)),
    },
];

const ACCESS_LOGS_KEEP_DAYS: i64 = 90;

/// Raw access logs past 90 days, once metered (their id at or below the watermark).
async fn retention(ctx: &JobCtx) -> Result<String, ApiError> {
    let cutoff = crate::platform::ids::now() - chrono::Duration::days(ACCESS_LOGS_KEEP_DAYS);
    crate::platform::cron::prune(
        ctx,
        &[(
            "raw access logs",
            "DELETE FROM suiftly_access_logs WHERE id IN (SELECT id FROM suiftly_access_logs WHERE ts < ?1 \
             AND id <= COALESCE((SELECT value FROM job_watermarks WHERE name = 'metering'), 0) LIMIT ?2)",
            (cutoff.timestamp_millis() as f64).into(),
        )],
    )
    .await
}
