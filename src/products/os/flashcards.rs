//! Flashcards with SM-2 spaced repetition (`rules::sm2`): review with a grade 0–5, and the
//! cards due today in the user's time zone.

use crate::platform::fields::{nullable_schema, text_schema};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::rules::sm2::{self, Card};
use super::{nullable_text, settings, text};
use crate::platform::auth::Caller;
use crate::platform::db::nullable;
use crate::platform::error::ApiError;
use crate::platform::fields::{days_after, last_date, read_object};
use crate::platform::http::{self, Ctx, Page, Response};
use crate::platform::ids;
use crate::platform::openapi::{body, no_body, Doc};
use crate::platform::page::PageQuery;

#[derive(Debug, Serialize, Deserialize)]
pub struct Flashcard {
    pub id: String,
    pub front: String,
    pub back: String,
    pub deck: Option<String>,
    pub repetitions: i64,
    pub interval_days: i64,
    pub ease: f64,
    pub due_on: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, front, back, deck, repetitions, interval_days, ease, due_on, created_at";

async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Flashcard, ApiError> {
    let row: Option<Flashcard> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM os_flashcards WHERE id = ?1 AND user_id = ?2"
        ))
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("flashcard"))
}

/// The writable fields: front, back, deck (`Some(None)` clears the deck).
#[derive(Default)]
pub struct Fields {
    pub front: Option<String>,
    pub back: Option<String>,
    pub deck: Option<Option<String>>,
}

