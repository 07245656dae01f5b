//! Courses in the knowledge vault: ordered modules, each done or not, and the course's
//! completion (done ÷ all modules, 0–100).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::goals::{round1, share};
use super::{free_text, object, text};
use crate::platform::auth::Caller;
use crate::platform::db::{changes, nullable};
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::read_object;
use crate::platform::fields::{nullable_http_url, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, page_of, Doc};
use crate::platform::page::PageQuery;

pub const MAX_MODULES: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Module {
    pub id: String,
    #[serde(skip_serializing)]
    pub course_id: String,
    pub title: String,
    pub position: i64,
    pub completed_at: Option<String>,
}

const COLUMNS: &str = "id, title, description, url, created_at, updated_at";

/// `completion` in percent with one decimal; 0 for a course without modules.
pub fn completion(modules: &[Module]) -> f64 {
    let done = modules.iter().filter(|m| m.completed_at.is_some()).count() as u32;
    share(done, modules.len() as u32).map_or(0.0, |s| round1(s * 100.0))
}

fn view(r: Row, modules: Vec<Module>) -> Value {
    let completion = completion(&modules);
    let modules: Vec<Value> = modules
        .iter()
        .map(|m| {
            json!({"id": m.id, "title": m.title, "position": m.position,
                   "completed": m.completed_at.is_some(), "completed_at": m.completed_at})
        })
        .collect();
    json!({
        "id": r.id, "title": r.title, "description": r.description, "url": r.url,
        "modules": modules, "completion": completion,
        "created_at": r.created_at, "updated_at": r.updated_at,
    })
}

/// The writable course fields. `Some(None)` clears the url.
#[derive(Debug, Default)]
pub struct Fields {
    pub title: Option<String>,
    pub description: Option<String>,
    pub url: Option<Option<String>>,
    /// Module titles, only when creating.
    pub modules: Option<Vec<String>>,
}

impl Fields {
    pub fn parse(v: &Value, full: bool) -> Result<Self, Vec<FieldError>> {
        read_object(
            v,
            "course",
            READ_ONLY,
            REQUIRED,
            full,
            |f: &mut Fields, k, v, e| {
                match k {
                    "title" => f.title = text(v, k, 200, e),
                    "description" => f.description = free_text(v, k, 5000, e),
                    "url" => f.url = nullable_http_url(v, k, 2000, e),
                    "modules" if full => match v.as_array().filter(|a| a.len() <= MAX_MODULES) {
                        Some(items) => {
                            let titles: Vec<Option<String>> = items
                                .iter()
                                .enumerate()
                                .map(|(i, m)| {
                                    let field = format!("modules[{i}].title");
                                    match m.get("title") {
                                        Some(t) => text(t, &field, 200, e),
                                        None => {
                                            e.push(FieldError::new(field, "is required"));
                                            None
                                        }
                                    }
                                })
                                .collect();
                            f.modules = titles.into_iter().collect();
                        }
                        None => e.push(FieldError::new(
                            k,
                            format!("must be a list of at most {MAX_MODULES} modules"),
                        )),
                    },
                    _ => return false,
                }
                true
            },
        )
    }
}

/// The course `id` of the caller's.
fn select_course(
    db: &D1Database,
    caller: &Caller,
    id: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(format!(
            "SELECT {COLUMNS} FROM os_courses WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[id.into(), caller.user_id.as_str().into()])?)
}

/// The modules of the caller's course `course`, or of all their courses, in position order.
fn select_modules(
    db: &D1Database,
    user_id: &str,
    course: Option<&str>,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "SELECT id, course_id, title, position, completed_at FROM os_course_modules \
             WHERE user_id = ?1 AND (?2 IS NULL OR course_id = ?2) ORDER BY position, id",
        )
        .bind(&[user_id.into(), nullable(course)])?)
}

async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Row, ApiError> {
    let row: Option<Row> = select_course(db, caller, id)?.first(None).await?;
    row.ok_or_else(|| ApiError::not_found("course"))
}

