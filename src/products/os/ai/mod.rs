//! Personal OS AI helpers: `POST /api/os/ai/{area}/{feature}`, 35 features over the
//! user's own rows. Every figure is computed here in Rust (`computed`, and the numbers in
//! `result` that come from it); a configured model only rewrites the words of `result`,
//! checked against the feature's schema, and the offline backend answers from templates.
//! Answers are cached in KV `CACHE` by user, feature, input and the version of the data
//! they read; model calls count against a per-user daily limit.

pub mod data;
pub mod goals;
pub mod habits;
pub mod logbook;
pub mod metrics;
pub mod projects;
pub mod stats;
pub mod tasks;
pub mod text;

use chrono::NaiveDate;
use futures::future::LocalBoxFuture;
use serde_json::{json, Value};
use worker::D1Database;

use crate::platform::auth::Caller;
use crate::platform::config::LlmBackend;
use crate::platform::crypto::sha256_hex;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::llm::{self, Message, Outcome, Request};
use crate::platform::schema;

/// What a feature's computation gives: the exact figures and the offline result.
pub struct Draft {
    pub computed: Value,
    pub result: Value,
}

/// What a feature reads with.
pub struct Cx<'a> {
    pub db: &'a D1Database,
    pub caller: &'a Caller,
    pub today: NaiveDate,
}

pub type Run = for<'a> fn(&'a Cx<'a>, &'a Value) -> LocalBoxFuture<'a, Result<Draft, ApiError>>;
/// Writes a result (features that create things, with `apply: true`); answers what it made.
pub type Apply =
    for<'a> fn(&'a Cx<'a>, &'a Value, &'a Value) -> LocalBoxFuture<'a, Result<Value, ApiError>>;

pub struct Feature {
    /// `/api/os/ai/{area}/{name}`.
    pub path: &'static str,
    pub area: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// The instructions a model gets (the figures and the offline draft come with them).
    pub prompt: &'static str,
    pub input: fn() -> Value,
    pub output: fn() -> Value,
    pub computed: fn() -> Value,
    /// Tables whose version keys the cache.
    pub reads: &'static [&'static str],
    pub ttl_secs: u64,
    pub run: Run,
    pub apply: Option<Apply>,
}

/// The response schema around a feature's result and figures.
pub fn envelope(result: Value, computed: Value) -> Value {
    json!({"type": "object", "required": ["result", "computed", "cached", "model"], "properties": {
        "result": result,
        "computed": computed,
        "cached": {"type": "boolean", "description": "Answered from the cache (same input, same data)."},
        "model": {"type": "string", "description": "`offline` or the model that wrote the words."},
        "applied": {"type": "object", "description": "With `apply: true`: what was written."}
    }})
}

/// An object schema: `props` with `required`, nothing else.
pub fn object(props: &[(&str, Value)], required: &[&str]) -> Value {
    let properties: serde_json::Map<String, Value> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// An id field of a request.
pub fn id() -> Value {
    crate::schema!({"type": "string", "minLength": 1, "maxLength": 64})
}

/// `{"type": "array", "items": item}`.
pub fn list(item: Value) -> Value {
    json!({"type": "array", "items": item})
}

/// A short text field of a request.
pub fn words(max: u64) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"})
}

/// The `apply` flag of features that create things.
pub fn apply_flag() -> Value {
    crate::schema!({"type": "boolean", "default": false, "description": "Write the result (in one batch) instead of only proposing it."})
}

/// A task a feature writes with `apply: true`.
#[derive(Default)]
pub struct NewTask<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub priority: &'a str,
    pub area: Option<&'a str>,
    pub effort: i64,
    pub due_date: Option<&'a str>,
    pub project_id: Option<&'a str>,
    pub goal_id: Option<&'a str>,
}

/// The statement that inserts `t` as one of the caller's open tasks, and the new id.
pub fn insert_task(
    cx: &Cx<'_>,
    t: &NewTask<'_>,
    now: &str,
) -> Result<(String, worker::D1PreparedStatement), ApiError> {
    use crate::platform::db::nullable;
    let id = crate::platform::ids::new_id()?;
    let title: String = t.title.chars().take(200).collect();
    let stmt = cx
        .db
        .prepare(
            "INSERT INTO os_tasks (id, title, description, status, priority, area, effort, due_date, project_id, goal_id, \
             completed_at, created_at, updated_at, user_id) VALUES (?1, ?2, ?3, 'todo', ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?10, ?11)",
        )
        .bind(&[
            id.as_str().into(),
            (if title.trim().is_empty() { "Task" } else { title.as_str() }).into(),
            t.description.into(),
            (if t.priority.is_empty() { "medium" } else { t.priority }).into(),
            nullable(t.area),
            (t.effort.clamp(1, 5) as f64).into(),
            nullable(t.due_date),
            nullable(t.project_id),
            nullable(t.goal_id),
            now.into(),
            cx.caller.user_id.as_str().into(),
        ])?;
    Ok((id, stmt))
}

/// A count and the last change of each table, for the user: what the cache key is bound to.
async fn data_version(db: &D1Database, user_id: &str, tables: &[&str]) -> Result<String, ApiError> {
    if tables.is_empty() {
        return Ok(String::new());
    }
    let parts: Vec<String> = tables
        .iter()
        .map(|t| {
            let changed = match *t {
                "os_habit_logs" | "os_metric_logs" | "os_logbook" | "os_task_dependencies" | "os_goal_links" => "''",
                _ => "MAX(updated_at)",
            };
            format!("(SELECT COUNT(*) || ':' || COALESCE(MAX(rowid), 0) || ':' || COALESCE({changed}, '') FROM {t} WHERE user_id = ?1)")
        })
        .collect();
    let v: Option<String> = db
        .prepare(format!("SELECT {} AS v", parts.join(" || '|' || ")))
        .bind(&[user_id.into()])?
        .first(Some("v"))
        .await?;
    Ok(v.unwrap_or_default())
}

