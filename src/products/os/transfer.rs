//! `GET /export` and `POST /import`: everything a user has in Personal OS as one versioned
//! JSON document.
//!
//! Import checks the whole document first (every field, every reference between rows,
//! no dependency or prerequisite cycle, a ledger that adds up) and then writes it in one
//! D1 batch — one transaction — so a bad row anywhere writes nothing. Each table is one
//! `INSERT … SELECT … FROM json_each(?)` statement whatever the row count, which keeps
//! the batch far inside D1's per-invocation query limit. Rows get new ids (references are
//! rewritten), so a document can be imported into any account, next to what is there;
//! timestamps, completion state, logs, SM-2 state and the ledger are kept as exported.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use worker::{D1Database, D1PreparedStatement, Response};

use super::rules::goals::{habit_consistency, metric_score};
use super::rules::metrics::Log;
use super::rules::{graph, habits::Schedule, skills as skill_rules};
use super::{
    courses, date, flashcards, goals, habits, logbook, metrics, object, projects, settings, skills,
    tasks, text, wallet,
};
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::http::{self, Ctx};
use crate::platform::ids;
use crate::platform::openapi::Doc;

pub const VERSION: i64 = 1;
const SECTIONS: &[&str] = &[
    "tasks",
    "goals",
    "metrics",
    "habits",
    "projects",
    "logbook",
    "rewards",
    "wallet",
    "courses",
    "flashcards",
    "skills",
];
const MILESTONES: &[&str] = &[
    "target_reached",
    "streak_7",
    "streak_30",
    "streak_100",
    "improvement_10",
    "improvement_25",
    "improvement_50",
];
/// Errors listed at most, so a broken document gets a readable answer.
const MAX_ERRORS: usize = 50;

// ---- export ----

/// Rows grouped by one of their columns, which is taken out of each row.
fn group(rows: Vec<Value>, key: &str) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for mut r in rows {
        let k = r
            .as_object_mut()
            .and_then(|o| o.remove(key))
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        out.entry(k).or_default().push(r);
    }
    out
}

fn take(groups: &mut HashMap<String, Vec<Value>>, id: &Value) -> Vec<Value> {
    id.as_str()
        .and_then(|i| groups.remove(i))
        .unwrap_or_default()
}

/// One column of grouped rows, as a list.
fn column(rows: Vec<Value>, key: &str) -> Value {
    Value::Array(rows.into_iter().map(|mut r| r[key].take()).collect())
}

fn parse_json_text(v: &mut Value) {
    if let Some(s) = v.as_str() {
        *v = serde_json::from_str(s).unwrap_or(Value::Null);
    }
}