/// The modules of one of the caller's courses, or of all of them, by course id.
pub async fn modules_of(
    db: &D1Database,
    user_id: &str,
    course: Option<&str>,
) -> Result<HashMap<String, Vec<Module>>, ApiError> {
    let rows: Vec<Module> = select_modules(db, user_id, course)?
        .all()
        .await?
        .results()?;
    Ok(by_course(rows))
}

fn by_course(rows: Vec<Module>) -> HashMap<String, Vec<Module>> {
    let mut out: HashMap<String, Vec<Module>> = HashMap::new();
    for m in rows {
        out.entry(m.course_id.clone()).or_default().push(m);
    }
    out
}

/// One of the caller's courses with its modules: both read at once.
async fn one(db: &D1Database, caller: &Caller, id: &str) -> Result<Value, ApiError> {
    let (row, mut modules) = futures::try_join!(
        find(db, caller, id),
        modules_of(db, &caller.user_id, Some(id))
    )?;
    Ok(view(row, modules.remove(id).unwrap_or_default()))
}

/// Runs `stmts` and reads the course and its modules back in the same batch (one round
/// trip). `first_must_change`: the first statement is a write scoped to the caller, and
/// when it changed nothing the module is not theirs (404).
async fn write_then_one(
    db: &D1Database,
    caller: &Caller,
    id: &str,
    mut stmts: Vec<worker::D1PreparedStatement>,
    first_must_change: Option<&str>,
) -> Result<Value, ApiError> {
    let n = stmts.len();
    stmts.push(select_course(db, caller, id)?);
    stmts.push(select_modules(db, &caller.user_id, Some(id))?);
    let results = db.batch(stmts).await?;
    if let (Some(what), Some(first)) = (first_must_change, results.first()) {
        if changes(first)? == 0 {
            return Err(ApiError::not_found(what));
        }
    }
    let (Some(course), Some(modules)) = (results.get(n), results.get(n + 1)) else {
        return Err(ApiError::internal("course: short batch"));
    };
    let row = course
        .results::<Row>()?
        .pop()
        .ok_or_else(|| ApiError::not_found("course"))?;
    let mut modules = by_course(modules.results::<Module>()?);
    Ok(view(row, modules.remove(id).unwrap_or_default()))
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = Fields::parse(&body, true).map_err(ApiError::Validation)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    let mut stmts = vec![db
        .prepare(format!(
            "INSERT INTO os_courses ({COLUMNS}, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"
        ))
        .bind(&[
            id.as_str().into(),
            f.title.unwrap_or_default().into(),
            f.description.unwrap_or_default().into(),
            nullable(f.url.flatten()),
            now.as_str().into(),
            caller.user_id.as_str().into(),
        ])?];
    for (i, title) in f.modules.unwrap_or_default().into_iter().enumerate() {
        stmts.push(
            db.prepare(
                "INSERT INTO os_course_modules (id, course_id, user_id, title, position, completed_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            )
            .bind(&[
                ids::new_id()?.into(),
                id.as_str().into(),
                caller.user_id.as_str().into(),
                title.into(),
                (i as f64 + 1.0).into(),
                now.as_str().into(),
            ])?,
        );
    }
    http::json(201, &write_then_one(&db, &caller, &id, stmts, None).await?)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let page = ctx.page()?;
    let search = ctx.search()?;
    let db = ctx.d1()?;
    let query = PageQuery::new(format!("SELECT {COLUMNS} FROM os_courses"))
        .search(&["title"], search.as_ref());
    // The page and the modules of all the caller's courses, read at once.
    let (rows, mut modules): (Vec<Row>, _) = futures::try_join!(
        query.fetch(&db, caller, &page),
        modules_of(&db, &caller.user_id, None)
    )?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let m = modules.remove(&r.id).unwrap_or_default();
            view(r, m)
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
    let r = find(&db, &caller, ctx.param("id")).await?;
    let update = db
        .prepare(
            "UPDATE os_courses SET title = ?1, description = ?2, url = ?3, updated_at = ?4 WHERE id = ?5 AND user_id = ?6",
        )
        .bind(&[
            f.title.unwrap_or(r.title).into(),
            f.description.unwrap_or(r.description).into(),
            nullable(f.url.unwrap_or(r.url)),
            ids::now_rfc3339().into(),
            r.id.as_str().into(),
            caller.user_id.as_str().into(),
        ])?;
    http::json(
        200,
        &write_then_one(&db, &caller, &r.id, vec![update], None).await?,
    )
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::delete_owned(&ctx, &caller, "os_courses", "course").await
}

/// `{title, position?, completed?}` of a module.
#[derive(Default)]
struct ModuleFields {
    title: Option<String>,
    position: Option<i64>,
    completed: Option<bool>,
}

fn module_fields(v: &Value, full: bool) -> Result<ModuleFields, ApiError> {
    read_object(
        v,
        "module",
        MODULE_READ_ONLY,
        MODULE_REQUIRED,
        full,
        |f: &mut ModuleFields, k, v, e| {
            match k {
                "title" => f.title = text(v, k, 200, e),
                "position" => match v.as_i64() {
                    Some(p) if (1..=10_000).contains(&p) => f.position = Some(p),
                    _ => e.push(FieldError::new(k, "must be an integer from 1 to 10000")),
                },
                "completed" => match v.as_bool() {
                    Some(b) => f.completed = Some(b),
                    None => e.push(FieldError::new(k, "must be true or false")),
                },
                _ => return false,
            }
            true
        },
    )
    .map_err(ApiError::Validation)
}

pub async fn add_module(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = module_fields(&body, true)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let (course, mut existing) = futures::try_join!(
        find(&db, &caller, id),
        modules_of(&db, &caller.user_id, Some(id))
    )?;
    let existing = existing.remove(&course.id).unwrap_or_default();
    if existing.len() >= MAX_MODULES {
        return Err(ApiError::Conflict(format!(
            "a course has at most {MAX_MODULES} modules"
        )));
    }
    let position = f
        .position
        .unwrap_or_else(|| existing.iter().map(|m| m.position).max().unwrap_or(0) + 1);
    let now = ids::now_rfc3339();
    let done = f.completed.unwrap_or(false).then_some(now.as_str());
    let insert = db
        .prepare(
            "INSERT INTO os_course_modules (id, course_id, user_id, title, position, completed_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&[
            ids::new_id()?.into(),
            course.id.as_str().into(),
            caller.user_id.as_str().into(),
            f.title.unwrap_or_default().into(),
            (position as f64).into(),
            nullable(done),
            now.as_str().into(),
        ])?;
    http::json(
        201,
        &write_then_one(&db, &caller, &course.id, vec![insert], None).await?,
    )
}

