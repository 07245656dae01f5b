//! The per-user Durable Object (`USER_SCHEDULER`, one per user id). It keeps the user's
//! background jobs (kind, period, next due time) in its own storage and one alarm that
//! always points at the earliest due job. Products register job kinds (`product:kind`)
//! with their [`crate::platform::product::Product`].
//!
//! Delivery is at least once: a job run gets its `slot` (the due time of the cycle it
//! belongs to), which stays the same across retries, so a product can make the run
//! idempotent with a unique key on (user, kind, slot). A failing job is retried with
//! exponential backoff and never dropped.

use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx};
use crate::platform::openapi::Doc;

/// One registered job of a user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    pub kind: String,
    /// Period between runs in ms; 0 runs once.
    pub every_ms: i64,
    /// ± jitter applied to each period, in percent (0–50).
    pub jitter_pct: u8,
    /// Due time of the cycle the next run belongs to (stable across retries).
    pub slot: i64,
    /// When the next attempt happens (slot, or later after a failure).
    pub next_at: i64,
    pub runs: u64,
    pub failures: u32,
    pub last_run_at: Option<i64>,
    pub last_outcome: Option<String>,
}

/// What a caller asks for when registering a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobSpec {
    pub kind: String,
    pub every_ms: i64,
    pub jitter_pct: u8,
    pub first_run_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub kind: String,
    pub slot: i64,
    pub ran_at: i64,
    pub ok: bool,
    pub outcome: String,
}

const HISTORY_LEN: usize = 20;
const BACKOFF_BASE_MS: i64 = 30_000;
const BACKOFF_MAX_MS: i64 = 3_600_000;

/// Delay before retry number `failures` (1-based): 30 s, 60 s, 120 s … capped at 1 h.
pub fn backoff_ms(failures: u32) -> i64 {
    let exp = failures.saturating_sub(1).min(16);
    (BACKOFF_BASE_MS << exp).min(BACKOFF_MAX_MS)
}

/// The period with ± `jitter_pct` % applied, from a random unit value in [0, 1).
pub fn jittered_period(every_ms: i64, jitter_pct: u8, unit: f64) -> i64 {
    let spread = every_ms as f64 * f64::from(jitter_pct.min(50)) / 100.0;
    let offset = (unit.clamp(0.0, 1.0) * 2.0 - 1.0) * spread;
    ((every_ms as f64 + offset).round() as i64).max(1_000)
}

/// When the alarm should ring next: the earliest attempt of any job.
pub fn next_alarm(jobs: &[Job]) -> Option<i64> {
    jobs.iter().map(|j| j.next_at).min()
}

/// Applies the outcome of one run to its job. Returns `false` when a one-shot job is done
/// and should be removed.
pub fn settle(job: &mut Job, now: i64, result: &Result<String, String>, unit: f64) -> bool {
    job.last_run_at = Some(now);
    match result {
        Ok(outcome) => {
            job.runs += 1;
            job.failures = 0;
            job.last_outcome = Some(outcome.clone());
            if job.every_ms <= 0 {
                return false;
            }
            // The next cycle is one period after this one was due, never in the past:
            // a scheduler that was asleep does not replay missed cycles.
            let next = job.slot + jittered_period(job.every_ms, job.jitter_pct, unit);
            job.slot = next.max(now + 1_000);
            job.next_at = job.slot;
            true
        }
        Err(e) => {
            job.failures += 1;
            job.last_outcome = Some(format!("error: {e}"));
            job.next_at = now + backoff_ms(job.failures);
            true
        }
    }
}

/// Runs one job of a user: `probe` is the platform's own; `product:kind` goes to the
/// product that registered it.
async fn run_job(env: &Env, user_id: &str, kind: &str, slot: i64) -> Result<String, String> {
    match kind {
        // Local diagnostics: proves the alarm path end to end.
        "probe" => Ok("ok".into()),
        other => crate::platform::product::run_job(env, user_id, other, slot)
            .await
            .map_err(|e| e.to_string()),
    }
}

/// Adds or replaces `spec`. A job of the same kind and period keeps its schedule, so
/// re-registering unchanged jobs does not move them.
pub fn upsert_job(jobs: &mut Vec<Job>, spec: JobSpec) {
    if jobs.iter().any(|j| {
        j.kind == spec.kind
            && j.every_ms == spec.every_ms.max(0)
            && j.jitter_pct == spec.jitter_pct.min(50)
    }) {
        return;
    }
    jobs.retain(|j| j.kind != spec.kind);
    jobs.push(Job {
        kind: spec.kind,
        every_ms: spec.every_ms.max(0),
        jitter_pct: spec.jitter_pct.min(50),
        slot: spec.first_run_at,
        next_at: spec.first_run_at,
        runs: 0,
        failures: 0,
        last_run_at: None,
        last_outcome: None,
    });
}

