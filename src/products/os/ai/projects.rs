//! Project helpers: plan, health, status.

use std::collections::HashSet;

use chrono::Duration;
use serde_json::{json, Value};

use super::{apply_flag, data, id, list, object, stats, words, Cx, Draft, Feature};
use crate::platform::error::ApiError;
use crate::platform::fields::parse_date;
use crate::platform::text::{capitalize, cut};
use crate::products::os::rules::health::{self, Input};
use crate::products::os::tasks::{self, Task};

pub static FEATURES: &[Feature] = &[PLAN, HEALTH, STATUS];

const TABLES: &[&str] = &["os_projects", "os_tasks", "os_task_dependencies"];

fn project_input() -> Value {
    object(&[("project_id", id())], &["project_id"])
}

// ---- plan ----

pub const PLAN: Feature = Feature {
    path: "/api/os/ai/projects/plan",
    area: "projects",
    name: "plan",
    summary: "Milestones and tasks from a description",
    prompt: "Turn the project description into milestones and tasks; keep the computed dates.",
    input: || {
        object(
            &[
                ("name", words(200)),
                ("description", words(5000)),
                (
                    "target_date",
                    crate::schema!({"type": "string", "format": "date"}),
                ),
                ("apply", apply_flag()),
            ],
            &["name", "description"],
        )
    },
    output: || {
        object(
            &[
                (
                    "milestones",
                    list(object(
                        &[
                            (
                                "title",
                                crate::schema!({"type": "string", "minLength": 1, "maxLength": 200}),
                            ),
                            ("date", crate::schema!({"type": "string", "format": "date"})),
                        ],
                        &["title", "date"],
                    )),
                ),
                (
                    "tasks",
                    list(object(
                        &[
                            (
                                "title",
                                crate::schema!({"type": "string", "minLength": 1, "maxLength": 200}),
                            ),
                            (
                                "effort",
                                crate::schema!({"type": "integer", "minimum": 1, "maximum": 5}),
                            ),
                        ],
                        &["title", "effort"],
                    )),
                ),
            ],
            &["milestones", "tasks"],
        )
    },
    computed: || {
        object(
            &[
                ("start", crate::schema!({"type": "string"})),
                ("target", crate::schema!({"type": "string"})),
                ("parts", crate::schema!({"type": "integer"})),
            ],
            &["start", "target", "parts"],
        )
    },
    reads: &[],
    ttl_secs: 86_400,
    run: |cx, input| Box::pin(plan(cx, input)),
    apply: Some(|cx, input, result| Box::pin(apply_plan(cx, input, result))),
};

/// The parts of the work: each sentence or list item of the description of two words or
/// more, capitalized, at most 12; or one that asks to define the scope.
fn parts_of(description: &str, name: &str) -> Vec<String> {
    let parts: Vec<String> = description
        .split(['.', '\n', ';'])
        .map(|s| s.trim().trim_start_matches(['-', '*', '•']).trim())
        .filter(|s| s.split_whitespace().count() >= 2)
        .map(|s| capitalize(&cut(s, 190)))
        .take(12)
        .collect();
    if parts.is_empty() {
        vec![cut(&format!("Define the scope of {name}"), 200)]
    } else {
        parts
    }
}

async fn plan(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let description = input["description"].as_str().unwrap_or("");
    let target = input["target_date"]
        .as_str()
        .and_then(parse_date)
        .filter(|t| *t > cx.today)
        .unwrap_or(cx.today + Duration::days(60));
    let name = input["name"].as_str().unwrap_or("");
    let parts = parts_of(description, name);
    let dates = super::goals::quarters(cx.today, target);
    let milestones: Vec<Value> = ["Scope agreed", "First version", "Review", "Shipped"]
        .iter()
        .zip(&dates)
        .map(|(n, d)| json!({"title": cut(&format!("{n}: {name}"), 200), "date": d.to_string()}))
        .collect();
    let tasks: Vec<Value> = parts
        .iter()
        .map(
            |p| json!({"title": p, "effort": if p.split_whitespace().count() > 8 { 3 } else { 2 }}),
        )
        .collect();
    Ok(Draft {
        computed: json!({"start": cx.today.to_string(), "target": target.to_string(), "parts": parts.len()}),
        result: json!({"milestones": milestones, "tasks": tasks}),
    })
}

