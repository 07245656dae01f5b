//! Projects: tasks link to them by `project_id`; health comes from `rules::health`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::health::{self, Input};
use super::{date, free_text, nullable_date, settings, text};
use crate::platform::auth::Caller;
use crate::platform::db::nullable;
use crate::platform::error::ApiError;
use crate::platform::fields::{read_object, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, Doc};
use crate::platform::page::PageQuery;

#[derive(Debug, Serialize, Deserialize)]
struct Row {
    id: String,
    name: String,
    description: String,
    start_date: String,
    target_date: Option<String>,
    created_at: String,
    updated_at: String,
}

const COLUMNS: &str = "id, name, description, start_date, target_date, created_at, updated_at";

/// Task counts of the caller's projects (`project`: of that one only): total, done, and
/// the due dates of open tasks (overdue is counted against today in Rust, so this read
/// needs neither today nor the page first and runs beside them).
#[derive(Deserialize)]
struct Counts {
    project_id: String,
    total: i64,
    done: Option<i64>,
    /// JSON array of open tasks' due dates (nulls for those without one).
    open_due: String,
}

async fn counts(
    db: &D1Database,
    caller: &Caller,
    project: Option<&str>,
) -> Result<Vec<Counts>, ApiError> {
    Ok(db
        .prepare(
            "SELECT project_id, COUNT(*) AS total, SUM(status = 'done') AS done, \
             json_group_array(CASE WHEN status != 'done' THEN due_date END) AS open_due \
             FROM os_tasks WHERE user_id = ?1 AND project_id IS NOT NULL AND (?2 IS NULL OR project_id = ?2) \
             GROUP BY project_id",
        )
        .bind(&[caller.user_id.as_str().into(), nullable(project)])?
        .all()
        .await?
        .results()?)
}

/// The projects with their health, from the rows, the counts and today (read together).
fn views(rows: Vec<Row>, counts: &[Counts], today: NaiveDate) -> Result<Vec<Value>, ApiError> {
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let c = counts.iter().find(|c| c.project_id == r.id);
        let overdue = c.map_or(0, |c| {
            serde_json::from_str::<Vec<Option<String>>>(&c.open_due)
                .unwrap_or_default()
                .iter()
                .flatten()
                .filter(|d| parse(d).is_some_and(|d| d < today))
                .count()
        });
        let input = Input {
            total: c.map_or(0, |c| c.total as u32),
            done: c.and_then(|c| c.done).unwrap_or(0) as u32,
            overdue: overdue as u32,
            start: parse(&r.start_date).unwrap_or(today),
            target: r.target_date.as_deref().and_then(parse),
            today,
        };
        let mut v = serde_json::to_value(&r)?;
        v["health"] = json!(health::health(&input));
        v["completion"] = json!((health::completion(&input) * 1000.0).round() / 10.0);
        v["elapsed"] = json!(health::elapsed(&input).map(|e| (e * 1000.0).round() / 10.0));
        v["tasks"] = json!({"total": input.total, "done": input.done, "overdue": input.overdue});
        out.push(v);
    }
    Ok(out)
}

fn view(r: Row, counts: &[Counts], today: NaiveDate) -> Result<Value, ApiError> {
    views(vec![r], counts, today)?
        .pop()
        .ok_or_else(|| ApiError::Internal("project view".into()))
}

#[derive(Default)]
pub struct Fields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub start_date: Option<String>,
    pub target_date: Option<Option<String>>,
}

pub fn parse(v: &Value, full: bool) -> Result<Fields, ApiError> {
    read_object(
        v,
        "project",
        READ_ONLY,
        REQUIRED,
        full,
        |f: &mut Fields, k, v, e| {
            match k {
                "name" => f.name = text(v, k, 200, e),
                "description" => f.description = free_text(v, k, 5000, e),
                "start_date" => f.start_date = date(v, k, e).map(|d| d.to_string()),
                "target_date" => f.target_date = nullable_date(v, k, e),
                _ => return false,
            }
            true
        },
    )
    .map_err(ApiError::Validation)
}

