//! The logbook: dated entries linked to any Personal OS entity. Links are checked when
//! written; a link whose entity was deleted later is dropped when read.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1Database;

use super::{date, object, settings, text};
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::text_schema;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, Doc};
use crate::platform::page::PageQuery;

/// Entity types a link can name, and their tables.
pub const LINKABLE: &[(&str, &str)] = &[
    ("task", "os_tasks"),
    ("project", "os_projects"),
    ("habit", "os_habits"),
    ("metric", "os_metrics"),
    ("flashcard", "os_flashcards"),
    ("reward", "os_rewards"),
    ("goal", "os_goals"),
    ("course", "os_courses"),
    ("skill", "os_skills"),
];

/// The ids of `kind` among `wanted` that exist and belong to the user.
async fn existing(
    db: &D1Database,
    user_id: &str,
    kind: &str,
    wanted: &[String],
) -> Result<HashSet<String>, ApiError> {
    let Some((_, table)) = LINKABLE.iter().find(|(k, _)| *k == kind) else {
        return Ok(HashSet::new());
    };
    let mut found = HashSet::new();
    for chunk in wanted.chunks(90) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut binds: Vec<wasm_bindgen::JsValue> = vec![user_id.into()];
        binds.extend(chunk.iter().map(|i| i.as_str().into()));
        #[derive(Deserialize)]
        struct I {
            id: String,
        }
        let rows: Vec<I> = db
            .prepare(format!(
                "SELECT id FROM {table} WHERE user_id = ? AND id IN ({marks})"
            ))
            .bind(&binds)?
            .all()
            .await?
            .results()?;
        found.extend(rows.into_iter().map(|r| r.id));
    }
    Ok(found)
}

/// Keeps only the links whose entity still exists for this user.
async fn live_links(
    db: &D1Database,
    user_id: &str,
    links: &[(String, String)],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut keep = Vec::new();
    for (kind, _) in LINKABLE {
        let ids: Vec<String> = links
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, i)| i.clone())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let found = existing(db, user_id, kind, &ids).await?;
        keep.extend(
            links
                .iter()
                .filter(|(k, i)| k == kind && found.contains(i))
                .cloned(),
        );
    }
    Ok(keep)
}