pub fn parse(v: &Value, full: bool) -> Result<Fields, ApiError> {
    read_object(
        v,
        "flashcard",
        READ_ONLY,
        REQUIRED,
        full,
        |f: &mut Fields, k, v, e| {
            match k {
                "front" => f.front = text(v, k, 2000, e),
                "back" => f.back = text(v, k, 2000, e),
                "deck" => f.deck = nullable_text(v, k, 100, e),
                _ => return false,
            }
            true
        },
    )
    .map_err(ApiError::Validation)
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let Fields { front, back, deck } = parse(&body, true)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let today = settings::today(&db, &caller.user_id).await?;
    // A new card: no repetitions, a 0-day interval, SM-2's starting ease, due today.
    let card = Flashcard {
        id: ids::new_id()?,
        front: front.unwrap_or_default(),
        back: back.unwrap_or_default(),
        deck: deck.flatten(),
        repetitions: 0,
        interval_days: 0,
        ease: sm2::START_EASE,
        due_on: today.to_string(),
        created_at: ids::now_rfc3339(),
    };
    db.prepare(
        "INSERT INTO os_flashcards (id, user_id, front, back, deck, due_on, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )
    .bind(&[
        card.id.as_str().into(),
        caller.user_id.as_str().into(),
        card.front.as_str().into(),
        card.back.as_str().into(),
        nullable(card.deck.as_deref()),
        card.due_on.as_str().into(),
        card.created_at.as_str().into(),
    ])?
    .run()
    .await?;
    http::json(201, &card)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let deck = ctx.query_param("deck").filter(|d| !d.is_empty());
    let rows: Vec<Flashcard> = PageQuery::new(format!("SELECT {COLUMNS} FROM os_flashcards"))
        .filter("deck = ?", deck)
        .search(&["front", "back"], search.as_ref())
        .fetch(&ctx.d1()?, &caller, &page)
        .await?;
    http::json(200, &page.respond(rows, |c| &c.id))
}

pub async fn due(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let db = ctx.d1()?;
    let deck = ctx.query_param("deck").filter(|d| !d.is_empty());
    let limit = Page::parse_limit(ctx.query_param("limit").as_deref(), Page::MAX)?;
    // Today in the user's zone is the UTC date, the day before or the day after. One
    // batch reads the zone and the due cards of each of those days (and every earlier
    // one), each list in due order; the lists up to the user's today, concatenated, are
    // that order too. One round trip instead of the zone first, then the cards.
    let utc = crate::platform::ids::now().date_naive();
    let (before, after) = (utc.pred_opt().unwrap_or(utc), utc.succ_opt().unwrap_or(utc));
    let select =
        |cond: &str, date: chrono::NaiveDate| -> Result<worker::D1PreparedStatement, ApiError> {
            Ok(db
                .prepare(format!(
                    "SELECT {COLUMNS} FROM os_flashcards WHERE user_id = ?1 AND {cond} \
                 AND (?3 IS NULL OR deck = ?3) ORDER BY due_on, id LIMIT ?4"
                ))
                .bind(&[
                    caller.user_id.as_str().into(),
                    date.to_string().into(),
                    nullable(deck.as_deref()),
                    f64::from(limit).into(),
                ])?)
        };
    let results = db
        .batch(vec![
            db.prepare("SELECT timezone FROM os_settings WHERE user_id = ?1")
                .bind(&[caller.user_id.as_str().into()])?,
            select("due_on <= ?2", before)?,
            select("due_on = ?2", utc)?,
            select("due_on = ?2", after)?,
        ])
        .await?;
    #[derive(Deserialize)]
    struct Zone {
        timezone: String,
    }
    let [zone, early, on_utc, on_next] = results.as_slice() else {
        return Err(ApiError::internal("due cards: short batch"));
    };
    let zone = zone
        .results::<Zone>()?
        .pop()
        .map_or_else(|| "UTC".to_string(), |z| z.timezone);
    let today = settings::today_in(&zone)?;
    let mut rows: Vec<Flashcard> = early.results()?;
    if today >= utc {
        rows.extend(on_utc.results::<Flashcard>()?);
    }
    if today >= after {
        rows.extend(on_next.results::<Flashcard>()?);
    }
    rows.truncate(limit as usize);
    http::json(
        200,
        &json!({"date": today.to_string(), "items": rows, "next_cursor": null}),
    )
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    http::json(200, &find(&ctx.d1()?, &caller, ctx.param("id")).await?)
}

pub async fn update(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let Fields { front, back, deck } = parse(&body, false)?;
    let caller = caller.clone();
    let db = ctx.d1()?;
    let c = find(&db, &caller, ctx.param("id")).await?;
    let c = Flashcard {
        front: front.unwrap_or(c.front),
        back: back.unwrap_or(c.back),
        deck: deck.unwrap_or(c.deck),
        ..c
    };
    db.prepare("UPDATE os_flashcards SET front = ?1, back = ?2, deck = ?3, updated_at = ?4 WHERE id = ?5 AND user_id = ?6")
        .bind(&[
            c.front.as_str().into(),
            c.back.as_str().into(),
            nullable(c.deck.as_deref()),
            ids::now_rfc3339().into(),
            c.id.as_str().into(),
            caller.user_id.as_str().into(),
        ])?
        .run()
        .await?;
    http::json(200, &c)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    crate::platform::db::delete_owned(&ctx, &caller, "os_flashcards", "flashcard").await
}

#[derive(Deserialize)]
struct Review {
    grade: u8,
}

pub async fn review(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: Review = ctx.json().await?;
    if body.grade > 5 {
        return Err(ApiError::validation(
            "grade",
            "must be an integer from 0 to 5",
        ));
    }
    let caller = caller.clone();
    let db = ctx.d1()?;
    let (c, today) = futures::try_join!(
        find(&db, &caller, ctx.param("id")),
        settings::today(&db, &caller.user_id)
    )?;
    let next = sm2::review(
        Card {
            repetitions: c.repetitions as u32,
            interval_days: c.interval_days as u32,
            ease: c.ease,
        },
        body.grade,
    );
    // An interval keeps multiplying while a card is answered well; a date past the last
    // one the API takes (or past chrono's, where adding would panic) is held on that date.
    let due_on = days_after(today, i64::from(next.interval_days)).unwrap_or_else(last_date);
    db.prepare(
        "UPDATE os_flashcards SET repetitions = ?1, interval_days = ?2, ease = ?3, due_on = ?4, updated_at = ?5 \
         WHERE id = ?6 AND user_id = ?7",
    )
    .bind(&[
        f64::from(next.repetitions).into(),
        f64::from(next.interval_days).into(),
        next.ease.into(),
        due_on.to_string().into(),
        ids::now_rfc3339().into(),
        c.id.as_str().into(),
        caller.user_id.as_str().into(),
    ])?
    .run()
    .await?;
    http::json(
        200,
        &json!({"interval_days": next.interval_days, "ease": next.ease, "repetitions": next.repetitions, "due_on": due_on.to_string()}),
    )
}

fn schema() -> Value {
    json!({"title": "Flashcard", "type": "object", "properties": {"id": {"type": "string", "readOnly": true},
        "front": crate::platform::fields::example(text_schema(2000), "¿Dónde está la biblioteca?"), "back": crate::platform::fields::example(text_schema(2000), "Where is the library?"),
        "deck": nullable_schema(text_schema(100)),
        "repetitions": {"type": "integer", "readOnly": true},
        "interval_days": {"type": "integer", "readOnly": true},
        "ease": {"type": "number", "readOnly": true},
        "due_on": {"type": "string", "format": "date", "readOnly": true}}})
}

/// Fields a client may send back but that are not written.
const READ_ONLY: &[&str] = &[];
/// Fields a create must have.
const REQUIRED: &[&str] = &["front", "back"];

fn create_body() -> Value {
    body(schema(), REQUIRED, READ_ONLY)
}

fn update_body() -> Value {
    body(schema(), &[], READ_ONLY)
}

pub const CREATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Create a flashcard",
    description: "`{front, back, deck?}`; due today.",
    request: Some(create_body),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "List flashcards",
    description: "Filters: deck (exact), q (in front or back, ignoring ASCII case); paginated.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const DUE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Flashcards due",
    description: "Due on or before today in the user's time zone, most overdue first. Filters: deck (exact), \
        limit (1–200, default 200).",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};
pub const GET_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Get a flashcard",
    description: "",
    request: None,
    response: (200, schema),
};
pub const UPDATE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Edit a flashcard",
    description: "Partial update of front, back, deck.",
    request: Some(update_body),
    response: (200, schema),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Delete a flashcard",
    description: "",
    request: None,
    response: (204, no_body),
};
pub const REVIEW_DOC: Doc = Doc {
    tag: "os",
    params: &[],
    summary: "Review a flashcard (SM-2)",
    description: "`{grade}` 0–5 → `{interval_days, ease, repetitions, due_on}`. Ease starts at 2.5, floor 1.3; intervals \
        1, 6, then interval × ease; a grade below 3 resets repetitions.",
    request: Some(|| crate::schema!({"type": "object", "required": ["grade"], "properties": {"grade": {"type": "integer", "minimum": 0, "maximum": 5}}})),
    response: (200, || crate::schema!({"type": "object"})),
};
