//! The cron tick (`[triggers] crons`, every 5 minutes): each installed product's cron jobs
//! in list order, then the platform's own retention. Each run of each job is recorded in
//! `cron_runs` (job as `product:name`, cron, started_at, finished_at, outcome); `/health`
//! shows the last one. A failing job is recorded as such and does not stop the others.

use wasm_bindgen::JsValue;
use worker::Env;

use crate::platform::config::Config;
use crate::platform::error::ApiError;
use crate::platform::ids;
use crate::platform::product::{self, CronJob, JobCtx};

const CRON_RUNS_KEEP_DAYS: i64 = 30;
/// Rows one DELETE removes.
const CHUNK: f64 = 10_000.0;

/// The platform's own jobs, after the products'.
const PLATFORM: &[CronJob] = &[CronJob {
    name: "retention",
    run: |c| Box::pin(retention(c)),
}];

pub async fn run_scheduled(cron: &str, env: Env) -> Result<(), ApiError> {
    let config = Config::from_env(&env).map_err(|p| ApiError::internal(p.join("; ")))?;
    let db = crate::platform::bindings::db(&env)?;
    let ctx = JobCtx {
        env,
        db,
        config: std::rc::Rc::new(config),
    };
    let jobs = product::all()
        .iter()
        .flat_map(|p| p.crons.iter().map(move |j| (p.name, j)))
        .chain(PLATFORM.iter().map(|j| ("platform", j)));
    for (owner, job) in jobs {
        let name = format!("{owner}:{}", job.name);
        let run_id: Option<i64> = ctx
            .db
            .prepare(
                "INSERT INTO cron_runs (job, cron, started_at, outcome) VALUES (?1, ?2, ?3, 'running') \
                 RETURNING id",
            )
            .bind(&[name.as_str().into(), cron.into(), ids::now_rfc3339().into()])?
            .first(Some("id"))
            .await?;
        let outcome = match (job.run)(&ctx).await {
            Ok(summary) => format!("ok: {summary}"),
            Err(e) => {
                worker::console_error!(
                    "{}",
                    serde_json::json!({"level": "error", "job": name, "msg": e.to_string()})
                );
                format!("error: {}", e.code())
            }
        };
        worker::console_log!(
            "{}",
            serde_json::json!({"job": name, "cron": cron, "outcome": outcome})
        );
        if let Some(id) = run_id {
            ctx.db
                .prepare("UPDATE cron_runs SET finished_at = ?1, outcome = ?2 WHERE id = ?3")
                .bind(&[
                    ids::now_rfc3339().as_str().into(),
                    outcome.as_str().into(),
                    (id as f64).into(),
                ])?
                .run()
                .await?;
        }
    }
    Ok(())
}

/// Runs each `(what, DELETE … WHERE … < ?1 LIMIT ?2, cutoff)` in chunks of 10,000 rows until
/// it removes fewer, within the run's D1 statement budget; reports what went.
pub async fn prune(ctx: &JobCtx, steps: &[(&str, &str, JsValue)]) -> Result<String, ApiError> {
    let mut budget = i64::from(ctx.config.cron_statement_budget);
    let mut report = Vec::new();
    for (what, sql, cutoff) in steps {
        let mut removed = 0;
        while budget > 0 {
            let r = ctx
                .db
                .prepare(*sql)
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

/// Cron runs after 30 days; sign-in sessions (with their refresh tokens) and wallet
/// challenges once expired; model-call counts once their day is over.
async fn retention(ctx: &JobCtx) -> Result<String, ApiError> {
    let now = crate::platform::ids::now();
    let now_s = ids::rfc3339(now);
    let old_runs = ids::rfc3339(now - chrono::Duration::days(CRON_RUNS_KEEP_DAYS));
    prune(
        ctx,
        &[
            ("cron runs",
             "DELETE FROM cron_runs WHERE id IN (SELECT id FROM cron_runs WHERE started_at < ?1 LIMIT ?2)",
             old_runs.as_str().into()),
            ("expired sessions",
             "DELETE FROM auth_sessions WHERE id IN (SELECT id FROM auth_sessions WHERE expires_at < ?1 LIMIT ?2)",
             now_s.as_str().into()),
            ("expired wallet challenges",
             "DELETE FROM wallet_challenges WHERE nonce IN (SELECT nonce FROM wallet_challenges WHERE expires_at < ?1 LIMIT ?2)",
             now_s.as_str().into()),
            ("expired email links",
             "DELETE FROM email_tokens WHERE token_hash IN (SELECT token_hash FROM email_tokens WHERE expires_at < ?1 LIMIT ?2)",
             now_s.as_str().into()),
            ("development outbox mail older than a week",
             "DELETE FROM email_outbox WHERE id IN (SELECT id FROM email_outbox WHERE created_at < ?1 LIMIT ?2)",
             ids::rfc3339(now - chrono::Duration::days(7)).into()),
            ("model-call counts of past days",
             "DELETE FROM llm_usage WHERE rowid IN (SELECT rowid FROM llm_usage WHERE day < ?1 LIMIT ?2)",
             now.date_naive().to_string().into()),
        ],
    )
    .await
}