pub fn parse_links(v: Option<&Value>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v
        .as_array()
        .ok_or_else(|| ApiError::validation("links", "must be an array of {type, id}"))?;
    if arr.len() > 50 {
        return Err(ApiError::validation("links", "at most 50 links"));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, l) in arr.iter().enumerate() {
        match (l["type"].as_str(), l["id"].as_str()) {
            (Some(t), Some(id)) if LINKABLE.iter().any(|(k, _)| *k == t) && !id.is_empty() => {
                if !out.iter().any(|(a, b)| a == t && b == id) {
                    out.push((t.to_string(), id.to_string()));
                }
            }
            _ => errors.push(FieldError::new(
                format!("links[{i}]"),
                format!(
                    "must be {{type, id}} with type one of {}",
                    LINKABLE
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn links_json(links: &[(String, String)]) -> Value {
    Value::Array(
        links
            .iter()
            .map(|(t, i)| json!({"type": t, "id": i}))
            .collect(),
    )
}

#[derive(Deserialize)]
struct Row {
    id: String,
    date: String,
    content: String,
    links: String,
    created_at: String,
}

fn stored_links(r: &Row) -> Vec<(String, String)> {
    serde_json::from_str::<Vec<Value>>(&r.links)
        .unwrap_or_default()
        .iter()
        .filter_map(|l| {
            Some((
                l["type"].as_str()?.to_string(),
                l["id"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The entries as clients see them, links to deleted entities dropped. One existence
/// check per linked entity type for the whole page, not per entry.
async fn views(db: &D1Database, user_id: &str, rows: Vec<Row>) -> Result<Vec<Value>, ApiError> {
    let stored: Vec<Vec<(String, String)>> = rows.iter().map(stored_links).collect();
    let mut all: Vec<(String, String)> = stored.iter().flatten().cloned().collect();
    crate::platform::sort::sort(&mut all);
    all.dedup();
    let live: HashSet<(String, String)> =
        live_links(db, user_id, &all).await?.into_iter().collect();
    Ok(rows
        .into_iter()
        .zip(stored)
        .map(|(r, links)| {
            let kept: Vec<(String, String)> = links.into_iter().filter(|l| live.contains(l)).collect();
            json!({"id": r.id, "date": r.date, "content": r.content, "links": links_json(&kept), "created_at": r.created_at})
        })
        .collect())
}

async fn view(db: &D1Database, user_id: &str, r: Row) -> Result<Value, ApiError> {
    views(db, user_id, vec![r])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("logbook entry view".into()))
}

/// An entry's `{content, date?, links?}` checked: links must name the caller's entities.
async fn checked(
    db: &D1Database,
    caller: &Caller,
    obj: &serde_json::Map<String, Value>,
) -> Result<(String, chrono::NaiveDate, Vec<(String, String)>), ApiError> {
    let mut e = Vec::new();
    for k in obj.keys() {
        if !matches!(
            k.as_str(),
            "content" | "date" | "links" | "id" | "created_at"
        ) {
            e.push(FieldError::new(k.as_str(), "is not a logbook field"));
        }
    }
    let content = match obj.get("content") {
        Some(c) => text(c, "content", 20_000, &mut e),
        None => {
            e.push(FieldError::new("content", "is required"));
            None
        }
    };
    let day = match obj.get("date") {
        None => Some(settings::today(db, &caller.user_id).await?),
        Some(d) => date(d, "date", &mut e),
    };
    let links = parse_links(obj.get("links"))?;
    let (Some(content), Some(day), true) = (content, day, e.is_empty()) else {
        return Err(ApiError::Validation(e));
    };
    let live = live_links(db, &caller.user_id, &links).await?;
    if live.len() != links.len() {
        let missing: Vec<FieldError> = links
            .iter()
            .enumerate()
            .filter(|(_, l)| !live.contains(l))
            .map(|(i, _)| FieldError::new(format!("links[{i}]"), "names nothing of yours"))
            .collect();
        return Err(ApiError::Validation(missing));
    }
    Ok((content, day, links))
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let obj = object(&body)?;
    let caller: Caller = caller.clone();
    let db = ctx.d1()?;
    let (content, day, links) = checked(&db, &caller, obj).await?;
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    db.prepare("INSERT INTO os_logbook (id, user_id, date, content, links, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(&[
            id.as_str().into(),
            caller.user_id.as_str().into(),
            day.to_string().into(),
            content.as_str().into(),
            links_json(&links).to_string().into(),
            now.as_str().into(),
        ])?
        .run()
        .await?;
    http::json(
        201,
        &json!({"id": id, "date": day.to_string(), "content": content, "links": links_json(&links), "created_at": now}),
    )
}

async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Row, ApiError> {
    let row: Option<Row> = db
        .prepare("SELECT id, date, content, links, created_at FROM os_logbook WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("logbook entry"))
}

/// Partial update: the fields sent replace the entry's; links still present are kept.
pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let patch = object(&body)?;
    let caller: Caller = caller.clone();
    let db = ctx.d1()?;
    let current = view(
        &db,
        &caller.user_id,
        find(&db, &caller, ctx.param("id")).await?,
    )
    .await?;
    let mut merged = current.as_object().cloned().unwrap_or_default();
    for (k, v) in patch {
        merged.insert(k.clone(), v.clone());
    }
    let (content, day, links) = checked(&db, &caller, &merged).await?;
    db.prepare(
        "UPDATE os_logbook SET date = ?1, content = ?2, links = ?3 WHERE id = ?4 AND user_id = ?5",
    )
    .bind(&[
        day.to_string().into(),
        content.as_str().into(),
        links_json(&links).to_string().into(),
        ctx.param("id").into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    http::json(
        200,
        &json!({"id": ctx.param("id"), "date": day.to_string(), "content": content, "links": links_json(&links),
                "created_at": current["created_at"]}),
    )
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let linked_id = ctx.query_param("linked_id").filter(|v| !v.is_empty());
    let caller = &caller;
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
    let rows: Vec<Row> =
        PageQuery::new("SELECT id, date, content, links, created_at FROM os_logbook")
            .filter("date >= ?", from.map(|d| d.to_string()))
            .filter("date <= ?", to.map(|d| d.to_string()))
            .search(&["content"], search.as_ref())
            .filter(
                "EXISTS (SELECT 1 FROM json_each(links) WHERE json_extract(value, '$.id') = ?)",
                linked_id,
            )
            .fetch(&db, caller, &page)
            .await?;
    let items = views(&db, &caller.user_id, rows).await?;
    http::json(
        200,
        &page.respond(items, |v| v["id"].as_str().unwrap_or("")),
    )
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let caller = &caller;
    let row = find(&db, caller, ctx.param("id")).await?;
    http::json(200, &view(&db, &caller.user_id, row).await?)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::delete_owned(&ctx, &caller, "os_logbook", "logbook entry").await
}

fn schema() -> Value {
    json!({"title": "LogbookEntry", "type": "object", "properties": {"id": {"type": "string", "readOnly": true},
        "date": {"type": "string", "format": "date"},
        "content": crate::platform::fields::example(text_schema(20_000), "Shipped the report; felt good."), "links": {"type": "array", "maxItems": 50, "items": {"type": "object",
        "required": ["type", "id"], "properties": {
        "type": {"type": "string", "enum": LINKABLE.iter().map(|(k, _)| *k).collect::<Vec<_>>()},
        "id": {"type": "string", "minLength": 1}}}},
        "created_at": {"type": "string", "format": "date-time", "readOnly": true}}})
}

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &["id", "created_at"];

fn create_body() -> Value {
    body(schema(), &["content"], READ_ONLY)
}

fn update_body() -> Value {
    body(schema(), &[], READ_ONLY)
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Write a logbook entry",
    description: "`{content, date?, links?: [{type, id}]}`; every link must name an entity of yours (422 names the bad \
        one). Links to entities deleted later are dropped when read.",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Logbook entries",
    description: "Filters: from, to (YYYY-MM-DD, inclusive), q (in the content, ignoring ASCII case), linked_id (entries \
        that link that entity); paginated. Links to deleted entities are dropped from the answer.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "A logbook entry",
    description: "",
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a logbook entry",
    description: "Partial update of `{content, date, links}`; links are checked as on create (a list sent replaces the \
        links).",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a logbook entry",
    description: "",
    request: None,
    response: (204, no_body),
};
