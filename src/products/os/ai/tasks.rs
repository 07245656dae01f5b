//! Task helpers: parse, breakdown, prioritize, estimate, categorize, schedule, summarize.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{apply_flag, id, list, object, stats, text, words, Cx, Draft, Feature};
use crate::platform::error::ApiError;
use crate::platform::fields::{days_after, last_date};
use crate::products::os::rules::{dates, points};
use crate::products::os::tasks::{self, Task, TaskFields, PRIORITIES};

pub static FEATURES: &[Feature] = &[
    PARSE, BREAKDOWN, PRIORITIZE, ESTIMATE, CATEGORIZE, SCHEDULE, SUMMARIZE,
];

const TASK_TABLES: &[&str] = &["os_tasks", "os_task_dependencies"];

fn task_fields() -> Value {
    object(
        &[
            ("title", crate::schema!({"type": "string"})),
            (
                "due_date",
                crate::schema!({"type": ["string", "null"], "format": "date"}),
            ),
            ("priority", json!({"type": "string", "enum": PRIORITIES})),
            ("area", crate::schema!({"type": ["string", "null"]})),
            (
                "effort",
                crate::schema!({"type": "integer", "minimum": 1, "maximum": 5}),
            ),
        ],
        &["title", "due_date", "priority", "area", "effort"],
    )
}

async fn open_tasks(cx: &Cx<'_>) -> Result<Vec<Task>, ApiError> {
    tasks::matching(cx.db, cx.caller, Some(false), None, 1000).await
}

async fn all_tasks(cx: &Cx<'_>) -> Result<Vec<Task>, ApiError> {
    tasks::matching(cx.db, cx.caller, None, None, 5000).await
}

fn effort_from_words(s: &str) -> i64 {
    let l = s.to_lowercase();
    if [
        "quick", "small", "tiny", "call", "email", "text", "buy", "pay",
    ]
    .iter()
    .any(|w| l.contains(w))
    {
        1
    } else if ["plan", "research", "write", "prepare", "organize", "design"]
        .iter()
        .any(|w| l.contains(w))
    {
        3
    } else if ["build", "migrate", "renovate", "launch", "move"]
        .iter()
        .any(|w| l.contains(w))
    {
        4
    } else {
        2
    }
}

// ---- parse ----

pub const PARSE: Feature = Feature {
    path: "/api/os/ai/tasks/parse",
    area: "tasks",
    name: "parse",
    summary: "Free text → task fields",
    prompt: "Turn the user's sentence into one task. Keep the computed due date and priority.",
    input: || object(&[("text", words(500)), ("apply", apply_flag())], &["text"]),
    output: task_fields,
    computed: || {
        object(
            &[
                ("today", crate::schema!({"type": "string"})),
                ("due_date", crate::schema!({"type": ["string", "null"]})),
                ("date_words", crate::schema!({"type": ["string", "null"]})),
            ],
            &["today", "due_date"],
        )
    },
    reads: &["os_settings"],
    ttl_secs: 3600,
    run: |cx, input| Box::pin(parse(cx, input)),
    apply: Some(|cx, _input, result| Box::pin(create_one(cx, result))),
};

async fn parse(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    Ok(read_task(input["text"].as_str().unwrap_or(""), cx.today))
}

