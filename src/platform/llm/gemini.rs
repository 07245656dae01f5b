//! Google Gemini: `POST {LLM_BASE_URL}/v1beta/models/{model}:generateContent`, answer in
//! `candidates[0].content.parts[0].text`. The key goes in a header, never in the URL.

use serde_json::json;

use super::{post_json, AttemptError, Prompt};
use crate::platform::config::LlmConfig;

pub async fn complete(cfg: &LlmConfig, p: &Prompt) -> Result<String, AttemptError> {
    let key = cfg.api_key.as_deref().unwrap_or_default();
    let body = json!({
        "systemInstruction": {"parts": [{"text": p.system}]},
        "contents": [{"role": "user", "parts": [{"text": p.user}]}],
        "generationConfig": {"responseMimeType": "application/json", "temperature": 0.9},
    });
    let url = format!(
        "{}/v1beta/models/{}:generateContent",
        cfg.base_url, cfg.model
    );
    let answer = post_json(&url, &[("x-goog-api-key", key)], &body).await?;
    answer["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| AttemptError::Invalid("no candidates[0].content.parts[0].text".into()))
}
