//! Workers AI through the optional `AI` binding: `messages` (and `tools` for models with
//! function calling); the answer in `response`, tool calls in `tool_calls[] {name, arguments}`.

use serde_json::{json, Value};

use super::{arguments, AttemptError, Reply, Request, Role, ToolCall};
use crate::platform::config::LlmConfig;

pub async fn complete(
    env: &worker::Env,
    cfg: &LlmConfig,
    req: &Request<'_>,
) -> Result<Reply, AttemptError> {
    let ai = env.ai("AI").map_err(|_| {
        AttemptError::Fatal("LLM_BACKEND=workers-ai needs the AI binding in wrangler.toml".into())
    })?;
    let out: Value = ai
        .run(&cfg.model, input(req))
        .await
        .map_err(|e| AttemptError::Transport(e.to_string()))?;
    parse(&out)
}

/// The same input with `stream: true`: the binding answers a stream of `data:` events.
pub async fn stream(
    env: &worker::Env,
    cfg: &LlmConfig,
    req: &Request<'_>,
) -> Result<worker::ByteStream, AttemptError> {
    let ai = env.ai("AI").map_err(|_| {
        AttemptError::Fatal("LLM_BACKEND=workers-ai needs the AI binding in wrangler.toml".into())
    })?;
    let mut input = input(req);
    input["stream"] = json!(true);
    ai.run_bytes(&cfg.model, input)
        .await
        .map_err(|e| AttemptError::Transport(e.to_string()))
}

fn input(req: &Request<'_>) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
                Role::Tool => "tool",
            };
            json!({"role": role, "content": m.content})
        })
        .collect();
    let mut input = json!({"messages": messages});
    if !req.tools.is_empty() {
        input["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters}))
            .collect();
    }
    input
}

fn parse(out: &Value) -> Result<Reply, AttemptError> {
    let content = match &out["response"] {
        Value::String(s) => s.clone(),
        // Some models return structured output directly.
        v if v.is_object() || v.is_array() => v.to_string(),
        _ => String::new(),
    };
    let tool_calls: Vec<ToolCall> = out["tool_calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| ToolCall {
                    id: format!("call_{i}"),
                    name: c["name"].as_str().unwrap_or_default().to_string(),
                    arguments: arguments(&c["arguments"]),
                })
                .collect()
        })
        .unwrap_or_default();
    if content.is_empty() && tool_calls.is_empty() {
        return Err(AttemptError::Invalid("no response field".into()));
    }
    Ok(Reply {
        content,
        tool_calls,
    })
}