/// A sentence → a task's fields, without a model: a priority word taken out, the trailing
/// date phrase read relative to `today`, a leading "remind me to" dropped.
fn read_task(raw: &str, today: NaiveDate) -> Draft {
    let raw = raw.trim();
    let mut priority = "medium";
    let mut rest = raw.to_string();
    for (words, p) in [
        (&["urgent", "asap", "immediately"][..], "urgent"),
        (&["high priority", "important"][..], "high"),
        (&["low priority", "someday", "whenever"][..], "low"),
    ] {
        if let Some(without) = words
            .iter()
            .find_map(|w| crate::platform::text::remove_folded(&rest, w))
        {
            priority = p;
            rest = without;
        }
    }
    let rest = rest.replace("  ", " ");
    let (title, due) = dates::take_date(rest.trim().trim_end_matches([',', '.']), today);
    let mut title = title.trim().trim_start_matches("to ").trim().to_string();
    for p in ["remind me to ", "i need to ", "i have to ", "add "] {
        if crate::platform::text::fold(&title).starts_with(p) {
            title = crate::platform::text::after(&title, p.len()).to_string();
        }
    }
    if title.is_empty() {
        title = raw.chars().take(200).collect();
    }
    let area = text::area_of(&title);
    Draft {
        computed: json!({"today": today.to_string(), "due_date": due.map(|d| d.to_string()),
            "date_words": due.map(|_| raw.chars().skip(title.len()).collect::<String>().trim().to_string())}),
        result: json!({"title": title.chars().take(200).collect::<String>(), "due_date": due.map(|d| d.to_string()), "priority": priority,
            "area": area, "effort": effort_from_words(&title)}),
    }
}

fn fields_of(t: &Value) -> Result<TaskFields, ApiError> {
    let mut body = json!({"title": t["title"], "priority": t["priority"], "effort": t["effort"]});
    for k in ["due_date", "area", "description", "goal_id", "project_id"] {
        if !t[k].is_null() {
            body[k] = t[k].clone();
        }
    }
    TaskFields::parse(&body, true).map_err(ApiError::Validation)
}

async fn create_one(cx: &Cx<'_>, result: &Value) -> Result<Value, ApiError> {
    let t = tasks::insert(cx.db, cx.caller, fields_of(result)?).await?;
    Ok(json!({"task_ids": [t.id]}))
}

// ---- breakdown ----

pub const BREAKDOWN: Feature = Feature {
    path: "/api/os/ai/tasks/breakdown",
    area: "tasks",
    name: "breakdown",
    summary: "A task → 3–8 ordered subtasks",
    prompt:
        "Break the task into 3 to 8 concrete subtasks in order, each with an effort from 1 to 5.",
    input: || object(&[("task_id", id()), ("apply", apply_flag())], &["task_id"]),
    output: || {
        object(
            &[(
                "subtasks",
                json!({"type": "array", "minItems": 3, "maxItems": 8, "items": object(&[
        ("order", json!({"type": "integer", "minimum": 1})), ("title", crate::schema!({"type": "string", "minLength": 1, "maxLength": 200})),
        ("effort", crate::schema!({"type": "integer", "minimum": 1, "maximum": 5}))], &["order", "title", "effort"])}),
            )],
            &["subtasks"],
        )
    },
    computed: || {
        object(
            &[
                ("task_effort", crate::schema!({"type": "integer"})),
                ("subtask_effort_total", crate::schema!({"type": "integer"})),
            ],
            &["task_effort"],
        )
    },
    reads: TASK_TABLES,
    ttl_secs: 86_400,
    run: |cx, input| Box::pin(breakdown(cx, input)),
    apply: Some(|cx, input, result| Box::pin(apply_breakdown(cx, input, result))),
};

