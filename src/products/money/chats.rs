//! Chats with the money assistant: the creator's own, or a group's (every member sees
//! those). A message turn stores the user's message and the assistant's answer together.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::D1Database;

use super::groups;
use super::orchestrator::{self, Stages};
use crate::platform::auth::Caller;
use crate::platform::db::nullable;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::fields::{example, nullable_schema, object, text, text_schema};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::llm::stream::words;
use crate::platform::openapi::{page_of, Doc};
use crate::platform::page::PageQuery;
use crate::platform::sse;

pub const MAX_CONTENT_CHARS: usize = 4000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    pub title: String,
    pub group_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Chats the caller may see, scoped by the caller's id as `user_id` for the page query.
const VISIBLE: &str = "SELECT id, title, group_id, created_at, updated_at FROM (SELECT c.id, c.title, c.group_id, c.created_at, c.updated_at, v.viewer AS user_id \
    FROM money_chats c JOIN (SELECT c2.id AS chat_id, c2.user_id AS viewer FROM money_chats c2 \
    UNION SELECT c3.id, m.user_id FROM money_chats c3 JOIN money_group_members m ON m.group_id = c3.group_id \
    WHERE m.user_id IS NOT NULL) v ON v.chat_id = c.id)";

async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Chat, ApiError> {
    let row: Option<Chat> = db
        .prepare(format!("{VISIBLE} WHERE id = ?1 AND user_id = ?2"))
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("chat"))
}

/// How long a message turn may hold its chat: far longer than any answer, short enough
/// that a turn whose isolate died frees the chat within minutes.
pub const TURN_LEASE_MS: i64 = 5 * 60_000;

/// Takes a chat the caller may see for one message turn, until the turn stores its
/// messages or fails (one statement): a turn already running on it (the caller's, or
/// another group member's) → 409, a chat the caller may not see → 404.
async fn hold(db: &D1Database, caller: &Caller, id: &str) -> Result<Chat, ApiError> {
    let now = ids::now_ms() as i64;
    let row: Option<Chat> = db
        .prepare(format!(
            "UPDATE money_chats SET turn_until = ?3 WHERE id = ?1 AND (turn_until IS NULL OR turn_until < ?4) \
             AND EXISTS ({VISIBLE} WHERE id = ?1 AND user_id = ?2) RETURNING id, title, group_id, created_at, updated_at"
        ))
        .bind(&[id.into(), caller.user_id.as_str().into(), ((now + TURN_LEASE_MS) as f64).into(), (now as f64).into()])?
        .first(None)
        .await?;
    match row {
        Some(chat) => Ok(chat),
        None => {
            find(db, caller, id).await?;
            Err(ApiError::Conflict("the assistant is still answering another message in this chat: send yours when it has answered".into()))
        }
    }
}

/// Frees the chat a failed turn held, and passes its error on.
async fn release(db: &D1Database, id: &str, e: ApiError) -> ApiError {
    let freed = async {
        db.prepare("UPDATE money_chats SET turn_until = NULL WHERE id = ?1")
            .bind(&[id.into()])?
            .run()
            .await?;
        Ok::<_, ApiError>(())
    };
    freed.await.err().unwrap_or(e)
}

#[derive(Debug, Deserialize)]
struct Stored {
    id: String,
    role: String,
    content: String,
    thinking: Option<String>,
    action: Option<String>,
    drawer_data: Option<String>,
    created_at: String,
}

fn message_view(m: &Stored) -> Value {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .unwrap_or(Value::Null)
    };
    json!({"id": m.id, "role": m.role, "content": m.content,
        "thinking": match parse(&m.thinking) { Value::Null => json!([]), v => v },
        "action": parse(&m.action), "drawer_data": parse(&m.drawer_data), "created_at": m.created_at})
}

