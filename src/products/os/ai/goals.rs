//! Goal helpers: refine, criteria, cascade, forecast, obstacles, align, review.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use super::{apply_flag, data, id, list, object, stats, text, Cx, Draft, Feature};
use crate::platform::error::ApiError;
use crate::platform::fields::{days_after, last_date, parse_date};
use crate::products::os::goals::{self as store, Row};
use crate::products::os::{habits, tasks};

pub static FEATURES: &[Feature] = &[
    REFINE, CRITERIA, CASCADE, FORECAST, OBSTACLES, ALIGN, REVIEW,
];

const GOAL_TABLES: &[&str] = &[
    "os_goals",
    "os_goal_links",
    "os_tasks",
    "os_habits",
    "os_habit_logs",
    "os_metrics",
    "os_metric_logs",
];

fn goal_input() -> Value {
    object(&[("goal_id", id())], &["goal_id"])
}

async fn goal(cx: &Cx<'_>, input: &Value) -> Result<Row, ApiError> {
    store::find(cx.db, cx.caller, goal_id(input)).await
}

fn goal_id(input: &Value) -> &str {
    input["goal_id"].as_str().unwrap_or("")
}

/// The goal of the input and its links, read at once.
async fn goal_links(cx: &Cx<'_>, input: &Value) -> Result<(Row, store::Links), ApiError> {
    let id = goal_id(input);
    let (g, mut links) = futures::try_join!(
        goal(cx, input),
        store::links_of(cx.db, &cx.caller.user_id, Some(id))
    )?;
    Ok((g, links.remove(id).unwrap_or_default()))
}

fn text_of(g: &Row) -> String {
    format!("{} {}", g.title, g.description)
}

// ---- refine ----

pub const REFINE: Feature = Feature {
    path: "/api/os/ai/goals/refine",
    area: "goals",
    name: "refine",
    summary: "A SMART rewrite and what is missing",
    prompt: "Rewrite the goal so it is specific, measurable, achievable, relevant and time-bound; name what is missing.",
    input: goal_input,
    output: || object(&[("rewrite", crate::schema!({"type": "string"})), ("missing", list(crate::schema!({"type": "string", "enum": ["specific", "measurable", "achievable", "relevant", "time_bound"]}))), ("suggestions", list(crate::schema!({"type": "string"})))], &["rewrite", "missing", "suggestions"]),
    computed: || object(&[("specific", crate::schema!({"type": "boolean"})), ("measurable", crate::schema!({"type": "boolean"})), ("achievable", crate::schema!({"type": "boolean"})), ("relevant", crate::schema!({"type": "boolean"})), ("time_bound", crate::schema!({"type": "boolean"})), ("criteria", crate::schema!({"type": "integer"})), ("links", crate::schema!({"type": "integer"}))], &["specific", "measurable", "time_bound"]),
    reads: GOAL_TABLES,
    ttl_secs: 86_400,
    run: |cx, input| Box::pin(refine(cx, input)),
    apply: None,
};

async fn refine(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (g, links) = goal_links(cx, input).await?;
    let n_links = links.tasks.len() + links.metrics.len() + links.habits.len();
    let criteria = g.criteria().len();
    let specific = text::tokens(&g.title).len() >= 2 || !g.description.trim().is_empty();
    let measurable = criteria > 0 || !links.metrics.is_empty();
    let time_bound = g.target_date.is_some();
    let achievable = g
        .target_date
        .as_deref()
        .and_then(parse_date)
        .is_none_or(|t| t > cx.today);
    let relevant = n_links > 0;
    let mut missing = Vec::new();
    let mut suggestions = Vec::new();
    for (ok, name, tip) in [
        (
            specific,
            "specific",
            "Say exactly what will be different, in a few words.",
        ),
        (
            measurable,
            "measurable",
            "Add a success criterion or link a metric with a target.",
        ),
        (
            achievable,
            "achievable",
            "The target date has passed: set a new one.",
        ),
        (
            relevant,
            "relevant",
            "Link the tasks, habits or metrics that move it.",
        ),
        (time_bound, "time_bound", "Set a target date."),
    ] {
        if !ok {
            missing.push(name);
            suggestions.push(tip);
        }
    }
    let by = g
        .target_date
        .clone()
        .unwrap_or_else(|| (cx.today + Duration::days(90)).to_string());
    Ok(Draft {
        computed: json!({"specific": specific, "measurable": measurable, "achievable": achievable, "relevant": relevant, "time_bound": time_bound, "criteria": criteria, "links": n_links}),
        result: json!({"rewrite": format!("{} by {by}, measured by {}.", g.title.trim_end_matches('.'),
            if measurable { "its success criteria and linked metrics" } else { "one clear number you will track" }),
            "missing": missing, "suggestions": suggestions}),
    })
}

