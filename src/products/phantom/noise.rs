//! Noise events: decoy searches, page visits, shopping and persona rotations the browser
//! extension acts out. Each is delivered once: reading marks it delivered in the same
//! statement, so two pollers never get the same event.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement};

use crate::platform::auth::Caller;
use crate::platform::db::nullable;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Page, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc, Param};

pub const EVENT_TYPES: &[&str] = &["search", "browse", "shop", "persona_rotate"];

/// The `{event_type}` of a noise route.
pub const EVENT_TYPE: Param = Param {
    name: "event_type",
    required: true,
    description: "The noise event type.",
    schema: || serde_json::json!({"type": "string", "enum": EVENT_TYPES}),
};

pub struct NewEvent {
    pub event_type: &'static str,
    pub persona_id: Option<String>,
    pub payload: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub persona_id: Option<String>,
    pub payload: Value,
    pub created_at: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    event_type: String,
    persona_id: Option<String>,
    payload: String,
    created_at: String,
}

impl From<Row> for Event {
    fn from(r: Row) -> Self {
        Event {
            id: r.id,
            event_type: r.event_type,
            persona_id: r.persona_id,
            payload: serde_json::from_str(&r.payload).unwrap_or(Value::Null),
            created_at: r.created_at,
        }
    }
}

/// The insert of one event, and the event as clients will see it.
pub fn insert_statement(
    db: &D1Database,
    user_id: &str,
    e: &NewEvent,
) -> Result<(D1PreparedStatement, Value), ApiError> {
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    let stmt = db
        .prepare(
            "INSERT INTO noise_events (id, user_id, persona_id, event_type, payload, delivered, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
        )
        .bind(&[
            id.as_str().into(),
            user_id.into(),
            nullable(e.persona_id.as_deref()),
            e.event_type.into(),
            e.payload.to_string().into(),
            now.as_str().into(),
        ])?;
    let view = json!({"id": id, "event_type": e.event_type, "persona_id": e.persona_id, "payload": e.payload, "created_at": now});
    Ok((stmt, view))
}

/// Undelivered events of a user.
pub async fn queue_depth(db: &D1Database, user_id: &str) -> Result<i64, ApiError> {
    let n: Option<f64> = db
        .prepare("SELECT COUNT(*) AS n FROM noise_events WHERE user_id = ?1 AND delivered = 0")
        .bind(&[user_id.into()])?
        .first(Some("n"))
        .await?;
    Ok(n.unwrap_or(0.0) as i64)
}

/// Generated and delivered counts per event type.
pub async fn counts(db: &D1Database, user_id: &str) -> Result<Value, ApiError> {
    #[derive(Deserialize)]
    struct C {
        event_type: String,
        generated: i64,
        delivered: i64,
    }
    let rows: Vec<C> = db
        .prepare(
            "SELECT event_type, COUNT(*) AS generated, SUM(delivered) AS delivered FROM noise_events \
             WHERE user_id = ?1 GROUP BY event_type",
        )
        .bind(&[user_id.into()])?
        .all()
        .await?
        .results()?;
    let mut out = serde_json::Map::new();
    for t in EVENT_TYPES {
        let c = rows.iter().find(|r| r.event_type == *t);
        out.insert(
            (*t).to_string(),
            json!({"generated": c.map_or(0, |c| c.generated), "delivered": c.map_or(0, |c| c.delivered)}),
        );
    }
    Ok(Value::Object(out))
}

/// `?limit=` of a claim (the page's other parameters are checked, and have nothing to do:
/// a claim always takes the oldest pending events).
fn parse_limit(ctx: &Ctx, default: u32) -> Result<u32, ApiError> {
    ctx.page()?;
    Page::parse_limit(ctx.query_param("limit").as_deref(), default)
}

/// Marks up to `limit` oldest pending events delivered and returns them, in one statement.
async fn claim(
    db: &D1Database,
    user_id: &str,
    event_type: Option<&str>,
    limit: u32,
) -> Result<Vec<Event>, ApiError> {
    let now = ids::now_rfc3339();
    let rows: Vec<Row> = db
        .prepare(
            "UPDATE noise_events SET delivered = 1, delivered_at = ?1 WHERE id IN ( \
               SELECT id FROM noise_events WHERE user_id = ?2 AND delivered = 0 \
               AND (?3 IS NULL OR event_type = ?3) ORDER BY id LIMIT ?4) \
             RETURNING id, event_type, persona_id, payload, created_at",
        )
        .bind(&[
            now.as_str().into(),
            user_id.into(),
            nullable(event_type),
            f64::from(limit).into(),
        ])?
        .all()
        .await?
        .results()?;
    let mut events: Vec<Event> = rows.into_iter().map(Event::from).collect();
    crate::platform::sort::sort_by(&mut events, |a, b| a.id.cmp(&b.id));
    Ok(events)
}

pub async fn pending(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let limit = parse_limit(&ctx, 20)?;
    let events = claim(&ctx.d1()?, &caller.user_id, None, limit).await?;
    http::json(200, &json!({"items": events, "next_cursor": null}))
}

pub async fn pending_of_type(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = ctx.param("event_type");
    if !EVENT_TYPES.contains(&t) {
        return Err(ApiError::validation(
            "event_type",
            "must be search, browse, shop or persona_rotate",
        ));
    }
    let limit = parse_limit(&ctx, 10)?;
    let events = claim(&ctx.d1()?, &caller.user_id, Some(t), limit).await?;
    http::json(200, &json!({"items": events, "next_cursor": null}))
}

pub fn event_schema() -> Value {
    json!({"title": "NoiseEvent", "type": "object", "required": ["id", "event_type", "payload", "created_at"], "properties": {
        "id": {"type": "string"},
        "event_type": {"type": "string", "enum": EVENT_TYPES},
        "persona_id": {"type": ["string", "null"]},
        "payload": {"type": "object", "description": "search: {query, engine, url}; browse: {url, title, dwell_seconds}; \
            shop: {name, site, url, price_usd_cents, category}; persona_rotate: {from, to, persona_name}"},
        "created_at": {"type": "string", "format": "date-time"}
    }})
}

fn events_schema() -> Value {
    page_of(event_schema())
}

pub const PENDING_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "Take pending noise events",
    description: "Oldest first, `?limit=` (default 20, max 200). Returned events are marked delivered in the same \
        statement: each event is delivered once, even to concurrent pollers. Because it changes state, it needs \
        `Authorization: Bearer` or `X-API-Key`; the cookie alone answers 401.",
    request: None,
    response: (200, events_schema),
};

pub const PENDING_TYPE_DOC: Doc = Doc {
    tag: "phantom",
    params: &[EVENT_TYPE],
    summary: "Take pending noise events of one type",
    description:
        "`event_type`: search, browse, shop or persona_rotate; `?limit=` (default 10, max 200). Marks them \
        delivered, so it needs `Authorization: Bearer` or `X-API-Key`; the cookie alone answers 401.",
    request: None,
    response: (200, events_schema),
};
