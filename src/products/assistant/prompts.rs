//! MCP prompts written from the caller's own data: `plan_my_day {focus?}` (the open tasks
//! by due date, the habits still due today) and `weekly_review` (what was done in the last
//! seven days, what is overdue, streaks, active goals); `completion/complete` suggests the
//! caller's task areas for `focus`.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::D1Database;

use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::products::os::settings as os_settings;
use crate::products::os::{habits, tasks};

pub fn list() -> Value {
    crate::schema!({"prompts": [
        {"name": "plan_my_day", "title": "Plan my day",
         "description": "A plan for today from the open tasks (overdue and due first) and the habits still due today.",
         "arguments": [{"name": "focus", "description": "An area of tasks to put first (work, home…).", "required": false}]},
        {"name": "weekly_review", "title": "Weekly review",
         "description": "A review of the last seven days: tasks done, tasks overdue, habit streaks and active goals.",
         "arguments": []}
    ]})
}

/// Why a prompt cannot be given.
pub enum PromptError {
    NotFound(String),
    Invalid(String),
    Internal(ApiError),
}

impl From<ApiError> for PromptError {
    fn from(e: ApiError) -> Self {
        Self::Internal(e)
    }
}

impl From<worker::Error> for PromptError {
    fn from(e: worker::Error) -> Self {
        Self::Internal(e.into())
    }
}

fn line(t: &tasks::Task) -> String {
    let mut l = format!("- [{}] {}", t.priority, t.title);
    if let Some(d) = &t.due_date {
        l.push_str(&format!(", due {d}"));
    }
    if let Some(a) = &t.area {
        l.push_str(&format!(", area {a}"));
    }
    l.push_str(&format!(", effort {} (id {})", t.effort, t.id));
    l
}

