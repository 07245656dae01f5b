//! The one tool registry: what the chat agent offers a model and what `POST /mcp` lists and
//! calls. Each tool has a JSON Schema for its input and its output and acts through the
//! Personal OS stores with the caller's identity, so a task completed here pays points
//! exactly like `POST /api/os/tasks/{id}/complete`.

use serde_json::{json, Map, Value};
use worker::D1Database;

use super::intent::habit_matches;
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::parse_date;
use crate::platform::llm::ToolDef;
use crate::products::os::{goals, habits, tasks};

pub struct Tool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub input: fn() -> Value,
    pub output: fn() -> Value,
}

impl Tool {
    /// MCP's hints for clients that ask before running a tool: what only reads, what
    /// deletes, what gives the same result when repeated (completing a done task pays
    /// nothing twice; logging a logged day changes nothing).
    pub fn annotations(&self) -> Value {
        let read_only = matches!(
            self.name,
            "list_tasks" | "list_habits" | "goal_progress" | "search" | "fetch"
        );
        json!({
            "title": self.title,
            "readOnlyHint": read_only,
            "destructiveHint": self.name == "delete_task",
            "idempotentHint": read_only || matches!(self.name, "complete_task" | "update_task" | "log_habit" | "delete_task"),
            "openWorldHint": false,
        })
    }
}

/// Why a tool did not do what it was asked. The agent feeds it back to the model; MCP
/// answers it as a result with `isError: true`.
#[derive(Debug)]
pub enum ToolError {
    /// The arguments or the request cannot be carried out; nothing was changed.
    Refused {
        message: String,
        /// Items a name matched when it matched several.
        candidates: Vec<Value>,
    },
    /// The platform failed (storage): a real error, not the model's.
    Internal(ApiError),
}

impl ToolError {
    fn refused(message: impl Into<String>) -> Self {
        Self::Refused {
            message: message.into(),
            candidates: Vec::new(),
        }
    }

    /// The error as the model and MCP clients see it.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Refused {
                message,
                candidates,
            } if candidates.is_empty() => json!({"error": message}),
            Self::Refused {
                message,
                candidates,
            } => json!({"error": message, "candidates": candidates}),
            Self::Internal(_) => json!({"error": "internal error"}),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Refused { message, .. } => message.clone(),
            Self::Internal(_) => "internal error".into(),
        }
    }
}

impl From<ApiError> for ToolError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Internal(_) => Self::Internal(e),
            ApiError::Validation(fields) => Self::refused(describe(&fields)),
            other => Self::refused(other.message()),
        }
    }
}

