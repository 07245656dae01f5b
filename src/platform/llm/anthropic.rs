//! Anthropic Messages API: `POST {LLM_BASE_URL}/v1/messages`, answer in `content[0].text`.

use serde_json::json;

use super::{post_json, AttemptError, Prompt};
use crate::platform::config::LlmConfig;

pub async fn complete(cfg: &LlmConfig, p: &Prompt) -> Result<String, AttemptError> {
    let key = cfg.api_key.as_deref().unwrap_or_default();
    let body = json!({
        "model": cfg.model,
        "max_tokens": 2048,
        "system": p.system,
        "messages": [{"role": "user", "content": p.user}],
    });
    let answer = post_json(
        &format!("{}/v1/messages", cfg.base_url),
        &[("x-api-key", key), ("anthropic-version", "2023-06-01")],
        &body,
    )
    .await?;
    answer["content"][0]["text"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| AttemptError::Invalid("no content[0].text".into()))
}
