//! Tasks: CRUD with filters, dependencies without cycles, and completion that pays points
//! into the wallet once per task.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::{graph, points};
use super::{date, free_text, goals, nullable_date, nullable_text, object, one_of, text};
use crate::platform::auth::Caller;
use crate::platform::db::{batch_or_404, bind_json, changes, nullable};
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::{example, nullable_schema, read_object, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, page_of, Doc};
use crate::platform::page::{Items, PageQuery};

pub const STATUSES: &[&str] = &["todo", "in_progress", "done"];
pub const PRIORITIES: &[&str] = &["low", "medium", "high", "urgent"];

#[derive(Debug, Default, Clone, Serialize)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub area: Option<String>,
    pub effort: i64,
    pub due_date: Option<String>,
    pub project_id: Option<String>,
    pub goal_id: Option<String>,
    pub completed_at: Option<String>,
    pub depends_on: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    title: String,
    description: String,
    status: String,
    priority: String,
    area: Option<String>,
    effort: i64,
    due_date: Option<String>,
    project_id: Option<String>,
    goal_id: Option<String>,
    completed_at: Option<String>,
    created_at: String,
    updated_at: String,
    /// JSON array of the ids this task depends on ([`SELECT_TASKS`]).
    depends_on: String,
}

impl Row {
    fn into_task(self) -> Task {
        let depends_on = serde_json::from_str(&self.depends_on).unwrap_or_default();
        Task {
            id: self.id,
            title: self.title,
            description: self.description,
            status: self.status,
            priority: self.priority,
            area: self.area,
            effort: self.effort,
            due_date: self.due_date,
            project_id: self.project_id,
            goal_id: self.goal_id,
            completed_at: self.completed_at,
            depends_on,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A task's columns, in the order of the INSERT's and the SELECT's values.
macro_rules! columns {
    () => {
        "id, title, description, status, priority, area, effort, due_date, project_id, goal_id, \
         completed_at, created_at, updated_at"
    };
}

/// The writable columns of a task, in `columns!` order after `id`: shared by the INSERT
/// (`?2`–`?10`) and the UPDATE (`?1`–`?9`).
fn writable(t: &Task) -> [Value; 9] {
    [
        t.title.as_str().into(),
        t.description.as_str().into(),
        t.status.as_str().into(),
        t.priority.as_str().into(),
        t.area.as_deref().into(),
        t.effort.into(),
        t.due_date.as_deref().into(),
        t.project_id.as_deref().into(),
        t.goal_id.as_deref().into(),
    ]
}

/// The ids a task depends on, as a JSON array in id order (the primary key
/// (task_id, depends_on_id) answers it in that order).
macro_rules! depends_on_sql {
    () => {
        "(SELECT json_group_array(depends_on_id) FROM (SELECT depends_on_id FROM os_task_dependencies d \
         WHERE d.task_id = os_tasks.id ORDER BY depends_on_id))"
    };
}

/// Tasks with their dependencies in the same query (one D1 round trip per read).
const SELECT_TASKS: &str = concat!(
    "SELECT ",
    columns!(),
    ", ",
    depends_on_sql!(),
    " AS depends_on FROM os_tasks"
);

/// A task as the list writes it ([`PageQuery::items`]): the same fields as [`Task`].
const TASK_ITEMS: Items = Items {
    table: "os_tasks",
    columns: &[
        ("id", "id"),
        ("title", "title"),
        ("description", "description"),
        ("status", "status"),
        ("priority", "priority"),
        ("area", "area"),
        ("effort", "effort"),
        ("due_date", "due_date"),
        ("project_id", "project_id"),
        ("goal_id", "goal_id"),
        ("completed_at", "completed_at"),
        ("created_at", "created_at"),
        ("updated_at", "updated_at"),
        ("depends_on", concat!("json(", depends_on_sql!(), ")")),
    ],
};

/// The writable fields, checked. `Some(None)` clears a nullable field.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TaskFields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub area: Option<Option<String>>,
    pub effort: Option<i64>,
    pub due_date: Option<Option<String>>,
    pub project_id: Option<Option<String>>,
    pub goal_id: Option<Option<String>>,
    /// The ids of the caller's tasks this one waits for (replaces the set on update).
    pub depends_on: Option<Vec<String>>,
}

/// Dependencies a task may list in one request.
pub const MAX_DEPENDENCIES: usize = 100;

impl TaskFields {
    pub fn parse(v: &Value, full: bool) -> Result<Self, Vec<FieldError>> {
        read_object(
            v,
            "task",
            READ_ONLY,
            REQUIRED,
            full,
            |f: &mut TaskFields, k, v, e| {
                match k {
                    "title" => f.title = text(v, k, 200, e),
                    "description" => f.description = free_text(v, k, 5000, e),
                    "status" => f.status = one_of(v, k, STATUSES, e),
                    "priority" => f.priority = one_of(v, k, PRIORITIES, e),
                    "area" => {
                        f.area = nullable_text(v, k, 50, e).map(|a| a.map(|s| s.to_lowercase()))
                    }
                    "effort" => match v.as_i64() {
                        Some(n) if (1..=5).contains(&n) => f.effort = Some(n),
                        _ => e.push(FieldError::new(k, "must be an integer from 1 to 5")),
                    },
                    "due_date" => f.due_date = nullable_date(v, k, e),
                    "project_id" => f.project_id = nullable_text(v, k, 64, e),
                    "goal_id" => f.goal_id = nullable_text(v, k, 64, e),
                    "depends_on" => match v.as_array() {
                        Some(ids) if ids.len() <= MAX_DEPENDENCIES => {
                            let mut out: Vec<String> = Vec::with_capacity(ids.len());
                            for (i, id) in ids.iter().enumerate() {
                                if let Some(x) = text(id, &format!("depends_on[{i}]"), 64, e) {
                                    out.push(x);
                                }
                            }
                            crate::platform::sort::sort(&mut out);
                            out.dedup();
                            f.depends_on = Some(out);
                        }
                        _ => e.push(FieldError::new(
                            k,
                            format!("must be a list of at most {MAX_DEPENDENCIES} task ids"),
                        )),
                    },
                    _ => return false,
                }
                true
            },
        )
    }
}

/// Every dependency edge (task → what it waits for) of the user, for cycle checks.
async fn dependencies(db: &D1Database, user_id: &str) -> Result<Vec<(String, String)>, ApiError> {
    #[derive(Deserialize)]
    struct D {
        task_id: String,
        depends_on_id: String,
    }
    let rows: Vec<D> = db
        .prepare("SELECT task_id, depends_on_id FROM os_task_dependencies WHERE user_id = ?1")
        .bind(&[user_id.into()])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|d| (d.task_id, d.depends_on_id))
        .collect())
}

