//! Conversations and their messages, kept in D1 only: a chat turn reads its history here
//! and writes both of its messages (and the tool calls between them) in one batch.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{D1Database, D1PreparedStatement};

use crate::platform::auth::Caller;
use crate::platform::db::{batch_or_404, nullable};
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::llm::{Message, Role, ToolCall};
use crate::platform::openapi::{no_body, page_of, Doc};
use crate::platform::page::PageQuery;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A stored message. `tool_calls` (assistant) is `[{id, tool, arguments}]`; a tool
/// message's `content` is the tool's result as JSON text.
#[derive(Debug, Clone, Deserialize)]
pub struct Stored {
    pub role: String,
    pub content: String,
    pub tool_calls: Option<String>,
    pub tool_call_id: Option<String>,
    pub tool_name: Option<String>,
    pub created_at: String,
}

impl Stored {
    pub fn user(content: &str, at: &str) -> Self {
        Self::new("user", content, at)
    }

    pub fn new(role: &str, content: &str, at: &str) -> Self {
        Stored {
            role: role.into(),
            content: content.into(),
            tool_calls: None,
            tool_call_id: None,
            tool_name: None,
            created_at: at.into(),
        }
    }

    pub fn assistant(content: &str, calls: &[ToolCall], at: &str) -> Self {
        let calls: Vec<Value> = calls
            .iter()
            .map(|c| json!({"id": c.id, "tool": c.name, "arguments": c.arguments}))
            .collect();
        Stored {
            tool_calls: (!calls.is_empty()).then(|| Value::Array(calls).to_string()),
            ..Self::new("assistant", content, at)
        }
    }

    pub fn tool(call: &ToolCall, result: &Value, at: &str) -> Self {
        Stored {
            tool_call_id: Some(call.id.clone()),
            tool_name: Some(call.name.clone()),
            ..Self::new("tool", &result.to_string(), at)
        }
    }

