//! Habits: a schedule (daily, weekdays, every N days), one log per local date, and the
//! streaks and strength of `rules::habits`.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::goals as goal_rules;
use super::rules::habits::{self as rules, Schedule};
use super::{date, goals, object, settings, text};
use crate::platform::auth::Caller;
use crate::platform::db::batch_or_404;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::text_schema;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, Doc, Param};

/// `{type: daily}`, `{type: weekdays, days: [1..7]}` (1 = Monday) or `{type: every_n_days, n}`.
pub fn parse_schedule(v: &Value) -> Result<Schedule, FieldError> {
    let bad = |m: &str| FieldError::new("schedule", m);
    match v["type"].as_str() {
        Some("daily") => Ok(Schedule::Daily),
        Some("weekdays") => {
            let days: Option<Vec<u32>> = v["days"].as_array().and_then(|a| {
                a.iter()
                    .map(|d| d.as_u64().filter(|d| (1..=7).contains(d)).map(|d| d as u32))
                    .collect()
            });
            match days {
                Some(mut d) if !d.is_empty() => {
                    crate::platform::sort::sort(&mut d);
                    d.dedup();
                    Ok(Schedule::Weekdays(d))
                }
                _ => Err(bad(
                    "weekdays needs days: a non-empty list of 1 (Monday) to 7 (Sunday)",
                )),
            }
        }
        Some("every_n_days") => match v["n"].as_u64() {
            Some(n) if (1..=365).contains(&n) => Ok(Schedule::EveryNDays(n as u32)),
            _ => Err(bad("every_n_days needs n from 1 to 365")),
        },
        _ => Err(bad("type must be daily, weekdays or every_n_days")),
    }
}

pub fn schedule_json(s: &Schedule) -> Value {
    match s {
        Schedule::Daily => json!({"type": "daily"}),
        Schedule::Weekdays(d) => json!({"type": "weekdays", "days": d}),
        Schedule::EveryNDays(n) => json!({"type": "every_n_days", "n": n}),
    }
}

#[derive(Debug, Serialize)]
pub struct Habit {
    pub id: String,
    pub name: String,
    pub schedule: Value,
    pub start_date: String,
    pub current_streak: u32,
    pub best_streak: u32,
    pub strength: f64,
    pub due_today: bool,
    pub done_today: bool,
    pub created_at: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    name: String,
    schedule: String,
    start_date: String,
    created_at: String,
}

/// A schedule as stored (written by `schedule_json`, so always valid).
pub fn schedule_from_db(s: &str) -> Schedule {
    serde_json::from_str::<Value>(s)
        .ok()
        .and_then(|v| parse_schedule(&v).ok())
        .unwrap_or(Schedule::Daily)
}

impl Row {
    fn schedule(&self) -> Schedule {
        schedule_from_db(&self.schedule)
    }

    fn start(&self, today: NaiveDate) -> NaiveDate {
        NaiveDate::parse_from_str(&self.start_date, "%Y-%m-%d").unwrap_or(today)
    }
}

fn view(r: Row, logs: &HashSet<NaiveDate>, today: NaiveDate) -> Habit {
    let schedule = r.schedule();
    let start = r.start(today);
    let st = rules::stats(&schedule, start, logs, today);
    Habit {
        id: r.id,
        name: r.name,
        schedule: schedule_json(&schedule),
        start_date: r.start_date,
        current_streak: st.current_streak,
        best_streak: st.best_streak,
        strength: st.strength,
        due_today: st.due_today,
        done_today: st.done_today,
        created_at: r.created_at,
    }
}

async fn logs_of(
    db: &D1Database,
    user_id: &str,
    habit: Option<&str>,
) -> Result<HashMap<String, HashSet<NaiveDate>>, ApiError> {
    #[derive(Deserialize)]
    struct L {
        habit_id: String,
        date: String,
    }
    let rows: Vec<L> = db
        .prepare("SELECT habit_id, date FROM os_habit_logs WHERE user_id = ?1 AND (?2 IS NULL OR habit_id = ?2)")
        .bind(&[user_id.into(), crate::platform::db::nullable(habit)])?
        .all()
        .await?
        .results()?;
    let mut out: HashMap<String, HashSet<NaiveDate>> = HashMap::new();
    for l in rows {
        if let Ok(d) = NaiveDate::parse_from_str(&l.date, "%Y-%m-%d") {
            out.entry(l.habit_id).or_default().insert(d);
        }
    }
    Ok(out)
}