// ---- criteria ----

pub const CRITERIA: Feature = Feature {
    path: "/api/os/ai/goals/criteria",
    area: "goals",
    name: "criteria",
    summary: "Measurable success criteria",
    prompt: "Propose measurable success criteria, linking the suggested existing metrics where they fit.",
    input: goal_input,
    output: || object(&[("criteria", list(object(&[("text", crate::schema!({"type": "string"})), ("metric_id", crate::schema!({"type": ["string", "null"]}))], &["text", "metric_id"])))], &["criteria"]),
    computed: || object(&[("matching_metrics", list(object(&[("metric_id", crate::schema!({"type": "string"})), ("name", crate::schema!({"type": "string"})), ("target", crate::schema!({"type": ["number", "null"]})), ("overlap", crate::schema!({"type": "number"}))], &["metric_id", "name"])))], &["matching_metrics"]),
    reads: GOAL_TABLES,
    ttl_secs: 86_400,
    run: |cx, input| Box::pin(criteria(cx, input)),
    apply: None,
};

async fn criteria(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (g, metrics) = futures::try_join!(goal(cx, input), data::metrics(cx))?;
    let words = text_of(&g);
    let matching: Vec<(data::Metric, f64)> = metrics
        .into_iter()
        .map(|m| {
            let o = text::overlap(&m.name, &words);
            (m, o)
        })
        .filter(|(_, o)| *o > 0.0)
        .collect();
    let mut out: Vec<Value> = matching
        .iter()
        .map(|(m, _)| {
            let target = m.target.map(|t| format!("{t}{}", if m.unit.is_empty() { String::new() } else { format!(" {}", m.unit) }));
            json!({"text": format!("{} reaches {}", m.name, target.unwrap_or_else(|| "a target you set".into())), "metric_id": m.id})
        })
        .collect();
    out.push(json!({"text": format!("“{}” is done by {}", g.title, g.target_date.clone().unwrap_or_else(|| "the date you choose".into())), "metric_id": null}));
    out.push(crate::schema!({"text": "Every linked task is complete", "metric_id": null}));
    Ok(Draft {
        computed: json!({"matching_metrics": matching.iter().map(|(m, o)| json!({"metric_id": m.id, "name": m.name, "target": m.target, "overlap": stats::round(*o, 2)})).collect::<Vec<_>>()}),
        result: json!({ "criteria": out }),
    })
}

// ---- cascade ----

pub const CASCADE: Feature = Feature {
    path: "/api/os/ai/goals/cascade",
    area: "goals",
    name: "cascade",
    summary: "Milestones and first tasks",
    prompt: "Propose milestones on the computed dates and first tasks for the goal.",
    input: || object(&[("goal_id", id()), ("apply", apply_flag())], &["goal_id"]),
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
                    "first_tasks",
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
            &["milestones", "first_tasks"],
        )
    },
    computed: || {
        object(
            &[
                ("start", crate::schema!({"type": "string"})),
                ("target", crate::schema!({"type": "string"})),
                ("milestone_dates", list(crate::schema!({"type": "string"}))),
            ],
            &["start", "target", "milestone_dates"],
        )
    },
    reads: GOAL_TABLES,
    ttl_secs: 86_400,
    run: |cx, input| Box::pin(cascade(cx, input)),
    apply: Some(|cx, input, result| Box::pin(apply_cascade(cx, input, result))),
};

/// Milestone dates at a quarter, half, three quarters and all of the way to the target,
/// none after the last date the API takes.
pub fn quarters(start: NaiveDate, target: NaiveDate) -> Vec<NaiveDate> {
    let span = (target - start).num_days().max(4);
    (1..=4)
        .map(|q| days_after(start, span * q / 4).unwrap_or_else(last_date))
        .collect()
}