/// A change to a user's jobs: register some, remove others.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobChanges {
    pub upsert: Vec<JobSpec>,
    pub remove: Vec<String>,
}

#[durable_object]
pub struct UserScheduler {
    state: State,
    env: Env,
}

impl UserScheduler {
    async fn jobs(&self) -> worker::Result<Vec<Job>> {
        Ok(self.state.storage().get("jobs").await?.unwrap_or_default())
    }

    async fn save(&self, jobs: &[Job]) -> worker::Result<()> {
        let storage = self.state.storage();
        storage.put("jobs", jobs).await?;
        match next_alarm(jobs) {
            Some(at) => {
                let when = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at)
                    .unwrap_or_else(crate::platform::ids::now);
                storage.set_alarm(when).await
            }
            None => storage.delete_alarm().await,
        }
    }

    async fn history(&self) -> worker::Result<Vec<RunRecord>> {
        Ok(self
            .state
            .storage()
            .get("history")
            .await?
            .unwrap_or_default())
    }
}

impl DurableObject for UserScheduler {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let path = req.path();
        if let Some(owner) = req.headers().get("X-User-Id")? {
            let storage = self.state.storage();
            if storage.get::<String>("owner").await?.is_none() {
                storage.put("owner", owner).await?;
            }
        }
        match (req.method(), path.as_str()) {
            (Method::Get, "/jobs") => Response::from_json(&json!({
                "jobs": self.jobs().await?,
                "history": self.history().await?,
            })),
            (Method::Post, "/jobs") => {
                let changes: JobChanges = req.json().await?;
                let mut jobs = self.jobs().await?;
                jobs.retain(|j| !changes.remove.contains(&j.kind));
                for spec in changes.upsert {
                    upsert_job(&mut jobs, spec);
                }
                self.save(&jobs).await?;
                Response::from_json(&json!({"jobs": jobs}))
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        let owner: Option<String> = storage.get("owner").await?;
        let mut jobs = self.jobs().await?;
        let mut history = self.history().await?;
        let now = js_sys::Date::now() as i64;

        if let Some(owner) = owner {
            let mut kept = Vec::with_capacity(jobs.len());
            for mut job in jobs.drain(..) {
                if job.next_at > now {
                    kept.push(job);
                    continue;
                }
                let slot = job.slot;
                let result = run_job(&self.env, &owner, &job.kind, slot).await;
                history.push(RunRecord {
                    kind: job.kind.clone(),
                    slot,
                    ran_at: now,
                    ok: result.is_ok(),
                    outcome: match &result {
                        Ok(o) => o.clone(),
                        Err(e) => e.clone(),
                    },
                });
                if settle(&mut job, now, &result, js_sys::Math::random()) {
                    kept.push(job);
                }
            }
            jobs = kept;
        } else {
            // No owner recorded: nothing can run for this object.
            jobs.clear();
        }
        let excess = history.len().saturating_sub(HISTORY_LEN);
        history.drain(..excess);
        storage.put("history", &history).await?;
        self.save(&jobs).await?;
        Response::ok("done")
    }
}

/// The worker side of a user's scheduler object.
pub struct SchedulerClient {
    stub: worker::Stub,
    user_id: String,
}

impl SchedulerClient {
    pub fn for_user(env: &Env, user_id: &str) -> Result<Self, ApiError> {
        let ns = env.durable_object("USER_SCHEDULER")?;
        let stub = ns.id_from_name(user_id)?.get_stub()?;
        Ok(Self {
            stub,
            user_id: user_id.to_string(),
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<serde_json::Value, ApiError> {
        let headers = worker::Headers::new();
        headers.set("X-User-Id", &self.user_id)?;
        headers.set("Content-Type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if let Some(b) = body {
            init.with_body(Some(b.into()));
        }
        let req = Request::new_with_init(&format!("https://scheduler{path}"), &init)?;
        let mut resp = self.stub.fetch_with_request(req).await?;
        if resp.status_code() != 200 {
            return Err(ApiError::internal(format!(
                "scheduler answered {}",
                resp.status_code()
            )));
        }
        Ok(resp.json().await?)
    }

    /// Registers and removes jobs in one round trip.
    pub async fn change(&self, changes: &JobChanges) -> Result<(), ApiError> {
        self.call(Method::Post, "/jobs", Some(serde_json::to_string(changes)?))
            .await
            .map(|_| ())
    }

    /// `{"jobs": [Job], "history": [RunRecord]}`.
    pub async fn state(&self) -> Result<serde_json::Value, ApiError> {
        self.call(Method::Get, "/jobs", None).await
    }
}

pub const DEV_PROBE_DOC: Doc = Doc {
    tag: "dev",
    params: &[],
    summary: "Arm a one-shot probe job on a scheduler object (not in production)",
    description: "",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};

pub const DEV_JOBS_DOC: Doc = Doc {
    tag: "dev",
    params: &[],
    summary: "Jobs and run history of a scheduler object (not in production)",
    description: "",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};

#[derive(Deserialize)]
struct ProbeRequest {
    delay_ms: i64,
}

/// `POST /__dev/scheduler/{name}/probe {delay_ms}`: arms a one-shot job whose alarm run
/// shows up in the object's history.
pub async fn dev_probe(mut ctx: Ctx) -> Result<http::Response, ApiError> {
    let body: ProbeRequest = ctx.json().await?;
    if !(0..=3_600_000).contains(&body.delay_ms) {
        return Err(ApiError::validation("delay_ms", "must be 0..=3600000"));
    }
    let client = SchedulerClient::for_user(&ctx.env, ctx.param("name"))?;
    client
        .change(&JobChanges {
            upsert: vec![JobSpec {
                kind: "probe".into(),
                every_ms: 0,
                jitter_pct: 0,
                first_run_at: js_sys::Date::now() as i64 + body.delay_ms,
            }],
            remove: Vec::new(),
        })
        .await?;
    http::json(200, &client.state().await?)
}

pub async fn dev_jobs(ctx: Ctx) -> Result<http::Response, ApiError> {
    let client = SchedulerClient::for_user(&ctx.env, ctx.param("name"))?;
    http::json(200, &client.state().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(every_ms: i64, slot: i64) -> Job {
        Job {
            kind: "k".into(),
            every_ms,
            jitter_pct: 20,
            slot,
            next_at: slot,
            runs: 0,
            failures: 0,
            last_run_at: None,
            last_outcome: None,
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(3), 120_000);
        assert_eq!(backoff_ms(40), 3_600_000);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        assert_eq!(jittered_period(600_000, 20, 0.5), 600_000);
        assert_eq!(jittered_period(600_000, 20, 0.0), 480_000);
        assert_eq!(jittered_period(600_000, 20, 1.0), 720_000);
        assert_eq!(jittered_period(600_000, 0, 0.9), 600_000);
    }

    #[test]
    fn success_moves_to_next_slot_and_failure_keeps_it() {
        let mut j = job(60_000, 1_000_000);
        assert!(settle(&mut j, 1_000_500, &Err("boom".into()), 0.5));
        assert_eq!(j.slot, 1_000_000, "retry belongs to the same cycle");
        assert_eq!(j.next_at, 1_000_500 + 30_000);
        assert!(settle(&mut j, 1_030_500, &Ok("ok".into()), 0.5));
        assert_eq!(j.slot, 1_060_000);
        assert_eq!(j.runs, 1);
        assert_eq!(j.failures, 0);
    }

    #[test]
    fn asleep_scheduler_does_not_replay_missed_cycles() {
        let mut j = job(60_000, 0);
        settle(&mut j, 10_000_000, &Ok("ok".into()), 0.5);
        assert!(j.next_at > 10_000_000);
    }

    #[test]
    fn one_shot_jobs_end_after_success() {
        let mut j = job(0, 5);
        assert!(!settle(&mut j, 10, &Ok("ok".into()), 0.5));
    }

    #[test]
    fn unchanged_jobs_keep_their_schedule() {
        let spec = |every_ms, first_run_at| JobSpec {
            kind: "k".into(),
            every_ms,
            jitter_pct: 20,
            first_run_at,
        };
        let mut jobs = Vec::new();
        upsert_job(&mut jobs, spec(60_000, 100));
        jobs[0].slot = 500;
        upsert_job(&mut jobs, spec(60_000, 900));
        assert_eq!(jobs[0].slot, 500, "same period: untouched");
        upsert_job(&mut jobs, spec(30_000, 900));
        assert_eq!(
            (jobs.len(), jobs[0].slot, jobs[0].every_ms),
            (1, 900, 30_000)
        );
    }

    #[test]
    fn alarm_points_at_earliest_job() {
        assert_eq!(next_alarm(&[job(1, 30), job(1, 10), job(1, 20)]), Some(10));
        assert_eq!(next_alarm(&[]), None);
    }
}