async fn breakdown(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let t = tasks::find(cx.db, cx.caller, input["task_id"].as_str().unwrap_or("")).await?;
    let topic = t.title.trim();
    let l = topic.to_lowercase();
    let steps: Vec<(String, i64)> =
        if ["write", "report", "essay", "post", "presentation", "slides"]
            .iter()
            .any(|w| l.contains(w))
        {
            vec![
                (format!("Collect notes and sources for {topic}"), 2),
                ("Outline the main points".into(), 1),
                ("Write the first draft".into(), 3),
                ("Review and edit the draft".into(), 2),
                (format!("Share {topic}"), 1),
            ]
        } else if ["move", "trip", "travel", "event", "party", "wedding"]
            .iter()
            .any(|w| l.contains(w))
        {
            vec![
                (format!("Set the date and budget for {topic}"), 1),
                ("List what needs booking".into(), 1),
                ("Book the essentials".into(), 2),
                ("Prepare the checklist".into(), 1),
                ("Confirm everything a week before".into(), 1),
            ]
        } else if ["build", "launch", "app", "website", "feature", "migrate"]
            .iter()
            .any(|w| l.contains(w))
        {
            vec![
                (format!("Define the scope of {topic}"), 2),
                ("Sketch the design".into(), 2),
                ("Build the first version".into(), 4),
                ("Test it end to end".into(), 3),
                ("Launch and collect feedback".into(), 2),
            ]
        } else {
            vec![
                (format!("Decide what \"done\" means for {topic}"), 1),
                ("Gather what is needed".into(), 1),
                (format!("Do the main part of {topic}"), t.effort.clamp(1, 5)),
                ("Check the result".into(), 1),
            ]
        };
    let subtasks: Vec<Value> = steps
        .iter()
        .enumerate()
        .map(|(i, (s, e))| json!({"order": i + 1, "title": s, "effort": e}))
        .collect();
    Ok(Draft {
        computed: json!({"task_effort": t.effort, "subtask_effort_total": steps.iter().map(|s| s.1).sum::<i64>()}),
        result: json!({ "subtasks": subtasks }),
    })
}

/// The subtasks as tasks (in the parent's project, goal and area), and the parent made to
/// depend on each, in one batch.
async fn apply_breakdown(cx: &Cx<'_>, input: &Value, result: &Value) -> Result<Value, ApiError> {
    let parent = tasks::find(cx.db, cx.caller, input["task_id"].as_str().unwrap_or("")).await?;
    let now = crate::platform::ids::now_rfc3339();
    let mut ids = Vec::new();
    let mut stmts = Vec::new();
    for s in result["subtasks"].as_array().into_iter().flatten() {
        let (id, stmt) = super::insert_task(
            cx,
            &super::NewTask {
                title: s["title"].as_str().unwrap_or("Subtask"),
                priority: &parent.priority,
                area: parent.area.as_deref(),
                effort: s["effort"].as_i64().unwrap_or(1),
                due_date: parent.due_date.as_deref(),
                project_id: parent.project_id.as_deref(),
                goal_id: parent.goal_id.as_deref(),
                ..Default::default()
            },
            &now,
        )?;
        stmts.push(stmt);
        stmts.push(cx.db.prepare("INSERT INTO os_task_dependencies (user_id, task_id, depends_on_id) VALUES (?1, ?2, ?3)")
            .bind(&[cx.caller.user_id.as_str().into(), parent.id.as_str().into(), id.as_str().into()])?);
        ids.push(id);
    }
    stmts.extend(crate::products::os::goals::refresh(
        cx.db,
        &cx.caller.user_id,
        &[parent.goal_id.as_deref()],
    )?);
    crate::platform::db::write(cx.db, stmts).await?;
    Ok(json!({"task_ids": ids, "parent_depends_on": ids}))
}

// ---- prioritize ----

pub const PRIORITIZE: Feature = Feature {
    path: "/api/os/ai/tasks/prioritize",
    area: "tasks",
    name: "prioritize",
    summary: "Advice for one task against the open ones",
    prompt: "Advise where this task stands among the user's open tasks, from its due date, dependencies and goal link.",
    input: || object(&[("task_id", id())], &["task_id"]),
    output: || object(&[("suggested_priority", json!({"type": "string", "enum": PRIORITIES})), ("rank", crate::schema!({"type": "integer", "minimum": 1})), ("advice", crate::schema!({"type": "string"}))], &["suggested_priority", "rank", "advice"]),
    computed: || object(&[("score", crate::schema!({"type": "number"})), ("rank", crate::schema!({"type": "integer"})), ("open_tasks", crate::schema!({"type": "integer"})), ("days_to_due", crate::schema!({"type": ["integer", "null"]})), ("blocked_by", list(crate::schema!({"type": "string"}))), ("unblocks", crate::schema!({"type": "integer"})), ("goal_linked", crate::schema!({"type": "boolean"}))], &["score", "rank", "open_tasks"]),
    reads: TASK_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(prioritize(cx, input)),
    apply: None,
};

