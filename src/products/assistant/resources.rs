//! MCP resources: the caller's tasks, goals, habits and logbook entries as JSON documents a
//! client can list and read (`task://{id}`, `goal://{id}`, `habit://{id}`,
//! `logbook://{id}`), for `resources/list`, `resources/templates/list` and
//! `resources/read`, and the `search` tool's search over them.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1Database;

use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::products::os::{goals, habits, tasks};

/// Resources per `resources/list` page.
pub const PAGE: u32 = 100;

const KINDS: [(&str, &str, &str); 4] = [
    (
        "task",
        "Task",
        "A task of the user's Personal OS: title, status, priority, due date, area, effort.",
    ),
    (
        "goal",
        "Goal",
        "A goal: its status, target date, success criteria and progress.",
    ),
    (
        "habit",
        "Habit",
        "A habit: its schedule, the days logged and its current and longest streaks.",
    ),
    (
        "logbook",
        "Logbook entry",
        "An entry of the user's logbook: its date, its text and what it links to.",
    ),
];

/// The caller's items (of every kind) under one URI and name each, for listing and search.
const ITEMS: &str = "SELECT 'goal://' || id AS uri, title AS name, title || ' ' || description AS words FROM os_goals WHERE user_id = ?1 \
    UNION ALL SELECT 'habit://' || id, name, name FROM os_habits WHERE user_id = ?1 \
    UNION ALL SELECT 'logbook://' || id, date || ': ' || substr(content, 1, 80), content FROM os_logbook WHERE user_id = ?1 \
    UNION ALL SELECT 'task://' || id, title, title || ' ' || description FROM os_tasks WHERE user_id = ?1";

#[derive(Deserialize)]
struct Item {
    uri: String,
    name: String,
}

/// `search {query}`: items whose words contain the query (ASCII case ignored, as every
/// `q` of the API), at most 20, as `{results: [{id, title, url}]}`; the id and the url
/// are the item's resource URI.
pub async fn search(db: &D1Database, caller: &Caller, query: &str) -> Result<Value, ApiError> {
    let rows: Vec<Item> = db
        .prepare(format!(
            "SELECT uri, name FROM ({ITEMS}) WHERE instr(lower(words), lower(?2)) > 0 ORDER BY uri LIMIT 20"
        ))
        .bind(&[caller.user_id.as_str().into(), query.into()])?
        .all()
        .await?
        .results()?;
    let results: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.uri, "title": r.name, "url": r.uri}))
        .collect();
    Ok(json!({ "results": results }))
}

/// The title of an item as [`read`] answers it.
pub fn title_of(kind: &str, item: &Value) -> String {
    let t = match kind {
        "task" => &item["title"],
        "goal" => &item["goal"]["title"],
        "habit" => &item["habit"]["name"],
        _ => &item["date"],
    };
    t.as_str().unwrap_or_default().to_string()
}

pub fn templates() -> Value {
    let list: Vec<Value> = KINDS
        .iter()
        .map(|(kind, title, description)| {
            json!({"uriTemplate": format!("{kind}://{{id}}"), "name": kind, "title": title,
                "description": description, "mimeType": "application/json"})
        })
        .collect();
    json!({ "resourceTemplates": list })
}

/// One page of the caller's resources, in a stable order (kind, then id); the cursor is
/// the last URI of the previous page. A cursor this server did not make starts after it.
pub async fn list(
    db: &D1Database,
    caller: &Caller,
    cursor: Option<&str>,
) -> Result<Value, ApiError> {
    let rows: Vec<Item> = db
        .prepare(format!(
            "SELECT uri, name FROM ({ITEMS}) WHERE uri > ?2 ORDER BY uri LIMIT ?3"
        ))
        .bind(&[
            caller.user_id.as_str().into(),
            cursor.unwrap_or("").into(),
            f64::from(PAGE + 1).into(),
        ])?
        .all()
        .await?
        .results()?;
    let more = rows.len() > PAGE as usize;
    let page = &rows[..rows.len().min(PAGE as usize)];
    let resources: Vec<Value> = page
        .iter()
        .map(|r| json!({"uri": r.uri, "name": r.name, "title": r.name, "mimeType": "application/json"}))
        .collect();
    let mut result = json!({ "resources": resources });
    if let (true, Some(last)) = (more, page.last()) {
        result["nextCursor"] = json!(last.uri);
    }
    Ok(result)
}

/// A logbook entry of the caller's, `{id, date, content, links, created_at}`.
async fn entry(db: &D1Database, caller: &Caller, id: &str) -> Result<Value, ApiError> {
    #[derive(Deserialize)]
    struct Entry {
        id: String,
        date: String,
        content: String,
        links: String,
        created_at: String,
    }
    let row: Option<Entry> = db
        .prepare("SELECT id, date, content, links, created_at FROM os_logbook WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    let e = row.ok_or_else(|| ApiError::not_found("logbook entry"))?;
    let links: Value = serde_json::from_str(&e.links).unwrap_or_else(|_| json!([]));
    Ok(
        json!({"id": e.id, "date": e.date, "content": e.content, "links": links, "created_at": e.created_at}),
    )
}

/// Why a resource cannot be read.
pub enum ReadError {
    /// Not a URI of ours, or not the caller's: the same answer for both.
    NotFound,
    Internal(ApiError),
}

/// The resource `uri` as `{contents: [{uri, mimeType, text}]}`.
pub async fn read(db: &D1Database, caller: &Caller, uri: &str) -> Result<Value, ReadError> {
    let (kind, id) = uri.split_once("://").ok_or(ReadError::NotFound)?;
    if id.is_empty() || id.len() > 128 {
        return Err(ReadError::NotFound);
    }
    let found = match kind {
        "task" => tasks::find(db, caller, id).await.and_then(|t| Ok(serde_json::to_value(t)?)),
        "goal" => match goals::find(db, caller, id).await {
            Ok(g) => goals::progress_of(db, caller, &g)
                .await
                .map(|(progress, breakdown)| json!({"goal": g, "progress": progress, "breakdown": breakdown})),
            Err(e) => Err(e),
        },
        "habit" => habits::find_with_days(db, caller, id).await.map(|(habit, days)| {
            let days: Vec<String> = days.iter().map(ToString::to_string).collect();
            json!({"habit": habit, "days_done": days})
        }),
        "logbook" => entry(db, caller, id).await,
        _ => return Err(ReadError::NotFound),
    };
    match found {
        Ok(v) => Ok(
            json!({"contents": [{"uri": uri, "mimeType": "application/json", "text": v.to_string()}]}),
        ),
        Err(ApiError::NotFound(_)) => Err(ReadError::NotFound),
        Err(e) => Err(ReadError::Internal(e)),
    }
}