/// A project or goal a task is being linked to must be the caller's (422 otherwise, so
/// another user's ids are never linked, nor their existence told apart).
async fn check_links(db: &D1Database, user_id: &str, f: &TaskFields) -> Result<(), ApiError> {
    let project = f.project_id.clone().flatten();
    let goal = f.goal_id.clone().flatten();
    if project.is_none() && goal.is_none() {
        return Ok(());
    }
    #[derive(Deserialize)]
    struct Found {
        project: i64,
        goal: i64,
    }
    let found: Option<Found> = db
        .prepare(
            "SELECT (SELECT COUNT(*) FROM os_projects WHERE id = ?2 AND user_id = ?1) AS project, \
             (SELECT COUNT(*) FROM os_goals WHERE id = ?3 AND user_id = ?1) AS goal",
        )
        .bind(&[
            user_id.into(),
            nullable(project.as_deref()),
            nullable(goal.as_deref()),
        ])?
        .first(None)
        .await?;
    let found = found.unwrap_or(Found {
        project: 0,
        goal: 0,
    });
    let mut e = Vec::new();
    if project.is_some() && found.project == 0 {
        e.push(FieldError::new("project_id", "is not one of your projects"));
    }
    if goal.is_some() && found.goal == 0 {
        e.push(FieldError::new("goal_id", "is not one of your goals"));
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(e))
    }
}

