//! Logbook helpers: summarize, themes, sentiment, reflect, extract_tasks, link.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Value};

use super::data::{self, Entry};
use super::{apply_flag, id, list, object, stats, text, Cx, Draft, Feature};
use crate::platform::error::ApiError;
use crate::platform::fields::parse_date;

pub static FEATURES: &[Feature] = &[SUMMARIZE, THEMES, SENTIMENT, REFLECT, EXTRACT_TASKS, LINK];

const TABLES: &[&str] = &["os_logbook"];

fn period_input() -> Value {
    object(
        &[
            ("from", crate::schema!({"type": "string", "format": "date"})),
            ("to", crate::schema!({"type": "string", "format": "date"})),
            (
                "days",
                crate::schema!({"type": "integer", "minimum": 1, "maximum": 366, "default": 30}),
            ),
        ],
        &[],
    )
}

/// `[from, to]` from the input: explicit dates, or the last `days` (30).
fn period(cx: &Cx<'_>, input: &Value) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = input["to"]
        .as_str()
        .and_then(parse_date)
        .unwrap_or(cx.today);
    let from = match input["from"].as_str().and_then(parse_date) {
        Some(f) => f,
        None => to - Duration::days(input["days"].as_i64().unwrap_or(30) - 1),
    };
    if from > to {
        return Err(ApiError::validation("from", "must not be after to"));
    }
    Ok((from, to))
}

async fn in_period(
    cx: &Cx<'_>,
    input: &Value,
) -> Result<(NaiveDate, NaiveDate, Vec<Entry>), ApiError> {
    let (from, to) = period(cx, input)?;
    Ok((from, to, data::entries(cx, from, to).await?))
}

fn period_figures() -> Vec<(&'static str, Value)> {
    vec![
        ("from", crate::schema!({"type": "string"})),
        ("to", crate::schema!({"type": "string"})),
        ("entries", crate::schema!({"type": "integer"})),
    ]
}

// ---- summarize ----

pub const SUMMARIZE: Feature = Feature {
    path: "/api/os/ai/logbook/summarize",
    area: "logbook",
    name: "summarize",
    summary: "A period's entries in a few lines",
    prompt: "Summarize the period's logbook entries in a few sentences.",
    input: period_input,
    output: || {
        object(
            &[
                ("summary", crate::schema!({"type": "string"})),
                ("highlights", list(crate::schema!({"type": "string"}))),
            ],
            &["summary", "highlights"],
        )
    },
    computed: || {
        let mut f = period_figures();
        f.extend([
            ("words", crate::schema!({"type": "integer"})),
            ("days_written", crate::schema!({"type": "integer"})),
            ("mood", crate::schema!({"type": ["number", "null"]})),
        ]);
        object(&f, &["from", "to", "entries", "words"])
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(summarize(cx, input)),
    apply: None,
};

async fn summarize(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (from, to, entries) = in_period(cx, input).await?;
    let words: usize = entries
        .iter()
        .map(|e| e.content.split_whitespace().count())
        .sum();
    let mut days: Vec<&str> = entries.iter().map(|e| e.date.as_str()).collect();
    days.dedup();
    let texts: Vec<&str> = entries.iter().map(|e| e.content.as_str()).collect();
    let themes = text::themes(&texts, 2);
    let moods: Vec<f64> = entries
        .iter()
        .map(|e| text::sentiment(&e.content))
        .filter(|s| s.1 + s.2 > 0)
        .map(|s| s.0)
        .collect();
    let highlights: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            e.content
                .split(['.', '\n'])
                .next()
                .map(|s| s.trim().chars().take(120).collect::<String>())
        })
        .filter(|s| !s.is_empty())
        .take(5)
        .collect();
    Ok(Draft {
        computed: json!({"from": from.to_string(), "to": to.to_string(), "entries": entries.len(), "words": words, "days_written": days.len(), "mood": stats::mean(&moods).map(|m| stats::round(m, 2))}),
        result: json!({"summary": if entries.is_empty() { format!("No entries between {from} and {to}.") } else {
            format!("{} entr{} over {} day(s) between {from} and {to}{}.", entries.len(), if entries.len() == 1 { "y" } else { "ies" }, days.len(),
                if themes.is_empty() { String::new() } else { format!(", mostly about {}", themes.iter().take(3).map(|t| t.0.as_str()).collect::<Vec<_>>().join(", ")) }) },
            "highlights": highlights}),
    })
}

// ---- themes ----

pub const THEMES: Feature = Feature {
    path: "/api/os/ai/logbook/themes",
    area: "logbook",
    name: "themes",
    summary: "Recurring topics with counts",
    prompt: "Name the recurring topics; keep the counts.",
    input: period_input,
    output: || {
        object(
            &[(
                "themes",
                list(object(
                    &[
                        ("theme", crate::schema!({"type": "string"})),
                        ("entries", crate::schema!({"type": "integer"})),
                    ],
                    &["theme", "entries"],
                )),
            )],
            &["themes"],
        )
    },
    computed: || object(&period_figures(), &["from", "to", "entries"]),
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(themes(cx, input)),
    apply: None,
};

