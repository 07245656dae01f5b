//! Metrics: a name, unit, optional target and direction; dated logs; milestones that pay
//! points once; analytics (velocity, acceleration, progress, streak).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::goals::metric_score;
use super::rules::metrics::{self as rules, Direction, Log};
use super::{date, goals, one_of, settings, text};
use crate::platform::auth::Caller;
use crate::platform::db::{batch_or_404, nullable};
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::{read_object, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, Doc};
use crate::platform::page::PageQuery;

#[derive(Debug, Serialize)]
pub struct Metric {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub target: Option<f64>,
    pub direction: String,
    pub milestones: Vec<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// `direction`: whether a higher or a lower value is better.
const DIRECTIONS: &[&str] = &["higher", "lower"];

#[derive(Deserialize)]
struct Row {
    id: String,
    name: String,
    unit: String,
    target: Option<f64>,
    direction: String,
    created_at: String,
    updated_at: String,
}

pub fn direction(s: &str) -> Direction {
    if s == "lower" {
        Direction::Lower
    } else {
        Direction::Higher
    }
}

#[derive(Default)]
pub struct Fields {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub target: Option<Option<f64>>,
    pub direction: Option<String>,
}

pub fn parse(v: &Value, full: bool) -> Result<Fields, ApiError> {
    read_object(
        v,
        "metric",
        READ_ONLY,
        REQUIRED,
        full,
        |f: &mut Fields, k, v, e| {
            match k {
                "name" => f.name = text(v, k, 100, e),
                "unit" => match v.as_str() {
                    Some(u) if u.chars().count() <= 20 => f.unit = Some(u.trim().to_string()),
                    _ => e.push(FieldError::new(
                        k,
                        "must be a string of at most 20 characters",
                    )),
                },
                "target" => match v {
                    Value::Null => f.target = Some(None),
                    Value::Number(n) => f.target = n.as_f64().map(Some),
                    _ => e.push(FieldError::new(k, "must be a number or null")),
                },
                "direction" => f.direction = one_of(v, k, DIRECTIONS, e),
                _ => return false,
            }
            true
        },
    )
    .map_err(ApiError::Validation)
}

/// The milestones of the caller's metrics (`metric`: of that one only), by metric id, in
/// the order they were reached.
async fn milestones_of(
    db: &D1Database,
    caller: &Caller,
    metric: Option<&str>,
) -> Result<HashMap<String, Vec<Value>>, ApiError> {
    #[derive(Deserialize)]
    struct M {
        metric_id: String,
        kind: String,
        achieved_at: String,
    }
    let rows: Vec<M> = db
        .prepare(
            "SELECT metric_id, kind, achieved_at FROM os_metric_milestones WHERE metric_id IN \
             (SELECT id FROM os_metrics WHERE user_id = ?1 AND (?2 IS NULL OR id = ?2)) ORDER BY achieved_at, kind",
        )
        .bind(&[caller.user_id.as_str().into(), nullable(metric)])?
        .all()
        .await?
        .results()?;
    let mut by_metric: HashMap<String, Vec<Value>> = HashMap::new();
    for m in rows {
        by_metric
            .entry(m.metric_id)
            .or_default()
            .push(json!({"kind": m.kind, "achieved_at": m.achieved_at}));
    }
    Ok(by_metric)
}

impl Row {
    fn into_metric(self, milestones: Vec<Value>) -> Metric {
        Metric {
            id: self.id,
            name: self.name,
            unit: self.unit,
            target: self.target,
            direction: self.direction,
            milestones,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// One of the caller's metrics with its milestones: both read at once.
async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Metric, ApiError> {
    let row = async {
        let row: Option<Row> = db
            .prepare("SELECT id, name, unit, target, direction, created_at, updated_at FROM os_metrics WHERE id = ?1 AND user_id = ?2")
            .bind(&[id.into(), caller.user_id.as_str().into()])?
            .first(None)
            .await?;
        row.ok_or_else(|| ApiError::not_found("metric"))
    };
    let (r, mut milestones) = futures::try_join!(row, milestones_of(db, caller, Some(id)))?;
    let milestones = milestones.remove(&r.id).unwrap_or_default();
    Ok(r.into_metric(milestones))
}

/// The logs of one of the caller's metrics, oldest first, within `from`..=`to`.
async fn logs_of(
    db: &D1Database,
    caller: &Caller,
    metric_id: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<Log>, ApiError> {
    #[derive(Deserialize)]
    struct L {
        date: String,
        value: f64,
    }
    let rows: Vec<L> = db
        .prepare(
            "SELECT date, value FROM os_metric_logs WHERE metric_id = ?1 AND user_id = ?4 AND (?2 IS NULL OR date >= ?2) \
             AND (?3 IS NULL OR date <= ?3) ORDER BY date",
        )
        .bind(&[metric_id.into(), nullable(from), nullable(to), caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .filter_map(|l| {
            NaiveDate::parse_from_str(&l.date, "%Y-%m-%d")
                .ok()
                .map(|d| Log {
                    date: d,
                    value: l.value,
                })
        })
        .collect())
}

/// A metric of the caller's and all its logs, read at once.
async fn with_logs(
    db: &D1Database,
    caller: &Caller,
    id: &str,
) -> Result<(Metric, Vec<Log>), ApiError> {
    futures::try_join!(find(db, caller, id), logs_of(db, caller, id, None, None))
}

/// The metric's part in a goal (`rules::goals::metric_score`); 404 when it is not the
/// caller's.
pub async fn score(db: &D1Database, caller: &Caller, id: &str) -> Result<Option<f64>, ApiError> {
    let (m, logs) = with_logs(db, caller, id).await?;
    Ok(metric_score(&logs, m.target, direction(&m.direction)))
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = parse(&body, true)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let now = ids::now_rfc3339();
    let m = Metric {
        id: ids::new_id()?,
        name: f.name.unwrap_or_default(),
        unit: f.unit.unwrap_or_default(),
        target: f.target.flatten(),
        direction: f.direction.unwrap_or_else(|| "higher".into()),
        milestones: Vec::new(),
        created_at: now.clone(),
        updated_at: now,
    };
    db.prepare(
        "INSERT INTO os_metrics (id, user_id, name, unit, target, direction, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )
    .bind(&[
        m.id.as_str().into(),
        caller.user_id.as_str().into(),
        m.name.as_str().into(),
        m.unit.as_str().into(),
        nullable(m.target),
        m.direction.as_str().into(),
        m.created_at.as_str().into(),
    ])?
    .run()
    .await?;
    http::json(201, &m)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let direction = ctx.filter_one_of("direction", DIRECTIONS)?;
    let db = ctx.d1()?;
    let query = PageQuery::new(
        "SELECT id, name, unit, target, direction, created_at, updated_at FROM os_metrics",
    )
    .filter("direction = ?", direction)
    .search(&["name"], search.as_ref());
    // The page and the milestones of all the caller's metrics, read at once.
    let (rows, mut milestones): (Vec<Row>, _) = futures::try_join!(
        query.fetch(&db, &caller, &page),
        milestones_of(&db, &caller, None)
    )?;
    let items: Vec<Metric> = rows
        .into_iter()
        .map(|r| {
            let m = milestones.remove(&r.id).unwrap_or_default();
            r.into_metric(m)
        })
        .collect();
    http::json(200, &page.respond(items, |m| &m.id))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &find(&ctx.d1()?, &caller, ctx.param("id")).await?)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = parse(&body, false)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    // A new target or direction moves the metric's part in the goals it is linked to.
    let (mut m, logs) = with_logs(&db, &caller, ctx.param("id")).await?;
    m.target = f.target.unwrap_or(m.target);
    m.direction = f.direction.unwrap_or(m.direction);
    m.name = f.name.unwrap_or(m.name);
    m.unit = f.unit.unwrap_or(m.unit);
    m.updated_at = ids::now_rfc3339();
    let mut stmts = vec![db.prepare("UPDATE os_metrics SET name = ?1, unit = ?2, target = ?3, direction = ?4, updated_at = ?5 WHERE id = ?6 AND user_id = ?7")
        .bind(&[
            m.name.as_str().into(),
            m.unit.as_str().into(),
            nullable(m.target),
            m.direction.as_str().into(),
            m.updated_at.as_str().into(),
            m.id.as_str().into(),
            caller.user_id.as_str().into(),
        ])?];
    stmts.extend(goals::metric_changed(
        &db,
        &caller.user_id,
        &m.id,
        metric_score(&logs, m.target, direction(&m.direction)),
    )?);
    crate::platform::db::write(&db, stmts).await?;
    http::json(200, &m)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let mut stmts = vec![db
        .prepare("DELETE FROM os_metrics WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), caller.user_id.as_str().into()])?];
    stmts.extend(goals::item_removed(&db, &caller.user_id, "metric", id)?);
    batch_or_404(&db, stmts, "metric").await?;
    http::no_content()
}

#[derive(Deserialize)]
struct LogBody {
    value: f64,
    date: Option<String>,
}

/// `POST /metrics/{id}/logs {value, date?}`: one value per date (a second log of the same
/// date replaces it); newly reached milestones are recorded and paid in the same batch.
pub async fn log(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: LogBody = ctx.json().await?;
    if !body.value.is_finite() {
        return Err(ApiError::validation("value", "must be a finite number"));
    }
    let caller = caller.clone();
    let db = ctx.d1()?;
    let ((m, mut logs), today) = futures::try_join!(
        with_logs(&db, &caller, ctx.param("id")),
        settings::today(&db, &caller.user_id)
    )?;
    let day = match body.date {
        None => today,
        Some(d) => {
            let mut e = Vec::new();
            date(&Value::String(d), "date", &mut e).ok_or(ApiError::Validation(e))?
        }
    };
    if day > today {
        return Err(ApiError::validation("date", "cannot be in the future"));
    }
    let now = ids::now_rfc3339();
    logs.retain(|l| l.date != day);
    logs.push(Log {
        date: day,
        value: body.value,
    });
    crate::platform::sort::sort_by_key(&mut logs, |l| l.date);
    let reached = rules::milestones(&logs, m.target, direction(&m.direction), today);
    let known: Vec<&str> = m
        .milestones
        .iter()
        .filter_map(|v| v["kind"].as_str())
        .collect();
    let new: Vec<(&str, i64)> = reached
        .into_iter()
        .filter(|(k, _)| !known.contains(k))
        .collect();
    let mut stmts = vec![db
        .prepare(
            "INSERT INTO os_metric_logs (metric_id, user_id, date, value, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (metric_id, date) DO UPDATE SET value = excluded.value",
        )
        .bind(&[m.id.as_str().into(), caller.user_id.as_str().into(), day.to_string().into(), body.value.into(), now.as_str().into()])?];
    for (kind, pts) in &new {
        stmts.push(
            db.prepare("INSERT OR IGNORE INTO os_metric_milestones (metric_id, kind, achieved_at) VALUES (?1, ?2, ?3)")
                .bind(&[m.id.as_str().into(), (*kind).into(), now.as_str().into()])?,
        );
        stmts.push(
            db.prepare(
                "INSERT INTO os_wallet_ledger (id, user_id, delta, reason, source_type, source_id, idempotency_key, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'metric', ?5, ?6, ?7) ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&[
                ids::new_id()?.into(),
                caller.user_id.as_str().into(),
                (*pts as f64).into(),
                format!("milestone {kind}: {}", m.name).into(),
                m.id.as_str().into(),
                format!("milestone:{}:{kind}", m.id).into(),
                now.as_str().into(),
            ])?,
        );
    }
    stmts.extend(goals::metric_changed(
        &db,
        &caller.user_id,
        &m.id,
        metric_score(&logs, m.target, direction(&m.direction)),
    )?);
    crate::platform::db::write(&db, stmts).await?;
    http::json(
        201,
        &json!({"log": {"date": day.to_string(), "value": body.value},
                "new_milestones": new.iter().map(|(k, p)| json!({"kind": k, "points": p})).collect::<Vec<_>>()}),
    )
}

pub async fn logs(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let mut e = Vec::new();
    let from = ctx
        .query_param("from")
        .and_then(|v| date(&Value::String(v), "from", &mut e));
    let to = ctx
        .query_param("to")
        .and_then(|v| date(&Value::String(v), "to", &mut e));
    if !e.is_empty() {
        return Err(ApiError::Validation(e));
    }
    let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
    let id = ctx.param("id");
    // The metric (404 when it is not the caller's) and its logs, read at once.
    let (_, logs) = futures::try_join!(
        find(&db, &caller, id),
        logs_of(&db, &caller, id, from.as_deref(), to.as_deref())
    )?;
    let items: Vec<Value> = logs
        .iter()
        .map(|l| json!({"date": l.date.to_string(), "value": l.value}))
        .collect();
    http::json(200, &json!({"items": items, "next_cursor": null}))
}

pub async fn analytics(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let ((m, logs), today) = futures::try_join!(
        with_logs(&db, caller, ctx.param("id")),
        settings::today(&db, &caller.user_id)
    )?;
    let round = |v: Option<f64>| v.map(|x| (x * 1000.0).round() / 1000.0);
    http::json(
        200,
        &json!({
            "velocity": round(rules::velocity(&logs)),
            "acceleration": round(rules::acceleration(&logs)),
            "progress": rules::progress(&logs, m.target, direction(&m.direction)),
            "streak": rules::streak(&logs, today),
            "logs": logs.len(),
        }),
    )
}

fn schema() -> Value {
    json!({"title": "Metric", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true}, "name": crate::platform::fields::example(text_schema(100), "Weight"), "unit": {"type": "string", "maxLength": 20},
        "target": {"type": ["number", "null"], "minimum": -VALUE_LIMIT, "maximum": VALUE_LIMIT}, "direction": {"type": "string", "enum": ["higher", "lower"], "default": "higher"},
        "milestones": {"type": "array", "readOnly": true, "items": {"type": "object", "properties": {"kind": {"type": "string"}, "achieved_at": {"type": "string"}}}}}})
}

/// The largest magnitude of a target or a logged value (10^15): far past any quantity a
/// person tracks, and small enough that sums, slopes and forecasts over years of daily
/// logs stay exact to the cent and finite.
pub const VALUE_LIMIT: f64 = 1e15;

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &["id", "milestones", "created_at", "updated_at"];
/// Fields a create must have.
const REQUIRED: &[&str] = &["name"];

fn create_body() -> Value {
    body(schema(), REQUIRED, READ_ONLY)
}

fn update_body() -> Value {
    body(schema(), &[], READ_ONLY)
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a metric",
    description: "`{name, unit?, target?, direction?}`.",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List metrics",
    description:
        "Filters: direction (higher|lower), q (in the name, ignoring ASCII case); paginated.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a metric",
    description: "With its milestones.",
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a metric",
    description: "Partial update.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a metric",
    description: "",
    request: None,
    response: (204, no_body),
};
pub const LOG_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Log a value",
    description: "`{value, date?}` (default today in the user's time zone; one value per date, a second replaces it). \
        Milestones reached by the log — target_reached (50 points), streak_7/30/100 (20/50/100), improvement_10/25/50 \
        relative to the first log in the metric's direction (10/25/50) — are recorded and paid once.",
    request: Some(|| json!({"type": "object", "required": ["value"], "properties": {"value": {"type": "number", "minimum": -VALUE_LIMIT, "maximum": VALUE_LIMIT}, "date": {"type": "string", "format": "date"}}})),
    response: (201, || crate::schema!({"type": "object"})),
};
pub const LOGS_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "A metric's logs",
    description: "Date order; `?from=&to=` (YYYY-MM-DD, inclusive).",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const ANALYTICS_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Metric analytics",
    description: "velocity (units/day, least squares over the last 14 logs), acceleration (velocity of the second half \
        of those logs minus the first half), progress (0–100 from the first value toward the target, in the metric's \
        direction), streak (consecutive logged days up to today or yesterday).",
    request: None,
    response: (200, || crate::schema!({"type": "object", "properties": {"velocity": {"type": ["number", "null"]},
        "acceleration": {"type": ["number", "null"]}, "progress": {"type": ["number", "null"]}, "streak": {"type": "integer"}}})),
};