/// Every id of `ids` must be one of the caller's tasks, and not `task` itself (422 naming
/// the others, so another user's ids are never linked nor told apart).
async fn check_dependencies(
    db: &D1Database,
    caller: &Caller,
    task: &str,
    ids: &[String],
) -> Result<(), ApiError> {
    if ids.iter().any(|d| d == task) {
        return Err(ApiError::validation(
            "depends_on",
            "a task cannot depend on itself",
        ));
    }
    if ids.is_empty() {
        return Ok(());
    }
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let found: Vec<Id> = db
        .prepare("SELECT id FROM os_tasks WHERE user_id = ?1 AND id IN (SELECT value FROM json_each(?2))")
        .bind(&[caller.user_id.as_str().into(), serde_json::to_string(ids)?.into()])?
        .all()
        .await?
        .results()?;
    let missing: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|d| !found.iter().any(|f| f.id == *d))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(
            "depends_on",
            format!("not your tasks: {}", missing.join(", ")),
        ))
    }
}

/// The statements that make `task` depend on exactly `ids`.
fn set_dependencies(
    db: &D1Database,
    caller: &Caller,
    task: &str,
    ids: &[String],
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    Ok(vec![
        db.prepare("DELETE FROM os_task_dependencies WHERE user_id = ?1 AND task_id = ?2")
            .bind(&[caller.user_id.as_str().into(), task.into()])?,
        db.prepare(
            "INSERT INTO os_task_dependencies (user_id, task_id, depends_on_id) SELECT ?1, ?2, value FROM json_each(?3)",
        )
        .bind(&[caller.user_id.as_str().into(), task.into(), serde_json::to_string(ids)?.into()])?,
    ])
}

pub async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Task, ApiError> {
    let row: Option<Row> = db
        .prepare(format!("{SELECT_TASKS} WHERE id = ?1 AND user_id = ?2"))
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    Ok(row.ok_or_else(|| ApiError::not_found("task"))?.into_task())
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = TaskFields::parse(&body, true).map_err(ApiError::Validation)?;
    http::json(201, &insert(&ctx.d1()?, &caller, f).await?)
}

/// Creates a task of the caller's from checked fields (the route and the assistant's
/// `add_task` tool).
pub async fn insert(db: &D1Database, caller: &Caller, f: TaskFields) -> Result<Task, ApiError> {
    if f.status.as_deref() == Some("done") {
        return Err(ApiError::validation(
            "status",
            "a new task starts todo or in_progress; complete it afterwards",
        ));
    }
    let depends_on = f.depends_on.clone().unwrap_or_default();
    // Both checks read at once (one round trip).
    futures::try_join!(
        check_links(db, &caller.user_id, &f),
        check_dependencies(db, caller, "", &depends_on)
    )?;
    let clock = ids::now();
    let now = ids::rfc3339(clock);
    let t = Task {
        id: ids::new_id_at(clock.timestamp_millis().max(0) as u64)?,
        title: f.title.unwrap_or_default(),
        description: f.description.unwrap_or_default(),
        status: f.status.unwrap_or_else(|| "todo".into()),
        priority: f.priority.unwrap_or_else(|| "medium".into()),
        area: f.area.flatten(),
        effort: f.effort.unwrap_or(1),
        due_date: f.due_date.flatten(),
        project_id: f.project_id.flatten(),
        goal_id: f.goal_id.flatten(),
        completed_at: None,
        depends_on,
        created_at: now.clone(),
        updated_at: now,
    };
    // The same text on every request: JavaScript keeps it as a string.
    const INSERT: &str = concat!(
        "INSERT INTO os_tasks (",
        columns!(),
        ", user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13)"
    );
    let mut params = vec![t.id.as_str().into()];
    params.extend(writable(&t));
    params.extend([
        t.created_at.as_str().into(),
        t.updated_at.as_str().into(),
        caller.user_id.as_str().into(),
    ]);
    let mut stmts = vec![bind_json(
        db.prepare(wasm_bindgen::intern(INSERT)),
        &params,
    )?];
    if !t.depends_on.is_empty() {
        stmts.extend(set_dependencies(db, caller, &t.id, &t.depends_on)?);
    }
    stmts.extend(goals::refresh(
        db,
        &caller.user_id,
        &[t.goal_id.as_deref()],
    )?);
    crate::platform::db::write(db, stmts).await?;
    Ok(t)
}