/// The row of one of the caller's habits (404 when it is not theirs).
async fn row_of(db: &D1Database, caller: &Caller, id: &str) -> Result<Row, ApiError> {
    let row: Option<Row> = db
        .prepare("SELECT id, name, schedule, start_date, created_at FROM os_habits WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("habit"))
}

/// A habit of the caller's, the days it was done, and today in their time zone: three
/// reads at once (one round trip).
async fn load(
    db: &D1Database,
    caller: &Caller,
    id: &str,
) -> Result<(Row, HashSet<NaiveDate>, NaiveDate), ApiError> {
    let (row, today, mut logs) = futures::try_join!(
        row_of(db, caller, id),
        settings::today(db, &caller.user_id),
        logs_of(db, &caller.user_id, Some(id)),
    )?;
    Ok((row, logs.remove(id).unwrap_or_default(), today))
}

/// [`load`], with the goals the habit is linked to, for a write: still one round trip.
async fn load_for_write(
    db: &D1Database,
    caller: &Caller,
    id: &str,
) -> Result<(Row, HashSet<NaiveDate>, NaiveDate, Vec<goals::HabitGoal>), ApiError> {
    let ((row, done, today), linked) = futures::try_join!(
        load(db, caller, id),
        goals::habit_goals(db, &caller.user_id, id)
    )?;
    Ok((row, done, today, linked))
}

async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Habit, ApiError> {
    let (row, done, today) = load(db, caller, id).await?;
    Ok(view(row, &done, today))
}

/// One of the caller's habits as of today, with the days it was done, oldest first.
pub async fn find_with_days(
    db: &D1Database,
    caller: &Caller,
    id: &str,
) -> Result<(Habit, Vec<NaiveDate>), ApiError> {
    let (row, done, today) = load(db, caller, id).await?;
    let mut days: Vec<NaiveDate> = done.iter().copied().collect();
    crate::platform::sort::sort(&mut days);
    Ok((view(row, &done, today), days))
}

/// A habit of the caller's as a goal counts it: its schedule, start and the days it was
/// done (404 when it is not theirs); read beside the goal, scored once the goal's window
/// is known ([`HabitDays::consistency`]).
pub struct HabitDays {
    row: Row,
    done: HashSet<NaiveDate>,
}

pub async fn days(db: &D1Database, caller: &Caller, id: &str) -> Result<HabitDays, ApiError> {
    let (row, mut logs) = futures::try_join!(
        row_of(db, caller, id),
        logs_of(db, &caller.user_id, Some(id))
    )?;
    Ok(HabitDays {
        done: logs.remove(id).unwrap_or_default(),
        row,
    })
}

impl HabitDays {
    /// The habit's consistency over a goal's window (`rules::goals`).
    pub fn consistency(
        &self,
        goal_start: NaiveDate,
        goal_target: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Option<f64> {
        goal_rules::habit_consistency(
            &self.row.schedule(),
            self.row.start(today),
            &self.done,
            goal_start,
            goal_target,
            today,
        )
    }
}

/// Writes `stmts` with the refresh of the goals the habit is linked to (`linked`),
/// computed from `done` (the days after those writes), in one batch, and answers the
/// habit as it then is.
async fn write(
    db: &D1Database,
    caller: &Caller,
    row: Row,
    done: &HashSet<NaiveDate>,
    today: NaiveDate,
    linked: &[goals::HabitGoal],
    mut stmts: Vec<worker::D1PreparedStatement>,
) -> Result<Habit, ApiError> {
    stmts.extend(goals::habit_changed(
        db,
        &caller.user_id,
        &row.id,
        linked,
        &row.schedule(),
        row.start(today),
        done,
        today,
    )?);
    crate::platform::db::write(db, stmts).await?;
    Ok(view(row, done, today))
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let obj = object(&body)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let today = settings::today(&db, &caller.user_id).await?;
    let mut e = Vec::new();
    let name = match obj.get("name") {
        Some(n) => text(n, "name", 100, &mut e),
        None => {
            e.push(FieldError::new("name", "is required"));
            None
        }
    };
    let schedule = match obj.get("schedule") {
        None => Some(Schedule::Daily),
        Some(s) => parse_schedule(s).map_err(|x| e.push(x)).ok(),
    };
    let start = match obj.get("start_date") {
        None => Some(today),
        Some(v) => date(v, "start_date", &mut e),
    };
    let (Some(name), Some(schedule), Some(start)) = (name, schedule, start) else {
        return Err(ApiError::Validation(e));
    };
    if !e.is_empty() {
        return Err(ApiError::Validation(e));
    }
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    let row = Row {
        id,
        name,
        schedule: schedule_json(&schedule).to_string(),
        start_date: start.to_string(),
        created_at: now,
    };
    db.prepare(
        "INSERT INTO os_habits (id, user_id, name, schedule, start_date, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )
    .bind(&[
        row.id.as_str().into(),
        caller.user_id.as_str().into(),
        row.name.as_str().into(),
        row.schedule.as_str().into(),
        row.start_date.as_str().into(),
        row.created_at.as_str().into(),
    ])?
    .run()
    .await?;
    // A new habit has no days done yet.
    http::json(201, &view(row, &HashSet::new(), today))
}

/// Every habit of the caller's, as of today in their zone.
pub async fn all(db: &D1Database, caller: &Caller) -> Result<Vec<Habit>, ApiError> {
    Ok(all_today(db, caller).await?.0)
}

/// [`all`], and today in the caller's zone: three reads at once (one round trip).
async fn all_today(db: &D1Database, caller: &Caller) -> Result<(Vec<Habit>, NaiveDate), ApiError> {
    let rows = async {
        let rows: Vec<Row> = db
            .prepare("SELECT id, name, schedule, start_date, created_at FROM os_habits WHERE user_id = ?1 ORDER BY id")
            .bind(&[caller.user_id.as_str().into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    let (rows, today, logs) = futures::try_join!(
        rows,
        settings::today(db, &caller.user_id),
        logs_of(db, &caller.user_id, None),
    )?;
    let empty = HashSet::new();
    let habits = rows
        .into_iter()
        .map(|r| {
            let l = logs.get(&r.id).unwrap_or(&empty);
            view(r, l, today)
        })
        .collect();
    Ok((habits, today))
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let items = page.window(
        all(&ctx.d1()?, &caller).await?,
        |h: &Habit| &h.id,
        |h| search.as_ref().is_none_or(|s| s.matches(&h.name)),
    );
    http::json(200, &page.respond(items, |h| &h.id))
}

pub async fn today(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let caller = &caller;
    let (habits, date) = all_today(&db, caller).await?;
    let items: Vec<Value> = habits
        .into_iter()
        .filter(|h| h.due_today)
        .map(|h| json!({"habit": h, "done": h.done_today}))
        .collect();
    http::json(200, &json!({"date": date.to_string(), "items": items}))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &find(&ctx.d1()?, &caller, ctx.param("id")).await?)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let obj = object(&body)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let mut e = Vec::new();
    let mut name = None;
    let mut schedule = None;
    let mut start = None;
    for (k, v) in obj {
        match k.as_str() {
            "name" => name = text(v, k, 100, &mut e),
            "schedule" => schedule = parse_schedule(v).map_err(|x| e.push(x)).ok(),
            "start_date" => start = date(v, k, &mut e),
            k if READ_ONLY.contains(&k) => {}
            other => e.push(FieldError::new(other, "is not a habit field")),
        }
    }
    if !e.is_empty() {
        return Err(ApiError::Validation(e));
    }
    let (mut row, mut done, today, linked) = load_for_write(&db, &caller, ctx.param("id")).await?;
    if let Some(n) = name {
        row.name = n;
    }
    if let Some(s) = schedule {
        row.schedule = schedule_json(&s).to_string();
    }
    if let Some(s) = start {
        row.start_date = s.to_string();
        // Days before the start are not part of the habit any more.
        done.retain(|d| *d >= s);
    }
    let stmts = vec![
        db.prepare("UPDATE os_habits SET name = ?1, schedule = ?2, start_date = ?3, updated_at = ?4 WHERE id = ?5 AND user_id = ?6")
            .bind(&[
                row.name.as_str().into(),
                row.schedule.as_str().into(),
                row.start_date.as_str().into(),
                ids::now_rfc3339().into(),
                row.id.as_str().into(),
                caller.user_id.as_str().into(),
            ])?,
        db.prepare("DELETE FROM os_habit_logs WHERE habit_id = ?1 AND user_id = ?2 AND date < ?3")
            .bind(&[row.id.as_str().into(), caller.user_id.as_str().into(), row.start_date.as_str().into()])?,
    ];
    let habit = write(&db, &caller, row, &done, today, &linked, stmts).await?;
    http::json(200, &habit)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let mut stmts = vec![db
        .prepare("DELETE FROM os_habits WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), caller.user_id.as_str().into()])?];
    stmts.extend(goals::item_removed(&db, &caller.user_id, "habit", id)?);
    batch_or_404(&db, stmts, "habit").await?;
    http::no_content()
}

/// `POST /habits/{id}/logs {date?}`: marks a day done (today in the user's zone by
/// default); logging the same day twice is the same as once; a day before the habit's
/// start moves the start back to it.
pub async fn log(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    object(&body)?;
    let day = match body.get("date") {
        None => None,
        Some(v) => {
            let mut e = Vec::new();
            Some(date(v, "date", &mut e).ok_or(ApiError::Validation(e))?)
        }
    };
    http::json(
        201,
        &log_day(&ctx.d1()?, &caller, ctx.param("id"), day).await?,
    )
}

/// Marks `day` (today in the user's zone when `None`) done for one of the caller's habits
/// and answers the habit as it then is (the route and the assistant's `log_habit` tool).
pub async fn log_day(
    db: &D1Database,
    caller: &Caller,
    id: &str,
    day: Option<NaiveDate>,
) -> Result<Habit, ApiError> {
    let (mut row, mut done, today, linked) = load_for_write(db, caller, id).await?;
    let day = day.unwrap_or(today);
    if day > today {
        return Err(ApiError::validation("date", "cannot be in the future"));
    }
    let now = ids::now_rfc3339();
    let mut stmts = Vec::new();
    // Back-filling a day before the start moves the start back to it.
    if day.to_string() < row.start_date {
        row.start_date = day.to_string();
        stmts.push(
            db.prepare("UPDATE os_habits SET start_date = ?1, updated_at = ?2 WHERE id = ?3 AND user_id = ?4")
                .bind(&[row.start_date.as_str().into(), now.as_str().into(), row.id.as_str().into(), caller.user_id.as_str().into()])?,
        );
    }
    done.insert(day);
    stmts.push(db.prepare("INSERT OR IGNORE INTO os_habit_logs (habit_id, user_id, date, created_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[row.id.as_str().into(), caller.user_id.as_str().into(), day.to_string().into(), now.as_str().into()])?);
    write(db, caller, row, &done, today, &linked, stmts).await
}

pub async fn unlog(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let (row, mut done, today, linked) = load_for_write(&db, caller, ctx.param("id")).await?;
    let day = crate::platform::fields::parse_date(ctx.param("date"))
        .filter(|d| done.remove(d))
        .ok_or_else(|| ApiError::not_found("habit log"))?;
    let delete = db
        .prepare("DELETE FROM os_habit_logs WHERE habit_id = ?1 AND user_id = ?2 AND date = ?3")
        .bind(&[
            row.id.as_str().into(),
            caller.user_id.as_str().into(),
            day.to_string().into(),
        ])?;
    write(&db, caller, row, &done, today, &linked, vec![delete]).await?;
    http::no_content()
}

/// The `{date}` of a day's log.
const DAY: Param = Param {
    name: "date",
    required: true,
    description: "The day, YYYY-MM-DD.",
    schema: crate::platform::fields::date_schema,
};

fn schedule_schema() -> Value {
    crate::schema!({"description": "`{type: daily}`, `{type: weekdays, days: [1..7]}` (1 = Monday) or `{type: every_n_days, n}`.",
        "anyOf": [
        {"type": "object", "required": ["type"], "properties": {"type": {"const": "daily"}}},
        {"type": "object", "required": ["type", "days"], "properties": {"type": {"const": "weekdays"},
            "days": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": 7}}}},
        {"type": "object", "required": ["type", "n"], "properties": {"type": {"const": "every_n_days"},
            "n": {"type": "integer", "minimum": 1, "maximum": 365}}}]})
}

fn schema() -> Value {
    json!({"title": "Habit", "type": "object", "properties": {
        "id": {"type": "string", "readOnly": true}, "name": crate::platform::fields::example(text_schema(100), "Read 20 pages"),
        "schedule": schedule_schema(),
        "start_date": {"type": "string", "format": "date"},
        "current_streak": {"type": "integer", "readOnly": true}, "best_streak": {"type": "integer", "readOnly": true},
        "strength": {"type": "number", "readOnly": true}, "due_today": {"type": "boolean", "readOnly": true},
        "done_today": {"type": "boolean", "readOnly": true}}})
}

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &[
    "id",
    "current_streak",
    "best_streak",
    "strength",
    "due_today",
    "done_today",
    "created_at",
];

fn create_body() -> Value {
    body(schema(), &["name"], READ_ONLY)
}

fn update_body() -> Value {
    body(schema(), &[], READ_ONLY)
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a habit",
    description: "`{name, schedule?, start_date?}`; schedule `{type: daily}` (default), `{type: weekdays, days: [1..7]}` \
        (1 = Monday) or `{type: every_n_days, n}`. Streaks count consecutive due days done, skipping days not due; an \
        unfinished today does not break them. Strength (0–100) is an exponential moving average over due days with \
        factor 0.5^(1/13): a perfect habit reaches about 80 after 30 due days.",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List habits",
    description:
        "With streaks and strength. Filter: q (in the name, ignoring ASCII case); paginated.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const TODAY_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Habits due today",
    description: "Today in the user's time zone: `{date, items: [{habit, done}]}`.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a habit",
    description: "",
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Update a habit",
    description: "Partial update of `{name, schedule, start_date}`; logs before a new start date are dropped. Goals the \
        habit is linked to are refreshed in the same batch.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a habit",
    description: "",
    request: None,
    response: (204, no_body),
};
pub const LOG_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Log a habit done",
    description: "`{date?}` (YYYY-MM-DD, default today in the user's time zone, not in the future); one log per day, \
        logging twice is idempotent. A day before the habit's start_date back-fills it: the start moves back to that day.",
    request: Some(|| crate::schema!({"type": "object", "additionalProperties": false, "properties": {"date": {"type": "string", "format": "date"}}})),
    response: (201, schema),
};
pub const UNLOG_DOC: Doc = Doc {
    tag: "os",
    params: &[DAY],
    summary: "Remove a day's log",
    description: "",
    request: None,
    response: (204, no_body),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_round_trip() {
        for v in [
            json!({"type": "daily"}),
            json!({"type": "weekdays", "days": [1, 3, 5]}),
            json!({"type": "every_n_days", "n": 2}),
        ] {
            assert_eq!(schedule_json(&parse_schedule(&v).expect("valid")), v);
        }
        assert_eq!(
            parse_schedule(&json!({"type": "weekdays", "days": [5, 1, 5]})),
            Ok(Schedule::Weekdays(vec![1, 5]))
        );
        for bad in [
            json!({"type": "weekdays", "days": []}),
            json!({"type": "weekdays", "days": [8]}),
            json!({"type": "every_n_days", "n": 0}),
            json!({"type": "hourly"}),
        ] {
            assert!(parse_schedule(&bad).is_err(), "{bad}");
        }
    }
}
