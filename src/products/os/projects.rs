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
use crate::platform::openapi::{Doc, body, no_body};
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

/// The projects with their health. Task counts for the whole page come from one query.
async fn views(db: &D1Database, caller: &Caller, rows: Vec<Row>) -> Result<Vec<Value>, ApiError> {
    #[derive(Deserialize)]
    struct Counts {
        project_id: String,
        total: i64,
        done: Option<i64>,
        overdue: Option<i64>,
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let today = settings::today(db, &caller.user_id).await?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let counts: Vec<Counts> = db
        .prepare(
            "SELECT project_id, COUNT(*) AS total, SUM(status = 'done') AS done, \
             SUM(status != 'done' AND due_date IS NOT NULL AND due_date < ?3) AS overdue \
             FROM os_tasks WHERE user_id = ?1 AND project_id IN (SELECT value FROM json_each(?2)) \
             GROUP BY project_id",
        )
        .bind(&[
            caller.user_id.as_str().into(),
            serde_json::to_string(&ids)?.into(),
            today.to_string().into(),
        ])?
        .all()
        .await?
        .results()?;
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let c = counts.iter().find(|c| c.project_id == r.id);
        let input = Input {
            total: c.map_or(0, |c| c.total as u32),
            done: c.and_then(|c| c.done).unwrap_or(0) as u32,
            overdue: c.and_then(|c| c.overdue).unwrap_or(0) as u32,
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

async fn view(db: &D1Database, caller: &Caller, r: Row) -> Result<Value, ApiError> {
    views(db, caller, vec![r])
        .await?
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
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    db.prepare(format!(
        "INSERT INTO os_projects ({COLUMNS}, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)"
    ))
    .bind(&[
        id.as_str().into(),
        f.name.unwrap_or_default().into(),
        f.description.unwrap_or_default().into(),
        start.into(),
        nullable(target.as_deref()),
        now.into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    let row = find(&db, &caller, &id).await?;
    http::json(201, &view(&db, &caller, row).await?)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let caller = &caller;
    let db = ctx.d1()?;
    let rows: Vec<Row> = PageQuery::new(format!("SELECT {COLUMNS} FROM os_projects"))
        .search(&["name"], search.as_ref())
        .fetch(&db, caller, &page)
        .await?;
    let items = views(&db, caller, rows).await?;
    http::json(
        200,
        &page.respond(items, |v| v["id"].as_str().unwrap_or("")),
    )
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let caller = &caller;
    let row = find(&db, caller, ctx.param("id")).await?;
    http::json(200, &view(&db, caller, row).await?)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = parse(&body, false)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let r = find(&db, &caller, ctx.param("id")).await?;
    let start = f.start_date.unwrap_or(r.start_date);
    let target = f.target_date.unwrap_or(r.target_date);
    if target.as_deref().is_some_and(|t| t < start.as_str()) {
        return Err(ApiError::validation(
            "target_date",
            "must not be before start_date",
        ));
    }
    db.prepare(
        "UPDATE os_projects SET name = ?1, description = ?2, start_date = ?3, target_date = ?4, updated_at = ?5 \
         WHERE id = ?6 AND user_id = ?7",
    )
    .bind(&[
        f.name.unwrap_or(r.name).into(),
        f.description.unwrap_or(r.description).into(),
        start.into(),
        nullable(target.as_deref()),
        ids::now_rfc3339().into(),
        r.id.as_str().into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    let row = find(&db, &caller, &r.id).await?;
    http::json(200, &view(&db, &caller, row).await?)
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
const READ_ONLY: &[&str] = &["id", "created_at", "updated_at", "health", "completion", "elapsed", "tasks"];
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
    response: (200, || json!({"type": "object"})),
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
