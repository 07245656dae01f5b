//! Goals: embedded success criteria; links to tasks (a task's `goal_id`), metrics and
//! habits; and a progress (`rules::goals`) cached on the goal.
//!
//! The cache never waits for a read: every write that moves a part of a goal's progress
//! carries, in the same D1 batch, the statements that refresh it. Metric and habit links
//! keep their part in `os_goal_links.score` (computed here in Rust, since it needs the
//! logs and habit schedules), and `refresh` then re-averages the parts in SQL. Habit
//! consistency also moves with the calendar, so `GET /goals/{id}/progress` recomputes
//! every part from the data and stores the result.

use std::collections::HashMap;

use crate::platform::fields::text_schema;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::goals as rules;
use super::{date, free_text, nullable_date, object, one_of, settings, text};
use crate::platform::auth::Caller;
use crate::platform::db::{batch_or_404, nullable};
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::read_object;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, page_of, Doc};
use crate::platform::page::PageQuery;

mod links;
mod progress;

pub use links::*;
use progress::compute;
pub use progress::{habit_changed, habit_goals, item_removed, metric_changed, refresh, HabitGoal};

pub const STATUSES: &[&str] = &["active", "achieved", "abandoned"];
pub(super) const MAX_CRITERIA: usize = 50;

pub const PROGRESS_RULE: &str = "progress (0–100, one decimal) is the mean of the parts the goal has, each a share \
    from 0 to 1: criteria = met ÷ all success criteria; tasks = done ÷ all tasks whose goal_id is the goal; metrics = \
    mean over linked metrics with a target of their progress toward it (from the first logged value, in the metric's \
    direction; reached = 1; no logs yet = 0); habits = mean over linked habits of done ÷ due days from the later of the \
    goal's and the habit's start date to the earlier of today and the goal's target date (today only once done). A \
    part with nothing in it is left out, not counted as 0; a goal with no parts is at 0. The value on the goal is \
    refreshed in the same batch as any change to a linked item; GET /goals/{id}/progress recomputes it from the data \
    (habit consistency also moves with the calendar) and returns each part.";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub start_date: String,
    pub target_date: Option<String>,
    pub success_criteria: String,
    pub progress: f64,
    pub created_at: String,
    pub updated_at: String,
}

pub(super) const COLUMNS: &str =
    "id, title, description, status, start_date, target_date, success_criteria, progress, \
    created_at, updated_at";

impl Row {
    pub fn criteria(&self) -> Vec<Value> {
        serde_json::from_str(&self.success_criteria).unwrap_or_default()
    }

    fn window(&self, today: NaiveDate) -> (NaiveDate, Option<NaiveDate>) {
        let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        (
            parse(&self.start_date).unwrap_or(today),
            self.target_date.as_deref().and_then(parse),
        )
    }
}

/// Linked item ids of one goal.
#[derive(Debug, Default, Serialize)]
pub struct Links {
    pub tasks: Vec<String>,
    pub metrics: Vec<String>,
    pub habits: Vec<String>,
}

pub(super) fn view(r: Row, links: Links) -> Value {
    json!({
        "id": r.id, "title": r.title, "description": r.description, "status": r.status,
        "start_date": r.start_date, "target_date": r.target_date,
        "success_criteria": r.criteria(), "progress": r.progress, "links": links,
        "created_at": r.created_at, "updated_at": r.updated_at,
    })
}

/// The writable fields, checked. `Some(None)` clears the target date.
#[derive(Debug, Default)]
pub struct Fields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub start_date: Option<String>,
    pub target_date: Option<Option<String>>,
    pub success_criteria: Option<Vec<Value>>,
}

pub(super) fn criteria(v: &Value, errors: &mut Vec<FieldError>) -> Option<Vec<Value>> {
    let Some(items) = v.as_array().filter(|a| a.len() <= MAX_CRITERIA) else {
        errors.push(FieldError::new(
            "success_criteria",
            format!("must be a list of at most {MAX_CRITERIA} criteria"),
        ));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, c) in items.iter().enumerate() {
        let field = format!("success_criteria[{i}]");
        let t = c.get("text").and_then(|t| text(t, &field, 500, errors));
        let met = match c.get("met") {
            None => Some(false),
            Some(m) => m.as_bool(),
        };
        match (c.as_object(), t, met) {
            (Some(_), Some(t), Some(met)) => out.push(json!({"text": t, "met": met})),
            _ if errors.iter().any(|e| e.field == field) => {}
            _ => errors.push(FieldError::new(
                field,
                "must be {text: non-empty string, met?: boolean}",
            )),
        }
    }
    Some(out)
}