async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Row, ApiError> {
    let row: Option<Row> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM os_projects WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("project"))
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = parse(&body, true)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let today = settings::today(&db, &caller.user_id).await?;
    let start = f.start_date.unwrap_or_else(|| today.to_string());
    let target = f.target_date.flatten();
    if target.as_deref().is_some_and(|t| t < start.as_str()) {
        return Err(ApiError::validation(
            "target_date",
            "must not be before start_date",
        ));
    }
    let now = ids::now_rfc3339();
    let row = Row {
        id: ids::new_id()?,
        name: f.name.unwrap_or_default(),
        description: f.description.unwrap_or_default(),
        start_date: start,
        target_date: target,
        created_at: now.clone(),
        updated_at: now,
    };
    db.prepare(format!(
        "INSERT INTO os_projects ({COLUMNS}, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
    ))
    .bind(&[
        row.id.as_str().into(),
        row.name.as_str().into(),
        row.description.as_str().into(),
        row.start_date.as_str().into(),
        nullable(row.target_date.as_deref()),
        row.created_at.as_str().into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    // A new project has no tasks yet.
    http::json(201, &view(row, &[], today)?)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let caller = &caller;
    let db = ctx.d1()?;
    let query = PageQuery::new(format!("SELECT {COLUMNS} FROM os_projects"))
        .search(&["name"], search.as_ref());
    let (rows, counts, today): (Vec<Row>, _, _) = futures::try_join!(
        query.fetch(&db, caller, &page),
        counts(&db, caller, None),
        settings::today(&db, &caller.user_id)
    )?;
    let items = views(rows, &counts, today)?;
    http::json(
        200,
        &page.respond(items, |v| v["id"].as_str().unwrap_or("")),
    )
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let caller = &caller;
    let id = ctx.param("id");
    let (row, counts, today) = futures::try_join!(
        find(&db, caller, id),
        counts(&db, caller, Some(id)),
        settings::today(&db, &caller.user_id)
    )?;
    http::json(200, &view(row, &counts, today)?)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = parse(&body, false)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let (r, counts, today) = futures::try_join!(
        find(&db, &caller, id),
        counts(&db, &caller, Some(id)),
        settings::today(&db, &caller.user_id)
    )?;
    let start = f.start_date.unwrap_or(r.start_date);
    let target = f.target_date.unwrap_or(r.target_date);
    if target.as_deref().is_some_and(|t| t < start.as_str()) {
        return Err(ApiError::validation(
            "target_date",
            "must not be before start_date",
        ));
    }
    let row = Row {
        name: f.name.unwrap_or(r.name),
        description: f.description.unwrap_or(r.description),
        start_date: start,
        target_date: target,
        updated_at: ids::now_rfc3339(),
        ..r
    };
    db.prepare(
        "UPDATE os_projects SET name = ?1, description = ?2, start_date = ?3, target_date = ?4, updated_at = ?5 \
         WHERE id = ?6 AND user_id = ?7",
    )
    .bind(&[
        row.name.as_str().into(),
        row.description.as_str().into(),
        row.start_date.as_str().into(),
        nullable(row.target_date.as_deref()),
        row.updated_at.as_str().into(),
        row.id.as_str().into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    http::json(200, &view(row, &counts, today)?)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::delete_owned(&ctx, &caller, "os_projects", "project").await
}

fn schema() -> Value {
    json!({"title": "Project", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true}, "name": crate::platform::fields::example(text_schema(200), "Kitchen renovation"), "description": {"type": "string", "maxLength": 5000},
        "start_date": {"type": "string", "format": "date"}, "target_date": {"type": ["string", "null"], "format": "date"},
        "health": {"type": "string", "enum": ["on_track", "at_risk", "off_track"], "readOnly": true},
        "completion": {"type": "number", "readOnly": true}, "elapsed": {"type": ["number", "null"], "readOnly": true},
        "tasks": {"type": "object", "readOnly": true}}})
}

pub const HEALTH_RULE: &str = "health: with a target date, elapsed = share of start→target gone by and completion = \
    done ÷ all linked tasks; off_track when completion trails elapsed by more than 30 points, 3+ tasks are overdue, or \
    the target passed with work left; at_risk when it trails by more than 10 points or any task is overdue; else \
    on_track. Without a target: 0 overdue on_track, 1–2 at_risk, 3+ off_track. With no tasks yet: on_track, or \
    at_risk once the target passed.";

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "health",
    "completion",
    "elapsed",
    "tasks",
];
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
    summary: "Create a project",
    description: "`{name, description?, start_date?, target_date?}`; tasks join with project_id.",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List projects",
    description: "Each with its health (see GET /projects/{id}). Filter: q (in the name, ignoring ASCII case); \
        paginated.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a project with its health",
    description: HEALTH_RULE,
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a project",
    description: "Partial update.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a project",
    description: "Its tasks stay.",
    request: None,
    response: (204, no_body),
};