/// The project and its milestones and tasks (tasks of the project), in one batch.
async fn apply_plan(cx: &Cx<'_>, input: &Value, result: &Value) -> Result<Value, ApiError> {
    let now = crate::platform::ids::now_rfc3339();
    let pid = crate::platform::ids::new_id()?;
    let target = result["milestones"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["date"].as_str())
        .map(str::to_string);
    let mut stmts = vec![cx.db.prepare(
        "INSERT INTO os_projects (id, user_id, name, description, start_date, target_date, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    ).bind(&[pid.as_str().into(), cx.caller.user_id.as_str().into(), input["name"].as_str().unwrap_or("Project").into(),
        input["description"].as_str().unwrap_or("").into(), cx.today.to_string().into(), crate::platform::db::nullable(target.as_deref()), now.as_str().into()])?];
    let mut ids = Vec::new();
    let items = result["milestones"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| (m["title"].clone(), m["date"].clone(), 1))
        .chain(result["tasks"].as_array().into_iter().flatten().map(|t| {
            (
                t["title"].clone(),
                Value::Null,
                t["effort"].as_i64().unwrap_or(2),
            )
        }));
    for (title, date, effort) in items {
        let (id, stmt) = super::insert_task(
            cx,
            &super::NewTask {
                title: title.as_str().unwrap_or("Task"),
                effort,
                due_date: date.as_str(),
                project_id: Some(&pid),
                ..Default::default()
            },
            &now,
        )?;
        stmts.push(stmt);
        ids.push(id);
    }
    crate::platform::db::write(cx.db, stmts).await?;
    Ok(json!({"project_id": pid, "task_ids": ids}))
}

async fn project_and_tasks(
    cx: &Cx<'_>,
    input: &Value,
) -> Result<(data::Project, Vec<Task>, Input), ApiError> {
    let (p, all) = futures::try_join!(
        data::project(cx, input["project_id"].as_str().unwrap_or("")),
        tasks::matching(cx.db, cx.caller, None, None, 5000)
    )?;
    let mine: Vec<Task> = all
        .into_iter()
        .filter(|t| t.project_id.as_deref() == Some(p.id.as_str()))
        .collect();
    let today = cx.today.to_string();
    let input = Input {
        total: mine.len() as u32,
        done: mine.iter().filter(|t| t.status == "done").count() as u32,
        overdue: mine
            .iter()
            .filter(|t| {
                t.status != "done" && t.due_date.as_deref().is_some_and(|d| d < today.as_str())
            })
            .count() as u32,
        start: parse_date(&p.start_date).unwrap_or(cx.today),
        target: p.target_date.as_deref().and_then(parse_date),
        today: cx.today,
    };
    Ok((p, mine, input))
}

// ---- health ----