fn describe(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

pub static TOOLS: &[Tool] = &[
    Tool {
        name: "add_task",
        title: "Add a task",
        description: "Create a task in the user's Personal OS. due_date is YYYY-MM-DD in the user's time zone.",
        input: || {
            object(
                &[
                    ("title", crate::schema!({"type": "string", "minLength": 1, "maxLength": 200})),
                    ("description", crate::schema!({"type": "string", "maxLength": 5000})),
                    ("due_date", crate::schema!({"type": "string", "format": "date"})),
                    ("priority", json!({"type": "string", "enum": tasks::PRIORITIES})),
                    ("area", crate::schema!({"type": "string", "maxLength": 50})),
                ],
                &["title"],
            )
        },
        output: || object(&[("task", task_schema())], &["task"]),
    },
    Tool {
        name: "list_tasks",
        title: "List tasks",
        description: "List the user's tasks, numbered from 1 (at most 50; open ones first, by due date). \
            status: pending (default), completed or all; q: words the title or description contains.",
        input: || {
            object(
                &[
                    ("status", crate::schema!({"type": "string", "enum": ["all", "pending", "completed"], "default": "pending"})),
                    ("q", crate::schema!({"type": "string", "maxLength": 100})),
                ],
                &[],
            )
        },
        output: || {
            object(
                &[
                    ("status", crate::schema!({"type": "string"})),
                    ("count", crate::schema!({"type": "integer"})),
                    ("tasks", json!({"type": "array", "items": object(&[
                        ("n", json!({"type": "integer"})),
                        ("id", json!({"type": "string"})),
                        ("title", json!({"type": "string"})),
                        ("status", json!({"type": "string"})),
                        ("priority", json!({"type": "string"})),
                        ("due_date", json!({"type": ["string", "null"]})),
                    ], &["n", "id", "title", "status", "priority", "due_date"])})),
                ],
                &["status", "count", "tasks"],
            )
        },
    },
    Tool {
        name: "complete_task",
        title: "Complete a task",
        description: "Mark a task done and pay its points (once per task). Give task_id, or title: words of the \
            title of an open task. A title that matches several tasks changes nothing and lists them.",
        input: || {
            object(
                &[
                    ("task_id", crate::schema!({"type": "string", "maxLength": 64})),
                    ("title", crate::schema!({"type": "string", "minLength": 1, "maxLength": 200})),
                ],
                &[],
            )
        },
        output: || {
            object(
                &[("task", task_schema()), ("points_awarded", crate::schema!({"type": "integer"}))],
                &["task", "points_awarded"],
            )
        },
    },
    Tool {
        name: "update_task",
        title: "Update a task",
        description: "Change a task's title, description, due date (YYYY-MM-DD, or null to clear) or priority.",
        input: || {
            object(
                &[
                    ("task_id", crate::schema!({"type": "string", "maxLength": 64})),
                    ("title", crate::schema!({"type": "string", "minLength": 1, "maxLength": 200})),
                    ("description", crate::schema!({"type": "string", "maxLength": 5000})),
                    ("due_date", crate::schema!({"type": ["string", "null"], "format": "date"})),
                    ("priority", json!({"type": "string", "enum": tasks::PRIORITIES})),
                ],
                &["task_id"],
            )
        },
        output: || object(&[("task", task_schema())], &["task"]),
    },
    Tool {
        name: "delete_task",
        title: "Delete a task",
        description: "Delete a task for good.",
        input: || object(&[("task_id", crate::schema!({"type": "string", "maxLength": 64}))], &["task_id"]),
        output: || {
            object(
                &[("deleted", object(&[("id", crate::schema!({"type": "string"})), ("title", crate::schema!({"type": "string"}))], &["id", "title"]))],
                &["deleted"],
            )
        },
    },
    Tool {
        name: "log_habit",
        title: "Log a habit",
        description: "Mark a habit done for a day (today in the user's time zone by default). Give habit_id, or \
            name: words of the habit's name.",
        input: || {
            object(
                &[
                    ("habit_id", crate::schema!({"type": "string", "maxLength": 64})),
                    ("name", crate::schema!({"type": "string", "minLength": 1, "maxLength": 100})),
                    ("date", crate::schema!({"type": "string", "format": "date"})),
                ],
                &[],
            )
        },
        output: || object(&[("habit", habit_schema())], &["habit"]),
    },
    Tool {
        name: "list_habits",
        title: "List habits",
        description: "The user's habits with their streaks and whether each is due and done today.",
        input: || object(&[], &[]),
        output: || object(&[("habits", json!({"type": "array", "items": habit_schema()}))], &["habits"]),
    },
    Tool {
        name: "goal_progress",
        title: "Goal progress",
        description: "A goal's progress (0–100) recomputed from its criteria and linked tasks, metrics and habits. \
            Give goal_id, or title: words of the goal's title.",
        input: || {
            object(
                &[
                    ("goal_id", crate::schema!({"type": "string", "maxLength": 64})),
                    ("title", crate::schema!({"type": "string", "minLength": 1, "maxLength": 200})),
                ],
                &[],
            )
        },
        output: || {
            object(
                &[
                    ("goal", object(&[
                        ("id", crate::schema!({"type": "string"})),
                        ("title", crate::schema!({"type": "string"})),
                        ("status", crate::schema!({"type": "string"})),
                        ("target_date", crate::schema!({"type": ["string", "null"]})),
                    ], &["id", "title", "status", "target_date"])),
                    ("progress", crate::schema!({"type": "number"})),
                    ("breakdown", crate::schema!({"type": "object"})),
                ],
                &["goal", "progress", "breakdown"],
            )
        },
    },
    Tool {
        name: "search",
        title: "Search",
        description: "Find the user's tasks, goals, habits and logbook entries whose words contain the query \
            (ignoring case), at most 20. Each result's id is a resource URI to give to fetch.",
        input: || object(&[("query", crate::schema!({"type": "string", "minLength": 1, "maxLength": 100}))], &["query"]),
        output: || {
            let result = object(
                &[("id", crate::schema!({"type": "string"})), ("title", crate::schema!({"type": "string"})), ("url", crate::schema!({"type": "string"}))],
                &["id", "title", "url"],
            );
            object(&[("results", json!({"type": "array", "items": result}))], &["results"])
        },
    },
    Tool {
        name: "fetch",
        title: "Fetch",
        description: "The whole of one item search found (task, goal, habit or logbook entry), by its id: its title, \
            its text (the item as JSON) and its kind.",
        input: || object(&[("id", crate::schema!({"type": "string", "minLength": 1, "maxLength": 200}))], &["id"]),
        output: || {
            object(
                &[
                    ("id", crate::schema!({"type": "string"})),
                    ("title", crate::schema!({"type": "string"})),
                    ("text", crate::schema!({"type": "string"})),
                    ("url", crate::schema!({"type": "string"})),
                    ("metadata", object(&[("kind", crate::schema!({"type": "string"}))], &["kind"])),
                ],
                &["id", "title", "text", "url", "metadata"],
            )
        },
    },
];

fn object(props: &[(&str, Value)], required: &[&str]) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn task_schema() -> Value {
    crate::schema!({"type": "object", "required": ["id", "title", "status", "priority"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "string"},
        "priority": {"type": "string"}, "due_date": {"type": ["string", "null"]}
    }})
}