/// The caller's tasks, open (`Some(false)`), done (`Some(true)`) or all, whose title or
/// description contains `q` (ignoring ASCII case): open ones first by due date, at most
/// `limit`.
pub async fn matching(
    db: &D1Database,
    caller: &Caller,
    done: Option<bool>,
    q: Option<&str>,
    limit: u32,
) -> Result<Vec<Task>, ApiError> {
    let rows: Vec<Row> = db
        .prepare(format!(
            "{SELECT_TASKS} WHERE user_id = ?1 AND (?2 IS NULL OR (status = 'done') = ?2) \
             AND (?3 IS NULL OR instr(lower(title), lower(?3)) > 0 OR instr(lower(description), lower(?3)) > 0) \
             ORDER BY status = 'done', due_date IS NULL, due_date, created_at, id LIMIT ?4"
        ))
        .bind(&[
            caller.user_id.as_str().into(),
            nullable(done.map(|d| if d { 1.0 } else { 0.0 })),
            nullable(q),
            f64::from(limit).into(),
        ])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(Row::into_task).collect())
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let page = ctx.page()?;
    let search = ctx.search()?;
    let q = |name: &str| ctx.query_param(name).filter(|v| !v.is_empty());
    let status = ctx.filter_one_of("status", STATUSES)?;
    let mut errors = Vec::new();
    let before = q("due_before").and_then(|d| date(&Value::String(d), "due_before", &mut errors));
    let after = q("due_after").and_then(|d| date(&Value::String(d), "due_after", &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let db = ctx.d1()?;
    let body = PageQuery::items(&TASK_ITEMS)
        .filter("status = ?", status)
        .filter("area = lower(?)", q("area"))
        .filter("project_id = ?", q("project_id"))
        .filter("goal_id = ?", q("goal_id"))
        .filter("due_date < ?", before.map(|d| d.to_string()))
        .filter("due_date > ?", after.map(|d| d.to_string()))
        .search(&["title", "description"], search.as_ref())
        .render(&db, caller, &page)
        .await?;
    http::raw_json(200, body)
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &find(&ctx.d1()?, &caller, ctx.param("id")).await?)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    object(&body)?;
    let f = TaskFields::parse(&body, false).map_err(ApiError::Validation)?;
    http::json(200, &patch(&ctx.d1()?, &caller, ctx.param("id"), f).await?)
}

