//! Workers AI through the optional `AI` binding; answer in `response`.

use serde_json::{json, Value};

use super::{AttemptError, Prompt};
use crate::platform::config::LlmConfig;

pub async fn complete(
    env: &worker::Env,
    cfg: &LlmConfig,
    p: &Prompt,
) -> Result<String, AttemptError> {
    let ai = env.ai("AI").map_err(|_| {
        AttemptError::Fatal("LLM_BACKEND=workers-ai needs the AI binding in wrangler.toml".into())
    })?;
    let input = json!({
        "messages": [
            {"role": "system", "content": p.system},
            {"role": "user", "content": p.user},
        ],
    });
    let out: Value = ai
        .run(&cfg.model, input)
        .await
        .map_err(|e| AttemptError::Transport(e.to_string()))?;
    match &out["response"] {
        Value::String(s) => Ok(s.clone()),
        // Some models return structured output directly.
        v if v.is_object() || v.is_array() => Ok(v.to_string()),
        _ => Err(AttemptError::Invalid("no response field".into())),
    }
}