async fn cascade(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let g = goal(cx, input).await?;
    let start = parse_date(&g.start_date).unwrap_or(cx.today).max(cx.today);
    let target = g
        .target_date
        .as_deref()
        .and_then(parse_date)
        .filter(|t| *t > start)
        .unwrap_or_else(|| days_after(start, 90).unwrap_or_else(last_date));
    let dates = quarters(start, target);
    let names = ["Get started", "Halfway there", "Final stretch", "Done"];
    let milestones: Vec<Value> = dates
        .iter()
        .zip(names)
        .map(|(d, n)| json!({"title": format!("{n}: {}", g.title), "date": d.to_string()}))
        .collect();
    let first_tasks = vec![
        json!({"title": format!("Write down what “{}” looks like when done", g.title), "effort": 1}),
        json!({"title": format!("Plan the first week toward “{}”", g.title), "effort": 2}),
        crate::schema!({"title": "Block time in the calendar for it", "effort": 1}),
    ];
    Ok(Draft {
        computed: json!({"start": start.to_string(), "target": target.to_string(), "milestone_dates": dates.iter().map(|d| d.to_string()).collect::<Vec<_>>()}),
        result: json!({"milestones": milestones, "first_tasks": first_tasks}),
    })
}

/// Milestones and first tasks as tasks linked to the goal, in one batch.
async fn apply_cascade(cx: &Cx<'_>, input: &Value, result: &Value) -> Result<Value, ApiError> {
    let g = goal(cx, input).await?;
    let now = crate::platform::ids::now_rfc3339();
    let mut ids = Vec::new();
    let mut stmts = Vec::new();
    let items = result["milestones"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| (m["title"].clone(), m["date"].clone(), 2))
        .chain(
            result["first_tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    (
                        t["title"].clone(),
                        Value::Null,
                        t["effort"].as_i64().unwrap_or(1),
                    )
                }),
        );
    for (title, date, effort) in items {
        let (id, stmt) = super::insert_task(
            cx,
            &super::NewTask {
                title: title.as_str().unwrap_or("Milestone"),
                effort,
                due_date: date.as_str(),
                goal_id: Some(&g.id),
                ..Default::default()
            },
            &now,
        )?;
        stmts.push(stmt);
        ids.push(id);
    }
    stmts.extend(store::refresh(
        cx.db,
        &cx.caller.user_id,
        &[Some(g.id.as_str())],
    )?);
    crate::platform::db::write(cx.db, stmts).await?;
    Ok(json!({ "task_ids": ids }))
}

// ---- forecast ----

pub const FORECAST: Feature = Feature {
    path: "/api/os/ai/goals/forecast",
    area: "goals",
    name: "forecast",
    summary: "Completion date from progress velocity",
    prompt: "Explain the forecast completion date and its band; keep the dates.",
    input: goal_input,
    output: || {
        object(
            &[
                (
                    "forecast_date",
                    crate::schema!({"type": ["string", "null"], "format": "date"}),
                ),
                ("earliest", crate::schema!({"type": ["string", "null"]})),
                ("latest", crate::schema!({"type": ["string", "null"]})),
                ("on_track", crate::schema!({"type": ["boolean", "null"]})),
                ("explanation", crate::schema!({"type": "string"})),
            ],
            &[
                "forecast_date",
                "earliest",
                "latest",
                "on_track",
                "explanation",
            ],
        )
    },
    computed: || {
        object(
            &[
                ("progress", crate::schema!({"type": "number"})),
                ("days_elapsed", crate::schema!({"type": "integer"})),
                (
                    "velocity_per_day",
                    crate::schema!({"type": ["number", "null"]}),
                ),
                (
                    "days_remaining",
                    crate::schema!({"type": ["integer", "null"]}),
                ),
                ("target_date", crate::schema!({"type": ["string", "null"]})),
            ],
            &["progress", "days_elapsed", "velocity_per_day"],
        )
    },
    reads: GOAL_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(forecast(cx, input)),
    apply: None,
};

/// velocity = progress ÷ days since the start (at least 1); forecast = today + ⌈(100 −
/// progress) ÷ velocity⌉ days; the band uses 1.25× and 0.75× the velocity. No dates when
/// the slowest of them would fall after the last date the API takes.
pub fn forecast_dates(
    progress: f64,
    start: NaiveDate,
    today: NaiveDate,
) -> (i64, Option<f64>, Option<[NaiveDate; 3]>) {
    let days = (today - start).num_days().max(1);
    if progress <= 0.0 {
        return (days, None, None);
    }
    let v = progress / days as f64;
    let remaining = (100.0 - progress).max(0.0);
    // A float past i64's range saturates, and `days_after` refuses it.
    let at = |speed: f64| days_after(today, (remaining / speed).ceil() as i64);
    let dates = match (at(v), at(v * 1.25), at(v * 0.75)) {
        (Some(d), Some(lo), Some(hi)) => Some([d, lo, hi]),
        _ => None,
    };
    (days, Some(v), dates)
}