impl Fields {
    pub fn parse(v: &Value, full: bool) -> Result<Self, Vec<FieldError>> {
        read_object(
            v,
            "goal",
            READ_ONLY,
            REQUIRED,
            full,
            |f: &mut Fields, k, v, e| {
                match k {
                    "title" => f.title = text(v, k, 200, e),
                    "description" => f.description = free_text(v, k, 5000, e),
                    "status" => f.status = one_of(v, k, STATUSES, e),
                    "start_date" => f.start_date = date(v, k, e).map(|d| d.to_string()),
                    "target_date" => f.target_date = nullable_date(v, k, e),
                    "success_criteria" => f.success_criteria = criteria(v, e),
                    _ => return false,
                }
                true
            },
        )
    }
}

pub(super) fn check_window(start: &str, target: Option<&str>) -> Result<(), ApiError> {
    if target.is_some_and(|t| t < start) {
        return Err(ApiError::validation(
            "target_date",
            "must not be before start_date",
        ));
    }
    Ok(())
}

pub async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Row, ApiError> {
    let row: Option<Row> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM os_goals WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("goal"))
}

/// The links of one of the caller's goals (`goal`), or of all of them, by goal id.
pub(crate) async fn links_of(
    db: &D1Database,
    user_id: &str,
    goal: Option<&str>,
) -> Result<HashMap<String, Links>, ApiError> {
    #[derive(Deserialize)]
    struct L {
        goal_id: String,
        kind: String,
        item_id: String,
    }
    let mut out: HashMap<String, Links> = HashMap::new();
    let results = db
        .batch(vec![
            db.prepare(
                "SELECT goal_id, 'task' AS kind, id AS item_id FROM os_tasks \
                 WHERE user_id = ?1 AND goal_id IS NOT NULL AND (?2 IS NULL OR goal_id = ?2) ORDER BY id",
            )
            .bind(&[user_id.into(), nullable(goal)])?,
            db.prepare(
                "SELECT goal_id, kind, item_id FROM os_goal_links \
                 WHERE user_id = ?1 AND (?2 IS NULL OR goal_id = ?2) ORDER BY item_id",
            )
            .bind(&[user_id.into(), nullable(goal)])?,
        ])
        .await?;
    for r in &results {
        for l in r.results::<L>()? {
            let links = out.entry(l.goal_id).or_default();
            match l.kind.as_str() {
                "task" => links.tasks.push(l.item_id),
                "metric" => links.metrics.push(l.item_id),
                _ => links.habits.push(l.item_id),
            }
        }
    }
    Ok(out)
}

