//! Any OpenAI-compatible chat completions endpoint (OpenAI, Groq, Ollama, vLLM):
//! `POST {LLM_BASE_URL}/chat/completions`; tools as `tools: [{type: function, function}]`,
//! the answer in `choices[0].message` (`content`, `tool_calls[].function.{name, arguments}`).

use serde_json::{json, Value};

use super::{arguments, AttemptError, Reply, Request, Role, ToolCall};
use crate::platform::config::LlmConfig;
use crate::platform::outbound::{post_json, post_stream};

pub async fn complete(cfg: &LlmConfig, req: &Request<'_>) -> Result<Reply, AttemptError> {
    let auth = cfg.api_key.as_ref().map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let answer = post_json(
        &format!("{}/chat/completions", cfg.base_url),
        &headers,
        &body(&cfg.model, req),
    )
    .await?;
    parse(&answer)
}

/// The same request with `stream: true` (and the usage in the last chunk).
pub async fn stream(
    cfg: &LlmConfig,
    req: &Request<'_>,
    signal: Option<&worker::AbortSignal>,
) -> Result<worker::ByteStream, AttemptError> {
    let auth = cfg.api_key.as_ref().map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let mut body = body(&cfg.model, req);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    Ok(post_stream(
        &format!("{}/chat/completions", cfg.base_url),
        &headers,
        &body,
        signal,
    )
    .await?)
}

pub(super) fn body(model: &str, req: &Request<'_>) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| match m.role {
            Role::System => json!({"role": "system", "content": m.content}),
            Role::User => json!({"role": "user", "content": m.content}),
            Role::Assistant if m.tool_calls.is_empty() => {
                json!({"role": "assistant", "content": m.content})
            }
            Role::Assistant => json!({"role": "assistant", "content": m.content,
                "tool_calls": m.tool_calls.iter().map(|c| json!({"id": c.id, "type": "function",
                    "function": {"name": c.name, "arguments": match &c.arguments {
                        serde_json::Value::String(raw) => raw.clone(),
                        args => args.to_string(),
                    }}})).collect::<Vec<_>>()}),
            Role::Tool => {
                json!({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
            }
        })
        .collect();
    let mut body = json!({"model": model, "temperature": 0.9, "messages": messages});
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description,
                "parameters": t.parameters}}))
            .collect();
    }
    body
}

pub(super) fn parse(answer: &Value) -> Result<Reply, AttemptError> {
    let message = &answer["choices"][0]["message"];
    if !message.is_object() {
        return Err(AttemptError::Invalid("no choices[0].message".into()));
    }
    let tool_calls = message["tool_calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| ToolCall {
                    id: c["id"]
                        .as_str()
                        .map_or_else(|| format!("call_{i}"), str::to_string),
                    name: c["function"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    arguments: arguments(&c["function"]["arguments"]),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Reply {
        content: message["content"].as_str().unwrap_or_default().to_string(),
        tool_calls,
    })
}