pub async fn update_module(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let f = module_fields(&body, false)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let course = ctx.param("id").to_string();
    // Completing keeps the first completion time; un-completing clears it.
    let update = db
        .prepare(
            "UPDATE os_course_modules SET title = COALESCE(?1, title), position = COALESCE(?2, position), \
             completed_at = CASE WHEN ?3 IS NULL THEN completed_at WHEN ?3 = 1 THEN COALESCE(completed_at, ?4) ELSE NULL END \
             WHERE id = ?5 AND course_id = ?6 AND user_id = ?7",
        )
        .bind(&[
            nullable(f.title),
            nullable(f.position.map(|p| p as f64)),
            nullable(f.completed.map(|c| if c { 1.0 } else { 0.0 })),
            ids::now_rfc3339().into(),
            ctx.param("module_id").into(),
            course.as_str().into(),
            caller.user_id.as_str().into(),
        ])?;
    http::json(
        200,
        &write_then_one(&db, &caller, &course, vec![update], Some("module")).await?,
    )
}

pub async fn delete_module(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::run_or_404(
        ctx.d1()?
            .prepare(
                "DELETE FROM os_course_modules WHERE id = ?1 AND course_id = ?2 AND user_id = ?3",
            )
            .bind(&[
                ctx.param("module_id").into(),
                ctx.param("id").into(),
                caller.user_id.as_str().into(),
            ])?,
        "module",
    )
    .await?;
    http::no_content()
}