/// Runs `stmts` and reads the goal back in the same batch (one round trip): answers it
/// with `links`, its progress as the batch's refresh left it.
pub(super) async fn write_then_view(
    db: &D1Database,
    caller: &Caller,
    id: &str,
    mut stmts: Vec<worker::D1PreparedStatement>,
    links: Links,
) -> Result<Value, ApiError> {
    stmts.push(
        db.prepare(format!(
            "SELECT {COLUMNS} FROM os_goals WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[id.into(), caller.user_id.as_str().into()])?,
    );
    let results = db.batch(stmts).await?;
    let row: Row = results
        .last()
        .map(|r| r.results::<Row>())
        .transpose()?
        .and_then(|mut rows| rows.pop())
        .ok_or_else(|| ApiError::not_found("goal"))?;
    Ok(view(row, links))
}

/// One of the caller's goals with its links: both read at once.
pub(super) async fn one(db: &D1Database, caller: &Caller, id: &str) -> Result<Value, ApiError> {
    let (row, mut links) = futures::try_join!(
        find(db, caller, id),
        links_of(db, &caller.user_id, Some(id))
    )?;
    Ok(view(row, links.remove(id).unwrap_or_default()))
}

// ---- handlers ----

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = Fields::parse(&body, true).map_err(ApiError::Validation)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let start = match f.start_date {
        Some(s) => s,
        None => settings::today(&db, &caller.user_id).await?.to_string(),
    };
    let target = f.target_date.flatten();
    check_window(&start, target.as_deref())?;
    let criteria = f.success_criteria.unwrap_or_default();
    let met = criteria.iter().filter(|c| c["met"] == json!(true)).count() as u32;
    let now = ids::now_rfc3339();
    let g = Row {
        id: ids::new_id()?,
        title: f.title.unwrap_or_default(),
        description: f.description.unwrap_or_default(),
        status: f.status.unwrap_or_else(|| "active".into()),
        start_date: start,
        target_date: target,
        success_criteria: serde_json::to_string(&criteria)?,
        progress: rules::progress(&[rules::share(met, criteria.len() as u32)]),
        created_at: now.clone(),
        updated_at: now,
    };
    db.prepare(format!(
        "INSERT INTO os_goals ({COLUMNS}, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)"
    ))
    .bind(&[
        g.id.as_str().into(),
        g.title.as_str().into(),
        g.description.as_str().into(),
        g.status.as_str().into(),
        g.start_date.as_str().into(),
        nullable(g.target_date.as_deref()),
        g.success_criteria.as_str().into(),
        g.progress.into(),
        g.created_at.as_str().into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    // A new goal has no links yet.
    http::json(201, &view(g, Links::default()))
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let page = ctx.page()?;
    let search = ctx.search()?;
    let status = ctx.filter_one_of("status", STATUSES)?;
    let db = ctx.d1()?;
    let query = PageQuery::new(format!("SELECT {COLUMNS} FROM os_goals"))
        .filter("status = ?", status)
        .search(&["title"], search.as_ref());
    // The page and the links of all the caller's goals, read at once.
    let (rows, mut links): (Vec<Row>, _) = futures::try_join!(
        query.fetch(&db, caller, &page),
        links_of(&db, &caller.user_id, None)
    )?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let l = links.remove(&r.id).unwrap_or_default();
            view(r, l)
        })
        .collect();
    http::json(
        200,
        &page.respond(items, |v| v["id"].as_str().unwrap_or("")),
    )
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &one(&ctx.d1()?, &caller, ctx.param("id")).await?)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    object(&body)?;
    let f = Fields::parse(&body, false).map_err(ApiError::Validation)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let id = ctx.param("id");
    // The goal, what its progress is computed from, and its links: one round trip.
    let (mut g, reads, mut links) = futures::try_join!(
        find(&db, &caller, id),
        progress::read(&db, &caller.user_id, id),
        links_of(&db, &caller.user_id, Some(id))
    )?;
    if let Some(v) = f.title {
        g.title = v;
    }
    if let Some(v) = f.description {
        g.description = v;
    }
    if let Some(v) = f.status {
        g.status = v;
    }
    if let Some(v) = f.start_date {
        g.start_date = v;
    }
    if let Some(v) = f.target_date {
        g.target_date = v;
    }
    if let Some(v) = f.success_criteria {
        g.success_criteria = serde_json::to_string(&v)?;
    }
    check_window(&g.start_date, g.target_date.as_deref())?;
    g.updated_at = ids::now_rfc3339();
    // The new criteria and window change the parts: computed from the updated goal and
    // stored with it.
    let (progress, _, parts) = progress::evaluate(&db, &caller.user_id, &g, &reads)?;
    g.progress = progress;
    let mut stmts = vec![db
        .prepare(
            "UPDATE os_goals SET title = ?1, description = ?2, status = ?3, start_date = ?4, target_date = ?5, \
             success_criteria = ?6, updated_at = ?7 WHERE id = ?8 AND user_id = ?9",
        )
        .bind(&[
            g.title.as_str().into(),
            g.description.as_str().into(),
            g.status.as_str().into(),
            g.start_date.as_str().into(),
            nullable(g.target_date.as_deref()),
            g.success_criteria.as_str().into(),
            g.updated_at.as_str().into(),
            g.id.as_str().into(),
            caller.user_id.as_str().into(),
        ])?];
    stmts.extend(parts);
    crate::platform::db::write(&db, stmts).await?;
    let links = links.remove(&g.id).unwrap_or_default();
    http::json(200, &view(g, links))
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let stmts = vec![
        db.prepare("DELETE FROM os_goals WHERE id = ?1 AND user_id = ?2")
            .bind(&[id.into(), caller.user_id.as_str().into()])?,
        // Its tasks stay, unlinked.
        db.prepare("UPDATE os_tasks SET goal_id = NULL WHERE goal_id = ?1 AND user_id = ?2")
            .bind(&[id.into(), caller.user_id.as_str().into()])?,
    ];
    batch_or_404(&db, stmts, "goal").await?;
    http::no_content()
}

pub async fn progress(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let (g, reads) = futures::try_join!(
        find(&db, &caller, id),
        progress::read(&db, &caller.user_id, id)
    )?;
    let (progress, breakdown, stmts) = progress::evaluate(&db, &caller.user_id, &g, &reads)?;
    // Stored only when it moved (the calendar moves habit consistency).
    crate::platform::db::write(&db, stmts).await?;
    http::json(200, &json!({"progress": progress, "breakdown": breakdown}))
}