async fn forecast(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let g = goal(cx, input).await?;
    let start = parse_date(&g.start_date).unwrap_or(cx.today);
    let (days, v, dates) = forecast_dates(g.progress, start, cx.today);
    let target = g.target_date.as_deref().and_then(parse_date);
    let on_track = match (dates, target) {
        (Some([d, _, _]), Some(t)) => Some(d <= t),
        // Progress, but a forecast after the last date (which no target can be).
        (None, Some(_)) if v.is_some() => Some(false),
        _ => None,
    };
    let explanation = match (v, dates) {
        (Some(v), Some([d, lo, hi])) => format!("At {:.2} points a day ({}% in {days} day(s)), the goal completes around {d} (between {lo} and {hi}).", v, g.progress),
        (Some(v), None) => format!("At {:.2} points a day ({}% in {days} day(s)), the goal would not complete before {}.", v, g.progress, last_date()),
        _ => "No progress yet, so there is no velocity to forecast from.".into(),
    };
    Ok(Draft {
        computed: json!({"progress": g.progress, "days_elapsed": days, "velocity_per_day": v.map(|v| stats::round(v, 4)),
            "days_remaining": dates.map(|[d, _, _]| (d - cx.today).num_days()), "target_date": g.target_date}),
        result: json!({"forecast_date": dates.map(|d| d[0].to_string()), "earliest": dates.map(|d| d[1].to_string()), "latest": dates.map(|d| d[2].to_string()), "on_track": on_track, "explanation": explanation}),
    })
}

// ---- obstacles ----

pub const OBSTACLES: Feature = Feature {
    path: "/api/os/ai/goals/obstacles",
    area: "goals",
    name: "obstacles",
    summary: "Risks and mitigations",
    prompt: "List the risks to the goal from the computed findings, each with a mitigation.",
    input: goal_input,
    output: || {
        object(
            &[(
                "risks",
                list(object(
                    &[
                        ("risk", crate::schema!({"type": "string"})),
                        ("mitigation", crate::schema!({"type": "string"})),
                    ],
                    &["risk", "mitigation"],
                )),
            )],
            &["risks"],
        )
    },
    computed: || {
        object(
            &[
                ("overdue_tasks", crate::schema!({"type": "integer"})),
                ("blocked_tasks", crate::schema!({"type": "integer"})),
                ("weak_habits", list(crate::schema!({"type": "string"}))),
                ("stalled_metrics", list(crate::schema!({"type": "string"}))),
                ("no_target_date", crate::schema!({"type": "boolean"})),
            ],
            &["overdue_tasks", "blocked_tasks"],
        )
    },
    reads: GOAL_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(obstacles(cx, input)),
    apply: None,
};

async fn obstacles(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let ((g, links), all, habits_now, logs, metrics) = futures::try_join!(
        goal_links(cx, input),
        tasks::matching(cx.db, cx.caller, None, None, 5000),
        habits::all(cx.db, cx.caller),
        data::metric_logs(cx),
        data::metrics(cx)
    )?;
    let done: std::collections::HashSet<&str> = all
        .iter()
        .filter(|t| t.status == "done")
        .map(|t| t.id.as_str())
        .collect();
    let today = cx.today.to_string();
    let mine: Vec<&tasks::Task> = all
        .iter()
        .filter(|t| t.goal_id.as_deref() == Some(g.id.as_str()) && t.status != "done")
        .collect();
    let overdue = mine
        .iter()
        .filter(|t| t.due_date.as_deref().is_some_and(|d| d < today.as_str()))
        .count();
    let blocked = mine
        .iter()
        .filter(|t| t.depends_on.iter().any(|d| !done.contains(d.as_str())))
        .count();
    let weak: Vec<String> = habits_now
        .into_iter()
        .filter(|h| links.habits.contains(&h.id) && h.strength < 50.0)
        .map(|h| h.name)
        .collect();
    let stalled: Vec<String> = metrics
        .into_iter()
        .filter(|m| links.metrics.contains(&m.id))
        .filter(|m| {
            logs.get(&m.id)
                .and_then(|l| l.last())
                .is_none_or(|l| (cx.today - l.date).num_days() > 14)
        })
        .map(|m| m.name)
        .collect();
    let mut risks = Vec::new();
    if overdue > 0 {
        risks.push(json!({"risk": format!("{overdue} linked task(s) are overdue"), "mitigation": "Reschedule them or cut their scope this week."}));
    }
    if blocked > 0 {
        risks.push(json!({"risk": format!("{blocked} linked task(s) wait on open dependencies"), "mitigation": "Finish or drop the tasks they depend on first."}));
    }
    for h in &weak {
        risks.push(json!({"risk": format!("The habit “{h}” is weak"), "mitigation": "Make it smaller or anchor it on a habit you keep."}));
    }
    for m in &stalled {
        risks.push(json!({"risk": format!("“{m}” has not been logged in two weeks"), "mitigation": "Log it now and set a weekly reminder."}));
    }
    if g.target_date.is_none() {
        risks.push(crate::schema!({"risk": "There is no target date", "mitigation": "Pick a date; goals without one drift."}));
    }
    Ok(Draft {
        computed: json!({"overdue_tasks": overdue, "blocked_tasks": blocked, "weak_habits": weak, "stalled_metrics": stalled, "no_target_date": g.target_date.is_none()}),
        result: json!({ "risks": risks }),
    })
}