fn module_schema() -> Value {
    json!({"title": "CourseModule", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true}, "title": text_schema(200),
        "position": {"type": "integer", "minimum": 1}, "completed": {"type": "boolean"},
        "completed_at": {"type": ["string", "null"], "readOnly": true}}})
}

pub fn schema() -> Value {
    json!({"title": "Course", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true}, "title": crate::platform::fields::example(text_schema(200), "Rust in depth"),
        "description": {"type": "string", "maxLength": 5000}, "url": {"type": ["string", "null"], "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://", "maxLength": 2000},
        "modules": {"type": "array", "maxItems": MAX_MODULES, "items": module_schema()},
        "completion": {"type": "number", "minimum": 0, "maximum": 100, "readOnly": true}}})
}

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &["id", "completion", "created_at", "updated_at"];
/// Fields a create must have.
const REQUIRED: &[&str] = &["title"];

/// Fields a client may send back but that are not written.
const MODULE_READ_ONLY: &[&str] = &["id", "completed_at"];
/// Fields a create must have.
const MODULE_REQUIRED: &[&str] = &["title"];

/// A create takes modules by title, in order.
fn create_body() -> Value {
    let mut b = body(schema(), REQUIRED, READ_ONLY);
    b["properties"]["modules"]["items"] = json!({"type": "object", "required": ["title"],
        "properties": {"title": text_schema(200)}});
    b
}

/// An update leaves modules to their own routes.
fn update_body() -> Value {
    let mut b = body(schema(), &[], READ_ONLY);
    if let Some(p) = b["properties"].as_object_mut() {
        p.remove("modules");
    }
    b
}

/// A module's body: a position sent is at most 10,000 (appending goes past it).
fn module_body(required: &[&str]) -> Value {
    let mut b = body(module_schema(), required, MODULE_READ_ONLY);
    b["properties"]["position"]["maximum"] = json!(10_000);
    b
}

fn add_module_body() -> Value {
    module_body(MODULE_REQUIRED)
}

fn update_module_body() -> Value {
    module_body(&[])
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a course",
    description: "`{title, description?, url?, modules?: [{title}]}`; modules keep the given order. `completion` = \
        completed modules ÷ all modules × 100 (0 without modules).",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List courses",
    description:
        "With modules and completion. Filter: q (in the title, ignoring ASCII case); paginated.",
    request: None,
    response: (200, || page_of(schema())),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a course",
    description: "",
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a course",
    description:
        "Partial update of title, description, url; modules change through their own routes.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a course",
    description: "With its modules.",
    request: None,
    response: (204, no_body),
};
pub const ADD_MODULE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Add a module",
    description: "`{title, position?, completed?}`; position defaults to after the last. 409 past 200 modules.",
    request: Some(add_module_body),
    response: (201, schema),
};
pub const UPDATE_MODULE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a module",
    description: "`{title?, position?, completed?}`; completing keeps the first completion time. Answers the course.",
    request: Some(update_module_body),
    response: (200, schema),
};
pub const DELETE_MODULE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a module",
    description: "",
    request: None,
    response: (204, no_body),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn m(done: bool) -> Module {
        Module {
            id: "m".into(),
            course_id: "c".into(),
            title: "t".into(),
            position: 1,
            completed_at: done.then(|| "2026-01-01T00:00:00Z".into()),
        }
    }

    #[test]
    fn completion_is_done_over_all() {
        assert_eq!(completion(&[]), 0.0);
        assert_eq!(completion(&[m(true), m(false), m(false)]), 33.3);
        assert_eq!(completion(&[m(true)]), 100.0);
    }

    #[test]
    fn fields_name_bad_modules() {
        let errs = Fields::parse(
            &crate::schema!({"title": "Rust", "modules": [{"title": "Ownership"}, {}, {"title": ""}]}),
            true,
        )
        .expect_err("bad");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["modules[1].title", "modules[2].title"]);
        assert!(
            Fields::parse(&json!({"modules": []}), false).is_err(),
            "modules only on create"
        );
    }
}