pub async fn create(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let fields = object(&body)?;
    let mut errors = Vec::new();
    for k in fields.keys() {
        if !["title", "group_id"].contains(&k.as_str()) {
            errors.push(FieldError::new(k, "is not a field of a chat"));
        }
    }
    let title = match fields.get("title") {
        None | Some(Value::Null) => Some("New chat".to_string()),
        Some(v) => text(v, "title", 100, &mut errors),
    };
    let group_id = match fields.get("group_id") {
        None | Some(Value::Null) => None,
        Some(v) => text(v, "group_id", 64, &mut errors),
    };
    let Some(title) = title.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let db = ctx.d1()?;
    if let Some(g) = &group_id {
        if !groups::is_member(&db, &caller, g).await? {
            return Err(ApiError::not_found("group"));
        }
    }
    let now = ids::now_rfc3339();
    let chat = Chat {
        id: ids::new_id()?,
        title,
        group_id,
        created_at: now.clone(),
        updated_at: now,
    };
    db.prepare("INSERT INTO money_chats (id, user_id, group_id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)")
        .bind(&[chat.id.as_str().into(), caller.user_id.as_str().into(), nullable(chat.group_id.as_deref()), chat.title.as_str().into(), chat.created_at.as_str().into()])?
        .run()
        .await?;
    http::json(201, &chat)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let rows: Vec<Chat> = PageQuery::new(VISIBLE)
        .fetch(&ctx.d1()?, &caller, &page)
        .await?;
    http::json(200, &page.respond(rows, |c| &c.id))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let messages = async {
        let messages: Vec<Stored> = db
            .prepare("SELECT id, role, content, thinking, action, drawer_data, created_at FROM money_messages WHERE chat_id = ?1 ORDER BY seq")
            .bind(&[id.into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(messages)
    };
    // The chat (404 unless the caller may see it) and its messages, read at once; the
    // messages are only answered once the chat is found to be the caller's.
    let (chat, messages) = futures::try_join!(find(&db, &caller, id), messages)?;
    let mut v = serde_json::to_value(&chat)?;
    v["messages"] = messages.iter().map(message_view).collect();
    http::json(200, &v)
}

/// `POST /chats/{id}/messages {content}`: the assistant's answer, stored with the question;
/// asked for `text/event-stream`, answered as events while it is made: `thinking {stage}`
/// as each stage starts, `delta {text}`, then `done {message}` or `error`.
pub async fn post_message(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body = ctx.json_value().await?;
    let fields = object(&body)?;
    let mut errors = Vec::new();
    for k in fields.keys().filter(|k| k.as_str() != "content") {
        errors.push(FieldError::new(k, "is not a field of a message"));
    }
    let content = match fields.get("content") {
        Some(v) => text(v, "content", MAX_CONTENT_CHARS, &mut errors),
        None => {
            errors.push(FieldError::new("content", "is required"));
            None
        }
    };
    let Some(content) = content.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let db = ctx.d1()?;
    let chat = hold(&db, &caller, ctx.param("id")).await?;
    if sse::wanted(&ctx) {
        let (env, config) = (ctx.env.clone(), ctx.config.clone());
        return sse::respond(&ctx, move |events| async move {
            let stages = Stages::new(Some(events.clone()));
            let message = turn(&env, &config, &db, &caller, &chat, content, stages).await?;
            events.send("done", &json!({ "message": message }));
            Ok(())
        });
    }
    let message = turn(
        &ctx.env,
        &ctx.config,
        &db,
        &caller,
        &chat,
        content,
        Stages::new(None),
    )
    .await?;
    http::json(201, &json!({ "message": message }))
}

/// Answers a message in a held chat and stores both; a failure (or a client that went
/// away) stores nothing and frees the chat.
async fn turn(
    env: &worker::Env,
    config: &crate::platform::config::Config,
    db: &D1Database,
    caller: &Caller,
    chat: &Chat,
    content: String,
    mut stages: Stages,
) -> Result<Value, ApiError> {
    let answered = orchestrator::answer(env, config, db, caller, chat, &content, &mut stages).await;
    let a = match answered {
        Ok(_) if stages.abandoned() => {
            let gone =
                ApiError::BadRequest("the client closed the stream before the answer".into());
            return Err(release(db, &chat.id, gone).await);
        }
        Ok(a) => a,
        Err(e) => return Err(release(db, &chat.id, e).await),
    };
    if !stages.streamed() {
        words(&a.content).for_each(|w| stages.delta(w));
    }
    let now = ids::now_rfc3339();
    let reply = Stored {
        id: ids::new_id()?,
        role: "assistant".into(),
        content: a.content,
        thinking: Some(serde_json::to_string(&a.thinking)?),
        action: a.action.map(|v| v.to_string()),
        drawer_data: a.drawer_data.map(|v| v.to_string()),
        created_at: now.clone(),
    };
    let insert = |m: &Stored, user: Option<&str>| {
        db.prepare(
            "INSERT INTO money_messages (id, chat_id, user_id, seq, role, content, thinking, action, drawer_data, created_at) \
             SELECT ?1, ?2, ?3, COALESCE(MAX(seq), 0) + 1, ?4, ?5, ?6, ?7, ?8, ?9 FROM money_messages WHERE chat_id = ?2",
        )
        .bind(&[
            m.id.as_str().into(),
            chat.id.as_str().into(),
            nullable(user),
            m.role.as_str().into(),
            m.content.as_str().into(),
            nullable(m.thinking.as_deref()),
            nullable(m.action.as_deref()),
            nullable(m.drawer_data.as_deref()),
            m.created_at.as_str().into(),
        ])
    };
    let question = Stored {
        id: ids::new_id()?,
        role: "user".into(),
        content,
        thinking: None,
        action: None,
        drawer_data: None,
        created_at: now.clone(),
    };
    let stored = async {
        db.batch(vec![
            insert(&question, Some(&caller.user_id))?,
            insert(&reply, None)?,
            db.prepare("UPDATE money_chats SET updated_at = ?1, turn_until = NULL WHERE id = ?2")
                .bind(&[now.as_str().into(), chat.id.as_str().into()])?,
        ])
        .await?;
        Ok::<_, ApiError>(())
    };
    if let Err(e) = stored.await {
        return Err(release(db, &chat.id, e).await);
    }
    Ok(message_view(&reply))
}

pub fn schema() -> Value {
    crate::schema!({"title": "Chat", "type": "object", "required": ["id", "title", "group_id", "created_at", "updated_at"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "group_id": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}
    }})
}

pub fn message_schema() -> Value {
    crate::schema!({"title": "ChatMessage", "type": "object", "required": ["id", "role", "content", "thinking", "action", "drawer_data"], "properties": {
        "id": {"type": "string"},
        "role": {"type": "string", "enum": ["user", "assistant"]},
        "content": {"type": "string"},
        "thinking": {"type": "array", "items": {"type": "string"}, "description": "The stages the assistant ran, in order."},
        "action": {"type": ["object", "null"], "description": "{type: split|card|tracker, …}"},
        "drawer_data": {"type": ["object", "null"], "description": "The numbers behind the answer: a split's {total_cents, shares: [{name, amount_cents}]}, a tracker's {total_cents, period, by_category}, a card's {category, recommended, cards}."},
        "created_at": {"type": "string", "format": "date-time"}
    }})
}

pub const CREATE_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Start a chat",
    description: "`{title?, group_id?}`; a group's chat is seen by all its members (404 for a group the caller is not in).",
    request: Some(|| json!({"type": "object", "additionalProperties": false, "properties": {
        "title": nullable_schema(text_schema(100)), "group_id": nullable_schema(text_schema(64))}})),
    response: (201, schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "List chats",
    description: "The caller's chats and their groups' chats; paginated.",
    request: None,
    response: (200, || page_of(schema())),
};
pub const GET_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Read a chat",
    description: "With its messages in order. 404 for a chat the caller may not see.",
    request: None,
    response: (200, || {
        let mut s = schema();
        s["title"] = json!("ChatWithMessages");
        s["properties"]["messages"] = json!({"type": "array", "items": message_schema()});
        s
    }),
};
pub const MESSAGE_DOC: Doc = Doc {
    tag: "money",
    params: &[],
    summary: "Ask the assistant",
    description: "`{content}` (1–4,000 characters). The assistant detects what is asked — card (“which card for \
        groceries?”), split (“split $84.50 with Sam and Ana”, “split 90 2:1 with Sam”, “split $100 three ways”, “split $60 \
        with the group” in a group chat), tracker (“how much on dining this month?”, “vs last month?”, “top merchants in \
        October”) or general — and answers from the user's own data. Splits are exact to the cent, the remainder cents \
        going one each to the first people named. A split with a bad amount (more than two decimals, zero or less, over \
        10,000,000.00) or nobody to split with is 422 and nothing is stored. 409 while the assistant is still \
        answering another message of the same chat.\n\n\
        With `Accept: text/event-stream` the answer is 200 with server-sent events while it is made: `thinking` as \
        each stage starts, `delta` with the answer's text as it is written, then `done` (`{message}`, the JSON \
        answer) or `error` (`{code, message}`; nothing is stored).",
    request: Some(|| json!({"type": "object", "required": ["content"], "additionalProperties": false, "properties": {
        "content": example(text_schema(MAX_CONTENT_CHARS), "split $100.00 three ways")}})),
    response: (201, || {
        let answer = json!({"type": "object", "required": ["message"], "properties": {"message": message_schema()}});
        let mut schema = answer.clone();
        schema["x-event-stream"] = json!({
            "thinking": {"type": "object", "required": ["stage"], "properties": {"stage": {"type": "string"}}},
            "delta": sse::delta_schema(),
            "done": answer,
            "error": sse::error_schema(),
        });
        schema
    }),
};