fn habit_schema() -> Value {
    crate::schema!({"type": "object", "required": ["id", "name", "current_streak", "done_today"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"},
        "current_streak": {"type": "integer"}, "best_streak": {"type": "integer"},
        "due_today": {"type": "boolean"}, "done_today": {"type": "boolean"}
    }})
}

/// The tools as the LLM broker offers them to a model.
pub fn defs() -> Vec<ToolDef> {
    TOOLS
        .iter()
        .map(|t| ToolDef {
            name: t.name.to_string(),
            description: t.description.to_string(),
            parameters: (t.input)(),
        })
        .collect()
}

pub fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

/// Runs a tool as `caller`. Arguments are checked against the tool's input schema first:
/// a wrong one changes nothing.
pub async fn call(
    db: &D1Database,
    caller: &Caller,
    name: &str,
    args: &Value,
) -> Result<Value, ToolError> {
    let tool = find(name).ok_or_else(|| ToolError::refused(format!("no tool named {name:?}")))?;
    let args = check_args(tool, args)?;
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::trim);
    match name {
        "add_task" => {
            let f = tasks::TaskFields::parse(&Value::Object(args.clone()), true)
                .map_err(|e| ToolError::refused(describe(&e)))?;
            Ok(json!({"task": tasks::insert(db, caller, f).await?}))
        }
        "list_tasks" => {
            let status = text("status").unwrap_or("pending");
            let done = match status {
                "completed" => Some(true),
                "all" => None,
                _ => Some(false),
            };
            let found =
                tasks::matching(db, caller, done, text("q").filter(|q| !q.is_empty()), 50).await?;
            let items: Vec<Value> = found
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    json!({"n": i + 1, "id": t.id, "title": t.title, "status": t.status,
                        "priority": t.priority, "due_date": t.due_date})
                })
                .collect();
            Ok(json!({"status": status, "count": items.len(), "tasks": items}))
        }
        "complete_task" => {
            let id = match (text("task_id"), text("title")) {
                (Some(id), _) => id.to_string(),
                (None, Some(title)) => resolve_task(db, caller, title, true).await?.id,
                (None, None) => return Err(ToolError::refused("give task_id or title")),
            };
            let (task, points) = tasks::finish(db, caller, &id).await?;
            Ok(json!({"task": task, "points_awarded": points}))
        }
        "update_task" => {
            let id = text("task_id").unwrap_or_default().to_string();
            let mut fields = args.clone();
            fields.remove("task_id");
            if fields.is_empty() {
                return Err(ToolError::refused(
                    "nothing to change: give title, description, due_date or priority",
                ));
            }
            let f = tasks::TaskFields::parse(&Value::Object(fields), false)
                .map_err(|e| ToolError::refused(describe(&e)))?;
            Ok(json!({"task": tasks::patch(db, caller, &id, f).await?}))
        }
        "delete_task" => {
            let t = tasks::remove(db, caller, text("task_id").unwrap_or_default()).await?;
            Ok(json!({"deleted": {"id": t.id, "title": t.title}}))
        }
        "log_habit" => {
            let day = match text("date") {
                Some(d) => Some(
                    parse_date(d).ok_or_else(|| ToolError::refused("date: must be YYYY-MM-DD"))?,
                ),
                None => None,
            };
            let id = match (text("habit_id"), text("name")) {
                (Some(id), _) => id.to_string(),
                (None, Some(name)) => resolve_habit(db, caller, name).await?,
                (None, None) => return Err(ToolError::refused("give habit_id or name")),
            };
            Ok(json!({"habit": habits::log_day(db, caller, &id, day).await?}))
        }
        "list_habits" => Ok(json!({"habits": habits::all(db, caller).await?})),
        "goal_progress" => {
            let id = match (text("goal_id"), text("title")) {
                (Some(id), _) => id.to_string(),
                (None, Some(title)) => resolve_goal(db, caller, title).await?,
                (None, None) => return Err(ToolError::refused("give goal_id or title")),
            };
            let g = goals::find(db, caller, &id).await?;
            let (progress, breakdown) = goals::progress_of(db, caller, &g).await?;
            Ok(json!({
                "goal": {"id": g.id, "title": g.title, "status": g.status, "target_date": g.target_date},
                "progress": progress, "breakdown": breakdown,
            }))
        }
        "search" => match text("query").filter(|q| !q.is_empty()) {
            Some(q) if q.chars().count() <= 100 => {
                Ok(super::resources::search(db, caller, q).await?)
            }
            Some(_) => Err(ToolError::refused("query: at most 100 characters")),
            None => Err(ToolError::refused("query: words to look for are required")),
        },
        "fetch" => {
            let id = text("id").unwrap_or_default();
            match super::resources::read(db, caller, id).await {
                Ok(read) => {
                    let body = read["contents"][0]["text"]
                        .as_str()
                        .unwrap_or("{}")
                        .to_string();
                    let item: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let kind = id.split_once("://").map_or("", |(k, _)| k);
                    Ok(
                        json!({"id": id, "title": super::resources::title_of(kind, &item), "text": body, "url": id,
                        "metadata": {"kind": kind}}),
                    )
                }
                Err(super::resources::ReadError::NotFound) => Err(ToolError::refused(format!(
                    "nothing found with id {id:?}: use an id that search returned"
                ))),
                Err(super::resources::ReadError::Internal(e)) => Err(ToolError::Internal(e)),
            }
        }
        _ => Err(ToolError::refused(format!("no tool named {name:?}"))),
    }
}