/// Urgency score: overdue and near due dates first, then priority, work it unblocks and a goal.
fn score(t: &Task, today: NaiveDate, unblocks: usize) -> f64 {
    let due = t
        .due_date
        .as_deref()
        .and_then(crate::platform::fields::parse_date)
        .map(|d| (d - today).num_days());
    let due_part = match due {
        Some(d) if d < 0 => 50.0,
        Some(d) => 40.0 / (1.0 + d as f64),
        None => 0.0,
    };
    due_part
        + points::base(&t.priority) as f64
        + 5.0 * unblocks as f64
        + if t.goal_id.is_some() { 5.0 } else { 0.0 }
}

fn dependents(all: &[Task]) -> HashMap<&str, usize> {
    let mut m: HashMap<&str, usize> = HashMap::new();
    for t in all.iter().filter(|t| t.status != "done") {
        for d in &t.depends_on {
            *m.entry(d.as_str()).or_default() += 1;
        }
    }
    m
}

async fn prioritize(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (t, all) = futures::try_join!(
        tasks::find(cx.db, cx.caller, input["task_id"].as_str().unwrap_or("")),
        all_tasks(cx)
    )?;
    let open: Vec<&Task> = all.iter().filter(|x| x.status != "done").collect();
    let deps = dependents(&all);
    let mut scored: Vec<(&str, f64)> = open
        .iter()
        .map(|x| {
            (
                x.id.as_str(),
                score(x, cx.today, deps.get(x.id.as_str()).copied().unwrap_or(0)),
            )
        })
        .collect();
    crate::platform::sort::sort_by(&mut scored, |a, b| {
        b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0))
    });
    let mine = score(&t, cx.today, deps.get(t.id.as_str()).copied().unwrap_or(0));
    let rank = scored
        .iter()
        .position(|(id, _)| *id == t.id)
        .map_or(scored.len() + 1, |p| p + 1);
    let done: HashSet<&str> = all
        .iter()
        .filter(|x| x.status == "done")
        .map(|x| x.id.as_str())
        .collect();
    let blocked_by: Vec<&str> = t
        .depends_on
        .iter()
        .map(String::as_str)
        .filter(|d| !done.contains(d))
        .collect();
    let days = t
        .due_date
        .as_deref()
        .and_then(crate::platform::fields::parse_date)
        .map(|d| (d - cx.today).num_days());
    let suggested = match days {
        Some(d) if d < 0 => "urgent",
        Some(d) if d <= 2 => "high",
        _ if deps.get(t.id.as_str()).copied().unwrap_or(0) >= 2 => "high",
        Some(d) if d > 30 => "low",
        _ => t.priority.as_str(),
    };
    let mut advice = format!("“{}” ranks {rank} of {} open tasks.", t.title, open.len());
    if !blocked_by.is_empty() {
        advice.push_str(&format!(
            " It waits on {} open task(s): finish those first.",
            blocked_by.len()
        ));
    }
    match days {
        Some(d) if d < 0 => advice.push_str(&format!(" It is {} day(s) overdue.", -d)),
        Some(d) => advice.push_str(&format!(" It is due in {d} day(s).")),
        None => advice.push_str(" It has no due date."),
    }
    Ok(Draft {
        computed: json!({"score": stats::round(mine, 2), "rank": rank, "open_tasks": open.len(), "days_to_due": days,
            "blocked_by": blocked_by, "unblocks": deps.get(t.id.as_str()).copied().unwrap_or(0), "goal_linked": t.goal_id.is_some()}),
        result: json!({"suggested_priority": suggested, "rank": rank, "advice": advice}),
    })
}

// ---- estimate ----