pub const HEALTH: Feature = Feature {
    path: "/api/os/ai/projects/health",
    area: "projects",
    name: "health",
    summary: "The health score and its causes",
    prompt: "Explain the project's health from the figures and what would improve it.",
    input: project_input,
    output: || {
        object(
            &[
                (
                    "health",
                    crate::schema!({"type": "string", "enum": ["on_track", "at_risk", "off_track"]}),
                ),
                ("causes", list(crate::schema!({"type": "string"}))),
                ("fix", crate::schema!({"type": "string"})),
            ],
            &["health", "causes", "fix"],
        )
    },
    computed: || {
        object(
            &[
                ("total", crate::schema!({"type": "integer"})),
                ("done", crate::schema!({"type": "integer"})),
                ("overdue", crate::schema!({"type": "integer"})),
                ("completion_pct", crate::schema!({"type": "number"})),
                ("elapsed_pct", crate::schema!({"type": ["number", "null"]})),
                ("health", crate::schema!({"type": "string"})),
            ],
            &["total", "done", "overdue", "completion_pct", "health"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(run_health(cx, input)),
    apply: None,
};

async fn run_health(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (p, _, i) = project_and_tasks(cx, input).await?;
    let h = health::health(&i);
    let completion = stats::round(health::completion(&i) * 100.0, 1);
    let elapsed = health::elapsed(&i).map(|e| stats::round(e * 100.0, 1));
    let mut causes = Vec::new();
    if let Some(e) = elapsed {
        causes.push(format!(
            "{completion}% of tasks done with {e}% of the time gone"
        ));
    }
    if i.overdue > 0 {
        causes.push(format!("{} overdue task(s)", i.overdue));
    }
    if i.target.is_some_and(|t| cx.today > t) && i.done < i.total {
        causes.push("the target date has passed with work left".into());
    }
    if causes.is_empty() {
        causes.push("nothing is behind".into());
    }
    Ok(Draft {
        computed: json!({"total": i.total, "done": i.done, "overdue": i.overdue, "completion_pct": completion, "elapsed_pct": elapsed, "health": h}),
        result: json!({"health": h, "causes": causes, "fix": match h { "on_track" => format!("“{}” is on track.", p.name), _ => "Reschedule the overdue tasks and cut scope to match the time left.".to_string() }}),
    })
}

// ---- status ----

pub const STATUS: Feature = Feature {
    path: "/api/os/ai/projects/status",
    area: "projects",
    name: "status",
    summary: "A status report: done, at risk, next",
    prompt: "Write a short status report from the lists.",
    input: project_input,
    output: || {
        object(
            &[
                ("report", crate::schema!({"type": "string"})),
                ("done", list(crate::schema!({"type": "string"}))),
                ("at_risk", list(crate::schema!({"type": "string"}))),
                ("next", list(crate::schema!({"type": "string"}))),
            ],
            &["report", "done", "at_risk", "next"],
        )
    },
    computed: || {
        object(
            &[
                ("total", crate::schema!({"type": "integer"})),
                ("done", crate::schema!({"type": "integer"})),
                ("overdue", crate::schema!({"type": "integer"})),
                ("blocked", crate::schema!({"type": "integer"})),
                ("health", crate::schema!({"type": "string"})),
            ],
            &["total", "done", "overdue", "blocked", "health"],
        )
    },
    reads: TABLES,
    ttl_secs: 900,
    run: |cx, input| Box::pin(status(cx, input)),
    apply: None,
};

async fn status(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (p, mine, i) = project_and_tasks(cx, input).await?;
    let finished: HashSet<&str> = mine
        .iter()
        .filter(|t| t.status == "done")
        .map(|t| t.id.as_str())
        .collect();
    let today = cx.today.to_string();
    let at_risk: Vec<String> = mine
        .iter()
        .filter(|t| t.status != "done")
        .filter(|t| {
            t.due_date.as_deref().is_some_and(|d| d < today.as_str())
                || t.depends_on.iter().any(|d| !finished.contains(d.as_str()))
        })
        .map(|t| t.title.clone())
        .collect();
    let mut open: Vec<&Task> = mine.iter().filter(|t| t.status != "done").collect();
    crate::platform::sort::sort_by(&mut open, |a, b| {
        (a.due_date.is_none(), &a.due_date, &a.id).cmp(&(b.due_date.is_none(), &b.due_date, &b.id))
    });
    let blocked = mine
        .iter()
        .filter(|t| {
            t.status != "done" && t.depends_on.iter().any(|d| !finished.contains(d.as_str()))
        })
        .count();
    Ok(Draft {
        computed: json!({"total": i.total, "done": i.done, "overdue": i.overdue, "blocked": blocked, "health": health::health(&i)}),
        result: json!({"report": format!("“{}”: {} of {} task(s) done, {} at risk.", p.name, i.done, i.total, at_risk.len()),
            "done": mine.iter().filter(|t| t.status == "done").map(|t| t.title.clone()).collect::<Vec<_>>(),
            "at_risk": at_risk, "next": open.iter().take(3).map(|t| t.title.clone()).collect::<Vec<_>>()}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_description_is_cut_into_parts() {
        assert_eq!(
            parts_of("étude du marché. Über alles gut", "x"),
            ["Étude du marché", "Über alles gut"]
        );
        assert_eq!(parts_of("🎉 launch party; ok", "x"), ["🎉 launch party"]);
        assert_eq!(parts_of("", "Move"), ["Define the scope of Move"]);
        let mut g = crate::platform::text::arbitrary::Gen::new(41);
        for _ in 0..20_000 {
            let parts = parts_of(
                &g.text(&[". ", "\n", "; ", "- ", "word "], 16),
                &g.text(&[], 4),
            );
            assert!(parts.iter().all(|p| p.chars().count() <= 200));
        }
    }
}