// ---- align ----

pub const ALIGN: Feature = Feature {
    path: "/api/os/ai/goals/align",
    area: "goals",
    name: "align",
    summary: "Tasks, habits and metrics to link",
    prompt: "Explain which existing items should be linked to the goal.",
    input: goal_input,
    output: || {
        object(
            &[(
                "suggestions",
                list(object(
                    &[
                        (
                            "kind",
                            crate::schema!({"type": "string", "enum": ["task", "habit", "metric"]}),
                        ),
                        ("id", crate::schema!({"type": "string"})),
                        ("name", crate::schema!({"type": "string"})),
                        ("why", crate::schema!({"type": "string"})),
                    ],
                    &["kind", "id", "name", "why"],
                )),
            )],
            &["suggestions"],
        )
    },
    computed: || {
        object(
            &[(
                "scores",
                list(object(
                    &[
                        ("kind", crate::schema!({"type": "string"})),
                        ("id", crate::schema!({"type": "string"})),
                        ("overlap", crate::schema!({"type": "number"})),
                    ],
                    &["kind", "id", "overlap"],
                )),
            )],
            &["scores"],
        )
    },
    reads: GOAL_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(align(cx, input)),
    apply: None,
};

async fn align(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let ((g, links), open, habits_now, metrics) = futures::try_join!(
        goal_links(cx, input),
        tasks::matching(cx.db, cx.caller, Some(false), None, 1000),
        habits::all(cx.db, cx.caller),
        data::metrics(cx)
    )?;
    let words = text_of(&g);
    let mut found: Vec<(&str, String, String, f64)> = Vec::new();
    for t in open {
        if t.goal_id.is_none() {
            found.push((
                "task",
                t.id,
                t.title.clone(),
                text::overlap(&t.title, &words),
            ));
        }
    }
    for h in habits_now {
        if !links.habits.contains(&h.id) {
            found.push((
                "habit",
                h.id,
                h.name.clone(),
                text::overlap(&h.name, &words),
            ));
        }
    }
    for m in metrics {
        if !links.metrics.contains(&m.id) {
            found.push((
                "metric",
                m.id,
                m.name.clone(),
                text::overlap(&m.name, &words),
            ));
        }
    }
    found.retain(|f| f.3 > 0.0);
    crate::platform::sort::sort_by(&mut found, |a, b| {
        b.3.total_cmp(&a.3).then_with(|| a.1.cmp(&b.1))
    });
    found.truncate(10);
    Ok(Draft {
        computed: json!({"scores": found.iter().map(|(k, id, _, o)| json!({"kind": k, "id": id, "overlap": stats::round(*o, 2)})).collect::<Vec<_>>()}),
        result: json!({"suggestions": found.iter().map(|(k, id, n, o)| json!({"kind": k, "id": id, "name": n,
            "why": format!("{}% of its words are the goal's", (o * 100.0).round())})).collect::<Vec<_>>()}),
    })
}

// ---- review ----