pub const ESTIMATE: Feature = Feature {
    path: "/api/os/ai/tasks/estimate",
    area: "tasks",
    name: "estimate",
    summary: "Effort from similar completed tasks",
    prompt: "Estimate the effort (1–5) of the task from the user's completed tasks of the same area and its wording.",
    input: || {
        let mut s = object(&[("task_id", id()), ("title", words(200)), ("area", words(50))], &[]);
        s["anyOf"] = crate::schema!([{"required": ["task_id"]}, {"required": ["title"]}]);
        s
    },
    output: || object(&[("effort", crate::schema!({"type": "integer", "minimum": 1, "maximum": 5})), ("confidence", crate::schema!({"type": "string", "enum": ["low", "medium", "high"]})), ("explanation", crate::schema!({"type": "string"}))], &["effort", "confidence", "explanation"]),
    computed: || object(&[("area", crate::schema!({"type": ["string", "null"]})), ("similar_done", crate::schema!({"type": "integer"})), ("median_effort", crate::schema!({"type": ["number", "null"]})), ("mean_effort", crate::schema!({"type": ["number", "null"]})), ("wording_effort", crate::schema!({"type": "integer"}))], &["similar_done", "wording_effort"]),
    reads: TASK_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(estimate(cx, input)),
    apply: None,
};

async fn estimate(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    // Only the efforts of completed tasks in the same area are read: by a task's id, in the
    // same round trip as the task itself (its area named in SQL).
    #[derive(serde::Deserialize)]
    struct E {
        effort: i64,
    }
    let efforts = |area_sql: &'static str, bind: wasm_bindgen::JsValue| async move {
        let rows: Vec<E> = cx
            .db
            .prepare(format!("SELECT effort FROM os_tasks WHERE user_id = ?1 AND status = 'done' AND area IS {area_sql} LIMIT 5000"))
            .bind(&[cx.caller.user_id.as_str().into(), bind])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    let (title, area, rows) = match input["task_id"].as_str() {
        Some(id) => {
            let (t, rows) = futures::try_join!(
                tasks::find(cx.db, cx.caller, id),
                efforts(
                    "(SELECT area FROM os_tasks WHERE id = ?2 AND user_id = ?1)",
                    id.into()
                )
            )?;
            (t.title, t.area, rows)
        }
        None => {
            let title = input["title"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| ApiError::validation("title", "give task_id or title"))?;
            let area = input["area"]
                .as_str()
                .map(str::to_lowercase)
                .or_else(|| text::area_of(&title).map(str::to_string));
            let rows = efforts("?2", crate::platform::db::nullable(area.as_deref())).await?;
            (title, area, rows)
        }
    };
    let similar: Vec<f64> = rows.iter().map(|e| e.effort as f64).collect();
    let wording = effort_from_words(&title);
    let (effort, confidence) = match stats::median(&similar) {
        Some(m) if similar.len() >= 5 => (m.round() as i64, "high"),
        Some(m) => (((m + wording as f64) / 2.0).round() as i64, "medium"),
        None => (wording, "low"),
    };
    Ok(Draft {
        computed: json!({"area": area, "similar_done": similar.len(), "median_effort": stats::median(&similar), "mean_effort": stats::mean(&similar).map(|m| stats::round(m, 2)), "wording_effort": wording}),
        result: json!({"effort": effort.clamp(1, 5), "confidence": confidence,
            "explanation": format!("{} completed task(s) in this area{}; the wording suggests {wording}.", similar.len(),
                stats::median(&similar).map(|m| format!(" have a median effort of {m}")).unwrap_or_default())}),
    })
}

// ---- categorize ----

pub const CATEGORIZE: Feature = Feature {
    path: "/api/os/ai/tasks/categorize",
    area: "tasks",
    name: "categorize",
    summary: "Area and tags for a task",
    prompt: "Pick an area and a few tags for the task, preferring the user's existing areas.",
    input: || {
        object(
            &[
                ("title", words(200)),
                (
                    "description",
                    crate::schema!({"type": "string", "maxLength": 5000}),
                ),
            ],
            &["title"],
        )
    },
    output: || {
        object(
            &[
                ("area", crate::schema!({"type": ["string", "null"]})),
                ("tags", list(crate::schema!({"type": "string"}))),
            ],
            &["area", "tags"],
        )
    },
    computed: || {
        object(
            &[
                ("your_areas", crate::schema!({"type": "object"})),
                ("keyword_area", crate::schema!({"type": ["string", "null"]})),
            ],
            &["your_areas"],
        )
    },
    reads: TASK_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(categorize(cx, input)),
    apply: None,
};

