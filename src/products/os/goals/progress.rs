//! Goal progress: computed from every linked part, cached on the goal and refreshed by
//! SQL in the same D1 batch as each write that changes a part.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement};

use crate::platform::auth::Caller;
use crate::platform::db::nullable;
use crate::platform::error::ApiError;
use crate::products::os::rules::goals as rules;
use crate::products::os::rules::habits::Schedule;
use crate::products::os::rules::metrics::Log;
use crate::products::os::{habits, metrics, settings};

use super::*;

// ---- keeping the cached progress fresh, in the caller's batch ----

/// Re-averages the parts of `goals` (ids; `None`s and repeats are ignored) from criteria,
/// linked tasks and link scores: the SQL twin of `rules::goals::progress`.
pub(super) const REFRESH: &str = "UPDATE os_goals SET progress = (SELECT COALESCE(ROUND(AVG(part) * 1000) / 10, 0) FROM ( \
     SELECT AVG(json_extract(c.value, '$.met')) AS part FROM json_each(os_goals.success_criteria) AS c \
     UNION ALL SELECT AVG(t.status = 'done') FROM os_tasks AS t WHERE t.user_id = os_goals.user_id AND t.goal_id = os_goals.id \
     UNION ALL SELECT AVG(MIN(MAX(l.score, 0), 1)) FROM os_goal_links AS l WHERE l.goal_id = os_goals.id AND l.kind = 'metric' \
     UNION ALL SELECT AVG(MIN(MAX(l.score, 0), 1)) FROM os_goal_links AS l WHERE l.goal_id = os_goals.id AND l.kind = 'habit')) \
     WHERE user_id = ?1";

pub fn refresh(
    db: &D1Database,
    user_id: &str,
    goals: &[Option<&str>],
) -> Result<Option<D1PreparedStatement>, ApiError> {
    let mut ids: Vec<&str> = goals.iter().flatten().copied().collect();
    crate::platform::sort::sort(&mut ids);
    ids.dedup();
    if ids.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        db.prepare(format!(
            "{REFRESH} AND id IN (SELECT value FROM json_each(?2))"
        ))
        .bind(&[user_id.into(), serde_json::to_string(&ids)?.into()])?,
    ))
}

/// Refreshes every goal linked to a metric or habit.
pub(super) fn refresh_linked(
    db: &D1Database,
    user_id: &str,
    kind: &str,
    item_id: &str,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(format!(
            "{REFRESH} AND id IN (SELECT goal_id FROM os_goal_links WHERE user_id = ?1 AND kind = ?2 AND item_id = ?3)"
        ))
        .bind(&[user_id.into(), kind.into(), item_id.into()])?)
}

/// After a metric's logs, target or direction changed: its new part in every goal it is
/// linked to, and those goals refreshed.
pub fn metric_changed(
    db: &D1Database,
    user_id: &str,
    metric_id: &str,
    score: Option<f64>,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    Ok(vec![
        db.prepare(
            "UPDATE os_goal_links SET score = ?1 WHERE user_id = ?2 AND kind = 'metric' AND item_id = ?3",
        )
        .bind(&[nullable(score), user_id.into(), metric_id.into()])?,
        refresh_linked(db, user_id, "metric", metric_id)?,
    ])
}

/// After a habit's logs or schedule changed: its consistency over the window of every
/// goal it is linked to (one read to find them), and those goals refreshed.
/// A goal a habit is linked to: the window its consistency counts in.
#[derive(Debug, Clone, Deserialize)]
pub struct HabitGoal {
    id: String,
    start_date: String,
    target_date: Option<String>,
}

/// The goals a habit is linked to, read with the habit before a write that changes its
/// days (so the write and their refresh go in one batch).
pub async fn habit_goals(
    db: &D1Database,
    user_id: &str,
    habit_id: &str,
) -> Result<Vec<HabitGoal>, ApiError> {
    Ok(db
        .prepare(
            "SELECT g.id, g.start_date, g.target_date FROM os_goal_links AS l JOIN os_goals AS g ON g.id = l.goal_id \
             WHERE l.user_id = ?1 AND l.kind = 'habit' AND l.item_id = ?2",
        )
        .bind(&[user_id.into(), habit_id.into()])?
        .all()
        .await?
        .results()?)
}

/// The statements that refresh `goals` (those of [`habit_goals`]) after the habit's days
/// became `done`.
#[allow(clippy::too_many_arguments)]
pub fn habit_changed(
    db: &D1Database,
    user_id: &str,
    habit_id: &str,
    goals: &[HabitGoal],
    schedule: &Schedule,
    habit_start: NaiveDate,
    done: &HashSet<NaiveDate>,
    today: NaiveDate,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let mut stmts = Vec::new();
    for g in goals {
        let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let score = rules::habit_consistency(
            schedule,
            habit_start,
            done,
            parse(&g.start_date).unwrap_or(today),
            g.target_date.as_deref().and_then(parse),
            today,
        );
        stmts.push(link_score(db, &g.id, "habit", habit_id, score)?);
    }
    if !goals.is_empty() {
        stmts.push(refresh_linked(db, user_id, "habit", habit_id)?);
    }
    Ok(stmts)
}

