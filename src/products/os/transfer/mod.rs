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

mod check;
mod knowledge;
mod planning;
mod rewards;
pub mod tables;
mod tracking;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use worker::{D1Database, D1PreparedStatement};

use self::check::{Check, Import};
use self::tables::Table;
use super::{goals, object, settings};
use crate::platform::auth::Caller;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
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

// ---- export ----

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

/// The user's whole Personal OS as one document: each table of [`tables::ALL`] read in
/// one D1 batch, then children nested under their parents.
pub async fn export_doc(db: &D1Database, user_id: &str) -> Result<Value, ApiError> {
    let mut stmts = Vec::with_capacity(tables::ALL.len());
    for t in tables::ALL {
        stmts.push(db.prepare(t.export_sql()).bind(&[user_id.into()])?);
    }
    let results = db.batch(stmts).await?;
    if results.len() != tables::ALL.len() {
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

// ---- import ----

/// Checks a whole document, section by section in dependency order (metrics and habits
/// before the goals that score them), and plans its rows; every error is named by path.
fn check(doc: &Value, today: NaiveDate) -> Result<check::Plan, ApiError> {
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
    let wallet = obj.get("wallet");
    if wallet.is_some_and(|w| !w.is_object()) {
        c.fail("wallet", "must be {balance, ledger}");
    }
    let mut lists: HashMap<&'static str, &[Value]> = HashMap::new();
    for s in SECTIONS.iter().filter(|s| **s != "wallet") {
        lists.insert(s, c.list(obj.get(*s), s));
    }
    lists.insert(
        "ledger",
        c.list(wallet.and_then(|w| w.get("ledger")), "wallet.ledger"),
    );

    let mut x = Import {
        c,
        ids: check::Ids::default(),
        plan: check::Plan::default(),
        now: ids::now_rfc3339(),
        today,
        lists,
        metric_scores: HashMap::new(),
        habit_data: HashMap::new(),
    };
    // New ids first, so rows can point at rows of any section.
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
        let rows = x.rows(section);
        let map = x.ids.by_kind.entry(kind).or_default();
        for (i, r) in rows.iter().enumerate() {
            let field = format!("{section}[{i}].id");
            match r["id"].as_str().filter(|s| !s.is_empty() && s.len() <= 64) {
                None => {
                    x.c.fail(field, "must be a string id of at most 64 characters")
                }
                Some(old) if map.contains_key(old) => x.c.fail(field, "is repeated"),
                Some(old) => {
                    let new = ids::new_id()?;
                    x.ids.any.insert(old.to_string(), new.clone());
                    map.insert(old.to_string(), new);
                }
            }
        }
    }
    planning::projects(&mut x)?;
    tracking::metrics(&mut x)?;
    tracking::habits(&mut x)?;
    planning::goals(&mut x)?;
    planning::tasks(&mut x)?;
    tracking::logbook(&mut x)?;
    rewards::rewards(&mut x)?;
    rewards::ledger(&mut x, wallet)?;
    knowledge::courses(&mut x)?;
    knowledge::flashcards(&mut x)?;
    knowledge::skills(&mut x)?;
    if x.c.errors.is_empty() {
        Ok(x.plan)
    } else {
        Err(ApiError::Validation(x.c.errors))
    }
}

/// One `INSERT … SELECT … FROM json_each(?)` for all the rows of a table.
fn bulk(
    db: &D1Database,
    table: &Table,
    user_id: &str,
    rows: &[Value],
) -> Result<D1PreparedStatement, ApiError> {
    let picks: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("json_extract(value, '$.{c}')"))
        .collect();
    let (cols, picks) = if table.user {
        (
            format!("{}, user_id", table.columns.join(", ")),
            format!("{}, ?2", picks.join(", ")),
        )
    } else {
        (table.columns.join(", "), picks.join(", "))
    };
    let mut binds = vec![serde_json::to_string(rows)?.into()];
    if table.user {
        binds.push(user_id.into());
    }
    Ok(db
        .prepare(format!(
            "INSERT INTO {} ({cols}) SELECT {picks} FROM json_each(?1)",
            table.name
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
    let doc = ctx.json_value().await?;
    let rows = rows_in(&doc);
    if rows > MAX_IMPORT_ROWS {
        return Err(ApiError::validation(
            "body",
            format!("holds {rows} rows (nested lists included); one import takes at most {MAX_IMPORT_ROWS}"),
        ));
    }
    let db = ctx.d1()?;
    let today = settings::today(&db, &caller.user_id).await?;
    let plan = check(&doc, today)?;
    let mut stmts = Vec::new();
    for (table, rows) in &plan.tables {
        if !rows.is_empty() {
            stmts.push(bulk(&db, table, &caller.user_id, rows)?);
        }
    }
    let goal_ids: Vec<Option<&str>> = plan.goals.iter().map(|g| Some(g.as_str())).collect();
    stmts.extend(goals::refresh(&db, &caller.user_id, &goal_ids)?);
    crate::platform::db::write(&db, stmts).await?;
    http::json(201, &json!({"imported": plan.counts}))
}

fn export_schema() -> Value {
    let list = crate::schema!({"type": "array", "items": {"type": "object"}});
    let mut props = Map::new();
    props.insert(
        "version".into(),
        json!({"type": "integer", "const": VERSION}),
    );
    props.insert("exported_at".into(), crate::schema!({"type": "string"}));
    for s in SECTIONS {
        props.insert((*s).into(), list.clone());
    }
    props.insert(
        "wallet".into(),
        json!({"type": "object", "properties": {"balance": {"type": "integer"}, "ledger": list}}),
    );
    json!({"title": "OsExport", "type": "object", "required": ["version"], "properties": props})
}

pub const EXPORT_DOC: Doc = Doc {
    tag: "os",
    params: &[],
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
    params: &[],
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
        || crate::schema!({"type": "object", "properties": {"imported": {"type": "object"}}}),
    ),
};
