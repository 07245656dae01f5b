//! Google Gemini: `POST {LLM_BASE_URL}/v1beta/models/{model}:generateContent`. Roles are
//! `user` and `model`; tools as `tools: [{functionDeclarations}]`; the answer's parts are
//! `text` or `functionCall {name, args}`; tool results go back as `functionResponse`
//! parts. The key goes in a header, never in the URL.

use serde_json::{json, Value};

use super::{AttemptError, Reply, Request, Role, ToolCall};
use crate::platform::config::LlmConfig;
use crate::platform::outbound::{post_json, post_stream};

pub async fn complete(cfg: &LlmConfig, req: &Request<'_>) -> Result<Reply, AttemptError> {
    let key = cfg.api_key.as_deref().unwrap_or_default();
    let url = format!(
        "{}/v1beta/models/{}:generateContent",
        cfg.base_url, cfg.model
    );
    let answer = post_json(&url, &[("x-goog-api-key", key)], &body(req)).await?;
    parse(&answer)
}

/// `:streamGenerateContent?alt=sse`: each event a whole `GenerateContentResponse` chunk.
pub async fn stream(
    cfg: &LlmConfig,
    req: &Request<'_>,
    signal: Option<&worker::AbortSignal>,
) -> Result<worker::ByteStream, AttemptError> {
    let key = cfg.api_key.as_deref().unwrap_or_default();
    let url = format!(
        "{}/v1beta/models/{}:streamGenerateContent?alt=sse",
        cfg.base_url, cfg.model
    );
    Ok(post_stream(&url, &[("x-goog-api-key", key)], &body(req), signal).await?)
}

pub(super) fn body(req: &Request<'_>) -> Value {
    let system: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| json!({"text": m.content}))
        .collect();
    let contents: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| match m.role {
            Role::Assistant => {
                let mut parts = Vec::new();
                if !m.content.is_empty() {
                    parts.push(json!({"text": m.content}));
                }
                parts.extend(
                    m.tool_calls
                        .iter()
                        .map(|c| json!({"functionCall": {"name": c.name, "args": c.arguments}})),
                );
                json!({"role": "model", "parts": parts})
            }
            Role::Tool => {
                let result: Value = serde_json::from_str(&m.content).unwrap_or(json!(m.content));
                json!({"role": "user", "parts": [{"functionResponse": {"name": m.tool_name,
                    "response": {"result": result}}}]})
            }
            _ => json!({"role": "user", "parts": [{"text": m.content}]}),
        })
        .collect();
    let mut body = json!({"systemInstruction": {"parts": system}, "contents": contents,
        "generationConfig": {"temperature": 0.9}});
    if req.output.is_some() && req.tools.is_empty() {
        body["generationConfig"]["responseMimeType"] = json!("application/json");
    }
    if !req.tools.is_empty() {
        body["tools"] = json!([{"functionDeclarations": req.tools.iter().map(|t| json!({
            "name": t.name, "description": t.description, "parameters": t.parameters})).collect::<Vec<_>>()}]);
    }
    body
}

pub(super) fn parse(answer: &Value) -> Result<Reply, AttemptError> {
    let parts = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .ok_or_else(|| AttemptError::Invalid("no candidates[0].content.parts".into()))?;
    let mut reply = Reply::default();
    for (i, p) in parts.iter().enumerate() {
        if let Some(t) = p["text"].as_str() {
            reply.content.push_str(t);
        }
        if p["functionCall"].is_object() {
            let name = p["functionCall"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            reply.tool_calls.push(ToolCall {
                // Gemini has no call ids; results are matched by name and order.
                id: format!("{name}_{i}"),
                name,
                arguments: p["functionCall"]["args"].clone(),
            });
        }
    }
    Ok(reply)
}
