//! Any OpenAI-compatible chat completions endpoint (OpenAI, Groq, Ollama, vLLM):
//! `POST {LLM_BASE_URL}/chat/completions`, answer in `choices[0].message.content`.

use serde_json::json;

use super::{post_json, AttemptError, Prompt};
use crate::platform::config::LlmConfig;

pub async fn complete(cfg: &LlmConfig, p: &Prompt) -> Result<String, AttemptError> {
    let auth = cfg.api_key.as_ref().map(|k| format!("Bearer {k}"));
    let mut headers = Vec::new();
    if let Some(a) = auth.as_deref() {
        headers.push(("Authorization", a));
    }
    let body = json!({
        "model": cfg.model,
        "temperature": 0.9,
        "messages": [
            {"role": "system", "content": p.system},
            {"role": "user", "content": p.user},
        ],
    });
    let answer = post_json(
        &format!("{}/chat/completions", cfg.base_url),
        &headers,
        &body,
    )
    .await?;
    answer["choices"][0]["message"]["content"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| AttemptError::Invalid("no choices[0].message.content".into()))
}