async fn categorize(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let words = format!(
        "{} {}",
        input["title"].as_str().unwrap_or(""),
        input["description"].as_str().unwrap_or("")
    );
    let all = all_tasks(cx).await?;
    let mut areas: HashMap<String, usize> = HashMap::new();
    for t in &all {
        if let Some(a) = &t.area {
            *areas.entry(a.clone()).or_default() += 1;
        }
    }
    let keyword = text::area_of(&words);
    // The user's own area whose tasks share the most words, else the keyword area.
    let own = areas
        .keys()
        .map(|a| {
            (
                a,
                all.iter()
                    .filter(|t| t.area.as_ref() == Some(a))
                    .map(|t| text::overlap(&words, &t.title))
                    .sum::<f64>(),
            )
        })
        .filter(|(_, s)| *s > 0.0)
        .max_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(a, _)| a.clone());
    let mut tags: Vec<String> = text::tokens(&words);
    tags.dedup();
    tags.truncate(4);
    Ok(Draft {
        computed: json!({"your_areas": areas, "keyword_area": keyword}),
        result: json!({"area": own.or_else(|| keyword.map(str::to_string)), "tags": tags}),
    })
}

// ---- schedule ----

pub const SCHEDULE: Feature = Feature {
    path: "/api/os/ai/tasks/schedule",
    area: "tasks",
    name: "schedule",
    summary: "An order and dates for open tasks",
    prompt: "Explain the proposed schedule briefly; keep the order and dates.",
    input: || {
        object(
            &[
                (
                    "capacity_per_day",
                    crate::schema!({"type": "integer", "minimum": 1, "maximum": 25, "default": 5}),
                ),
                (
                    "start_date",
                    crate::schema!({"type": "string", "format": "date"}),
                ),
            ],
            &[],
        )
    },
    output: || {
        object(
            &[
                (
                    "plan",
                    list(object(
                        &[
                            ("order", crate::schema!({"type": "integer"})),
                            ("task_id", crate::schema!({"type": "string"})),
                            ("title", crate::schema!({"type": "string"})),
                            ("date", crate::schema!({"type": "string", "format": "date"})),
                            ("late", crate::schema!({"type": "boolean"})),
                        ],
                        &["order", "task_id", "title", "date", "late"],
                    )),
                ),
                ("note", crate::schema!({"type": "string"})),
            ],
            &["plan", "note"],
        )
    },
    computed: || {
        object(
            &[
                ("total_effort", crate::schema!({"type": "integer"})),
                ("days", crate::schema!({"type": "integer"})),
                ("late", crate::schema!({"type": "integer"})),
                ("capacity_per_day", crate::schema!({"type": "integer"})),
                ("cycle", crate::schema!({"type": "boolean"})),
                (
                    "unplanned",
                    crate::schema!({"type": "integer", "description": "open tasks left out: they would fall after the last date the API takes"}),
                ),
            ],
            &["total_effort", "days", "late"],
        )
    },
    reads: TASK_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(schedule(cx, input)),
    apply: None,
};