pub(super) fn link_score(
    db: &D1Database,
    goal_id: &str,
    kind: &str,
    item_id: &str,
    score: Option<f64>,
) -> Result<D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE os_goal_links SET score = ?1 WHERE goal_id = ?2 AND kind = ?3 AND item_id = ?4",
        )
        .bind(&[nullable(score), goal_id.into(), kind.into(), item_id.into()])?)
}

/// To follow the deletion of a metric or habit: a link without a score counts like no
/// link, so the goals are refreshed with its score cleared, then the links go.
pub fn item_removed(
    db: &D1Database,
    user_id: &str,
    kind: &str,
    item_id: &str,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    Ok(vec![
        db.prepare(
            "UPDATE os_goal_links SET score = NULL WHERE user_id = ?1 AND kind = ?2 AND item_id = ?3",
        )
        .bind(&[user_id.into(), kind.into(), item_id.into()])?,
        refresh_linked(db, user_id, kind, item_id)?,
        db.prepare("DELETE FROM os_goal_links WHERE user_id = ?1 AND kind = ?2 AND item_id = ?3")
            .bind(&[user_id.into(), kind.into(), item_id.into()])?,
    ])
}

// ---- computing every part from the data ----

#[derive(Debug, Serialize)]
pub(super) struct Part {
    id: String,
    name: String,
    percent: Option<f64>,
    #[serde(skip)]
    score: Option<f64>,
}

pub(super) fn part(id: String, name: String, score: Option<f64>) -> Part {
    Part {
        id,
        name,
        percent: score.map(|s| rules::round1(s * 100.0)),
        score,
    }
}

/// A metric linked to a goal, with the score stored on the link.
#[derive(Deserialize)]
struct LinkedMetric {
    id: String,
    name: String,
    target: Option<f64>,
    direction: String,
    stored: Option<f64>,
}

/// A habit linked to a goal, with the score stored on the link.
#[derive(Deserialize)]
struct LinkedHabit {
    id: String,
    name: String,
    schedule: String,
    start_date: String,
    stored: Option<f64>,
}

/// What a goal's progress is computed from: today in the caller's zone, its tasks, and
/// its linked metrics and habits with their logs.
pub(super) struct Reads {
    today: NaiveDate,
    tasks_total: u32,
    tasks_done: u32,
    metrics: Vec<LinkedMetric>,
    metric_logs: HashMap<String, Vec<Log>>,
    habits: Vec<LinkedHabit>,
    habit_logs: HashMap<String, HashSet<NaiveDate>>,
}

/// Reads everything a goal's progress needs, by the goal's id alone, in one batch (one
/// round trip), so it can go beside the read of the goal itself.
pub(super) async fn read(db: &D1Database, user_id: &str, goal_id: &str) -> Result<Reads, ApiError> {
    #[derive(Deserialize)]
    struct Zone {
        timezone: String,
    }
    #[derive(Deserialize)]
    struct Counts {
        total: i64,
        done: Option<i64>,
    }
    #[derive(Deserialize)]
    struct MetricLog {
        metric_id: String,
        date: String,
        value: f64,
    }
    #[derive(Deserialize)]
    struct HabitLog {
        habit_id: String,
        date: String,
    }
    let bind = |sql: &str| db.prepare(sql).bind(&[goal_id.into(), user_id.into()]);
    let r = db
        .batch(vec![
            bind("SELECT timezone FROM os_settings WHERE user_id = ?2 AND ?1 IS NOT NULL")?,
            bind("SELECT COUNT(*) AS total, SUM(status = 'done') AS done FROM os_tasks WHERE user_id = ?2 AND goal_id = ?1")?,
            bind(
                "SELECT m.id, m.name, m.target, m.direction, l.score AS stored FROM os_goal_links AS l JOIN os_metrics AS m \
                 ON m.id = l.item_id AND m.user_id = l.user_id \
                 WHERE l.goal_id = ?1 AND l.user_id = ?2 AND l.kind = 'metric' ORDER BY m.id",
            )?,
            bind(
                "SELECT metric_id, date, value FROM os_metric_logs WHERE user_id = ?2 AND metric_id IN \
                 (SELECT item_id FROM os_goal_links WHERE goal_id = ?1 AND kind = 'metric') ORDER BY date",
            )?,
            bind(
                "SELECT h.id, h.name, h.schedule, h.start_date, l.score AS stored FROM os_goal_links AS l JOIN os_habits AS h \
                 ON h.id = l.item_id AND h.user_id = l.user_id \
                 WHERE l.goal_id = ?1 AND l.user_id = ?2 AND l.kind = 'habit' ORDER BY h.id",
            )?,
            bind(
                "SELECT habit_id, date FROM os_habit_logs WHERE user_id = ?2 AND habit_id IN \
                 (SELECT item_id FROM os_goal_links WHERE goal_id = ?1 AND kind = 'habit')",
            )?,
        ])
        .await?;
    let [zone, counts, metrics, metric_logs, habits, habit_logs] = r.as_slice() else {
        return Err(ApiError::internal("goal progress: short batch"));
    };
    let zone = zone
        .results::<Zone>()?
        .pop()
        .map_or_else(|| "UTC".to_string(), |z| z.timezone);
    let counts = counts.results::<Counts>()?.pop();
    let mut by_metric: HashMap<String, Vec<Log>> = HashMap::new();
    for l in metric_logs.results::<MetricLog>()? {
        if let Ok(d) = NaiveDate::parse_from_str(&l.date, "%Y-%m-%d") {
            by_metric.entry(l.metric_id).or_default().push(Log {
                date: d,
                value: l.value,
            });
        }
    }
    let mut by_habit: HashMap<String, HashSet<NaiveDate>> = HashMap::new();
    for l in habit_logs.results::<HabitLog>()? {
        if let Ok(d) = NaiveDate::parse_from_str(&l.date, "%Y-%m-%d") {
            by_habit.entry(l.habit_id).or_default().insert(d);
        }
    }
    Ok(Reads {
        today: settings::today_in(&zone)?,
        tasks_total: counts.as_ref().map_or(0, |c| c.total as u32),
        tasks_done: counts.and_then(|c| c.done).unwrap_or(0) as u32,
        metrics: metrics.results()?,
        metric_logs: by_metric,
        habits: habits.results()?,
        habit_logs: by_habit,
    })
}