/// Applies checked fields to one of the caller's tasks (404 when it is not theirs).
pub async fn patch(
    db: &D1Database,
    caller: &Caller,
    id: &str,
    f: TaskFields,
) -> Result<Task, ApiError> {
    // The task, the checks of the new links and dependencies, and the dependency graph,
    // all read at once (one round trip).
    let no_dependencies = Vec::new();
    let new = f.depends_on.as_ref().unwrap_or(&no_dependencies);
    let edges = async {
        match f.depends_on {
            Some(_) => dependencies(db, &caller.user_id).await,
            None => Ok(Vec::new()),
        }
    };
    let (mut t, _, _, edges) = futures::try_join!(
        find(db, caller, id),
        check_links(db, &caller.user_id, &f),
        check_dependencies(db, caller, id, new),
        edges
    )?;
    if let Some(new) = &f.depends_on {
        // The graph without this task's own edges: would any new edge close a cycle?
        let others: Vec<(String, String)> = edges
            .into_iter()
            .filter(|(from, _)| *from != t.id)
            .collect();
        if let Some(dep) = new.iter().find(|d| graph::would_cycle(&others, &t.id, d)) {
            return Err(ApiError::Rule {
                code: "dependency_cycle",
                message: format!("{dep} already depends, directly or not, on {}", t.id),
            });
        }
    }
    let old_goal = t.goal_id.clone();
    if f.status.as_deref() == Some("done") && t.status != "done" {
        return Err(ApiError::validation(
            "status",
            "complete a task with POST /api/os/tasks/{id}/complete",
        ));
    }
    if let Some(v) = f.title {
        t.title = v;
    }
    if let Some(v) = f.description {
        t.description = v;
    }
    if let Some(v) = f.priority {
        t.priority = v;
    }
    if let Some(v) = f.area {
        t.area = v;
    }
    if let Some(v) = f.effort {
        t.effort = v;
    }
    if let Some(v) = f.due_date {
        t.due_date = v;
    }
    if let Some(v) = f.project_id {
        t.project_id = v;
    }
    if let Some(v) = f.goal_id {
        t.goal_id = v;
    }
    let new_dependencies = f.depends_on.clone();
    if let Some(v) = f.depends_on {
        t.depends_on = v;
    }
    if let Some(v) = f.status {
        // Reopening clears the completion (its points stay paid, and are not paid again).
        if v != "done" {
            t.completed_at = None;
        }
        t.status = v;
    }
    t.updated_at = ids::now_rfc3339();
    let mut params = Vec::from(writable(&t));
    params.extend([
        t.completed_at.as_deref().into(),
        t.updated_at.as_str().into(),
        t.id.as_str().into(),
        caller.user_id.as_str().into(),
    ]);
    let mut stmts = vec![bind_json(
        db.prepare(
            "UPDATE os_tasks SET title = ?1, description = ?2, status = ?3, priority = ?4, area = ?5, effort = ?6, \
             due_date = ?7, project_id = ?8, goal_id = ?9, completed_at = ?10, updated_at = ?11 WHERE id = ?12 AND user_id = ?13",
        ),
        &params,
    )?];
    if let Some(ids) = &new_dependencies {
        stmts.extend(set_dependencies(db, caller, &t.id, ids)?);
    }
    stmts.extend(goals::refresh(
        db,
        &caller.user_id,
        &[old_goal.as_deref(), t.goal_id.as_deref()],
    )?);
    crate::platform::db::write(db, stmts).await?;
    Ok(t)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    remove(&ctx.d1()?, &caller, ctx.param("id")).await?;
    http::no_content()
}

/// Deletes one of the caller's tasks and answers it as it was (404 when it is not theirs).
pub async fn remove(db: &D1Database, caller: &Caller, id: &str) -> Result<Task, ApiError> {
    let t = find(db, caller, id).await?;
    let mut stmts = vec![db
        .prepare("DELETE FROM os_tasks WHERE id = ?1 AND user_id = ?2")
        .bind(&[t.id.as_str().into(), caller.user_id.as_str().into()])?];
    stmts.extend(goals::refresh(
        db,
        &caller.user_id,
        &[t.goal_id.as_deref()],
    )?);
    batch_or_404(db, stmts, "task").await?;
    Ok(t)
}

pub async fn complete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let (task, points) = finish(&ctx.d1()?, &caller, ctx.param("id")).await?;
    http::json(200, &json!({"task": task, "points_awarded": points}))
}