pub const REVIEW: Feature = Feature {
    path: "/api/os/ai/goals/review",
    area: "goals",
    name: "review",
    summary: "A progress review of the last 7 or 30 days",
    prompt: "Write a short progress review from the counts of the period.",
    input: || {
        object(
            &[
                ("goal_id", id()),
                (
                    "days",
                    crate::schema!({"type": "integer", "enum": [7, 30], "default": 7}),
                ),
            ],
            &["goal_id"],
        )
    },
    output: || {
        object(
            &[
                ("summary", crate::schema!({"type": "string"})),
                ("wins", list(crate::schema!({"type": "string"}))),
                ("next", list(crate::schema!({"type": "string"}))),
            ],
            &["summary", "wins", "next"],
        )
    },
    computed: || {
        object(
            &[
                ("days", crate::schema!({"type": "integer"})),
                ("from", crate::schema!({"type": "string"})),
                ("progress", crate::schema!({"type": "number"})),
                ("tasks_completed", crate::schema!({"type": "integer"})),
                ("habit_days_done", crate::schema!({"type": "integer"})),
                ("metric_logs", crate::schema!({"type": "integer"})),
            ],
            &["days", "from", "progress", "tasks_completed"],
        )
    },
    reads: GOAL_TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(review(cx, input)),
    apply: None,
};

async fn review(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let ((g, links), all, hd, ml) = futures::try_join!(
        goal_links(cx, input),
        tasks::matching(cx.db, cx.caller, None, None, 5000),
        data::habit_days(cx),
        data::metric_logs(cx)
    )?;
    let days = input["days"].as_i64().unwrap_or(7);
    let from = cx.today - Duration::days(days - 1);
    let completed: Vec<&tasks::Task> = all
        .iter()
        .filter(|t| t.goal_id.as_deref() == Some(g.id.as_str()))
        .filter(|t| {
            t.completed_at
                .as_deref()
                .is_some_and(|c| c.get(..10).unwrap_or("") >= from.to_string().as_str())
        })
        .collect();
    let habit_days: usize = links
        .habits
        .iter()
        .map(|h| {
            hd.get(h)
                .map_or(0, |d| d.iter().filter(|x| **x >= from).count())
        })
        .sum();
    let metric_logs: usize = links
        .metrics
        .iter()
        .map(|m| {
            ml.get(m)
                .map_or(0, |l| l.iter().filter(|x| x.date >= from).count())
        })
        .sum();
    let open: Vec<&tasks::Task> = all
        .iter()
        .filter(|t| t.goal_id.as_deref() == Some(g.id.as_str()) && t.status != "done")
        .take(3)
        .collect();
    Ok(Draft {
        computed: json!({"days": days, "from": from.to_string(), "progress": g.progress, "tasks_completed": completed.len(), "habit_days_done": habit_days, "metric_logs": metric_logs}),
        result: json!({
            "summary": format!("In the last {days} days “{}” moved with {} task(s) done, {habit_days} habit day(s) and {metric_logs} metric log(s); it stands at {}%.", g.title, completed.len(), g.progress),
            "wins": completed.iter().map(|t| t.title.clone()).collect::<Vec<_>>(),
            "next": open.iter().map(|t| t.title.clone()).collect::<Vec<_>>(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecasts_follow_velocity() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        // 40 % in 20 days: 2 a day, 60 left: 30 days; band 24 and 40 days.
        let (days, v, dates) = forecast_dates(40.0, d("2026-11-05"), d("2026-11-25"));
        assert_eq!((days, v), (20, Some(2.0)));
        assert_eq!(
            dates,
            Some([d("2026-12-25"), d("2026-12-19"), d("2027-01-04")])
        );
        assert_eq!(
            forecast_dates(0.0, d("2026-11-05"), d("2026-11-25")).2,
            None
        );
        // So slow that the forecast would pass the last date (or any date): no dates, no panic.
        let (_, v, dates) = forecast_dates(1e-12, d("1970-01-01"), d("2026-11-25"));
        assert!(v.is_some());
        assert_eq!(dates, None);
        // Milestones near the end of the range stay within it.
        let end = d("2100-12-31");
        assert!(quarters(d("2100-12-30"), end).iter().all(|q| *q <= end));
        assert_eq!(quarters(end, end), vec![end; 4]);
        assert_eq!(
            quarters(d("2026-01-01"), d("2026-01-09")),
            [
                d("2026-01-03"),
                d("2026-01-05"),
                d("2026-01-07"),
                d("2026-01-09")
            ]
        );
    }
}
