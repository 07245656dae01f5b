//! Phantom's loops on the user's `USER_SCHEDULER` object: search, browse and shop cycles
//! and persona rotation. A cycle runs only while the scheduler is enabled, a persona is
//! active, the user's local time is inside `active_hours`, and the undelivered backlog is
//! under its cap. A cycle's events and its `(user, loop, slot)` row are written in one
//! batch, so a retried alarm for the same slot creates nothing twice.

use serde_json::{json, Value};
use worker::{D1Database, Env};

use super::noise::{self, NewEvent};
use super::personas::{self, Persona};
use super::settings::{self, in_active_hours, Settings};
use crate::platform::auth::Caller;
use crate::platform::config::Config;
use crate::platform::crypto::sha256;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::openapi::Doc;
use crate::platform::scheduler::{JobChanges, JobSpec, SchedulerClient};
use crate::platform::{ids, llm, tz};

/// Event loops and the event type each produces.
pub const EVENT_LOOPS: &[(&str, &str)] =
    &[("search", "search"), ("browse", "browse"), ("shop", "shop")];
pub const ROTATE: &str = "rotate";
const JITTER_PCT: u8 = 20;

pub fn job_kind(loop_name: &str) -> String {
    format!("phantom:{loop_name}")
}

/// Period of a loop in minutes.
pub fn period_minutes(s: &Settings, loop_name: &str) -> u32 {
    match loop_name {
        "search" => s.search_interval,
        "browse" => s.browsing_interval,
        "shop" => s.shop_interval,
        _ => s.persona_rotation_hours * 60,
    }
}

/// Starts, retunes or stops the user's loops to match settings and personas.
pub async fn sync(env: &Env, db: &D1Database, user_id: &str, s: &Settings) -> Result<(), ApiError> {
    let has_persona = !personas::active(db, user_id).await?.is_empty();
    set_loops(env, user_id, s, has_persona).await
}

/// Runs `stmts` (a change to the user's personas or settings) and reads back in the same
/// batch what the loops depend on — the settings, and whether an active persona is left —
/// then sets the loops: one D1 round trip.
pub async fn write_and_sync(
    env: &Env,
    db: &D1Database,
    user_id: &str,
    mut stmts: Vec<worker::D1PreparedStatement>,
) -> Result<Vec<worker::D1Result>, ApiError> {
    let n = stmts.len();
    stmts.push(super::settings::select_statement(db, user_id)?);
    stmts.push(
        db.prepare("SELECT EXISTS (SELECT 1 FROM phantom_personas WHERE user_id = ?1 AND is_active = 1) AS any")
            .bind(&[user_id.into()])?,
    );
    let results = db.batch(stmts).await?;
    #[derive(serde::Deserialize)]
    struct Any {
        any: i64,
    }
    let (Some(settings), Some(any)) = (results.get(n), results.get(n + 1)) else {
        return Err(ApiError::internal("phantom: short batch"));
    };
    let row = super::settings::row_from(settings.results()?.pop());
    let has_persona = any.results::<Any>()?.pop().is_some_and(|a| a.any == 1);
    set_loops(env, user_id, &row.settings, has_persona).await?;
    Ok(results)
}

/// Starts the loops (an alarm each) when the user has them enabled and a persona to act
/// as, and stops them otherwise.
async fn set_loops(
    env: &Env,
    user_id: &str,
    s: &Settings,
    has_persona: bool,
) -> Result<(), ApiError> {
    let kinds = ["search", "browse", "shop", ROTATE];
    let mut changes = JobChanges::default();
    if s.enabled && has_persona {
        let now = crate::platform::ids::now_ms() as i64;
        for l in kinds {
            let every_ms = i64::from(period_minutes(s, l)) * 60_000;
            // A loop's first cycle comes one period after it starts, like every later one.
            changes.upsert.push(JobSpec {
                kind: job_kind(l),
                every_ms,
                jitter_pct: JITTER_PCT,
                first_run_at: now + every_ms,
            });
        }
    } else {
        changes.remove = kinds.iter().map(|l| job_kind(l)).collect();
    }
    SchedulerClient::for_user(env, user_id)?
        .change(&changes)
        .await
}