/// Completes one of the caller's tasks (409 while a dependency is open) and answers it
/// with the points this completion paid: `base(priority) × effort` the first time, 0 after.
pub async fn finish(db: &D1Database, caller: &Caller, id: &str) -> Result<(Task, i64), ApiError> {
    let mut t = find(db, caller, id).await?;
    if !t.depends_on.is_empty() {
        let marks = vec!["?"; t.depends_on.len()].join(", ");
        let mut binds: Vec<wasm_bindgen::JsValue> = vec![caller.user_id.as_str().into()];
        binds.extend(t.depends_on.iter().map(|d| d.as_str().into()));
        #[derive(Deserialize)]
        struct Open {
            id: String,
        }
        let open: Vec<Open> = db
            .prepare(format!("SELECT id FROM os_tasks WHERE user_id = ? AND status != 'done' AND id IN ({marks})"))
            .bind(&binds)?
            .all()
            .await?
            .results()?;
        if !open.is_empty() {
            let ids: Vec<&str> = open.iter().map(|o| o.id.as_str()).collect();
            return Err(ApiError::Conflict(format!(
                "open dependencies: {}",
                ids.join(", ")
            )));
        }
    }
    let reward = points::for_task(&t.priority, t.effort);
    let now = ids::now_rfc3339();
    let mut stmts = vec![
            db.prepare(
                "UPDATE os_tasks SET status = 'done', completed_at = COALESCE(completed_at, ?1), updated_at = ?1 \
                 WHERE id = ?2 AND user_id = ?3",
            )
            .bind(&[now.as_str().into(), t.id.as_str().into(), caller.user_id.as_str().into()])?,
            // Paid once per task, however often it is reopened and completed.
            db.prepare(
                "INSERT INTO os_wallet_ledger (id, user_id, delta, reason, source_type, source_id, idempotency_key, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'task', ?5, ?6, ?7) ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&[
                ids::new_id()?.into(),
                caller.user_id.as_str().into(),
                (reward as f64).into(),
                format!("completed task: {}", t.title).into(),
                t.id.as_str().into(),
                format!("task_complete:{}", t.id).into(),
                now.as_str().into(),
            ])?,
        ];
    stmts.extend(goals::refresh(
        db,
        &caller.user_id,
        &[t.goal_id.as_deref()],
    )?);
    let results = db.batch(stmts).await?;
    // The ledger insert (statement 1) writes a row only the first time a task is completed.
    // The batch has committed by now, so unreadable metadata reports no points, not a 500.
    let paid = results.get(1).is_some_and(|r| changes(r).unwrap_or(0) > 0);
    if t.status != "done" {
        t.completed_at = Some(now.clone());
    }
    t.status = "done".into();
    t.updated_at = now;
    Ok((t, if paid { reward } else { 0 }))
}

pub async fn add_dependency(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = caller.clone();
    let db = ctx.d1()?;
    let (mut task, dep, edges) = futures::try_join!(
        find(&db, &caller, ctx.param("id")),
        find(&db, &caller, ctx.param("dep_id")),
        dependencies(&db, &caller.user_id)
    )?;
    if graph::would_cycle(&edges, &task.id, &dep.id) {
        return Err(ApiError::Rule {
            code: "dependency_cycle",
            message: format!(
                "{} already depends, directly or not, on {}",
                dep.id, task.id
            ),
        });
    }
    db.prepare("INSERT OR IGNORE INTO os_task_dependencies (user_id, task_id, depends_on_id) VALUES (?1, ?2, ?3)")
        .bind(&[caller.user_id.as_str().into(), task.id.as_str().into(), dep.id.as_str().into()])?
        .run()
        .await?;
    if !task.depends_on.contains(&dep.id) {
        task.depends_on.push(dep.id);
        crate::platform::sort::sort(&mut task.depends_on);
    }
    http::json(201, &task)
}

pub async fn remove_dependency(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::run_or_404(ctx
        .d1()?.prepare("DELETE FROM os_task_dependencies WHERE user_id = ?1 AND task_id = ?2 AND depends_on_id = ?3").bind(&[caller.user_id.as_str().into(), ctx.param("id").into(), ctx.param("dep_id").into()])?, "dependency").await?;
    http::no_content()
}