/// The handler every feature route calls.
pub async fn serve(
    mut ctx: Ctx,
    caller: Caller,
    f: &'static Feature,
) -> Result<Response, ApiError> {
    // Checked against `f.input`, the route's documented body.
    let input = ctx.json_value().await?;
    let db = ctx.d1()?;
    let apply = input["apply"] == true;
    // The user's zone and the version of the data the feature reads, at once (an applied
    // result is never cached, so it needs no version).
    let version = async {
        if apply {
            Ok(String::new())
        } else {
            data_version(&db, &caller.user_id, f.reads).await
        }
    };
    let (zone, version) =
        futures::try_join!(super::settings::timezone(&db, &caller.user_id), version)?;
    let cx = Cx {
        db: &db,
        caller: &caller,
        today: super::settings::today_in(&zone)?,
    };
    let llm_cfg = &ctx.config.llm;
    let model = if llm_cfg.backend == LlmBackend::Offline {
        "offline".to_string()
    } else {
        llm_cfg.model.clone()
    };
    let key = format!(
        "ai:{}:{}/{}:{}",
        caller.user_id,
        f.area,
        f.name,
        sha256_hex(format!("{input}|{version}|{model}|{}", cx.today).as_bytes())
    );
    let kv = ctx.env.kv("CACHE")?;
    if !apply {
        if let Some(hit) = kv.get(&key).text().await? {
            if let Ok(mut v) = serde_json::from_str::<Value>(&hit) {
                v["cached"] = json!(true);
                return http::json(200, &v);
            }
        }
    }
    let draft = (f.run)(&cx, &input).await?;
    let result = if llm_cfg.backend == LlmBackend::Offline {
        draft.result
    } else {
        let out_schema = (f.output)();
        let check = |v: Value| {
            let problems = schema::validate(&v, &out_schema);
            if problems.is_empty() {
                Ok(v)
            } else {
                Err(problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; "))
            }
        };
        let offline = || Ok(Outcome::Json(Value::Null));
        let asked = json!({"input": input, "figures": draft.computed, "draft": draft.result});
        let outcome = llm::complete(
            &ctx.env,
            llm_cfg,
            &Request {
                feature: f.name,
                user_id: &caller.user_id,
                messages: vec![
                    Message::system(format!(
                        "{} Use the figures exactly as given and never invent a number. Answer with one JSON object \
                         matching this JSON Schema, and nothing else: {}",
                        f.prompt, out_schema
                    )),
                    Message::user(asked.to_string()),
                ],
                tools: &[],
                output: Some(&check),
                offline: &offline,
            },
        )
        .await?;
        match outcome {
            Outcome::Json(v) => v,
            Outcome::Reply(_) => {
                return Err(ApiError::UpstreamFailed(format!(
                    "the language model gave no {} JSON",
                    f.name
                )))
            }
        }
    };
    let mut answer =
        json!({"result": result, "computed": draft.computed, "cached": false, "model": model});
    if apply {
        if let Some(write) = f.apply {
            answer["applied"] = write(&cx, &input, &answer["result"]).await?;
        }
    } else {
        kv.put(&key, answer.to_string())?
            .expiration_ttl(f.ttl_secs.max(60))
            .execute()
            .await?;
    }
    http::json(200, &answer)
}

/// Every feature, in route order.
pub fn all() -> Vec<&'static Feature> {
    let mut v: Vec<&'static Feature> = Vec::new();
    for group in [
        tasks::FEATURES,
        goals::FEATURES,
        metrics::FEATURES,
        habits::FEATURES,
        projects::FEATURES,
        logbook::FEATURES,
    ] {
        v.extend(group.iter());
    }
    v
}

/// `ai_route!(tasks::PARSE)`: the feature's route, documented with its schemas.
macro_rules! ai_route {
    ($feature:path) => {
        $crate::platform::product::Route {
            method: "POST",
            path: $feature.path,
            auth: $crate::platform::product::Auth::User,
            handler: $crate::platform::product::Handler::User(|ctx, caller| {
                Box::pin($crate::products::os::ai::serve(ctx, caller, &$feature))
            }),
            doc: $crate::platform::openapi::Doc {
                tag: "os-ai",
                params: &[],
                summary: $feature.summary,
                description: $crate::products::os::ai::DESCRIPTION,
                request: Some($feature.input),
                response: (200, || {
                    $crate::products::os::ai::envelope(($feature.output)(), ($feature.computed)())
                }),
            },
        }
    };
}

pub(crate) use ai_route;

pub const DESCRIPTION: &str = "Figures in `computed` are computed exactly from the caller's rows; a configured model \
    only writes the words of `result` (checked against its schema, 3 tries, then 502 with nothing written), the offline \
    backend answers from templates. Cached by input and data version (`cached: true` on a hit). Model calls count \
    against AI_DAILY_LIMIT per user and UTC day (429 with Retry-After past it). Another user's ids are 404.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_35_features_with_object_schemas() {
        let all = all();
        assert_eq!(all.len(), 35);
        let mut seen = std::collections::HashSet::new();
        for f in all {
            assert!(seen.insert(format!("{}/{}", f.area, f.name)));
            assert_eq!(f.path, format!("/api/os/ai/{}/{}", f.area, f.name));
            for s in [(f.input)(), (f.output)(), (f.computed)()] {
                assert_eq!(s["type"], "object", "{}", f.name);
            }
            assert!(!f.prompt.is_empty());
        }
    }
}
