//! Habit helpers: design, stack, recovery, optimize, difficulty, insights.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Value};

use super::{data, id, list, object, stats, words, Cx, Draft, Feature};
use crate::platform::error::ApiError;
use crate::platform::fields::parse_date;
use crate::products::os::habits::{self as store, Habit};
use crate::products::os::rules::habits::Schedule;

pub static FEATURES: &[Feature] = &[DESIGN, STACK, RECOVERY, OPTIMIZE, DIFFICULTY, INSIGHTS];

const TABLES: &[&str] = &["os_habits", "os_habit_logs"];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn habit_input() -> Value {
    object(&[("habit_id", id())], &["habit_id"])
}

async fn habit(cx: &Cx<'_>, input: &Value) -> Result<(Habit, Vec<NaiveDate>), ApiError> {
    store::find_with_days(cx.db, cx.caller, input["habit_id"].as_str().unwrap_or("")).await
}

fn schedule_of(h: &Habit) -> Schedule {
    store::parse_schedule(&h.schedule).unwrap_or(Schedule::Daily)
}

/// Due days and done days over the last `window` days (from the habit's start).
fn consistency(h: &Habit, done: &[NaiveDate], today: NaiveDate, window: i64) -> (u32, u32) {
    let s = schedule_of(h);
    let start = parse_date(&h.start_date).unwrap_or(today);
    let done: HashSet<NaiveDate> = done.iter().copied().collect();
    let mut due = 0;
    let mut hit = 0;
    for k in 0..window {
        let d = today - Duration::days(k);
        if d < start {
            break;
        }
        if s.is_due(d, start) {
            due += 1;
            hit += u32::from(done.contains(&d));
        }
    }
    (due, hit)
}

fn pct(hit: u32, due: u32) -> Option<f64> {
    (due > 0).then(|| stats::round(f64::from(hit) * 100.0 / f64::from(due), 1))
}

// ---- design ----

pub const DESIGN: Feature = Feature {
    path: "/api/os/ai/habits/design",
    area: "habits",
    name: "design",
    summary: "Cue, routine, reward and schedule for a new habit",
    prompt: "Design the habit: a cue, a tiny routine, a reward and a schedule.",
    input: || {
        object(
            &[
                ("name", words(100)),
                ("goal", crate::schema!({"type": "string", "maxLength": 500})),
            ],
            &["name"],
        )
    },
    output: || {
        object(
            &[
                ("cue", crate::schema!({"type": "string"})),
                ("routine", crate::schema!({"type": "string"})),
                ("reward", crate::schema!({"type": "string"})),
                ("schedule", crate::schema!({"type": "object"})),
            ],
            &["cue", "routine", "reward", "schedule"],
        )
    },
    computed: || {
        object(
            &[
                (
                    "your_best_weekday",
                    crate::schema!({"type": ["string", "null"]}),
                ),
                ("habits", crate::schema!({"type": "integer"})),
            ],
            &["habits"],
        )
    },
    reads: TABLES,
    ttl_secs: 86_400,
    run: |cx, input| Box::pin(design(cx, input)),
    apply: None,
};

async fn design(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let name = input["name"].as_str().unwrap_or("").trim().to_string();
    let (habits, days) = futures::try_join!(store::all(cx.db, cx.caller), data::habit_days(cx))?;
    let mut per_day = [0usize; 7];
    for d in days.values().flatten() {
        per_day[d.weekday().num_days_from_monday() as usize] += 1;
    }
    let best = per_day
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .max_by_key(|(_, n)| **n)
        .map(|(i, _)| WEEKDAYS[i]);
    let l = name.to_lowercase();
    let cue = if ["read", "journal", "stretch", "meditat"]
        .iter()
        .any(|w| l.contains(w))
    {
        "After you brush your teeth at night"
    } else if ["run", "walk", "exercise", "gym", "workout"]
        .iter()
        .any(|w| l.contains(w))
    {
        "When you finish your morning coffee"
    } else {
        "At the same time and place each day"
    };
    Ok(Draft {
        computed: json!({"your_best_weekday": best, "habits": habits.len()}),
        result: json!({"cue": cue, "routine": format!("Do the smallest version of “{name}”: two minutes."),
            "reward": "Mark it done and note one word about how it felt.", "schedule": {"type": "daily"}}),
    })
}