pub fn schema() -> Value {
    json!({"title": "Task", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true},
        "title": example(text_schema(200), "Write the quarterly report"),
        "description": {"type": "string", "maxLength": 5000},
        "status": {"type": "string", "enum": STATUSES, "default": "todo"},
        "priority": {"type": "string", "enum": PRIORITIES, "default": "medium"},
        "area": example(nullable_schema(text_schema(50)), "work"),
        "effort": {"type": "integer", "minimum": 1, "maximum": 5, "default": 1},
        "due_date": {"type": ["string", "null"], "format": "date"},
        "project_id": nullable_schema(text_schema(64)),
        "goal_id": nullable_schema(text_schema(64)),
        "completed_at": {"type": ["string", "null"], "readOnly": true},
        "depends_on": {"type": "array", "items": text_schema(64), "maxItems": MAX_DEPENDENCIES, "uniqueItems": true,
            "description": "Ids of the caller's tasks this one waits for (an update replaces the set). Another user's id \
            is 422; a cycle is 422 dependency_cycle; completing waits for all of them (409)."}
    }})
}

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &["id", "completed_at", "created_at", "updated_at"];
/// Fields a create must have.
const REQUIRED: &[&str] = &["title"];

/// A body's `status` is never `done`: completing goes through POST /tasks/{id}/complete.
fn task_body(required: &[&str]) -> Value {
    let mut b = body(schema(), required, READ_ONLY);
    b["properties"]["status"]["enum"] = json!(["todo", "in_progress"]);
    b
}

fn create_body() -> Value {
    task_body(REQUIRED)
}

fn update_body() -> Value {
    task_body(&[])
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a task",
    description: "`title` required. `project_id` and `goal_id`, when given, must be the caller's (422 otherwise); a \
        goal_id links the task to that goal, whose progress is refreshed in the same batch.",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List tasks",
    description:
        "Filters: status, area, project_id, goal_id, due_before, due_after (YYYY-MM-DD), q (in title or \
        description, ignoring ASCII case); paginated.",
    request: None,
    response: (
        200,
        || page_of(schema()),
    ),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a task",
    description: "",
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a task",
    description: "Partial update. Setting status to todo or in_progress reopens a done task; completing goes through \
        POST /tasks/{id}/complete.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a task",
    description: "",
    request: None,
    response: (204, no_body),
};
pub const COMPLETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Complete a task and earn points",
    description: "409 while a dependency is not done. Pays `base(priority) × effort` points into the wallet, with base \
        low 5, medium 10, high 20, urgent 30 and effort 1–5 — once per task: reopening and completing again pays nothing.",
    request: None,
    response: (200, || json!({"type": "object", "properties": {"task": schema(), "points_awarded": {"type": "integer"}}})),
};
pub const ADD_DEP_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Make a task depend on another",
    description:
        "422 `dependency_cycle` when the other task already depends on this one, directly or not.",
    request: None,
    response: (201, schema),
};
pub const REMOVE_DEP_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Remove a dependency",
    description: "",
    request: None,
    response: (204, no_body),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_writes_every_field_of_a_task() {
        let task = serde_json::to_value(Task::default()).expect("a task serializes");
        let mut fields: Vec<&str> = task
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys: Vec<&str> = TASK_ITEMS.columns.iter().map(|(k, _)| *k).collect();
        crate::platform::sort::sort(&mut fields);
        crate::platform::sort::sort(&mut keys);
        assert_eq!(keys, fields);
    }

    #[test]
    fn fields_parse_and_name_errors() {
        let f = TaskFields::parse(&crate::schema!({"title": " Buy milk ", "priority": "high", "effort": 2, "due_date": "2026-02-28", "area": "Home"}), true)
            .expect("valid");
        assert_eq!(f.title.as_deref(), Some("Buy milk"));
        assert_eq!(f.area, Some(Some("home".into())));
        let errs = TaskFields::parse(
            &crate::schema!({"priority": "asap", "effort": 9, "due_date": "2026-02-30", "colour": 1}),
            true,
        )
        .expect_err("bad");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["priority", "effort", "due_date", "colour", "title"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert_eq!(
            TaskFields::parse(&json!({"area": null}), false)
                .expect("ok")
                .area,
            Some(None)
        );
    }
}