/// Open tasks in an order that puts every dependency first (by due date and priority among
/// the ready ones), packed into days of `capacity` effort. Dates end where the API's do
/// ([`last_date`]): the tasks that would fall after it are left out of the plan.
pub fn plan(open: &[Task], start: NaiveDate, capacity: i64) -> (Vec<(usize, NaiveDate)>, bool) {
    let ids: HashSet<&str> = open.iter().map(|t| t.id.as_str()).collect();
    let mut waiting: Vec<HashSet<&str>> = open
        .iter()
        .map(|t| {
            t.depends_on
                .iter()
                .map(String::as_str)
                .filter(|d| ids.contains(d))
                .collect()
        })
        .collect();
    let mut placed = vec![false; open.len()];
    let mut out = Vec::new();
    let (mut day, mut used) = (start, 0);
    let mut cycle = false;
    while out.len() < open.len() {
        let ready: Vec<usize> = (0..open.len())
            .filter(|i| !placed[*i] && waiting[*i].is_empty())
            .collect();
        let next = match ready.into_iter().min_by(|a, b| {
            let (x, y) = (&open[*a], &open[*b]);
            (
                x.due_date.is_none(),
                x.due_date.clone(),
                -points::base(&x.priority),
                x.id.clone(),
            )
                .cmp(&(
                    y.due_date.is_none(),
                    y.due_date.clone(),
                    -points::base(&y.priority),
                    y.id.clone(),
                ))
        }) {
            Some(i) => i,
            None => {
                // A cycle among the rest (not possible through the API): place them as they are.
                cycle = true;
                (0..open.len()).find(|i| !placed[*i]).unwrap_or(0)
            }
        };
        let effort = open[next].effort.clamp(1, 5);
        if used > 0 && used + effort > capacity {
            match days_after(day, 1) {
                Some(following) => day = following,
                None => break,
            }
            used = 0;
        }
        used += effort;
        placed[next] = true;
        out.push((next, day));
        let done = open[next].id.as_str();
        for w in waiting.iter_mut() {
            w.remove(done);
        }
    }
    (out, cycle)
}

async fn schedule(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let capacity = input["capacity_per_day"].as_i64().unwrap_or(5);
    let start = input["start_date"]
        .as_str()
        .and_then(crate::platform::fields::parse_date)
        .unwrap_or(cx.today);
    let open = open_tasks(cx).await?;
    let (order, cycle) = plan(&open, start, capacity);
    let mut late = 0;
    let rows: Vec<Value> = order
        .iter()
        .enumerate()
        .map(|(i, (t, d))| {
            let task = &open[*t];
            let is_late = task.due_date.as_deref().and_then(crate::platform::fields::parse_date).is_some_and(|due| *d > due);
            late += usize::from(is_late);
            json!({"order": i + 1, "task_id": task.id, "title": task.title, "date": d.to_string(), "late": is_late})
        })
        .collect();
    let days = order.last().map_or(0, |(_, d)| (*d - start).num_days() + 1);
    let unplanned = open.len() - order.len();
    let mut note = format!("{} open task(s) over {days} day(s) at {capacity} effort a day; {late} would finish after their due date.", order.len());
    if unplanned > 0 {
        note.push_str(&format!(
            " {unplanned} more do not fit before {}.",
            last_date()
        ));
    }
    Ok(Draft {
        computed: json!({"total_effort": open.iter().map(|t| t.effort).sum::<i64>(), "days": days, "late": late, "capacity_per_day": capacity, "cycle": cycle, "unplanned": unplanned}),
        result: json!({"plan": rows, "note": note}),
    })
}

// ---- summarize ----

pub const SUMMARIZE: Feature = Feature {
    path: "/api/os/ai/tasks/summarize",
    area: "tasks",
    name: "summarize",
    summary: "Today's brief",
    prompt: "Write a short daily brief from the counts and lists.",
    input: || object(&[], &[]),
    output: || {
        object(
            &[
                ("brief", crate::schema!({"type": "string"})),
                (
                    "top3",
                    list(object(
                        &[
                            ("task_id", crate::schema!({"type": "string"})),
                            ("title", crate::schema!({"type": "string"})),
                        ],
                        &["task_id", "title"],
                    )),
                ),
            ],
            &["brief", "top3"],
        )
    },
    computed: || {
        object(
            &[
                ("overdue", crate::schema!({"type": "integer"})),
                ("due_today", crate::schema!({"type": "integer"})),
                ("blocked", crate::schema!({"type": "integer"})),
                ("open", crate::schema!({"type": "integer"})),
            ],
            &["overdue", "due_today", "blocked", "open"],
        )
    },
    reads: TASK_TABLES,
    ttl_secs: 900,
    run: |cx, _| Box::pin(summarize(cx)),
    apply: None,
};

