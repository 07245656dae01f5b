//! Cron jobs (`[triggers] crons`, every 5 minutes). Each run of each job is recorded in
//! `cron_runs` (job, cron, started_at, finished_at, outcome); `/health` shows the last one.

mod billing;
mod metering;
mod retention;
mod rollover;
mod vault;

use futures::future::LocalBoxFuture;
use worker::{D1Database, Env};

use crate::platform::config::Config;
use crate::platform::error::ApiError;
use crate::platform::ids;

/// What a job gets: the bindings and the parsed config.
pub struct JobCtx {
    pub env: Env,
    pub db: D1Database,
    pub config: Config,
}

type JobFn = for<'a> fn(&'a JobCtx) -> LocalBoxFuture<'a, Result<String, ApiError>>;

/// The jobs of a cron tick, in the order they run.
const JOBS: &[(&str, JobFn)] = &[
    ("metering", |c| Box::pin(metering::run(c))),
    ("billing", |c| Box::pin(billing::run(c))),
    ("rollover", |c| Box::pin(rollover::run(c))),
    ("vault", |c| Box::pin(vault::run(c))),
    ("retention", |c| Box::pin(retention::run(c))),
];

/// Runs every job for one cron tick, recording each in `cron_runs`. A failing job is
/// recorded as such and does not stop the ones after it.
pub async fn run_scheduled(cron: &str, env: Env) -> Result<(), ApiError> {
    let config = Config::from_env(&env).map_err(|p| ApiError::internal(p.join("; ")))?;
    let db = env.d1("DB")?;
    let ctx = JobCtx { env, db, config };
    for (name, job) in JOBS {
        let started_at = ids::now_rfc3339();
        let run_id: Option<i64> = ctx
            .db
            .prepare(
                "INSERT INTO cron_runs (job, cron, started_at, outcome) VALUES (?1, ?2, ?3, 'running') \
                 RETURNING id",
            )
            .bind(&[(*name).into(), cron.into(), started_at.as_str().into()])?
            .first(Some("id"))
            .await?;
        let outcome = match job(&ctx).await {
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