/// What one cycle did.
#[derive(Debug, Default)]
pub struct Cycle {
    pub events: Vec<Value>,
    pub skipped: Option<String>,
}

fn skip(reason: &str) -> Cycle {
    Cycle {
        events: Vec::new(),
        skipped: Some(reason.to_string()),
    }
}

/// Whether the loops may run now for these settings: `None` when yes, else why not.
pub fn gate(
    s: &Settings,
    persona: Option<&Persona>,
    local_hour: Option<u32>,
) -> Option<&'static str> {
    if !s.enabled {
        return Some("scheduler disabled");
    }
    if persona.is_none() {
        return Some("no active persona");
    }
    match local_hour {
        Some(h) if in_active_hours(h, s.active_hours) => None,
        _ => Some("outside active hours"),
    }
}

fn seed(user_id: &str, loop_name: &str, slot: i64) -> u64 {
    let d = sha256(format!("{user_id}:{loop_name}:{slot}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

fn search_url(engine: &str, query: &str) -> String {
    let base = match engine {
        "bing" => "https://www.bing.com/search",
        "duckduckgo" => "https://duckduckgo.com/",
        _ => "https://www.google.com/search",
    };
    format!(
        "{base}?q={}",
        form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    )
}

/// The non-empty array under `key`, or why not.
fn entries<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    v[key]
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("{key} must be a non-empty array"))
}

fn check(v: Value, key: &str, ok: fn(&Value) -> bool, why: &str) -> Result<Value, String> {
    if entries(&v, key)?.iter().all(ok) {
        Ok(v)
    } else {
        Err(why.into())
    }
}

fn validate_queries(v: Value) -> Result<Value, String> {
    check(
        v,
        "queries",
        |q| {
            q.as_str()
                .is_some_and(|s| !s.trim().is_empty() && s.len() <= 200)
        },
        "queries must be non-empty strings",
    )
}

fn validate_pages(v: Value) -> Result<Value, String> {
    check(
        v,
        "pages",
        |p| {
            p["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))
        },
        "pages need http(s) urls",
    )
}

fn validate_products(v: Value) -> Result<Value, String> {
    check(
        v,
        "products",
        |p| p["name"].is_string() && p["url"].as_str().is_some_and(|u| u.starts_with("http")),
        "products need name and url",
    )
}
/// Builds the events of one event-loop cycle from the broker's answer.
async fn make_events(
    env: &Env,
    config: &Config,
    user_id: &str,
    loop_name: &str,
    slot: i64,
    persona: &Persona,
    count: u32,
) -> Result<Vec<NewEvent>, ApiError> {
    let (feature, instructions, validate): (&'static str, &str, llm::Validator) = match loop_name {
        "search" => ("search_queries", "JSON {\"queries\": [strings]}: web searches this persona would type.", validate_queries),
        "browse" => ("browse_pages", "JSON {\"pages\": [{\"url\", \"title\", \"dwell_seconds\"}]}: real https pages this persona would read.", validate_pages),
        _ => ("shop_products", "JSON {\"products\": [{\"name\", \"site\", \"url\", \"price_usd_cents\", \"category\"}]}: products this persona would look at.", validate_products),
    };
    let task = super::ai::Task {
        feature,
        instructions: format!("{instructions} Exactly {count} entries."),
        context: json!({"persona": persona, "count": count}),
        seed: seed(user_id, loop_name, slot),
        validate,
    };
    let answer = super::ai::generate(env, &config.llm, user_id, &task).await?;
    let pid = Some(persona.id.clone());
    let engines = ["google", "google", "bing", "duckduckgo"];
    let events: Vec<NewEvent> = match loop_name {
        "search" => answer["queries"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .enumerate()
            .map(|(i, q)| {
                let engine = engines[(seed(user_id, q, slot) as usize + i) % engines.len()];
                NewEvent {
                    event_type: "search",
                    persona_id: pid.clone(),
                    payload: json!({"query": q, "engine": engine, "url": search_url(engine, q)}),
                }
            })
            .collect(),
        "browse" => answer["pages"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|p| NewEvent {
                event_type: "browse",
                persona_id: pid.clone(),
                payload: p.clone(),
            })
            .collect(),
        _ => answer["products"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|p| NewEvent {
                event_type: "shop",
                persona_id: pid.clone(),
                payload: p.clone(),
            })
            .collect(),
    };
    Ok(events.into_iter().take(count as usize).collect())
}

/// Runs one cycle of a loop (see `cycle`) and keeps its time and outcome as the loop's
/// last run, whoever ran it (the user's scheduler or run-now).
/// What a cycle reads before it acts, in one round trip: the settings, the user's active
/// personas (and the one noise is made as), and how many events wait undelivered.
pub struct Prelude {
    row: super::settings::SettingsRow,
    active: Vec<Persona>,
    persona: Option<Persona>,
    depth: i64,
}

impl Prelude {
    pub async fn read(db: &D1Database, user_id: &str) -> Result<Prelude, ApiError> {
        let (row, active, depth) = futures::try_join!(
            settings::load_for(db, user_id),
            personas::active(db, user_id),
            noise::queue_depth(db, user_id)
        )?;
        let persona = personas::pick(active.clone(), row.active_persona_id.as_deref());
        Ok(Prelude {
            row,
            active,
            persona,
            depth,
        })
    }

    /// Why no loop may run now, if so.
    fn gate(&self) -> Option<&'static str> {
        let s = &self.row.settings;
        let hour = tz::local(&s.timezone, crate::platform::ids::now_ms() as i64).map(|t| t.hour);
        gate(s, self.persona.as_ref(), hour)
    }

    /// Events a loop may add: its per-cycle count, within the backlog's room.
    fn allowance(&self, loop_name: &str, room: i64) -> u32 {
        let s = &self.row.settings;
        let per_cycle = match loop_name {
            "search" => s.searches_per_cycle,
            "browse" => s.pages_per_cycle,
            _ => s.products_per_cycle,
        };
        per_cycle.min(room.max(0) as u32)
    }
}

/// One cycle of a loop, as the scheduler's alarm runs it, recorded in `phantom_last_runs`.
pub async fn run_cycle(
    env: &Env,
    config: &Config,
    db: &D1Database,
    user_id: &str,
    loop_name: &str,
    slot: i64,
) -> Result<Cycle, ApiError> {
    let pre = Prelude::read(db, user_id).await?;
    if loop_name == ROTATE {
        let c = rotation(db, user_id, slot, &pre).await?;
        record(db, user_id, loop_name, &c)?.run().await?;
        return Ok(c);
    }
    let room = super::Limits::of(config)?.max_backlog - pre.depth;
    run_loop(env, config, db, user_id, loop_name, slot, &pre, room).await
}

/// The statement that records a loop's last run.
fn record(
    db: &D1Database,
    user_id: &str,
    loop_name: &str,
    c: &Cycle,
) -> Result<worker::D1PreparedStatement, ApiError> {
    let outcome = match &c.skipped {
        Some(reason) => format!("skipped: {reason}"),
        None => format!("{} events", c.events.len()),
    };
    Ok(db
        .prepare(
            "INSERT INTO phantom_last_runs (user_id, loop, at, outcome) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (user_id, loop) DO UPDATE SET at = ?3, outcome = ?4",
        )
        .bind(&[
            user_id.into(),
            loop_name.into(),
            ids::now_rfc3339().into(),
            outcome.into(),
        ])?)
}

/// The persona rotation's cycle: claimed once per slot, then a rotation.
async fn rotation(
    db: &D1Database,
    user_id: &str,
    slot: i64,
    pre: &Prelude,
) -> Result<Cycle, ApiError> {
    if let Some(reason) = pre.gate() {
        return Ok(skip(reason));
    }
    let claimed = db
        .prepare("INSERT OR IGNORE INTO phantom_cycles (user_id, loop, slot, created_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[user_id.into(), ROTATE.into(), (slot as f64).into(), ids::now_rfc3339().into()])?
        .run()
        .await?;
    if crate::platform::db::changes(&claimed)? == 0 {
        return Ok(skip("cycle already done"));
    }
    if pre.active.len() < 2 {
        return Ok(skip("only one active persona"));
    }
    let (_, event) = personas::rotate(db, user_id)
        .await?
        .ok_or_else(|| ApiError::internal("rotation lost its persona"))?;
    Ok(Cycle {
        events: vec![event],
        skipped: None,
    })
}

/// One cycle of an event loop with at most `room` new events: generated, then stored with
/// its cycle claim and its record in one batch. A claim already made (the same slot run
/// by another) writes nothing.
#[allow(clippy::too_many_arguments)]
async fn run_loop(
    env: &Env,
    config: &Config,
    db: &D1Database,
    user_id: &str,
    loop_name: &str,
    slot: i64,
    pre: &Prelude,
    room: i64,
) -> Result<Cycle, ApiError> {
    let skipped = |reason: &str| -> Result<Cycle, ApiError> { Ok(skip(reason)) };
    let planned = match (pre.gate(), &pre.persona) {
        (Some(reason), _) => skipped(reason)?,
        (None, None) => skipped("no active persona")?,
        (None, Some(_)) if room <= 0 => skipped("backlog full")?,
        (None, Some(persona)) => {
            let count = pre.allowance(loop_name, room);
            let events = make_events(env, config, user_id, loop_name, slot, persona, count).await?;
            let mut stmts = vec![db
                .prepare("INSERT INTO phantom_cycles (user_id, loop, slot, created_at) VALUES (?1, ?2, ?3, ?4)")
                .bind(&[user_id.into(), loop_name.into(), (slot as f64).into(), ids::now_rfc3339().into()])?];
            let mut views = Vec::with_capacity(events.len());
            for e in &events {
                let (stmt, view) = noise::insert_statement(db, user_id, e)?;
                stmts.push(stmt);
                views.push(view);
            }
            let c = Cycle {
                events: views,
                skipped: None,
            };
            stmts.push(record(db, user_id, loop_name, &c)?);
            return match db.batch(stmts).await {
                Ok(_) => Ok(c),
                Err(e) if e.to_string().contains("UNIQUE") => {
                    let c = skip("cycle already done");
                    record(db, user_id, loop_name, &c)?.run().await?;
                    Ok(c)
                }
                Err(e) => Err(e.into()),
            };
        }
    };
    record(db, user_id, loop_name, &planned)?.run().await?;
    Ok(planned)
}

/// Entry point from the user's scheduler object.
pub async fn run_job(
    env: &Env,
    user_id: &str,
    loop_name: &str,
    slot: i64,
) -> Result<String, ApiError> {
    let config = Config::from_env(env).map_err(|p| ApiError::internal(p.join("; ")))?;
    let db = crate::platform::bindings::db(env)?;
    let cycle = run_cycle(env, &config, &db, user_id, loop_name, slot).await?;
    Ok(match cycle.skipped {
        Some(reason) => format!("skipped: {reason}"),
        None => format!("{} events", cycle.events.len()),
    })
}

/// `POST /scheduler/run-now`: one cycle of every event loop now, plus rotation when due.
pub async fn run_now(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let slot = crate::platform::ids::now_ms() as i64;
    let mut created = serde_json::Map::new();
    let mut skipped = serde_json::Map::new();
    let mut events = Vec::new();
    // One read for every loop, the backlog's room shared out in loop order, then the
    // loops' cycles generated and stored side by side (and the scheduler's state beside
    // the read): two D1 round trips in all.
    let (pre, state) = futures::try_join!(Prelude::read(&db, &caller.user_id), async {
        SchedulerClient::for_user(&ctx.env, &caller.user_id)?
            .state()
            .await
    })?;
    let mut room = super::Limits::of(&ctx.config)?.max_backlog - pre.depth;
    let mut runs = Vec::new();
    for (l, _) in EVENT_LOOPS {
        runs.push(run_loop(
            &ctx.env,
            &ctx.config,
            &db,
            &caller.user_id,
            l,
            slot,
            &pre,
            room,
        ));
        room -= i64::from(pre.allowance(l, room));
    }
    let cycles = futures::future::try_join_all(runs).await?;
    for ((l, event_type), c) in EVENT_LOOPS.iter().zip(cycles) {
        created.insert((*event_type).into(), json!(c.events.len()));
        if let Some(r) = c.skipped {
            skipped.insert((*l).into(), json!(r));
        }
        events.extend(c.events);
    }
    let rotation_due = state["jobs"].as_array().is_some_and(|jobs| {
        jobs.iter().any(|j| {
            j["kind"] == job_kind(ROTATE) && j["next_at"].as_i64().is_some_and(|t| t <= slot)
        })
    });
    let mut rotated = 0;
    if rotation_due {
        let c = run_cycle(&ctx.env, &ctx.config, &db, &caller.user_id, ROTATE, slot).await?;
        rotated = c.events.len();
        if let Some(r) = c.skipped {
            skipped.insert(ROTATE.into(), json!(r));
        }
        events.extend(c.events);
    } else {
        skipped.insert(ROTATE.into(), json!("not due"));
    }
    created.insert("persona_rotate".into(), json!(rotated));
    http::json(
        200,
        &json!({"created": created, "skipped": skipped, "events": events}),
    )
}

pub const RUN_NOW_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Make some noise now",
    description: "Runs one search, browse and shop cycle at once (and persona rotation if due), still respecting \
        `enabled`, active hours and the backlog cap. Answers how many events of each type it created, why any loop \
        was skipped, and the events.",
    request: None,
    response: (200, || json!({"type": "object", "properties": {
        "created": {"type": "object", "additionalProperties": {"type": "integer"}},
        "skipped": {"type": "object", "additionalProperties": {"type": "string"}},
        "events": {"type": "array", "items": noise::event_schema()}}})),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn persona() -> Persona {
        Persona {
            id: "p".into(),
            name: "n".into(),
            age: 30,
            occupation: "o".into(),
            location: "l".into(),
            interests: vec!["coffee".into()],
            shopping_style: "s".into(),
            description: String::new(),
            is_active: true,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn gate_checks_enabled_persona_and_hours() {
        let mut s = Settings::default();
        let p = persona();
        assert_eq!(gate(&s, Some(&p), Some(12)), None);
        assert_eq!(gate(&s, Some(&p), Some(23)), Some("outside active hours"));
        assert_eq!(gate(&s, None, Some(12)), Some("no active persona"));
        s.enabled = false;
        assert_eq!(gate(&s, Some(&p), Some(12)), Some("scheduler disabled"));
    }

    #[test]
    fn seeds_differ_per_slot_and_loop() {
        assert_ne!(seed("u", "search", 1), seed("u", "search", 2));
        assert_ne!(seed("u", "search", 1), seed("u", "browse", 1));
        assert_eq!(seed("u", "search", 1), seed("u", "search", 1));
    }

    #[test]
    fn periods_follow_settings() {
        let s = Settings::default();
        assert_eq!(period_minutes(&s, "search"), 10);
        assert_eq!(period_minutes(&s, "browse"), 15);
        assert_eq!(period_minutes(&s, "shop"), 30);
        assert_eq!(period_minutes(&s, ROTATE), 240);
    }

    #[test]
    fn offline_answers_pass_the_loop_validators() {
        let p =
            crate::schema!({"interests": ["coffee", "hiking"], "location": "Austin, Texas, US"});
        for seed in 0..20 {
            let ctx = json!({"persona": p, "count": 5});
            assert!(validate_queries(
                crate::products::phantom::offline::generate("search_queries", seed, &ctx)
                    .expect("q")
            )
            .is_ok());
            assert!(validate_pages(
                crate::products::phantom::offline::generate("browse_pages", seed, &ctx).expect("p")
            )
            .is_ok());
            assert!(validate_products(
                crate::products::phantom::offline::generate("shop_products", seed, &ctx)
                    .expect("s")
            )
            .is_ok());
        }
    }
}