// ---- stack ----

pub const STACK: Feature = Feature {
    path: "/api/os/ai/habits/stack",
    area: "habits",
    name: "stack",
    summary: "Anchor a new habit on your most consistent one",
    prompt: "Suggest stacking the new habit on the most consistent existing habits.",
    input: || object(&[("name", words(100))], &["name"]),
    output: || {
        object(
            &[
                (
                    "anchor_habit_id",
                    crate::schema!({"type": ["string", "null"]}),
                ),
                ("plan", crate::schema!({"type": "string"})),
                ("alternatives", list(crate::schema!({"type": "string"}))),
            ],
            &["anchor_habit_id", "plan", "alternatives"],
        )
    },
    computed: || {
        object(
            &[(
                "ranked",
                list(object(
                    &[
                        ("habit_id", crate::schema!({"type": "string"})),
                        ("name", crate::schema!({"type": "string"})),
                        ("strength", crate::schema!({"type": "number"})),
                        ("current_streak", crate::schema!({"type": "integer"})),
                    ],
                    &["habit_id", "strength"],
                )),
            )],
            &["ranked"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(stack(cx, input)),
    apply: None,
};

async fn stack(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let name = input["name"].as_str().unwrap_or("").trim();
    let mut habits = store::all(cx.db, cx.caller).await?;
    crate::platform::sort::sort_by(&mut habits, |a, b| {
        b.strength
            .total_cmp(&a.strength)
            .then_with(|| b.current_streak.cmp(&a.current_streak))
            .then_with(|| a.id.cmp(&b.id))
    });
    let anchor = habits.first();
    Ok(Draft {
        computed: json!({"ranked": habits.iter().take(5).map(|h| json!({"habit_id": h.id, "name": h.name, "strength": h.strength, "current_streak": h.current_streak})).collect::<Vec<_>>()}),
        result: json!({"anchor_habit_id": anchor.map(|h| h.id.clone()),
            "plan": match anchor { Some(h) => format!("After I {}, I will {name}.", h.name.to_lowercase()), None => format!("Pick a daily moment (after coffee, before bed) and {name} right after it.") },
            "alternatives": habits.iter().skip(1).take(2).map(|h| format!("After I {}, I will {name}.", h.name.to_lowercase())).collect::<Vec<_>>()}),
    })
}

// ---- recovery ----

pub const RECOVERY: Feature = Feature {
    path: "/api/os/ai/habits/recovery",
    area: "habits",
    name: "recovery",
    summary: "A plan after a broken streak",
    prompt: "Write a short, kind plan to restart the habit from the break's context.",
    input: habit_input,
    output: || {
        object(
            &[
                ("plan", list(crate::schema!({"type": "string"}))),
                ("message", crate::schema!({"type": "string"})),
            ],
            &["plan", "message"],
        )
    },
    computed: || {
        object(
            &[
                ("last_done", crate::schema!({"type": ["string", "null"]})),
                ("days_since", crate::schema!({"type": ["integer", "null"]})),
                ("best_streak", crate::schema!({"type": "integer"})),
                ("current_streak", crate::schema!({"type": "integer"})),
                (
                    "consistency_30d",
                    crate::schema!({"type": ["number", "null"]}),
                ),
                ("broken", crate::schema!({"type": "boolean"})),
            ],
            &["best_streak", "current_streak", "broken"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(recovery(cx, input)),
    apply: None,
};

async fn recovery(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (h, done) = habit(cx, input).await?;
    let last = done.last().copied();
    let since = last.map(|d| (cx.today - d).num_days());
    let (due, hit) = consistency(&h, &done, cx.today, 30);
    let broken = h.current_streak == 0 && h.best_streak > 0;
    Ok(Draft {
        computed: json!({"last_done": last.map(|d| d.to_string()), "days_since": since, "best_streak": h.best_streak, "current_streak": h.current_streak, "consistency_30d": pct(hit, due), "broken": broken}),
        result: json!({
            "plan": ["Do it today, in its smallest form.".to_string(), format!("Aim for 3 days in a row before anything bigger (your best run is {}).", h.best_streak), "Put the cue where you will see it tomorrow.".to_string()],
            "message": match since { Some(s) if s > 1 => format!("It has been {s} days since “{}”. One missed day is normal; two in a row is where habits slip, so restart today.", h.name), _ => format!("“{}” is on track; keep the chain going.", h.name) },
        }),
    })
}

// ---- optimize ----

pub const OPTIMIZE: Feature = Feature {
    path: "/api/os/ai/habits/optimize",
    area: "habits",
    name: "optimize",
    summary: "Best days from the log history",
    prompt: "Point out the best and weakest days from the completion rates.",
    input: habit_input,
    output: || {
        object(
            &[
                ("best_days", list(crate::schema!({"type": "string"}))),
                ("weak_days", list(crate::schema!({"type": "string"}))),
                ("advice", crate::schema!({"type": "string"})),
            ],
            &["best_days", "weak_days", "advice"],
        )
    },
    computed: || {
        object(
            &[("by_weekday", crate::schema!({"type": "object"}))],
            &["by_weekday"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(optimize(cx, input)),
    apply: None,
};

async fn optimize(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (h, done) = habit(cx, input).await?;
    let s = schedule_of(&h);
    let start = parse_date(&h.start_date).unwrap_or(cx.today);
    let set: HashSet<NaiveDate> = done.iter().copied().collect();
    let mut due = [0u32; 7];
    let mut hit = [0u32; 7];
    let mut d = start.max(cx.today - Duration::days(180));
    while d <= cx.today {
        if s.is_due(d, start) {
            let i = d.weekday().num_days_from_monday() as usize;
            due[i] += 1;
            hit[i] += u32::from(set.contains(&d));
        }
        d += Duration::days(1);
    }
    let rates: Vec<Option<f64>> = (0..7).map(|i| pct(hit[i], due[i])).collect();
    let by: serde_json::Map<String, Value> = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n.to_string(),
                json!({"due": due[i], "done": hit[i], "rate": rates[i]}),
            )
        })
        .collect();
    let known: Vec<(usize, f64)> = rates
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.map(|r| (i, r)))
        .collect();
    let top = known.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let low = known.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    let best: Vec<&str> = known
        .iter()
        .filter(|x| x.1 == top)
        .map(|x| WEEKDAYS[x.0])
        .collect();
    let weak: Vec<&str> = if top == low {
        Vec::new()
    } else {
        known
            .iter()
            .filter(|x| x.1 == low)
            .map(|x| WEEKDAYS[x.0])
            .collect()
    };
    Ok(Draft {
        computed: json!({ "by_weekday": by }),
        result: json!({"best_days": best, "weak_days": weak, "advice": if weak.is_empty() { "Your days are even; keep the schedule.".to_string() } else { if weak.len() == 1 {
            format!("{} is your weakest day: plan a smaller version for it.", weak[0])
        } else {
            format!("{} are your weakest days: plan a smaller version for them.", weak.join(", "))
        } }}),
    })
}

// ---- difficulty ----

pub const DIFFICULTY: Feature = Feature {
    path: "/api/os/ai/habits/difficulty",
    area: "habits",
    name: "difficulty",
    summary: "Too easy or too hard, from consistency",
    prompt: "Say whether the habit is too easy or too hard from its consistency, with one change.",
    input: habit_input,
    output: || {
        object(
            &[
                (
                    "verdict",
                    crate::schema!({"type": "string", "enum": ["too_easy", "about_right", "too_hard", "too_new"]}),
                ),
                ("suggestion", crate::schema!({"type": "string"})),
            ],
            &["verdict", "suggestion"],
        )
    },
    computed: || {
        object(
            &[
                ("due_30d", crate::schema!({"type": "integer"})),
                ("done_30d", crate::schema!({"type": "integer"})),
                (
                    "consistency_30d",
                    crate::schema!({"type": ["number", "null"]}),
                ),
            ],
            &["due_30d", "done_30d", "consistency_30d"],
        )
    },
    reads: TABLES,
    ttl_secs: 3600,
    run: |cx, input| Box::pin(difficulty(cx, input)),
    apply: None,
};

/// ≥ 90 % over 30 days: too easy; < 40 %: too hard; fewer than 7 due days: too new.
pub fn verdict(due: u32, hit: u32) -> &'static str {
    match pct(hit, due) {
        _ if due < 7 => "too_new",
        Some(p) if p >= 90.0 => "too_easy",
        Some(p) if p < 40.0 => "too_hard",
        _ => "about_right",
    }
}

async fn difficulty(cx: &Cx<'_>, input: &Value) -> Result<Draft, ApiError> {
    let (h, done) = habit(cx, input).await?;
    let (due, hit) = consistency(&h, &done, cx.today, 30);
    let v = verdict(due, hit);
    Ok(Draft {
        computed: json!({"due_30d": due, "done_30d": hit, "consistency_30d": pct(hit, due)}),
        result: json!({"verdict": v, "suggestion": match v {
            "too_easy" => format!("You kept “{}” {hit} of {due} days: raise the bar a little.", h.name),
            "too_hard" => format!("{hit} of {due} days: shrink “{}” to two minutes or fewer days a week.", h.name),
            "too_new" => "Give it a week or two before changing anything.".to_string(),
            _ => format!("{hit} of {due} days: about right, keep going."),
        }}),
    })
}

// ---- insights ----

pub const INSIGHTS: Feature = Feature {
    path: "/api/os/ai/habits/insights",
    area: "habits",
    name: "insights",
    summary: "How all your habits are doing",
    prompt: "Summarize how the user's habits are doing from the figures.",
    input: || object(&[], &[]),
    output: || {
        object(
            &[
                ("summary", crate::schema!({"type": "string"})),
                ("strongest", crate::schema!({"type": ["string", "null"]})),
                ("needs_attention", list(crate::schema!({"type": "string"}))),
            ],
            &["summary", "strongest", "needs_attention"],
        )
    },
    computed: || {
        object(
            &[
                (
                    "habits",
                    list(object(
                        &[
                            ("habit_id", crate::schema!({"type": "string"})),
                            ("name", crate::schema!({"type": "string"})),
                            (
                                "consistency_30d",
                                crate::schema!({"type": ["number", "null"]}),
                            ),
                            ("current_streak", crate::schema!({"type": "integer"})),
                        ],
                        &["habit_id", "consistency_30d"],
                    )),
                ),
                ("done_today", crate::schema!({"type": "integer"})),
                ("due_today", crate::schema!({"type": "integer"})),
            ],
            &["habits", "done_today", "due_today"],
        )
    },
    reads: TABLES,
    ttl_secs: 900,
    run: |cx, _| Box::pin(insights(cx)),
    apply: None,
};

async fn insights(cx: &Cx<'_>) -> Result<Draft, ApiError> {
    let (habits, days) = futures::try_join!(store::all(cx.db, cx.caller), data::habit_days(cx))?;
    let rows: Vec<(String, String, Option<f64>, u32)> = habits
        .iter()
        .map(|h| {
            let (due, hit) = consistency(
                h,
                days.get(&h.id).map_or(&[][..], |d| d.as_slice()),
                cx.today,
                30,
            );
            (
                h.id.clone(),
                h.name.clone(),
                pct(hit, due),
                h.current_streak,
            )
        })
        .collect();
    let strongest = rows
        .iter()
        .filter(|r| r.2.is_some())
        .max_by(|a, b| a.2.unwrap_or(0.0).total_cmp(&b.2.unwrap_or(0.0)))
        .map(|r| r.1.clone());
    let attention: Vec<String> = rows
        .iter()
        .filter(|r| r.2.is_some_and(|p| p < 50.0))
        .map(|r| r.1.clone())
        .collect();
    let (due_today, done_today) = (
        habits.iter().filter(|h| h.due_today).count(),
        habits.iter().filter(|h| h.done_today).count(),
    );
    Ok(Draft {
        computed: json!({"habits": rows.iter().map(|r| json!({"habit_id": r.0, "name": r.1, "consistency_30d": r.2, "current_streak": r.3})).collect::<Vec<_>>(), "done_today": done_today, "due_today": due_today}),
        result: json!({"summary": format!("{} habit(s); {done_today} of {due_today} due today are done.", habits.len()), "strongest": strongest, "needs_attention": attention}),
    })
}