/// `prompts/get`: `{description, messages: [{role: user, content: {type: text, text}}]}`.
pub async fn get(
    db: &D1Database,
    caller: &Caller,
    name: &str,
    args: &Map<String, Value>,
) -> Result<Value, PromptError> {
    let arg = |k: &str| {
        args.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (zone, open, habits) = futures::try_join!(
        os_settings::timezone(db, &caller.user_id),
        tasks::matching(db, caller, Some(false), None, 50),
        habits::all(db, caller)
    )?;
    let today = os_settings::today_in(&zone)?;
    let (description, text) = match name {
        "plan_my_day" => {
            if let Some((k, _)) = args.iter().find(|(k, _)| k.as_str() != "focus") {
                return Err(PromptError::Invalid(format!(
                    "plan_my_day has no argument {k:?}"
                )));
            }
            let focus = arg("focus");
            if focus.is_some_and(|f| f.chars().count() > 100) {
                return Err(PromptError::Invalid("focus: at most 100 characters".into()));
            }
            let mut text = format!("Plan my day, {today} ({}).", today.format("%A"));
            if let Some(f) = focus {
                text.push_str(&format!(" Put the tasks of the area \"{f}\" first."));
            }
            text.push_str("\n\nMy open tasks, overdue and soonest due first:\n");
            if open.is_empty() {
                text.push_str("(none)\n");
            }
            for t in &open {
                text.push_str(&line(t));
                text.push('\n');
            }
            let due: Vec<String> = habits
                .iter()
                .filter(|h| h.due_today && !h.done_today)
                .map(|h| format!("- {} (streak {} days)", h.name, h.current_streak))
                .collect();
            text.push_str("\nHabits still due today:\n");
            text.push_str(if due.is_empty() { "(none)" } else { "" });
            text.push_str(&due.join("\n"));
            text.push_str(
                "\n\nPropose an order for today: overdue and urgent tasks first, then by due date and effort, \
                 with the habits fitted in. Say what to leave for another day.",
            );
            ("Today's plan from the open tasks and habits", text)
        }
        "weekly_review" => {
            if let Some(k) = args.keys().next() {
                return Err(PromptError::Invalid(format!(
                    "weekly_review has no argument {k:?}"
                )));
            }
            #[derive(Deserialize)]
            struct Done {
                title: String,
                completed_at: String,
            }
            #[derive(Deserialize)]
            struct Goal {
                title: String,
                progress: f64,
                target_date: Option<String>,
            }
            let since = crate::platform::ids::rfc3339(
                crate::platform::ids::now() - chrono::Duration::days(7),
            );
            let done = async {
                let rows: Vec<Done> = db
                    .prepare(
                        "SELECT title, completed_at FROM os_tasks WHERE user_id = ?1 AND status = 'done' \
                         AND completed_at >= ?2 ORDER BY completed_at LIMIT 100",
                    )
                    .bind(&[caller.user_id.as_str().into(), since.into()])?
                    .all()
                    .await?
                    .results()?;
                Ok::<_, ApiError>(rows)
            };
            let goals = async {
                let rows: Vec<Goal> = db
                    .prepare(
                        "SELECT title, progress, target_date FROM os_goals WHERE user_id = ?1 AND status = 'active' \
                         ORDER BY target_date IS NULL, target_date, id LIMIT 50",
                    )
                    .bind(&[caller.user_id.as_str().into()])?
                    .all()
                    .await?
                    .results()?;
                Ok::<_, ApiError>(rows)
            };
            let (done, goals) = futures::try_join!(done, goals)?;
            let day = today.to_string();
            let overdue: Vec<String> = open
                .iter()
                .filter(|t| t.due_date.as_deref().is_some_and(|d| d < day.as_str()))
                .map(line)
                .collect();
            let mut text =
                format!("Review my week, up to {today}.\n\nDone in the last seven days:\n");
            text.push_str(if done.is_empty() { "(nothing)\n" } else { "" });
            for d in &done {
                text.push_str(&format!(
                    "- {} ({})\n",
                    d.title,
                    d.completed_at.get(..10).unwrap_or(&d.completed_at)
                ));
            }
            text.push_str("\nOverdue:\n");
            text.push_str(if overdue.is_empty() { "(nothing)" } else { "" });
            text.push_str(&overdue.join("\n"));
            text.push_str("\n\nHabits:\n");
            text.push_str(if habits.is_empty() { "(none)" } else { "" });
            let streaks: Vec<String> = habits
                .iter()
                .map(|h| {
                    format!(
                        "- {}: streak {} days (best {})",
                        h.name, h.current_streak, h.best_streak
                    )
                })
                .collect();
            text.push_str(&streaks.join("\n"));
            text.push_str("\n\nActive goals:\n");
            text.push_str(if goals.is_empty() { "(none)" } else { "" });
            let goals: Vec<String> = goals
                .iter()
                .map(|g| {
                    format!(
                        "- {}: {:.0}% done{}",
                        g.title,
                        g.progress,
                        g.target_date
                            .as_deref()
                            .map(|d| format!(", target {d}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            text.push_str(&goals.join("\n"));
            text.push_str(
                "\n\nSay what went well, what slipped and why it might have, and the three things to do first next week.",
            );
            ("The last seven days: done, overdue, habits and goals", text)
        }
        other => return Err(PromptError::NotFound(format!("no prompt named {other:?}"))),
    };
    Ok(
        json!({"description": description, "messages": [{"role": "user", "content": {"type": "text", "text": text}}]}),
    )
}

/// `completion/complete` for a prompt's argument: the caller's task areas that start with
/// what was typed (ignoring ASCII case), at most 100.
pub async fn complete(
    db: &D1Database,
    caller: &Caller,
    prompt: &str,
    argument: &str,
    typed: &str,
) -> Result<Value, PromptError> {
    let values: Vec<String> = match (prompt, argument) {
        ("plan_my_day", "focus") => {
            #[derive(Deserialize)]
            struct Area {
                area: String,
            }
            let typed: String = typed.chars().take(100).collect();
            let rows: Vec<Area> = db
                .prepare(
                    "SELECT DISTINCT area FROM os_tasks WHERE user_id = ?1 AND area IS NOT NULL \
                     AND lower(substr(area, 1, length(?2))) = lower(?2) ORDER BY area LIMIT 100",
                )
                .bind(&[caller.user_id.as_str().into(), typed.into()])?
                .all()
                .await?
                .results()?;
            rows.into_iter().map(|r| r.area).collect()
        }
        ("plan_my_day" | "weekly_review", _) => Vec::new(),
        (other, _) => return Err(PromptError::NotFound(format!("no prompt named {other:?}"))),
    };
    Ok(json!({"completion": {"total": values.len(), "hasMore": false, "values": values}}))
}