async fn themes(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (from, to, entries) = in_period(cx, input).await?;
    let texts: Vec<&str> = entries.iter().map(|e| e.content.as_str()).collect();
    let found = text::themes(&texts, 2);
    Ok(Draft {
        computed: json!({"from": from.to_string(), "to": to.to_string(), "entries": entries.len()}),
        result: json!({"themes": found.iter().take(12).map(|(t, n)| json!({"theme": t, "entries": n})).collect::<Vec<_>>()}),
    })
}

// ---- sentiment ----

pub const SENTIMENT: Feature = Feature {
    path: "/api/os/ai/logbook/sentiment",
    area: "logbook",
    name: "sentiment",
    summary: "The mood trend over time",
    prompt: "Describe the mood trend; keep the weekly scores.",
    input: period_input,
    output: || {
        object(
            &[
                (
                    "trend",
                    crate::schema!({"type": "string", "enum": ["improving", "declining", "steady", "unknown"]}),
                ),
                ("description", crate::schema!({"type": "string"})),
            ],
            &["trend", "description"],
        )
    },
    computed: || {
        let mut f = period_figures();
        f.extend([
            (
                "weeks",
                list(object(
                    &[
                        ("week_of", crate::schema!({"type": "string"})),
                        ("score", crate::schema!({"type": "number"})),
                        ("entries", crate::schema!({"type": "integer"})),
                    ],
                    &["week_of", "score", "entries"],
                )),
            ),
            (
                "slope_per_week",
                crate::schema!({"type": ["number", "null"]}),
            ),
        ]);
        object(&f, &["from", "to", "entries", "weeks"])
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(sentiment(cx, input)),
    apply: None,
};

async fn sentiment(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (from, to, entries) = in_period(cx, input).await?;
    let mut weeks: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    for e in &entries {
        if let Some(d) = parse_date(&e.date) {
            let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
            weeks
                .entry(monday)
                .or_default()
                .push(text::sentiment(&e.content).0);
        }
    }
    let rows: Vec<(NaiveDate, f64, usize)> = weeks
        .iter()
        .filter_map(|(w, s)| stats::mean(s).map(|m| (*w, stats::round(m, 3), s.len())))
        .collect();
    let xs: Vec<f64> = (0..rows.len()).map(|i| i as f64).collect();
    let ys: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let slope = stats::linear_fit(&xs, &ys).map(|(_, b)| b);
    let trend = match slope {
        None => "unknown",
        Some(s) if s > 0.05 => "improving",
        Some(s) if s < -0.05 => "declining",
        Some(_) => "steady",
    };
    Ok(Draft {
        computed: json!({"from": from.to_string(), "to": to.to_string(), "entries": entries.len(),
            "weeks": rows.iter().map(|(w, s, n)| json!({"week_of": w.to_string(), "score": s, "entries": n})).collect::<Vec<_>>(), "slope_per_week": slope.map(|s| stats::round(s, 3))}),
        result: json!({"trend": trend, "description": match trend {
            "unknown" => "Write a few more entries over a couple of weeks to see a trend.".to_string(),
            t => format!("Your mood is {t} over {} week(s), from the words in your entries.", rows.len()) }}),
    })
}

// ---- reflect ----

pub const REFLECT: Feature = Feature {
    path: "/api/os/ai/logbook/reflect",
    area: "logbook",
    name: "reflect",
    summary: "Reflection prompts from recent entries",
    prompt: "Write 3 to 5 reflection prompts grounded in the recent themes.",
    input: period_input,
    output: || {
        object(
            &[(
                "prompts",
                crate::schema!({"type": "array", "minItems": 1, "maxItems": 5, "items": {"type": "string"}}),
            )],
            &["prompts"],
        )
    },
    computed: || {
        let mut f = period_figures();
        f.push(("themes", list(crate::schema!({"type": "string"}))));
        object(&f, &["from", "to", "entries", "themes"])
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(reflect(cx, input)),
    apply: None,
};

async fn reflect(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (from, to, entries) = in_period(cx, input).await?;
    let texts: Vec<&str> = entries.iter().map(|e| e.content.as_str()).collect();
    let themes: Vec<String> = text::themes(&texts, 1)
        .into_iter()
        .take(3)
        .map(|t| t.0)
        .collect();
    let mut prompts: Vec<String> = themes
        .iter()
        .map(|t| format!("What has “{t}” taught you lately?"))
        .collect();
    prompts.push("What would make tomorrow a good day?".into());
    prompts.push("What are you grateful for this week?".into());
    prompts.truncate(5);
    Ok(Draft {
        computed: json!({"from": from.to_string(), "to": to.to_string(), "entries": entries.len(), "themes": themes}),
        result: json!({ "prompts": prompts }),
    })
}

// ---- extract_tasks ----

pub const EXTRACT_TASKS: Feature = Feature {
    path: "/api/os/ai/logbook/extract_tasks",
    area: "logbook",
    name: "extract_tasks",
    summary: "Action items found in entries",
    prompt: "List the action items the entries mention, as task titles.",
    input: || {
        object(
            &[
                ("entry_id", id()),
                (
                    "days",
                    crate::schema!({"type": "integer", "minimum": 1, "maximum": 366, "default": 7}),
                ),
                ("apply", apply_flag()),
            ],
            &[],
        )
    },
    output: || {
        object(
            &[(
                "tasks",
                list(object(
                    &[
                        (
                            "title",
                            crate::schema!({"type": "string", "minLength": 1, "maxLength": 200}),
                        ),
                        ("entry_id", crate::schema!({"type": "string"})),
                    ],
                    &["title", "entry_id"],
                )),
            )],
            &["tasks"],
        )
    },
    computed: || {
        object(
            &[
                ("entries_read", crate::schema!({"type": "integer"})),
                ("found", crate::schema!({"type": "integer"})),
            ],
            &["entries_read", "found"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(extract(cx, input)),
    apply: Some(|cx, _input, result| Box::pin(apply_extract(cx, result))),
};

async fn extract(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let entries = match input["entry_id"].as_str() {
        Some(id) => vec![data::entry(cx, id).await?],
        None => {
            data::entries(
                cx,
                cx.today - Duration::days(input["days"].as_i64().unwrap_or(7) - 1),
                cx.today,
            )
            .await?
        }
    };
    let found: Vec<Value> = entries
        .iter()
        .flat_map(|e| {
            text::action_items(&e.content)
                .into_iter()
                .map(move |t| json!({"title": t, "entry_id": e.id}))
        })
        .collect();
    Ok(Draft {
        computed: json!({"entries_read": entries.len(), "found": found.len()}),
        result: json!({ "tasks": found }),
    })
}

async fn apply_extract(cx: &Cx<'_>, result: &Value) -> Result<Value, ApiError> {
    let now = crate::platform::ids::now_rfc3339();
    let mut ids = Vec::new();
    let mut stmts = Vec::new();
    for t in result["tasks"].as_array().into_iter().flatten() {
        let title = t["title"].as_str().unwrap_or("Task");
        let description = format!(
            "From logbook entry {}",
            t["entry_id"].as_str().unwrap_or("")
        );
        let (id, stmt) = super::insert_task(
            cx,
            &super::NewTask {
                title,
                description: &description,
                area: text::area_of(title),
                effort: 1,
                ..Default::default()
            },
            &now,
        )?;
        stmts.push(stmt);
        ids.push(id);
    }
    crate::platform::db::write(cx.db, stmts).await?;
    Ok(json!({ "task_ids": ids }))
}

// ---- link ----

pub const LINK: Feature = Feature {
    path: "/api/os/ai/logbook/link",
    area: "logbook",
    name: "link",
    summary: "Suggested links to goals and projects",
    prompt: "Explain which goals and projects the entry relates to.",
    input: || object(&[("entry_id", id())], &["entry_id"]),
    output: || {
        object(
            &[(
                "links",
                list(object(
                    &[
                        (
                            "type",
                            crate::schema!({"type": "string", "enum": ["goal", "project"]}),
                        ),
                        ("id", crate::schema!({"type": "string"})),
                        ("name", crate::schema!({"type": "string"})),
                        ("why", crate::schema!({"type": "string"})),
                    ],
                    &["type", "id", "name", "why"],
                )),
            )],
            &["links"],
        )
    },
    computed: || {
        object(
            &[(
                "scores",
                list(object(
                    &[
                        ("type", crate::schema!({"type": "string"})),
                        ("id", crate::schema!({"type": "string"})),
                        ("overlap", crate::schema!({"type": "number"})),
                    ],
                    &["type", "id", "overlap"],
                )),
            )],
            &["scores"],
        )
    },
    reads: &["os_logbook", "os_goals", "os_projects"],
    ttl_secs: 3600,
    run: |cx, input| Box::pin(link(cx, input)),
    apply: None,
};

async fn link(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (e, titles, projects) = futures::try_join!(
        data::entry(cx, input["entry_id"].as_str().unwrap_or("")),
        crate::products::os::goals::titles(cx.db, cx.caller),
        data::projects(cx)
    )?;
    let mut found: Vec<(&str, String, String, f64)> = Vec::new();
    for (id, title) in titles {
        let o = text::overlap(&title, &e.content);
        found.push(("goal", id, title, o));
    }
    for p in projects {
        let o = text::overlap(&format!("{} {}", p.name, p.description), &e.content)
            .max(text::overlap(&p.name, &e.content));
        found.push(("project", p.id, p.name, o));
    }
    found.retain(|f| f.3 > 0.0);
    crate::platform::sort::sort_by(&mut found, |a, b| {
        b.3.total_cmp(&a.3).then_with(|| a.1.cmp(&b.1))
    });
    found.truncate(5);
    Ok(Draft {
        computed: json!({"scores": found.iter().map(|(t, id, _, o)| json!({"type": t, "id": id, "overlap": stats::round(*o, 2)})).collect::<Vec<_>>()}),
        result: json!({"links": found.iter().map(|(t, id, n, o)| json!({"type": t, "id": id, "name": n, "why": format!("the entry uses {}% of its words", (o * 100.0).round())})).collect::<Vec<_>>()}),
    })
}