/// Every part of a goal from the data, its progress, and the statements that store what
/// changed (link scores, the cached progress): none when nothing did.
pub(super) fn evaluate(
    db: &D1Database,
    user_id: &str,
    goal: &Row,
    r: &Reads,
) -> Result<(f64, Value, Vec<D1PreparedStatement>), ApiError> {
    let today = r.today;
    let criteria = goal.criteria();
    let met = criteria.iter().filter(|c| c["met"] == json!(true)).count() as u32;
    let mut stmts = Vec::new();
    let changed = |stored: Option<f64>, new: Option<f64>| match (stored, new) {
        (Some(a), Some(b)) => (a - b).abs() > 1e-9,
        (a, b) => a.is_some() != b.is_some(),
    };
    let mut metrics = Vec::with_capacity(r.metrics.len());
    for m in &r.metrics {
        let score = rules::metric_score(
            r.metric_logs.get(&m.id).map_or(&[][..], Vec::as_slice),
            m.target,
            metrics::direction(&m.direction),
        );
        if changed(m.stored, score) {
            stmts.push(link_score(db, &goal.id, "metric", &m.id, score)?);
        }
        metrics.push(part(m.id.clone(), m.name.clone(), score));
    }
    let (start, target) = goal.window(today);
    let empty = HashSet::new();
    let mut habits = Vec::with_capacity(r.habits.len());
    for h in &r.habits {
        let habit_start = NaiveDate::parse_from_str(&h.start_date, "%Y-%m-%d").unwrap_or(today);
        let score = rules::habit_consistency(
            &habits::schedule_from_db(&h.schedule),
            habit_start,
            r.habit_logs.get(&h.id).unwrap_or(&empty),
            start,
            target,
            today,
        );
        if changed(h.stored, score) {
            stmts.push(link_score(db, &goal.id, "habit", &h.id, score)?);
        }
        habits.push(part(h.id.clone(), h.name.clone(), score));
    }
    let scores = |ps: &[Part]| rules::mean(&ps.iter().filter_map(|p| p.score).collect::<Vec<_>>());
    let parts = [
        rules::share(met, criteria.len() as u32),
        rules::share(r.tasks_done, r.tasks_total),
        scores(&metrics),
        scores(&habits),
    ];
    let progress = rules::progress(&parts);
    let pct = |s: Option<f64>| s.map(|s| rules::round1(s.clamp(0.0, 1.0) * 100.0));
    if !stmts.is_empty() || (progress - goal.progress).abs() > 1e-9 {
        stmts.push(
            db.prepare("UPDATE os_goals SET progress = ?1 WHERE id = ?2 AND user_id = ?3")
                .bind(&[progress.into(), goal.id.as_str().into(), user_id.into()])?,
        );
    }
    let (tasks_done, tasks_total) = (r.tasks_done, r.tasks_total);
    let breakdown = json!({
        "criteria": {"met": met, "total": criteria.len(), "percent": pct(parts[0])},
        "tasks": {"done": tasks_done, "total": tasks_total, "percent": pct(parts[1])},
        "metrics": {"percent": pct(parts[2]), "items": metrics},
        "habits": {"percent": pct(parts[3]), "items": habits},
    });
    Ok((progress, breakdown, stmts))
}

/// [`read`] and [`evaluate`] for a goal already read.
pub(super) async fn compute(
    db: &D1Database,
    caller: &Caller,
    goal: &Row,
) -> Result<(f64, Value, Vec<D1PreparedStatement>), ApiError> {
    let reads = read(db, &caller.user_id, &goal.id).await?;
    evaluate(db, &caller.user_id, goal, &reads)
}
