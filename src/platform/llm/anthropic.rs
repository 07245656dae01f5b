//! Anthropic Messages API: `POST {LLM_BASE_URL}/v1/messages`. The system prompt goes
//! apart; tools as `tools: [{name, description, input_schema}]`; the answer is a list of
//! content blocks, `text` and `tool_use {id, name, input}`; tool results go back as
//! `tool_result` blocks of a user message.

use serde_json::{json, Value};

use super::{AttemptError, Reply, Request, Role, ToolCall};
use crate::platform::config::LlmConfig;
use crate::platform::outbound::{post_json, post_stream};

pub async fn complete(cfg: &LlmConfig, req: &Request<'_>) -> Result<Reply, AttemptError> {
    let key = cfg.api_key.as_deref().unwrap_or_default();
    let answer = post_json(
        &format!("{}/v1/messages", cfg.base_url),
        &[("x-api-key", key), ("anthropic-version", "2023-06-01")],
        &body(&cfg.model, req),
    )
    .await?;
    parse(&answer)
}

/// The same request with `stream: true`: named events from `message_start` to `message_stop`.
pub async fn stream(
    cfg: &LlmConfig,
    req: &Request<'_>,
    signal: Option<&worker::AbortSignal>,
) -> Result<worker::ByteStream, AttemptError> {
    let key = cfg.api_key.as_deref().unwrap_or_default();
    let mut body = body(&cfg.model, req);
    body["stream"] = json!(true);
    Ok(post_stream(
        &format!("{}/v1/messages", cfg.base_url),
        &[("x-api-key", key), ("anthropic-version", "2023-06-01")],
        &body,
        signal,
    )
    .await?)
}

pub(super) fn body(model: &str, req: &Request<'_>) -> Value {
    let system: Vec<&str> = req
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let mut messages: Vec<Value> = Vec::new();
    for m in req.messages.iter().filter(|m| m.role != Role::System) {
        let (role, block) = match m.role {
            Role::User => ("user", json!({"type": "text", "text": m.content})),
            Role::Tool => (
                "user",
                json!({"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}),
            ),
            _ => ("assistant", Value::Null),
        };
        if role == "assistant" {
            let mut blocks = Vec::new();
            if !m.content.is_empty() {
                blocks.push(json!({"type": "text", "text": m.content}));
            }
            blocks.extend(m.tool_calls.iter().map(
                |c| json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}),
            ));
            messages.push(json!({"role": "assistant", "content": blocks}));
            continue;
        }
        // Consecutive user-side blocks (several tool results) share one message.
        match messages.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(blocks) = last["content"].as_array_mut() {
                    blocks.push(block);
                }
            }
            _ => messages.push(json!({"role": role, "content": [block]})),
        }
    }
    let mut body = json!({"model": model, "max_tokens": 2048, "system": system.join("\n\n"), "messages": messages});
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
    }
    body
}

pub(super) fn parse(answer: &Value) -> Result<Reply, AttemptError> {
    let blocks = answer["content"]
        .as_array()
        .ok_or_else(|| AttemptError::Invalid("no content blocks".into()))?;
    let mut reply = Reply::default();
    for b in blocks {
        match b["type"].as_str() {
            Some("text") => reply
                .content
                .push_str(b["text"].as_str().unwrap_or_default()),
            Some("tool_use") => reply.tool_calls.push(ToolCall {
                id: b["id"].as_str().unwrap_or_default().to_string(),
                name: b["name"].as_str().unwrap_or_default().to_string(),
                arguments: b["input"].clone(),
            }),
            _ => {}
        }
    }
    Ok(reply)
}
