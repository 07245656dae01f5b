//! The LLM broker (SPEC §9): one interface, the backend chosen by `LLM_BACKEND`. Every
//! call names a [`Feature`] whose schema the answer must satisfy; the broker extracts JSON
//! from the reply (plain, fenced, or inside prose), validates it, and retries up to 3 times
//! with exponential backoff on transport errors, 429/5xx, timeouts and invalid output.
//! After that: `upstream_failed` (502).

mod anthropic;
mod gemini;
pub mod offline;
mod openai;
pub mod words;
mod workers_ai;

use serde_json::Value;

use crate::platform::config::{LlmBackend, LlmConfig};
use crate::platform::error::ApiError;

pub const ATTEMPTS: u32 = 3;

/// Checks (and may normalise) a candidate answer.
pub type Validator = fn(Value) -> Result<Value, String>;

/// A structured-output task: what to produce and how to check it.
pub struct Task {
    pub feature: &'static str,
    /// Plain-language description of the JSON wanted, with its shape.
    pub instructions: String,
    /// Facts the answer should use (persona, hint…), sent to the model as JSON.
    pub context: Value,
    /// Seed of the offline backend: same seed, same answer.
    pub seed: u64,
    pub validate: Validator,
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptError {
    Transport(String),
    Status(u16),
    Timeout,
    /// The reply held no JSON, or JSON the schema refused.
    Invalid(String),
    /// A configuration or request problem that retrying cannot fix.
    Fatal(String),
}

impl AttemptError {
    pub fn retryable(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Timeout | Self::Invalid(_) => true,
            Self::Status(s) => *s == 429 || *s >= 500,
            Self::Fatal(_) => false,
        }
    }
}

/// The messages sent to chat-style backends.
pub struct Prompt {
    pub system: String,
    pub user: String,
}

fn prompt(task: &Task) -> Prompt {
    Prompt {
        system: "You generate realistic, varied, plausible synthetic data for a privacy tool. \
                 Answer with exactly one JSON value and nothing else."
            .into(),
        user: format!(
            "Task: {}\n{}\nContext (JSON): {}",
            task.feature, task.instructions, task.context
        ),
    }
}

/// Runs a task on the configured backend.
pub async fn generate(env: &worker::Env, cfg: &LlmConfig, task: &Task) -> Result<Value, ApiError> {
    if cfg.backend == LlmBackend::Offline {
        let value = offline::generate(task.feature, task.seed, &task.context)
            .map_err(ApiError::internal)?;
        return (task.validate)(value)
            .map_err(|e| ApiError::internal(format!("offline {} invalid: {e}", task.feature)));
    }
    let p = prompt(task);
    let mut last = AttemptError::Fatal("no attempt".into());
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            let wait = cfg.retry_base_ms.saturating_mul(1 << (attempt - 1));
            worker::Delay::from(std::time::Duration::from_millis(wait)).await;
        }
        let reply = with_timeout(cfg.timeout_ms, call(env, cfg, &p)).await;
        let outcome = reply.and_then(|text| {
            let json = extract_json(&text)
                .ok_or_else(|| AttemptError::Invalid("no JSON in reply".into()))?;
            (task.validate)(json).map_err(AttemptError::Invalid)
        });
        match outcome {
            Ok(v) => return Ok(v),
            Err(e) => {
                worker::console_log!(
                    "{}",
                    serde_json::json!({"msg": "llm attempt failed", "feature": task.feature,
                        "attempt": attempt + 1, "error": format!("{e:?}")})
                );
                let retry = e.retryable();
                last = e;
                if !retry {
                    break;
                }
            }
        }
    }
    Err(ApiError::UpstreamFailed(format!(
        "the language model did not produce a valid {} ({})",
        task.feature,
        match last {
            AttemptError::Status(s) => format!("HTTP {s}"),
            AttemptError::Timeout => "timeout".into(),
            AttemptError::Transport(_) => "unreachable".into(),
            AttemptError::Invalid(_) => "invalid output".into(),
            AttemptError::Fatal(_) => "configuration".into(),
        }
    )))
}