/// Recomputes a goal's progress from the data, stores it, and answers it with its parts.
pub async fn progress_of(
    db: &D1Database,
    caller: &Caller,
    g: &Row,
) -> Result<(f64, Value), ApiError> {
    let (progress, breakdown, stmts) = compute(db, caller, g).await?;
    crate::platform::db::write(db, stmts).await?;
    Ok((progress, breakdown))
}

/// The caller's goals, id and title, for finding one by name.
pub async fn titles(db: &D1Database, caller: &Caller) -> Result<Vec<(String, String)>, ApiError> {
    #[derive(Deserialize)]
    struct T {
        id: String,
        title: String,
    }
    let rows: Vec<T> = db
        .prepare("SELECT id, title FROM os_goals WHERE user_id = ?1 ORDER BY id LIMIT 500")
        .bind(&[caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|t| (t.id, t.title)).collect())
}

// ---- OpenAPI ----

pub fn schema() -> Value {
    json!({"title": "Goal", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true},
        "title": crate::platform::fields::example(text_schema(200), "Run a half marathon"),
        "description": {"type": "string", "maxLength": 5000},
        "status": {"type": "string", "enum": STATUSES, "default": "active"},
        "start_date": {"type": "string", "format": "date"},
        "target_date": {"type": ["string", "null"], "format": "date"},
        "success_criteria": {"type": "array", "maxItems": MAX_CRITERIA, "items": {"type": "object", "required": ["text"],
            "properties": {"text": text_schema(500), "met": {"type": "boolean", "default": false}}}},
        "progress": {"type": "number", "minimum": 0, "maximum": 100, "readOnly": true},
        "links": {"type": "object", "readOnly": true, "properties": {
            "tasks": {"type": "array", "items": {"type": "string"}},
            "metrics": {"type": "array", "items": {"type": "string"}},
            "habits": {"type": "array", "items": {"type": "string"}}}}
    }})
}

pub(super) fn progress_schema() -> Value {
    let part =
        crate::schema!({"type": "object", "properties": {"percent": {"type": ["number", "null"]}}});
    json!({"type": "object", "properties": {
        "progress": {"type": "number", "minimum": 0, "maximum": 100},
        "breakdown": {"type": "object", "properties": {
            "criteria": part, "tasks": part, "metrics": part, "habits": part}}}})
}

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &["id", "progress", "links", "created_at", "updated_at"];
/// Fields a create must have.
const REQUIRED: &[&str] = &["title"];

fn create_body() -> Value {
    body(schema(), REQUIRED, READ_ONLY)
}

fn update_body() -> Value {
    body(schema(), &[], READ_ONLY)
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a goal",
    description: "`title` required; `start_date` defaults to today in the user's time zone. Success criteria are \
        embedded: `[{text, met}]`. Link tasks, metrics and habits with the link routes (a task's goal_id is its link).",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List goals",
    description:
        "Filters: status, q (in the title, ignoring ASCII case); paginated. `progress` is the cached value \
        (see GET /goals/{id}/progress).",
    request: None,
    response: (
        200,
        || page_of(schema()),
    ),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a goal",
    description: PROGRESS_RULE,
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a goal",
    description: "Partial update; `success_criteria` replaces the whole list. Progress is recomputed in the same batch.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a goal",
    description: "Its tasks stay, with goal_id cleared; its metric and habit links go.",
    request: None,
    response: (204, no_body),
};
pub const PROGRESS_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "A goal's progress and its parts",
    description: PROGRESS_RULE,
    request: None,
    response: (200, progress_schema),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_criteria_and_name_errors() {
        let f = Fields::parse(
            &crate::schema!({"title": "Run a marathon", "success_criteria": [{"text": "Run 30 km", "met": true}, {"text": " Sign up "}]}),
            true,
        )
        .expect("valid");
        assert_eq!(
            f.success_criteria,
            Some(vec![
                json!({"text": "Run 30 km", "met": true}),
                json!({"text": "Sign up", "met": false})
            ])
        );
        let errs = Fields::parse(
            &crate::schema!({"status": "done", "success_criteria": [{"text": ""}, {"text": "x", "met": "yes"}, 3], "target_date": "2026-13-01"}),
            true,
        )
        .expect_err("bad");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "status",
            "success_criteria[0]",
            "success_criteria[1]",
            "success_criteria[2]",
            "target_date",
            "title",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let many = json!({"success_criteria": vec![json!({"text": "x"}); MAX_CRITERIA + 1]});
        assert!(Fields::parse(&many, false).is_err());
    }
}