    fn calls(&self) -> Vec<Value> {
        self.tool_calls
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// The message as the broker sends it to a model.
    pub fn to_llm(&self) -> Message {
        match self.role.as_str() {
            "user" => Message::user(&self.content),
            "tool" => Message {
                role: Role::Tool,
                content: self.content.clone(),
                tool_calls: Vec::new(),
                tool_call_id: self.tool_call_id.clone(),
                tool_name: self.tool_name.clone(),
            },
            _ => Message::assistant(
                &self.content,
                self.calls()
                    .iter()
                    .map(|c| ToolCall {
                        id: c["id"].as_str().unwrap_or_default().to_string(),
                        name: c["tool"].as_str().unwrap_or_default().to_string(),
                        arguments: c["arguments"].clone(),
                    })
                    .collect(),
            ),
        }
    }

    /// The message as the API answers it.
    fn view(&self) -> Value {
        let mut v =
            json!({"role": self.role, "content": self.content, "created_at": self.created_at});
        match self.role.as_str() {
            "assistant" => v["tool_calls"] = Value::Array(self.calls()),
            "tool" => {
                v["tool_call_id"] = json!(self.tool_call_id);
                v["tool"] = json!(self.tool_name);
            }
            _ => {}
        }
        v
    }
}

pub async fn find(db: &D1Database, caller: &Caller, id: &str) -> Result<Conversation, ApiError> {
    let row: Option<Conversation> = db
        .prepare("SELECT id, title, created_at, updated_at FROM assistant_conversations WHERE id = ?1 AND user_id = ?2")
        .bind(&[id.into(), caller.user_id.as_str().into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found("conversation"))
}

/// How long a turn may hold its conversation: longer than any turn (five model calls, each
/// tried three times within its timeout), short enough that a turn whose isolate died
/// frees the conversation within minutes.
pub const TURN_LEASE_MS: i64 = 5 * 60_000;

/// Takes the conversation for a turn: the caller's conversation `id`, held until the turn
/// stores its messages or [`release`] (one statement). Another turn holding it → 409; not
/// the caller's → 404.
pub async fn hold(db: &D1Database, caller: &Caller, id: &str) -> Result<Conversation, ApiError> {
    let now = crate::platform::ids::now_ms() as i64;
    let row: Option<Conversation> = db
        .prepare(
            "UPDATE assistant_conversations SET turn_until = ?3 WHERE id = ?1 AND user_id = ?2 \
             AND (turn_until IS NULL OR turn_until < ?4) RETURNING id, title, created_at, updated_at",
        )
        .bind(&[
            id.into(),
            caller.user_id.as_str().into(),
            ((now + TURN_LEASE_MS) as f64).into(),
            (now as f64).into(),
        ])?
        .first(None)
        .await?;
    match row {
        Some(c) => Ok(c),
        None => {
            find(db, caller, id).await?;
            Err(ApiError::Conflict(
                "another turn of this conversation is in progress: send the message when it has answered".into(),
            ))
        }
    }
}

/// Frees a conversation a failed turn held.
pub async fn release(db: &D1Database, caller: &Caller, id: &str) -> Result<(), ApiError> {
    db.prepare(
        "UPDATE assistant_conversations SET turn_until = NULL WHERE id = ?1 AND user_id = ?2",
    )
    .bind(&[id.into(), caller.user_id.as_str().into()])?
    .run()
    .await?;
    Ok(())
}

/// The last `window` messages of a conversation, oldest first, starting at a user message
/// so that a model never sees a tool result without the call it answers.
pub async fn history(
    db: &D1Database,
    caller: &Caller,
    id: &str,
    window: u32,
) -> Result<Vec<Stored>, ApiError> {
    let mut rows: Vec<Stored> = db
        .prepare(
            "SELECT role, content, tool_calls, tool_call_id, tool_name, created_at FROM assistant_messages \
             WHERE conversation_id = ?1 AND user_id = ?2 ORDER BY seq DESC LIMIT ?3",
        )
        .bind(&[id.into(), caller.user_id.as_str().into(), f64::from(window).into()])?
        .all()
        .await?
        .results()?;
    rows.reverse();
    let start = rows
        .iter()
        .position(|m| m.role == "user")
        .unwrap_or(rows.len());
    Ok(rows.split_off(start))
}

/// The statements that store a turn: the conversation when it is new, its messages in
/// order after any already there, and the conversation's `updated_at` (freeing it for the
/// next turn).
pub fn append(
    db: &D1Database,
    caller: &Caller,
    conversation: &Conversation,
    is_new: bool,
    messages: &[Stored],
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    let mut stmts = Vec::with_capacity(messages.len() + 1);
    if is_new {
        stmts.push(
            db.prepare(
                "INSERT INTO assistant_conversations (id, user_id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            )
            .bind(&[
                conversation.id.as_str().into(),
                caller.user_id.as_str().into(),
                conversation.title.as_str().into(),
                conversation.created_at.as_str().into(),
            ])?,
        );
    } else {
        stmts.push(
            db.prepare("UPDATE assistant_conversations SET updated_at = ?1, turn_until = NULL WHERE id = ?2 AND user_id = ?3")
                .bind(&[
                    conversation.updated_at.as_str().into(),
                    conversation.id.as_str().into(),
                    caller.user_id.as_str().into(),
                ])?,
        );
    }
    for m in messages {
        // seq follows the conversation's last message inside the batch's transaction, so
        // two turns sent at once interleave whole instead of colliding.
        stmts.push(
            db.prepare(
                "INSERT INTO assistant_messages (id, conversation_id, user_id, seq, role, content, tool_calls, \
                 tool_call_id, tool_name, created_at) \
                 SELECT ?1, ?2, ?3, COALESCE(MAX(seq), 0) + 1, ?4, ?5, ?6, ?7, ?8, ?9 FROM assistant_messages \
                 WHERE conversation_id = ?2",
            )
            .bind(&[
                crate::platform::ids::new_id()?.into(),
                conversation.id.as_str().into(),
                caller.user_id.as_str().into(),
                m.role.as_str().into(),
                m.content.as_str().into(),
                nullable(m.tool_calls.as_deref()),
                nullable(m.tool_call_id.as_deref()),
                nullable(m.tool_name.as_deref()),
                m.created_at.as_str().into(),
            ])?,
        );
    }
    Ok(stmts)
}

// ---- handlers ----

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let rows: Vec<Conversation> =
        PageQuery::new("SELECT id, title, created_at, updated_at FROM assistant_conversations")
            .search(&["title"], search.as_ref())
            .fetch(&ctx.d1()?, &caller, &page)
            .await?;
    http::json(200, &page.respond(rows, |c| &c.id))
}

pub async fn get(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let messages = async {
        let messages: Vec<Stored> = db
            .prepare(
                "SELECT role, content, tool_calls, tool_call_id, tool_name, created_at FROM assistant_messages \
                 WHERE conversation_id = ?1 AND user_id = ?2 ORDER BY seq",
            )
            .bind(&[id.into(), caller.user_id.as_str().into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(messages)
    };
    // The conversation (404 when it is not the caller's) and its messages, read at once.
    let (c, messages) = futures::try_join!(find(&db, &caller, id), messages)?;
    let mut v = serde_json::to_value(&c)?;
    v["messages"] = messages.iter().map(Stored::view).collect();
    http::json(200, &v)
}

pub async fn delete(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let id = ctx.param("id");
    let stmts = vec![
        db.prepare("DELETE FROM assistant_conversations WHERE id = ?1 AND user_id = ?2")
            .bind(&[id.into(), caller.user_id.as_str().into()])?,
        db.prepare("DELETE FROM assistant_messages WHERE conversation_id = ?1 AND user_id = ?2")
            .bind(&[id.into(), caller.user_id.as_str().into()])?,
    ];
    batch_or_404(&db, stmts, "conversation").await?;
    http::no_content()
}

// ---- OpenAPI ----

pub fn schema() -> Value {
    crate::schema!({"title": "Conversation", "type": "object", "required": ["id", "title", "created_at", "updated_at"], "properties": {
        "id": {"type": "string"},
        "title": {"type": "string", "description": "The start of the conversation's first message."},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"}
    }})
}

pub fn message_schema() -> Value {
    crate::schema!({"title": "ConversationMessage", "type": "object", "required": ["role", "content", "created_at"], "properties": {
        "role": {"type": "string", "enum": ["user", "assistant", "tool"]},
        "content": {"type": "string", "description": "For a tool message, the tool's result as JSON text."},
        "tool_calls": {"type": "array", "description": "Assistant messages: the tools it called.",
            "items": {"type": "object", "properties": {"id": {"type": "string"}, "tool": {"type": "string"}, "arguments": {}}}},
        "tool_call_id": {"type": ["string", "null"]},
        "tool": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"}
    }})
}

pub const LIST_DOC: Doc = Doc {
    tag: "assistant",
    params: &[],
    summary: "List conversations",
    description:
        "The caller's conversations, oldest first; `q` searches titles. Paginated like every list.",
    request: None,
    response: (200, || page_of(schema())),
};
pub const GET_DOC: Doc = Doc {
    tag: "assistant",
    params: &[],
    summary: "Read a conversation",
    description: "The conversation with every message in order: user, assistant (with the tools it called) and \
        tool results. 404 for an unknown id or another user's.",
    request: None,
    response: (200, || {
        let mut s = schema();
        s["title"] = json!("ConversationWithMessages");
        s["properties"]["messages"] = json!({"type": "array", "items": message_schema()});
        s
    }),
};
pub const DELETE_DOC: Doc = Doc {
    tag: "assistant",
    params: &[],
    summary: "Delete a conversation",
    description: "Deletes the conversation and its messages. What its tools did (tasks added, habits logged) stays.",
    request: None,
    response: (204, no_body),
};
