//! `GET /status`: what the user's noise machine is doing.

use serde_json::{json, Value};

use super::scheduler::{job_kind, EVENT_LOOPS, ROTATE};
use super::{noise, personas, settings};
use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::openapi::Doc;
use crate::platform::scheduler::SchedulerClient;
use crate::platform::{ids, tz};

fn at(ms: Option<i64>) -> Value {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(ids::rfc3339)
        .map_or(Value::Null, Value::String)
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    #[derive(serde::Deserialize)]
    struct Last {
        r#loop: String,
        at: String,
        outcome: String,
    }
    let recorded = async {
        let recorded: Vec<Last> = db
            .prepare("SELECT loop, at, outcome FROM phantom_last_runs WHERE user_id = ?1")
            .bind(&[caller.user_id.as_str().into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(recorded)
    };
    // Every read at once: one D1 round trip (and the scheduler's state beside it).
    let ((row, persona), recorded, depth, counts, state) = futures::try_join!(
        personas::settings_and_current(&db, &caller.user_id),
        recorded,
        noise::queue_depth(&db, &caller.user_id),
        noise::counts(&db, &caller.user_id),
        async {
            SchedulerClient::for_user(&ctx.env, &caller.user_id)?
                .state()
                .await
        }
    )?;
    let s = &row.settings;
    let local = tz::local(&s.timezone, crate::platform::ids::now_ms() as i64);
    let in_hours = local.is_some_and(|t| settings::in_active_hours(t.hour, s.active_hours));
    let jobs = state["jobs"].as_array().cloned().unwrap_or_default();
    let job = |l: &str| jobs.iter().find(|j| j["kind"] == job_kind(l)).cloned();
    let mut next_runs = serde_json::Map::new();
    let mut last_runs = serde_json::Map::new();
    for l in EVENT_LOOPS.iter().map(|(l, _)| *l).chain([ROTATE]) {
        let name = if l == ROTATE { "persona_rotation" } else { l };
        let j = job(l);
        next_runs.insert(
            name.into(),
            at(j.as_ref().and_then(|j| j["next_at"].as_i64())),
        );
        // Every run is recorded, the scheduler's and run-now's alike.
        let last = match recorded.iter().find(|r| r.r#loop == l) {
            Some(r) => json!({"at": r.at, "outcome": r.outcome}),
            None => json!({"at": at(j.as_ref().and_then(|j| j["last_run_at"].as_i64())),
                   "outcome": j.as_ref().map_or(Value::Null, |j| j["last_outcome"].clone())}),
        };
        last_runs.insert(name.into(), last);
    }
    let cap = super::Limits::of(&ctx.config)?.max_backlog;
    http::json(
        200,
        &json!({
            "enabled": s.enabled,
            "running": !jobs.is_empty(),
            "in_active_hours": in_hours,
            "timezone": s.timezone,
            "local_time": local,
            "active_hours": s.active_hours,
            "active_persona": persona,
            "next_runs": next_runs,
            "last_runs": last_runs,
            "counts": counts,
            "queue_depth": depth,
            "backlog_cap": cap,
            "backlog_full": depth >= cap,
        }),
    )
}

pub const DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Scheduler status",
    description: "enabled, running (loops registered), in_active_hours (in the user's timezone), active_persona, \
        next_runs and last_runs per loop, counts generated and delivered per event type, queue_depth, backlog_cap \
        and backlog_full (loops skip while the undelivered backlog is at the cap).",
    request: None,
    response: (200, || crate::schema!({"type": "object", "properties": {
        "enabled": {"type": "boolean"}, "running": {"type": "boolean"}, "in_active_hours": {"type": "boolean"},
        "active_persona": {"type": ["object", "null"]}, "next_runs": {"type": "object"}, "last_runs": {"type": "object"},
        "counts": {"type": "object"}, "queue_depth": {"type": "integer"}, "backlog_cap": {"type": "integer"},
        "backlog_full": {"type": "boolean"}}})),
};