async fn call(env: &worker::Env, cfg: &LlmConfig, p: &Prompt) -> Result<String, AttemptError> {
    match cfg.backend {
        LlmBackend::OpenAi => openai::complete(cfg, p).await,
        LlmBackend::Anthropic => anthropic::complete(cfg, p).await,
        LlmBackend::Gemini => gemini::complete(cfg, p).await,
        LlmBackend::WorkersAi => workers_ai::complete(env, cfg, p).await,
        LlmBackend::Offline => Err(AttemptError::Fatal("offline has no transport".into())),
    }
}

async fn with_timeout<F: std::future::Future<Output = Result<String, AttemptError>>>(
    ms: u64,
    fut: F,
) -> Result<String, AttemptError> {
    use futures::future::{select, Either};
    let timer = worker::Delay::from(std::time::Duration::from_millis(ms));
    futures::pin_mut!(fut);
    match select(fut, timer).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err(AttemptError::Timeout),
    }
}

/// POSTs JSON and returns the parsed JSON answer, mapping failures to attempt errors.
pub(crate) async fn post_json(
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Result<Value, AttemptError> {
    let h = worker::Headers::new();
    h.set("Content-Type", "application/json")
        .map_err(|e| AttemptError::Fatal(e.to_string()))?;
    for (k, v) in headers {
        h.set(k, v)
            .map_err(|e| AttemptError::Fatal(e.to_string()))?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_headers(h)
        .with_body(Some(body.to_string().into()));
    let req = worker::Request::new_with_init(url, &init)
        .map_err(|e| AttemptError::Fatal(e.to_string()))?;
    let mut resp = worker::Fetch::Request(req)
        .send()
        .await
        .map_err(|e| AttemptError::Transport(e.to_string()))?;
    let status = resp.status_code();
    if !(200..300).contains(&status) {
        return Err(AttemptError::Status(status));
    }
    let text = resp
        .text()
        .await
        .map_err(|e| AttemptError::Transport(e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|_| AttemptError::Invalid("provider answer is not JSON".into()))
}

/// Finds the JSON value in a model reply: the whole text, a fenced block, or the first
/// balanced `{…}` / `[…]` inside prose.
pub fn extract_json(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        if v.is_object() || v.is_array() {
            return Some(v);
        }
    }
    // ```json … ``` or ``` … ```
    let mut rest = t;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map_or(0, |i| i + 1);
        let body = &after[body_start..];
        if let Some(end) = body.find("```") {
            if let Ok(v) = serde_json::from_str::<Value>(body[..end].trim()) {
                return Some(v);
            }
            rest = &body[end + 3..];
        } else {
            break;
        }
    }
    // First balanced object or array that parses.
    for (i, c) in t.char_indices() {
        if c == '{' || c == '[' {
            if let Some(end) = balanced_end(&t[i..]) {
                if let Ok(v) = serde_json::from_str::<Value>(&t[i..i + end]) {
                    return Some(v);
                }
            }
        }
    }
    None
}

/// Byte length of the balanced bracket expression at the start of `s`, strings respected.
fn balanced_end(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extracts_plain_fenced_and_embedded_json() {
        assert_eq!(extract_json(r#"{"a": 1}"#), Some(json!({"a": 1})));
        assert_eq!(
            extract_json("Here you go:\n```json\n{\"a\": [1, 2]}\n```\nEnjoy!"),
            Some(json!({"a": [1, 2]}))
        );
        assert_eq!(extract_json("```\n[1]\n```"), Some(json!([1])));
        assert_eq!(
            extract_json(
                r#"Sure! The persona is {"name": "Ann {the} Bee", "age": 30} as requested."#
            ),
            Some(json!({"name": "Ann {the} Bee", "age": 30}))
        );
        assert_eq!(extract_json("no json here"), None);
        assert_eq!(extract_json("{broken"), None);
        assert_eq!(extract_json("42"), None);
    }

    #[test]
    fn retryable_errors() {
        assert!(AttemptError::Status(429).retryable());
        assert!(AttemptError::Status(503).retryable());
        assert!(!AttemptError::Status(401).retryable());
        assert!(AttemptError::Timeout.retryable());
        assert!(AttemptError::Invalid("x".into()).retryable());
        assert!(!AttemptError::Fatal("x".into()).retryable());
    }
}