async fn summarize(cx: &Cx<'_>) -> Result<Draft, ApiError> {
    let all = all_tasks(cx).await?;
    let done: HashSet<&str> = all
        .iter()
        .filter(|t| t.status == "done")
        .map(|t| t.id.as_str())
        .collect();
    let open: Vec<&Task> = all.iter().filter(|t| t.status != "done").collect();
    let today = cx.today.to_string();
    let overdue = open
        .iter()
        .filter(|t| t.due_date.as_deref().is_some_and(|d| d < today.as_str()))
        .count();
    let due_today = open
        .iter()
        .filter(|t| t.due_date.as_deref() == Some(today.as_str()))
        .count();
    let blocked = open
        .iter()
        .filter(|t| t.depends_on.iter().any(|d| !done.contains(d.as_str())))
        .count();
    let deps = dependents(&all);
    let mut ready: Vec<&&Task> = open
        .iter()
        .filter(|t| t.depends_on.iter().all(|d| done.contains(d.as_str())))
        .collect();
    crate::platform::sort::sort_by(&mut ready, |a, b| {
        score(b, cx.today, deps.get(b.id.as_str()).copied().unwrap_or(0))
            .total_cmp(&score(
                a,
                cx.today,
                deps.get(a.id.as_str()).copied().unwrap_or(0),
            ))
            .then_with(|| a.id.cmp(&b.id))
    });
    let top3: Vec<Value> = ready
        .iter()
        .take(3)
        .map(|t| json!({"task_id": t.id, "title": t.title}))
        .collect();
    Ok(Draft {
        computed: json!({"overdue": overdue, "due_today": due_today, "blocked": blocked, "open": open.len()}),
        result: json!({"brief": format!("{} open task(s): {overdue} overdue, {due_today} due today, {blocked} blocked.{}", open.len(),
            top3.first().map(|t| format!(" Start with “{}”.", t["title"].as_str().unwrap_or(""))).unwrap_or_default()), "top3": top3}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> Task {
        Task {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            status: "todo".into(),
            priority: "medium".into(),
            area: None,
            effort: 1,
            due_date: None,
            project_id: None,
            goal_id: None,
            completed_at: None,
            depends_on: Vec::new(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn no_sentence_makes_the_parser_panic() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date");
        let d = read_task("İİİ urgent", today);
        assert_eq!(
            (d.result["title"].as_str(), d.result["priority"].as_str()),
            (Some("İİİ"), Some("urgent"))
        );
        let d = read_task("Call the bank ASAP tomorrow", today);
        assert_eq!(d.result["title"], "Call the bank");
        assert_eq!(d.result["due_date"], "2026-12-08");
        let words = [
            "urgent",
            "ASAP",
            "high priority",
            "someday",
            "remind me to ",
            "add ",
            "tomorrow",
            " on friday",
            "in 2 weeks",
        ];
        let mut g = crate::platform::text::arbitrary::Gen::new(35);
        for _ in 0..20_000 {
            let _ = read_task(&g.text(&words, 10), today);
        }
    }

    #[test]
    fn a_plan_ends_on_the_last_date_the_api_takes() {
        let open: Vec<Task> = ["a", "b", "c", "d", "e"].into_iter().map(task).collect();
        let start = NaiveDate::from_ymd_opt(2100, 12, 30).expect("a date");
        let (order, cycle) = plan(&open, start, 2);
        assert!(!cycle);
        let dates: Vec<String> = order.iter().map(|(_, d)| d.to_string()).collect();
        assert_eq!(
            dates,
            ["2100-12-30", "2100-12-30", "2100-12-31", "2100-12-31"]
        );
        // Earlier, everything fits.
        let start = NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date");
        assert_eq!(plan(&open, start, 2).0.len(), 5);
    }
}