/// The arguments as an object with only the tool's properties, each of the declared JSON
/// type, every required one present.
fn check_args(tool: &Tool, args: &Value) -> Result<Map<String, Value>, ToolError> {
    let Some(obj) = args.as_object() else {
        return Err(ToolError::refused(
            "arguments must be a JSON object (the ones given could not be read as one)",
        ));
    };
    let schema = (tool.input)();
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut problems = Vec::new();
    for (k, v) in obj {
        let Some(p) = props.get(k) else {
            problems.push(format!("{k}: unknown argument"));
            continue;
        };
        let types: Vec<&str> = match &p["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let fits = types.iter().any(|t| match *t {
            "string" => v.is_string(),
            "null" => v.is_null(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            _ => true,
        });
        if !fits {
            problems.push(format!("{k}: must be {}", types.join(" or ")));
        }
    }
    for r in schema["required"].as_array().into_iter().flatten() {
        if let Some(r) = r.as_str() {
            if !obj.contains_key(r) {
                problems.push(format!("{r}: required"));
            }
        }
    }
    if problems.is_empty() {
        Ok(obj.clone())
    } else {
        Err(ToolError::refused(problems.join("; ")))
    }
}

/// The one item `said` names: those `exact` keeps, else those `partial` keeps. None is a
/// refusal; several is a refusal listing them (`describe`), and nothing is changed.
fn one_named<'a, T>(
    items: &'a [T],
    said: &str,
    noun: &str,
    exact: impl Fn(&T) -> bool,
    partial: impl Fn(&T) -> bool,
    describe: impl Fn(&T) -> Value,
) -> Result<&'a T, ToolError> {
    let exact: Vec<&T> = items.iter().filter(|t| exact(t)).collect();
    let pick = if exact.is_empty() {
        items.iter().filter(|t| partial(t)).collect()
    } else {
        exact
    };
    match pick.as_slice() {
        [one] => Ok(one),
        [] => Err(ToolError::refused(format!("no {noun} matches {said:?}"))),
        many => Err(ToolError::Refused {
            message: format!(
                "{} {}s match {said:?}; say which one (nothing was changed)",
                many.len(),
                noun.trim_start_matches("open ")
            ),
            candidates: many.iter().map(|t| describe(t)).collect(),
        }),
    }
}