pub async fn export_doc(db: &D1Database, user_id: &str) -> Result<Value, ApiError> {
    const QUERIES: &[&str] = &[
        "SELECT id, title, description, status, priority, area, effort, due_date, project_id, goal_id, completed_at, \
         created_at, updated_at FROM os_tasks WHERE user_id = ?1 ORDER BY id",
        "SELECT task_id, depends_on_id FROM os_task_dependencies WHERE user_id = ?1 ORDER BY task_id, depends_on_id",
        "SELECT id, title, description, status, start_date, target_date, success_criteria, progress, created_at, \
         updated_at FROM os_goals WHERE user_id = ?1 ORDER BY id",
        "SELECT goal_id, kind, item_id FROM os_goal_links WHERE user_id = ?1 ORDER BY goal_id, kind, item_id",
        "SELECT id, name, unit, target, direction, created_at, updated_at FROM os_metrics WHERE user_id = ?1 ORDER BY id",
        "SELECT metric_id, date, value FROM os_metric_logs WHERE user_id = ?1 ORDER BY metric_id, date",
        "SELECT s.metric_id, s.kind, s.achieved_at FROM os_metric_milestones AS s JOIN os_metrics AS m \
         ON m.id = s.metric_id WHERE m.user_id = ?1 ORDER BY s.metric_id, s.kind",
        "SELECT id, name, schedule, start_date, created_at, updated_at FROM os_habits WHERE user_id = ?1 ORDER BY id",
        "SELECT habit_id, date FROM os_habit_logs WHERE user_id = ?1 ORDER BY habit_id, date",
        "SELECT id, name, description, start_date, target_date, created_at, updated_at FROM os_projects \
         WHERE user_id = ?1 ORDER BY id",
        "SELECT id, date, content, links, created_at FROM os_logbook WHERE user_id = ?1 ORDER BY date, id",
        "SELECT id, name, cost, description, created_at FROM os_rewards WHERE user_id = ?1 ORDER BY id",
        "SELECT id, delta, reason, source_type, source_id, idempotency_key, created_at FROM os_wallet_ledger \
         WHERE user_id = ?1 ORDER BY id",
        "SELECT id, title, description, url, created_at, updated_at FROM os_courses WHERE user_id = ?1 ORDER BY id",
        "SELECT id, course_id, title, position, completed_at, created_at FROM os_course_modules WHERE user_id = ?1 \
         ORDER BY course_id, position, id",
        "SELECT id, front, back, deck, repetitions, interval_days, ease, due_on, created_at, updated_at \
         FROM os_flashcards WHERE user_id = ?1 ORDER BY id",
        "SELECT id, name, description, level, max_level, created_at, updated_at FROM os_skills WHERE user_id = ?1 \
         ORDER BY id",
        "SELECT skill_id, requires_id FROM os_skill_prerequisites WHERE user_id = ?1 ORDER BY skill_id, requires_id",
    ];
    let mut stmts = Vec::with_capacity(QUERIES.len());
    for q in QUERIES {
        stmts.push(db.prepare(*q).bind(&[user_id.into()])?);
    }
    let results = db.batch(stmts).await?;
    if results.len() != QUERIES.len() {
        return Err(ApiError::internal("export: short batch"));
    }
    let mut sets = Vec::with_capacity(results.len());
    for r in &results {
        sets.push(r.results::<Value>()?);
    }
    let mut sets = sets.into_iter();
    let mut next = || sets.next().unwrap_or_default();
    let (mut tasks, mut deps) = (next(), group(next(), "task_id"));
    let (mut goals, links) = (next(), next());
    let (mut metrics, mut mlogs, mut milestones) = (
        next(),
        group(next(), "metric_id"),
        group(next(), "metric_id"),
    );
    let (mut habits, mut hlogs) = (next(), group(next(), "habit_id"));
    let (projects, mut logbook, rewards, ledger) = (next(), next(), next(), next());
    let (mut courses, mut modules) = (next(), group(next(), "course_id"));
    let (flashcards, mut skills, mut prereqs) = (next(), next(), group(next(), "skill_id"));

    for t in &mut tasks {
        t["depends_on"] = column(take(&mut deps, &t["id"]), "depends_on_id");
    }
    let mut goal_links: HashMap<String, (Vec<Value>, Vec<Value>)> = HashMap::new();
    for l in links {
        let e = goal_links
            .entry(l["goal_id"].as_str().unwrap_or_default().to_string())
            .or_default();
        if l["kind"] == "metric" {
            e.0.push(l["item_id"].clone());
        } else {
            e.1.push(l["item_id"].clone());
        }
    }
    for g in &mut goals {
        parse_json_text(&mut g["success_criteria"]);
        let (m, h) = g["id"]
            .as_str()
            .and_then(|i| goal_links.remove(i))
            .unwrap_or_default();
        g["metrics"] = Value::Array(m);
        g["habits"] = Value::Array(h);
    }
    for m in &mut metrics {
        m["logs"] = Value::Array(take(&mut mlogs, &m["id"]));
        m["milestones"] = Value::Array(take(&mut milestones, &m["id"]));
    }
    for h in &mut habits {
        parse_json_text(&mut h["schedule"]);
        h["logs"] = column(take(&mut hlogs, &h["id"]), "date");
    }
    for c in &mut courses {
        c["modules"] = Value::Array(take(&mut modules, &c["id"]));
    }
    for s in &mut skills {
        s["prerequisites"] = column(take(&mut prereqs, &s["id"]), "requires_id");
    }
    // Links to entities that are gone are dropped, as the logbook does when read.
    let mut present: HashSet<String> = HashSet::new();
    for (kind, rows) in [
        ("task", &tasks),
        ("goal", &goals),
        ("metric", &metrics),
        ("habit", &habits),
        ("project", &projects),
        ("reward", &rewards),
        ("course", &courses),
        ("flashcard", &flashcards),
        ("skill", &skills),
    ] {
        for r in rows {
            present.insert(format!("{kind}:{}", r["id"].as_str().unwrap_or_default()));
        }
    }
    for e in &mut logbook {
        parse_json_text(&mut e["links"]);
        let links: Vec<Value> = e["links"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|l| {
                        present.contains(&format!(
                            "{}:{}",
                            l["type"].as_str().unwrap_or_default(),
                            l["id"].as_str().unwrap_or_default()
                        ))
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        e["links"] = Value::Array(links);
    }
    let balance: i64 = ledger.iter().filter_map(|e| e["delta"].as_i64()).sum();
    Ok(json!({
        "version": VERSION,
        "exported_at": ids::now_rfc3339(),
        "tasks": tasks, "goals": goals, "metrics": metrics, "habits": habits,
        "projects": projects, "logbook": logbook, "rewards": rewards,
        "wallet": {"balance": balance, "ledger": ledger},
        "courses": courses, "flashcards": flashcards, "skills": skills,
    }))
}

pub async fn export(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &export_doc(&ctx.d1()?, &caller.user_id).await?)
}

// ---- import: checking ----

/// Collects the errors of the whole document, each named by its path
/// (`tasks[3].priority`).
#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(FieldError::new(field, message));
        }
    }

    fn nested(&mut self, prefix: &str, errors: Vec<FieldError>) {
        for e in errors {
            self.fail(format!("{prefix}.{}", e.field), e.message);
        }
    }

    /// The value of a parser answering `ApiError::Validation`, or its errors recorded.
    fn parsed<T>(&mut self, prefix: &str, r: Result<T, ApiError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(ApiError::Validation(e)) => {
                self.nested(prefix, e);
                None
            }
            Err(other) => {
                self.fail(prefix, other.message());
                None
            }
        }
    }

    fn fields<T>(&mut self, prefix: &str, r: Result<T, Vec<FieldError>>) -> Option<T> {
        self.parsed(prefix, r.map_err(ApiError::Validation))
    }

    fn list<'a>(&mut self, v: Option<&'a Value>, field: &str) -> &'a [Value] {
        match v {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.fail(field, "must be a list");
                &[]
            }
        }
    }

    fn timestamp(&mut self, v: Option<&Value>, field: &str, now: &str) -> String {
        match v {
            None | Some(Value::Null) => now.to_string(),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 40 => s.clone(),
            Some(_) => {
                self.fail(field, "must be a timestamp string");
                now.to_string()
            }
        }
    }

    /// A row's `created_at` and `updated_at`, kept as exported (now when absent).
    fn times(&mut self, r: &Value, p: &str, now: &str) -> (String, String) {
        (
            self.timestamp(r.get("created_at"), &format!("{p}.created_at"), now),
            self.timestamp(r.get("updated_at"), &format!("{p}.updated_at"), now),
        )
    }

    fn optional_timestamp(&mut self, v: Option<&Value>, field: &str) -> Value {
        match v {
            None | Some(Value::Null) => Value::Null,
            Some(_) => Value::String(self.timestamp(v, field, "")),
        }
    }

    fn int(
        &mut self,
        v: Option<&Value>,
        field: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> i64 {
        match v {
            None => default,
            Some(n) => match n.as_i64().filter(|n| range.contains(n)) {
                Some(n) => n,
                None => {
                    self.fail(
                        field,
                        format!(
                            "must be an integer from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    );
                    default
                }
            },
        }
    }
}

/// An object without the keys the section's parser does not take.
fn without(v: &Value, keys: &[&str]) -> Value {
    let mut m: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
    for k in keys {
        m.remove(*k);
    }
    Value::Object(m)
}

/// Old id → new id, per kind of entity.
#[derive(Default)]
struct Ids {
    by_kind: HashMap<&'static str, HashMap<String, String>>,
    any: HashMap<String, String>,
}

impl Ids {
    fn get(&self, kind: &str, old: &str) -> Option<&String> {
        self.by_kind.get(kind).and_then(|m| m.get(old))
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    crate::platform::fields::parse_date(s)
}

/// The checked document: rows per table, with new ids.
#[derive(Default)]
struct Plan {
    tables: Vec<(&'static str, &'static [&'static str], bool, Vec<Value>)>,
    goals: Vec<String>,
    counts: Map<String, Value>,
}

impl Plan {
    fn table(
        &mut self,
        name: &'static str,
        columns: &'static [&'static str],
        user: bool,
        rows: Vec<Value>,
    ) {
        self.tables.push((name, columns, user, rows));
    }
}

fn check(doc: &Value, today: NaiveDate) -> Result<Plan, ApiError> {
    let obj = object(doc)?;
    let mut c = Check::default();
    match obj.get("version").and_then(Value::as_i64) {
        Some(VERSION) => {}
        _ => c.fail("version", format!("must be {VERSION}")),
    }
    for k in obj.keys() {
        if !SECTIONS.contains(&k.as_str()) && k != "version" && k != "exported_at" {
            c.fail(k.as_str(), "is not a section of the export");
        }
    }
    let wallet = obj.get("wallet").cloned().unwrap_or(json!({}));
    if !wallet.is_object() {
        c.fail("wallet", "must be {balance, ledger}");
    }
    let mut lists: HashMap<&str, &[Value]> = HashMap::new();
    for s in SECTIONS.iter().filter(|s| **s != "wallet") {
        lists.insert(s, c.list(obj.get(*s), s));
    }
    lists.insert("ledger", c.list(wallet.get("ledger"), "wallet.ledger"));
    let rows = |name: &str| lists.get(name).copied().unwrap_or(&[]);

    // New ids first, so rows can point at rows of any section.
    let mut ids = Ids::default();
    for (section, kind) in [
        ("tasks", "task"),
        ("goals", "goal"),
        ("metrics", "metric"),
        ("habits", "habit"),
        ("projects", "project"),
        ("logbook", "logbook"),
        ("rewards", "reward"),
        ("courses", "course"),
        ("flashcards", "flashcard"),
        ("skills", "skill"),
    ] {
        let map = ids.by_kind.entry(kind).or_default();
        for (i, r) in rows(section).iter().enumerate() {
            let field = format!("{section}[{i}].id");
            match r["id"].as_str().filter(|s| !s.is_empty() && s.len() <= 64) {
                None => c.fail(field, "must be a string id of at most 64 characters"),
                Some(old) if map.contains_key(old) => c.fail(field, "is repeated"),
                Some(old) => {
                    let new = ids::new_id()?;
                    ids.any.insert(old.to_string(), new.clone());
                    map.insert(old.to_string(), new);
                }
            }
        }
    }
    let now = ids::now_rfc3339();
    let new_id = |ids: &Ids, kind: &str, r: &Value| -> String {
        ids.get(kind, r["id"].as_str().unwrap_or_default())
            .cloned()
            .unwrap_or_default()
    };
    let mut plan = Plan::default();

    // Projects.
    let mut out = Vec::new();
    for (i, r) in rows("projects").iter().enumerate() {
        let p = format!("projects[{i}]");
        let Some(f) = c.parsed(&p, projects::parse(r, true)) else {
            continue;
        };
        let start = f.start_date.unwrap_or_else(|| today.to_string());
        let target = f.target_date.flatten();
        if target.as_deref().is_some_and(|t| t < start.as_str()) {
            c.fail(format!("{p}.target_date"), "must not be before start_date");
        }
        let (created, updated) = c.times(r, &p, &now);
        out.push(json!({"id": new_id(&ids, "project", r), "name": f.name, "description": f.description.unwrap_or_default(),
            "start_date": start, "target_date": target,
            "created_at": created,
            "updated_at": updated}));
    }
    plan.counts.insert("projects".into(), out.len().into());
    plan.table(
        "os_projects",
        &[
            "id",
            "name",
            "description",
            "start_date",
            "target_date",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );

    // Metrics with logs and milestones (before goals, whose links score them).
    let (mut out, mut logs_out, mut ms_out) = (Vec::new(), Vec::new(), Vec::new());
    let mut metric_scores: HashMap<String, Option<f64>> = HashMap::new();
    for (i, r) in rows("metrics").iter().enumerate() {
        let p = format!("metrics[{i}]");
        let f = c.parsed(&p, metrics::parse(&without(r, &["logs"]), true));
        let id = new_id(&ids, "metric", r);
        let mut logs = Vec::new();
        for (j, l) in c
            .list(r.get("logs"), &format!("{p}.logs"))
            .iter()
            .enumerate()
        {
            let day = l["date"].as_str().and_then(parse_date);
            match (day, l["value"].as_f64().filter(|v| v.is_finite())) {
                (Some(d), Some(v)) if logs.iter().all(|x: &Log| x.date != d) => {
                    logs.push(Log { date: d, value: v });
                    logs_out.push(json!({"metric_id": id, "date": d.to_string(), "value": v, "created_at": now}));
                }
                (Some(_), Some(_)) => c.fail(format!("{p}.logs[{j}].date"), "is repeated"),
                _ => c.fail(
                    format!("{p}.logs[{j}]"),
                    "must be {date: YYYY-MM-DD, value: number}",
                ),
            }
        }
        let mut kinds = HashSet::new();
        for (j, m) in c
            .list(r.get("milestones"), &format!("{p}.milestones"))
            .iter()
            .enumerate()
        {
            let field = format!("{p}.milestones[{j}]");
            match m["kind"].as_str().filter(|k| MILESTONES.contains(k)) {
                Some(k) if kinds.insert(k) => {
                    let at =
                        c.timestamp(m.get("achieved_at"), &format!("{field}.achieved_at"), &now);
                    ms_out.push(json!({"metric_id": id, "kind": k, "achieved_at": at}));
                }
                Some(_) => c.fail(field, "is repeated"),
                None => c.fail(
                    format!("{field}.kind"),
                    format!("must be one of {}", MILESTONES.join(", ")),
                ),
            }
        }
        let Some(f) = f else { continue };
        logs.sort_by_key(|l| l.date);
        let direction = f.direction.unwrap_or_else(|| "higher".into());
        let target = f.target.flatten();
        metric_scores.insert(
            id.clone(),
            metric_score(&logs, target, metrics::direction(&direction)),
        );
        let (created, updated) = c.times(r, &p, &now);
        out.push(
            json!({"id": id, "name": f.name, "unit": f.unit.unwrap_or_default(), "target": target,
            "direction": direction,
            "created_at": created,
            "updated_at": updated}),
        );
    }
    plan.counts.insert("metrics".into(), out.len().into());
    plan.table(
        "os_metrics",
        &[
            "id",
            "name",
            "unit",
            "target",
            "direction",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );
    plan.table(
        "os_metric_logs",
        &["metric_id", "date", "value", "created_at"],
        true,
        logs_out,
    );
    plan.table(
        "os_metric_milestones",
        &["metric_id", "kind", "achieved_at"],
        false,
        ms_out,
    );

    // Habits with their logged days.
    let (mut out, mut logs_out) = (Vec::new(), Vec::new());
    let mut habit_data: HashMap<String, (Schedule, NaiveDate, HashSet<NaiveDate>)> = HashMap::new();
    for (i, r) in rows("habits").iter().enumerate() {
        let p = format!("habits[{i}]");
        let mut e = Vec::new();
        let name = match r.get("name") {
            Some(n) => text(n, "name", 100, &mut e),
            None => {
                e.push(FieldError::new("name", "is required"));
                None
            }
        };
        let schedule = match r.get("schedule") {
            None => Some(Schedule::Daily),
            Some(s) => habits::parse_schedule(s).map_err(|x| e.push(x)).ok(),
        };
        let start = match r.get("start_date") {
            None => Some(today),
            Some(v) => date(v, "start_date", &mut e),
        };
        c.nested(&p, e);
        let (Some(name), Some(schedule), Some(start)) = (name, schedule, start) else {
            continue;
        };
        let id = new_id(&ids, "habit", r);
        let mut done = HashSet::new();
        for (j, d) in c
            .list(r.get("logs"), &format!("{p}.logs"))
            .iter()
            .enumerate()
        {
            match d.as_str().and_then(parse_date) {
                Some(d) if d >= start => {
                    if done.insert(d) {
                        logs_out.push(
                            json!({"habit_id": id, "date": d.to_string(), "created_at": now}),
                        );
                    }
                }
                Some(_) => c.fail(format!("{p}.logs[{j}]"), "is before the habit's start_date"),
                None => c.fail(format!("{p}.logs[{j}]"), "must be a date YYYY-MM-DD"),
            }
        }
        let (created, updated) = c.times(r, &p, &now);
        out.push(
            json!({"id": id, "name": name, "schedule": habits::schedule_json(&schedule).to_string(),
            "start_date": start.to_string(),
            "created_at": created,
            "updated_at": updated}),
        );
        habit_data.insert(id, (schedule, start, done));
    }
    plan.counts.insert("habits".into(), out.len().into());
    plan.table(
        "os_habits",
        &[
            "id",
            "name",
            "schedule",
            "start_date",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );
    plan.table(
        "os_habit_logs",
        &["habit_id", "date", "created_at"],
        true,
        logs_out,
    );

    // Goals and their metric and habit links.
    let (mut out, mut links_out) = (Vec::new(), Vec::new());
    for (i, r) in rows("goals").iter().enumerate() {
        let p = format!("goals[{i}]");
        let Some(f) = c.fields(
            &p,
            goals::Fields::parse(&without(r, &["metrics", "habits"]), true),
        ) else {
            continue;
        };
        let id = new_id(&ids, "goal", r);
        let start = f.start_date.unwrap_or_else(|| today.to_string());
        let target = f.target_date.flatten();
        if target.as_deref().is_some_and(|t| t < start.as_str()) {
            c.fail(format!("{p}.target_date"), "must not be before start_date");
        }
        let window = (
            parse_date(&start).unwrap_or(today),
            target.as_deref().and_then(parse_date),
        );
        for kind in ["metric", "habit"] {
            let key = format!("{kind}s");
            let mut seen = HashSet::new();
            for (j, old) in c
                .list(r.get(key.as_str()), &format!("{p}.{key}"))
                .iter()
                .enumerate()
            {
                let Some(item) = old.as_str().and_then(|o| ids.get(kind, o)).cloned() else {
                    c.fail(
                        format!("{p}.{key}[{j}]"),
                        format!("is not a {kind} of this document"),
                    );
                    continue;
                };
                if !seen.insert(item.clone()) {
                    continue;
                }
                let score = if kind == "metric" {
                    metric_scores.get(&item).copied().flatten()
                } else {
                    habit_data.get(&item).and_then(|(s, hs, done)| {
                        habit_consistency(s, *hs, done, window.0, window.1, today)
                    })
                };
                links_out
                    .push(json!({"goal_id": id, "kind": kind, "item_id": item, "score": score}));
            }
        }
        let (created, updated) = c.times(r, &p, &now);
        out.push(json!({"id": id, "title": f.title, "description": f.description.unwrap_or_default(),
            "status": f.status.unwrap_or_else(|| "active".into()), "start_date": start, "target_date": target,
            "success_criteria": serde_json::to_string(&f.success_criteria.unwrap_or_default())?, "progress": 0,
            "created_at": created,
            "updated_at": updated}));
        plan.goals.push(id);
    }
    plan.counts.insert("goals".into(), out.len().into());
    plan.table(
        "os_goals",
        &[
            "id",
            "title",
            "description",
            "status",
            "start_date",
            "target_date",
            "success_criteria",
            "progress",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );
    plan.table(
        "os_goal_links",
        &["goal_id", "kind", "item_id", "score"],
        true,
        links_out,
    );

    // Tasks and their dependencies (acyclic).
    let (mut out, mut deps_out) = (Vec::new(), Vec::new());
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut edge_fields: Vec<String> = Vec::new();
    let mut seen_edges: HashSet<(String, String)> = HashSet::new();
    for (i, r) in rows("tasks").iter().enumerate() {
        let p = format!("tasks[{i}]");
        let Some(f) = c.fields(&p, tasks::TaskFields::parse(r, true)) else {
            continue;
        };
        let id = new_id(&ids, "task", r);
        let link =
            |kind: &str, field: &str, v: Option<Option<String>>, c: &mut Check| -> Option<String> {
                let old = v.flatten()?;
                let new = ids.get(kind, &old).cloned();
                if new.is_none() {
                    c.fail(
                        format!("{p}.{field}"),
                        format!("is not a {kind} of this document"),
                    );
                }
                new
            };
        let project = link("project", "project_id", f.project_id, &mut c);
        let goal = link("goal", "goal_id", f.goal_id, &mut c);
        for (j, old) in c
            .list(r.get("depends_on"), &format!("{p}.depends_on"))
            .iter()
            .enumerate()
        {
            let field = format!("{p}.depends_on[{j}]");
            match old.as_str().and_then(|o| ids.get("task", o)).cloned() {
                None => c.fail(field, "is not a task of this document"),
                Some(dep) => {
                    if seen_edges.insert((id.clone(), dep.clone())) {
                        deps_out.push(json!({"task_id": id, "depends_on_id": dep}));
                        edges.push((id.clone(), dep));
                        edge_fields.push(field);
                    }
                }
            }
        }
        let (created, updated) = c.times(r, &p, &now);
        out.push(json!({"id": id, "title": f.title, "description": f.description.unwrap_or_default(),
            "status": f.status.unwrap_or_else(|| "todo".into()), "priority": f.priority.unwrap_or_else(|| "medium".into()),
            "area": f.area.flatten(), "effort": f.effort.unwrap_or(1), "due_date": f.due_date.flatten(),
            "project_id": project, "goal_id": goal,
            "completed_at": c.optional_timestamp(r.get("completed_at"), &format!("{p}.completed_at")),
            "created_at": created,
            "updated_at": updated}));
    }
    // The whole dependency graph at once (linear), not one search per edge.
    if let Some(i) = graph::cycle_edge(&edges) {
        c.fail(edge_fields[i].clone(), "closes a dependency cycle");
    }
    plan.counts.insert("tasks".into(), out.len().into());
    plan.table(
        "os_tasks",
        &[
            "id",
            "title",
            "description",
            "status",
            "priority",
            "area",
            "effort",
            "due_date",
            "project_id",
            "goal_id",
            "completed_at",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );
    plan.table(
        "os_task_dependencies",
        &["task_id", "depends_on_id"],
        true,
        deps_out,
    );

    // Logbook: links to entities outside the document are dropped, as when read.
    let mut out = Vec::new();
    for (i, r) in rows("logbook").iter().enumerate() {
        let p = format!("logbook[{i}]");
        let mut e = Vec::new();
        let day = r.get("date").and_then(|d| date(d, "date", &mut e));
        let content = r
            .get("content")
            .and_then(|t| text(t, "content", 20_000, &mut e));
        if r.get("date").is_none() {
            e.push(FieldError::new("date", "is required"));
        }
        if r.get("content").is_none() {
            e.push(FieldError::new("content", "is required"));
        }
        c.nested(&p, e);
        let links = c.parsed(&p, logbook::parse_links(r.get("links")));
        let (Some(day), Some(content), Some(links)) = (day, content, links) else {
            continue;
        };
        let kept: Vec<Value> = links
            .iter()
            .filter_map(|(kind, old)| {
                ids.get(kind, old)
                    .map(|new| json!({"type": kind, "id": new}))
            })
            .collect();
        out.push(
            json!({"id": new_id(&ids, "logbook", r), "date": day.to_string(), "content": content,
            "links": Value::Array(kept).to_string(),
            "created_at": c.timestamp(r.get("created_at"), &format!("{p}.created_at"), &now)}),
        );
    }
    plan.counts.insert("logbook".into(), out.len().into());
    plan.table(
        "os_logbook",
        &["id", "date", "content", "links", "created_at"],
        true,
        out,
    );

    // Rewards.
    let mut out = Vec::new();
    for (i, r) in rows("rewards").iter().enumerate() {
        let p = format!("rewards[{i}]");
        let Some((name, cost, description)) = c.parsed(&p, wallet::parse_reward(r)) else {
            continue;
        };
        out.push(json!({"id": new_id(&ids, "reward", r), "name": name, "cost": cost, "description": description,
            "created_at": c.timestamp(r.get("created_at"), &format!("{p}.created_at"), &now)}));
    }
    plan.counts.insert("rewards".into(), out.len().into());
    plan.table(
        "os_rewards",
        &["id", "name", "cost", "description", "created_at"],
        true,
        out,
    );

    // The ledger: it must add up, never below zero, each idempotency key once.
    let mut out = Vec::new();
    let mut keys = HashSet::new();
    let mut sum = 0i64;
    // In order, as the wallet paid and spent: it never goes below zero on the way either.
    let mut dipped = false;
    for (i, r) in rows("ledger").iter().enumerate() {
        let p = format!("wallet.ledger[{i}]");
        let mut e = Vec::new();
        let delta = r["delta"]
            .as_i64()
            .filter(|d| *d != 0 && d.abs() <= 1_000_000_000);
        if delta.is_none() {
            e.push(FieldError::new("delta", "must be a non-zero integer"));
        }
        let reason = text(&r["reason"], "reason", 1000, &mut e);
        let source_type = text(&r["source_type"], "source_type", 50, &mut e);
        c.nested(&p, e);
        let (Some(delta), Some(reason), Some(source_type)) = (delta, reason, source_type) else {
            continue;
        };
        sum += delta;
        if sum < 0 && !dipped {
            dipped = true;
            c.fail(
                format!("{p}.delta"),
                format!("takes the running balance below zero ({sum})"),
            );
        }
        let id = ids::new_id()?;
        let source = r["source_id"]
            .as_str()
            .and_then(|s| ids.get(&source_type, s))
            .cloned();
        // Keys name the rows they pay for (`task_complete:{task id}`): rewritten to the new
        // ids; a key naming nothing of this document is made unique to its new entry.
        let key = match &r["idempotency_key"] {
            Value::Null => None,
            Value::String(k) if k.len() <= 300 => {
                if !keys.insert(k.clone()) {
                    c.fail(format!("{p}.idempotency_key"), "is repeated");
                }
                let mut mapped = false;
                let parts: Vec<String> = k
                    .split(':')
                    .map(|s| match ids.any.get(s) {
                        Some(n) => {
                            mapped = true;
                            n.clone()
                        }
                        None => s.to_string(),
                    })
                    .collect();
                Some(if mapped {
                    parts.join(":")
                } else {
                    format!("import:{id}:{k}")
                })
            }
            _ => {
                c.fail(
                    format!("{p}.idempotency_key"),
                    "must be a string of at most 300 characters or null",
                );
                None
            }
        };
        out.push(json!({"id": id, "delta": delta, "reason": reason, "source_type": source_type, "source_id": source,
            "idempotency_key": key, "created_at": c.timestamp(r.get("created_at"), &format!("{p}.created_at"), &now)}));
    }
    if sum < 0 && !dipped {
        c.fail("wallet.ledger", "adds up to a negative balance");
    }
    if let Some(b) = wallet.get("balance").filter(|b| !b.is_null()) {
        if b.as_i64() != Some(sum) {
            c.fail(
                "wallet.balance",
                format!("must equal the sum of the ledger ({sum})"),
            );
        }
    }
    plan.counts.insert("ledger".into(), out.len().into());
    plan.table(
        "os_wallet_ledger",
        &[
            "id",
            "delta",
            "reason",
            "source_type",
            "source_id",
            "idempotency_key",
            "created_at",
        ],
        true,
        out,
    );

    // Courses and modules.
    let (mut out, mut modules_out) = (Vec::new(), Vec::new());
    for (i, r) in rows("courses").iter().enumerate() {
        let p = format!("courses[{i}]");
        let f = c.fields(&p, courses::Fields::parse(&without(r, &["modules"]), true));
        let id = new_id(&ids, "course", r);
        let modules = c.list(r.get("modules"), &format!("{p}.modules"));
        if modules.len() > courses::MAX_MODULES {
            c.fail(
                format!("{p}.modules"),
                format!("at most {} modules", courses::MAX_MODULES),
            );
        }
        for (j, m) in modules.iter().enumerate() {
            let mp = format!("{p}.modules[{j}]");
            let mut e = Vec::new();
            let title = text(&m["title"], "title", 200, &mut e);
            c.nested(&mp, e);
            let position = c.int(
                m.get("position"),
                &format!("{mp}.position"),
                1..=10_000,
                j as i64 + 1,
            );
            let done = c.optional_timestamp(m.get("completed_at"), &format!("{mp}.completed_at"));
            let created = c.timestamp(m.get("created_at"), &format!("{mp}.created_at"), &now);
            modules_out.push(
                json!({"id": ids::new_id()?, "course_id": id, "title": title, "position": position,
                "completed_at": done, "created_at": created}),
            );
        }
        let Some(f) = f else { continue };
        let (created, updated) = c.times(r, &p, &now);
        out.push(
            json!({"id": id, "title": f.title, "description": f.description.unwrap_or_default(),
            "url": f.url.flatten(),
            "created_at": created,
            "updated_at": updated}),
        );
    }
    plan.counts.insert("courses".into(), out.len().into());
    plan.table(
        "os_courses",
        &[
            "id",
            "title",
            "description",
            "url",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );
    plan.table(
        "os_course_modules",
        &[
            "id",
            "course_id",
            "title",
            "position",
            "completed_at",
            "created_at",
        ],
        true,
        modules_out,
    );

    // Flashcards with their SM-2 state.
    let mut out = Vec::new();
    for (i, r) in rows("flashcards").iter().enumerate() {
        let p = format!("flashcards[{i}]");
        let state = [
            "id",
            "repetitions",
            "interval_days",
            "ease",
            "due_on",
            "created_at",
            "updated_at",
        ];
        let f = c.parsed(&p, flashcards::parse(&without(r, &state), true));
        let repetitions = c.int(
            r.get("repetitions"),
            &format!("{p}.repetitions"),
            0..=10_000,
            0,
        );
        let interval = c.int(
            r.get("interval_days"),
            &format!("{p}.interval_days"),
            0..=36_500,
            0,
        );
        let ease = match r.get("ease") {
            None => 2.5,
            Some(v) => match v.as_f64().filter(|e| (1.3..=10.0).contains(e)) {
                Some(e) => e,
                None => {
                    c.fail(format!("{p}.ease"), "must be a number from 1.3 to 10");
                    2.5
                }
            },
        };
        let mut e = Vec::new();
        let due = r
            .get("due_on")
            .map_or(Some(today), |d| date(d, "due_on", &mut e));
        c.nested(&p, e);
        let (Some(f), Some(due)) = (f, due) else {
            continue;
        };
        let (created, updated) = c.times(r, &p, &now);
        out.push(json!({"id": new_id(&ids, "flashcard", r), "front": f.front, "back": f.back, "deck": f.deck.flatten(),
            "repetitions": repetitions, "interval_days": interval, "ease": ease, "due_on": due.to_string(),
            "created_at": created,
            "updated_at": updated}));
    }
    plan.counts.insert("flashcards".into(), out.len().into());
    plan.table(
        "os_flashcards",
        &[
            "id",
            "front",
            "back",
            "deck",
            "repetitions",
            "interval_days",
            "ease",
            "due_on",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );

    // Skills: the tree must be acyclic and respect the level locks.
    let (mut out, mut prereqs_out) = (Vec::new(), Vec::new());
    let mut levels: HashMap<String, i64> = HashMap::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut seen_edges: HashSet<(String, String)> = HashSet::new();
    for (i, r) in rows("skills").iter().enumerate() {
        let p = format!("skills[{i}]");
        let Some(f) = c.fields(&p, skills::Fields::parse(r, true)) else {
            continue;
        };
        let (level, max) = (f.level.unwrap_or(0), f.max_level.unwrap_or(5));
        if level > max {
            c.fail(
                format!("{p}.level"),
                format!("must not exceed max_level ({max})"),
            );
        }
        let id = new_id(&ids, "skill", r);
        levels.insert(id.clone(), level);
        for (j, old) in c
            .list(r.get("prerequisites"), &format!("{p}.prerequisites"))
            .iter()
            .enumerate()
        {
            match old.as_str().and_then(|o| ids.get("skill", o)).cloned() {
                None => c.fail(
                    format!("{p}.prerequisites[{j}]"),
                    "is not a skill of this document",
                ),
                Some(req) => {
                    if seen_edges.insert((id.clone(), req.clone())) {
                        prereqs_out.push(json!({"skill_id": id, "requires_id": req}));
                        edges.push((id.clone(), req));
                    }
                }
            }
        }
        let (created, updated) = c.times(r, &p, &now);
        out.push(
            json!({"id": id, "name": f.name, "description": f.description.unwrap_or_default(),
            "level": level, "max_level": max,
            "created_at": created,
            "updated_at": updated}),
        );
    }
    if let Err(why) = skill_rules::check_tree(&levels, &edges) {
        c.fail("skills", why);
    }
    plan.counts.insert("skills".into(), out.len().into());
    plan.table(
        "os_skills",
        &[
            "id",
            "name",
            "description",
            "level",
            "max_level",
            "created_at",
            "updated_at",
        ],
        true,
        out,
    );
    plan.table(
        "os_skill_prerequisites",
        &["skill_id", "requires_id"],
        true,
        prereqs_out,
    );

    if c.errors.is_empty() {
        Ok(plan)
    } else {
        Err(ApiError::Validation(c.errors))
    }
}

// ---- import: writing ----

/// One `INSERT … SELECT … FROM json_each(?)` for all the rows of a table.
fn bulk(
    db: &D1Database,
    table: &str,
    columns: &[&str],
    user_id: Option<&str>,
    rows: &[Value],
) -> Result<D1PreparedStatement, ApiError> {
    let picks: Vec<String> = columns
        .iter()
        .map(|c| format!("json_extract(value, '$.{c}')"))
        .collect();
    let (cols, picks) = match user_id {
        Some(_) => (
            format!("{}, user_id", columns.join(", ")),
            format!("{}, ?2", picks.join(", ")),
        ),
        None => (columns.join(", "), picks.join(", ")),
    };
    let mut binds = vec![serde_json::to_string(rows)?.into()];
    if let Some(u) = user_id {
        binds.push(u.into());
    }
    Ok(db
        .prepare(format!(
            "INSERT INTO {table} ({cols}) SELECT {picks} FROM json_each(?1)"
        ))
        .bind(&binds)?)
}

/// Rows one import may hold, nested lists (dependencies, logs, modules…) included: a
/// 1 MiB document of them is checked and written in well under a second of CPU.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// The rows of a document: every item of every section, and every item of the lists
/// inside them.
fn rows_in(doc: &Value) -> usize {
    let nested = |item: &Value| -> usize {
        item.as_object().map_or(0, |o| {
            o.values().filter_map(Value::as_array).map(Vec::len).sum()
        })
    };
    let section = |v: Option<&Value>| -> usize {
        v.and_then(Value::as_array).map_or(0, |items| {
            items.len() + items.iter().map(nested).sum::<usize>()
        })
    };
    SECTIONS.iter().map(|s| section(doc.get(*s))).sum::<usize>()
        + section(doc.get("wallet").and_then(|w| w.get("ledger")))
}

pub async fn import(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let doc: Value = ctx.json().await?;
    let rows = rows_in(&doc);
    if rows > MAX_IMPORT_ROWS {
        return Err(ApiError::validation(
            "body",
            format!("holds {rows} rows (nested lists included); one import takes at most {MAX_IMPORT_ROWS}"),
        ));
    }
    let caller = caller.clone();
    let db = ctx.d1()?;
    let today = settings::today(&db, &caller.user_id).await?;
    let plan = check(&doc, today)?;
    let mut stmts = Vec::new();
    for (table, columns, user, rows) in &plan.tables {
        if !rows.is_empty() {
            let user = user.then_some(caller.user_id.as_str());
            stmts.push(bulk(&db, table, columns, user, rows)?);
        }
    }
    let goal_ids: Vec<Option<&str>> = plan.goals.iter().map(|g| Some(g.as_str())).collect();
    stmts.extend(goals::refresh(&db, &caller.user_id, &goal_ids)?);
    if !stmts.is_empty() {
        db.batch(stmts).await?;
    }
    http::json(201, &json!({"imported": plan.counts}))
}

fn export_schema() -> Value {
    let list = json!({"type": "array", "items": {"type": "object"}});
    let mut props = Map::new();
    props.insert(
        "version".into(),
        json!({"type": "integer", "const": VERSION}),
    );
    props.insert("exported_at".into(), json!({"type": "string"}));
    for s in SECTIONS {
        props.insert((*s).into(), list.clone());
    }
    props.insert(
        "wallet".into(),
        json!({"type": "object", "properties": {"balance": {"type": "integer"}, "ledger": list}}),
    );
    json!({"type": "object", "required": ["version"], "properties": props})
}

pub const EXPORT_DOC: Doc = Doc {
    tag: "os",
    summary: "Export everything in Personal OS",
    description: "One document `{version: 1, exported_at, tasks, goals, metrics, habits, projects, logbook, rewards, \
        wallet: {balance, ledger}, courses, flashcards, skills}`. Tasks carry depends_on; goals their metric and habit \
        ids; metrics their logs and milestones; habits their logged days; courses their modules; skills their \
        prerequisites. Logbook links to entities that are gone are left out.",
    request: None,
    response: (200, export_schema),
};
pub const IMPORT_DOC: Doc = Doc {
    tag: "os",
    summary: "Import an export document",
    description: "The whole document is checked first — every field as its own route checks it, every reference \
        between rows, no dependency or prerequisite cycle, the skill level locks, a ledger that adds up to the stated \
        balance and never below zero at any point of it — and any error answers 422 naming its path (`tasks[3].priority`) with nothing \
        written. Then it is written in one D1 batch (one transaction). Rows get new ids and references follow; \
        timestamps, logs, SM-2 state and the ledger are kept; the rows join what the account already has. Goal progress \
        is computed in the same batch. At most 10,000 rows per import, items of nested lists (dependencies, logs, \
        modules) included: a larger document answers 422 on `body`; split it. Answers the number of rows per section.",
    request: Some(export_schema),
    response: (
        201,
        || json!({"type": "object", "properties": {"imported": {"type": "object"}}}),
    ),
};