/// The one task `title` names: the task whose title it is (ignoring case), else the one
/// task whose title or description contains it; several are an error listing them.
pub async fn resolve_task(
    db: &D1Database,
    caller: &Caller,
    title: &str,
    open_only: bool,
) -> Result<tasks::Task, ToolError> {
    let found = tasks::matching(db, caller, open_only.then_some(false), Some(title), 20).await?;
    one_named(
        &found,
        title,
        if open_only { "open task" } else { "task" },
        |t| t.title.eq_ignore_ascii_case(title),
        |_| true,
        |t| json!({"id": t.id, "title": t.title, "due_date": t.due_date}),
    )
    .cloned()
}

async fn resolve_habit(db: &D1Database, caller: &Caller, name: &str) -> Result<String, ToolError> {
    let all = habits::all(db, caller).await?;
    one_named(
        &all,
        name,
        "habit",
        |h| h.name.eq_ignore_ascii_case(name),
        |h| habit_matches(name, &h.name),
        |h| json!({"id": h.id, "name": h.name}),
    )
    .map(|h| h.id.clone())
}

async fn resolve_goal(db: &D1Database, caller: &Caller, title: &str) -> Result<String, ToolError> {
    let all = goals::titles(db, caller).await?;
    let needle = title.to_lowercase();
    one_named(
        &all,
        title,
        "goal",
        |(_, t)| t.to_lowercase() == needle,
        |(_, t)| t.to_lowercase().contains(&needle),
        |(id, t)| json!({"id": id, "title": t}),
    )
    .map(|(id, _)| id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_with_its_required_properties() {
        let mut names = std::collections::HashSet::new();
        for t in TOOLS {
            assert!(names.insert(t.name), "{} twice", t.name);
            for schema in [(t.input)(), (t.output)()] {
                assert_eq!(schema["type"], "object", "{}", t.name);
                let props = schema["properties"].as_object().expect("properties");
                for r in schema["required"].as_array().expect("required") {
                    assert!(
                        props.contains_key(r.as_str().unwrap_or("")),
                        "{} {r}",
                        t.name
                    );
                }
            }
        }
        assert_eq!(TOOLS.len(), 10);
    }

    #[test]
    fn arguments_are_checked_before_anything_runs() {
        let add = find("add_task").expect("add_task");
        assert!(check_args(add, &json!({"title": "x", "priority": "high"})).is_ok());
        let msg = |v: Value| {
            check_args(add, &v)
                .err()
                .map(|e| e.message())
                .unwrap_or_default()
        };
        assert!(msg(json!("{not json")).contains("JSON object"));
        assert!(msg(json!({"title": 3})).contains("title: must be string"));
        assert!(msg(json!({"title": "x", "colour": "red"})).contains("colour: unknown"));
        assert!(msg(json!({})).contains("title: required"));
        let update = find("update_task").expect("update_task");
        assert!(check_args(update, &json!({"task_id": "a", "due_date": null})).is_ok());
    }
}
