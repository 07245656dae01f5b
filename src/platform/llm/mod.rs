//! The LLM broker: one interface, the backend chosen by `LLM_BACKEND`. A request is a
//! list of messages (system, user, assistant, tool), optional tool definitions with JSON
//! Schemas (tool calling with the openai, anthropic, gemini and workers-ai backends), and an
//! optional output check. The broker holds no product's prompts: each product writes its
//! own messages and brings its own deterministic generator for the offline backend.
//!
//! Every call is tried up to 3 times with exponential backoff on transport errors,
//! 429/5xx, timeouts and output the check refuses; JSON is extracted from the reply
//! (plain, fenced, or inside prose). After that: `upstream_failed` (502).
//!
//! [`complete_streaming`] asks every backend for its streamed answer and passes the text
//! on as it arrives (`stream`); the offline backend streams its answer word by word.

mod anthropic;
mod gemini;
mod openai;
pub mod stream;
mod workers_ai;

use serde_json::Value;

use crate::platform::config::{LlmBackend, LlmConfig};
use crate::platform::error::ApiError;

pub const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    /// The result of a tool call, answering the assistant's call `tool_call_id`.
    Tool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: String,
    /// Calls the assistant made in this message.
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message: the call it answers.
    pub tool_call_id: Option<String>,
    /// For a tool message: the tool's name (Gemini matches results by name).
    pub tool_name: Option<String>,
}

impl Message {
    fn plain(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            tool_name: None,
        }
    }

    pub fn system(content: impl Into<String>) -> Self {
        Self::plain(Role::System, content)
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self::plain(Role::User, content)
    }

    pub fn assistant(content: impl Into<String>, tool_calls: Vec<ToolCall>) -> Self {
        Message {
            tool_calls,
            ..Self::plain(Role::Assistant, content)
        }
    }

    pub fn tool(call: &ToolCall, result: &Value) -> Self {
        Message {
            tool_call_id: Some(call.id.clone()),
            tool_name: Some(call.name.clone()),
            ..Self::plain(Role::Tool, result.to_string())
        }
    }
}

/// A tool the model may call: its name, what it does, and a JSON Schema of its input.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// What a model answered: text, and the tools it wants called (when tools were offered).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
}

/// Checks (and may normalise) the JSON a reply must hold.
pub type Validator = fn(Value) -> Result<Value, String>;

/// An output check as a request carries it: a [`Validator`] or a closure (a JSON Schema).
pub type Check<'a> = &'a dyn Fn(Value) -> Result<Value, String>;

/// One call to the broker.
pub struct Request<'a> {
    /// What is asked for, for logs and errors (`chat`, `summary`).
    pub feature: &'static str,
    /// Whose call it is: every call a model answers counts against that user's daily
    /// limit (`AI_DAILY_LIMIT`), here and only here.
    pub user_id: &'a str,
    pub messages: Vec<Message>,
    pub tools: &'a [ToolDef],
    /// When set, the reply's text must hold JSON this accepts; [`Outcome::Json`] carries it.
    pub output: Option<Check<'a>>,
    /// The product's deterministic answer for the offline backend.
    pub offline: &'a dyn Fn() -> Result<Outcome, String>,
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The JSON the output check accepted.
    Json(Value),
    /// Free text and tool calls (no output check).
    Reply(Reply),
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptError {
    Transport(String),
    Status(u16),
    Timeout,
    /// The reply held no JSON, or JSON the check refused.
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

/// Runs a request on the configured backend.
pub async fn complete(
    env: &worker::Env,
    cfg: &LlmConfig,
    req: &Request<'_>,
) -> Result<Outcome, ApiError> {
    if cfg.backend == LlmBackend::Offline {
        return offline(req);
    }
    count_call(env, req.user_id, cfg.daily_limit).await?;
    attempts(
        cfg,
        req.feature,
        || true,
        || async {
            let reply = with_timeout(cfg.timeout_ms, call(env, cfg, req)).await;
            reply.and_then(|r| check(r, req.output))
        },
    )
    .await
}

/// The text of an answer as it is generated, piece by piece.
pub type OnText<'a> = &'a dyn Fn(&str);

/// Runs a request like [`complete`], with the provider's streamed answer: `on_text` gets
/// its text as it arrives (the offline backend's answer word by word). The timeout applies
/// to the first byte and to each wait between chunks. An attempt that fails before any
/// text was passed on is retried as in [`complete`]; after that the failure is the call's,
/// since the text is already out. Aborting `signal` (the client went away) cancels the
/// provider's request and is never retried.
pub async fn complete_streaming(
    env: &worker::Env,
    cfg: &LlmConfig,
    req: &Request<'_>,
    signal: Option<&worker::AbortSignal>,
    on_text: OnText<'_>,
) -> Result<Outcome, ApiError> {
    if cfg.backend == LlmBackend::Offline {
        let outcome = offline(req)?;
        if let Outcome::Reply(r) = &outcome {
            stream::words(&r.content).for_each(on_text);
        }
        return Ok(outcome);
    }
    count_call(env, req.user_id, cfg.daily_limit).await?;
    let passed = std::cell::Cell::new(false);
    let pass = |t: &str| {
        passed.set(true);
        on_text(t);
    };
    let may_retry = || !passed.get() && !signal.is_some_and(|s| s.aborted());
    attempts(cfg, req.feature, may_retry, || async {
        let reply = read_stream(env, cfg, req, signal, &pass).await;
        reply.and_then(|r| check(r, req.output))
    })
    .await
}

/// The offline backend: the product's own answer, checked like a model's.
fn offline(req: &Request<'_>) -> Result<Outcome, ApiError> {
    let outcome = (req.offline)().map_err(ApiError::internal)?;
    match (outcome, req.output) {
        (Outcome::Json(v), Some(check)) => check(v)
            .map(Outcome::Json)
            .map_err(|e| ApiError::internal(format!("offline {} invalid: {e}", req.feature))),
        (other, _) => Ok(other),
    }
}

/// Up to [`ATTEMPTS`] runs of `attempt`, with exponential backoff, while its failures are
/// retryable and `may_retry` agrees; then `upstream_failed`.
async fn attempts<F, Fut>(
    cfg: &LlmConfig,
    feature: &str,
    may_retry: impl Fn() -> bool,
    attempt: F,
) -> Result<Outcome, ApiError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, AttemptError>>,
{
    let mut last = AttemptError::Fatal("no attempt".into());
    for n in 0..ATTEMPTS {
        if n > 0 {
            let wait = cfg.retry_base_ms.saturating_mul(1 << (n - 1));
            worker::Delay::from(std::time::Duration::from_millis(wait)).await;
        }
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                worker::console_log!(
                    "{}",
                    serde_json::json!({"msg": "llm attempt failed", "feature": feature,
                        "attempt": n + 1, "error": format!("{e:?}")})
                );
                let retry = e.retryable() && may_retry();
                last = e;
                if !retry {
                    break;
                }
            }
        }
    }
    Err(ApiError::UpstreamFailed(format!(
        "the language model did not produce a valid {} ({})",
        feature,
        match last {
            AttemptError::Status(s) => format!("HTTP {s}"),
            AttemptError::Timeout => "timeout".into(),
            AttemptError::Transport(_) => "unreachable".into(),
            AttemptError::Invalid(_) => "invalid output".into(),
            AttemptError::Fatal(_) => "configuration".into(),
        }
    )))
}

/// Counts one model call of `user_id` for today (UTC) in the same statement that checks
/// the limit, so simultaneous calls never pass it; past it, 429 with the seconds to
/// midnight UTC. A call that then fails still counts: the provider may have billed it.
async fn count_call(env: &worker::Env, user_id: &str, limit: i64) -> Result<(), ApiError> {
    let now = crate::platform::ids::now();
    let day = now.date_naive().to_string();
    let r = crate::platform::bindings::db(env)?
        .prepare(
            "INSERT INTO llm_usage (user_id, day, calls) SELECT ?1, ?2, 1 WHERE ?3 > 0 \
             ON CONFLICT (user_id, day) DO UPDATE SET calls = calls + 1 WHERE calls < ?3",
        )
        .bind(&[user_id.into(), day.into(), (limit as f64).into()])?
        .run()
        .await?;
    if crate::platform::db::changes(&r)? > 0 {
        return Ok(());
    }
    Err(ApiError::RateLimited {
        retry_after_secs: seconds_to_midnight(now),
    })
}

/// Seconds from `now` to the next midnight UTC, at least 1.
pub fn seconds_to_midnight(now: chrono::DateTime<chrono::Utc>) -> u64 {
    let midnight = now
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|m| m.and_utc());
    midnight.map_or(3600, |m| (m - now).num_seconds().max(1) as u64)
}

/// Applies the output check: a reply that calls tools passes as is; otherwise its text
/// must hold JSON the check accepts.
fn check(reply: Reply, output: Option<Check<'_>>) -> Result<Outcome, AttemptError> {
    match output {
        Some(validate) if reply.tool_calls.is_empty() => {
            let json = extract_json(&reply.content)
                .ok_or_else(|| AttemptError::Invalid("no JSON in reply".into()))?;
            validate(json)
                .map(Outcome::Json)
                .map_err(AttemptError::Invalid)
        }
        _ => Ok(Outcome::Reply(reply)),
    }
}

async fn call(
    env: &worker::Env,
    cfg: &LlmConfig,
    req: &Request<'_>,
) -> Result<Reply, AttemptError> {
    match cfg.backend {
        LlmBackend::OpenAi => openai::complete(cfg, req).await,
        LlmBackend::Anthropic => anthropic::complete(cfg, req).await,
        LlmBackend::Gemini => gemini::complete(cfg, req).await,
        LlmBackend::WorkersAi => workers_ai::complete(env, cfg, req).await,
        LlmBackend::Offline => Err(AttemptError::Fatal("offline has no transport".into())),
    }
}

/// One streamed attempt: the provider's events read as they arrive, their text passed on.
async fn read_stream(
    env: &worker::Env,
    cfg: &LlmConfig,
    req: &Request<'_>,
    signal: Option<&worker::AbortSignal>,
    on_text: OnText<'_>,
) -> Result<Reply, AttemptError> {
    use futures::StreamExt;
    use stream::{Assembler, Dialect, SseReader};
    let (dialect, mut bytes) = with_timeout(cfg.timeout_ms, async {
        Ok(match cfg.backend {
            LlmBackend::OpenAi => (Dialect::OpenAi, openai::stream(cfg, req, signal).await?),
            LlmBackend::Anthropic => (
                Dialect::Anthropic,
                anthropic::stream(cfg, req, signal).await?,
            ),
            LlmBackend::Gemini => (Dialect::Gemini, gemini::stream(cfg, req, signal).await?),
            LlmBackend::WorkersAi => (Dialect::WorkersAi, workers_ai::stream(env, cfg, req).await?),
            LlmBackend::Offline => {
                return Err(AttemptError::Fatal("offline has no transport".into()))
            }
        })
    })
    .await?;
    let mut reader = SseReader::default();
    let mut answer = Assembler::new(dialect);
    let mut events = Vec::new();
    loop {
        let chunk = with_timeout(cfg.timeout_ms, async { Ok(bytes.next().await) }).await?;
        let ended = chunk.is_none();
        match chunk {
            None => reader.finish(&mut events),
            Some(Err(e)) => return Err(AttemptError::Transport(e.to_string())),
            Some(Ok(chunk)) => reader
                .feed(&chunk, &mut events)
                .map_err(AttemptError::Invalid)?,
        }
        for ev in events.drain(..) {
            if let Some(text) = answer.event(&ev).map_err(AttemptError::Transport)? {
                on_text(&text);
            }
        }
        if ended {
            return answer.finish().map_err(AttemptError::Transport);
        }
    }
}

async fn with_timeout<T, F: std::future::Future<Output = Result<T, AttemptError>>>(
    ms: u64,
    fut: F,
) -> Result<T, AttemptError> {
    use futures::future::{select, Either};
    let timer = worker::Delay::from(std::time::Duration::from_millis(ms));
    futures::pin_mut!(fut);
    match select(fut, timer).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err(AttemptError::Timeout),
    }
}

/// Tool arguments as JSON: providers send an object, or a string holding one. A string
/// that is not JSON stays a string, for the tool to refuse (and the model to see why).
fn arguments(v: &Value) -> Value {
    match v {
        Value::String(s) if s.trim().is_empty() => Value::Object(Default::default()),
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    }
}

impl From<crate::platform::outbound::CallError> for AttemptError {
    fn from(e: crate::platform::outbound::CallError) -> Self {
        use crate::platform::outbound::CallError;
        match e {
            CallError::Request(m) => Self::Fatal(m),
            CallError::Transport(m) => Self::Transport(m),
            CallError::Status(s) | CallError::Throttled { status: s, .. } => Self::Status(s),
            CallError::NotJson => Self::Invalid("provider answer is not JSON".into()),
        }
    }
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
                r#"Sure! The answer is {"name": "Ann {the} Bee", "age": 30} as requested."#
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

    fn no_offline() -> Result<Outcome, String> {
        Err("not offline".into())
    }

    /// A conversation with one tool round trip, as Assistant will send it.
    fn tool_request() -> (Vec<Message>, Vec<ToolDef>) {
        let call = ToolCall {
            id: "call_1".into(),
            name: "add_task".into(),
            arguments: json!({"title": "buy milk"}),
        };
        (
            vec![
                Message::system("You manage tasks."),
                Message::user("add buy milk"),
                Message::assistant("", vec![call.clone()]),
                Message::tool(&call, &json!({"id": "t1"})),
            ],
            vec![ToolDef {
                name: "add_task".into(),
                description: "Add a task".into(),
                parameters: json!({"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}),
            }],
        )
    }

    #[test]
    fn openai_maps_messages_tools_and_tool_calls() {
        let (messages, tools) = tool_request();
        let req = Request {
            feature: "chat",
            user_id: "u1",
            messages,
            tools: &tools,
            output: None,
            offline: &no_offline,
        };
        let body = openai::body("m", &req);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(
            body["messages"][2]["tool_calls"][0]["function"]["arguments"],
            r#"{"title":"buy milk"}"#
        );
        assert_eq!(
            body["messages"][3],
            json!({"role": "tool", "tool_call_id": "call_1", "content": "{\"id\":\"t1\"}"})
        );
        assert_eq!(body["tools"][0]["function"]["name"], "add_task");
        let reply = openai::parse(&json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"id": "c9", "type": "function", "function": {"name": "list_tasks", "arguments": "{\"status\":\"pending\"}"}}]}}]}))
        .expect("reply");
        assert_eq!(
            reply.tool_calls,
            vec![ToolCall {
                id: "c9".into(),
                name: "list_tasks".into(),
                arguments: json!({"status": "pending"})
            }]
        );
    }

    #[test]
    fn anthropic_maps_messages_tools_and_tool_use() {
        let (messages, tools) = tool_request();
        let req = Request {
            feature: "chat",
            user_id: "u1",
            messages,
            tools: &tools,
            output: None,
            offline: &no_offline,
        };
        let body = anthropic::body("m", &req);
        assert_eq!(body["system"], "You manage tasks.");
        assert_eq!(
            body["messages"][1]["content"][0],
            json!({"type": "tool_use", "id": "call_1", "name": "add_task", "input": {"title": "buy milk"}})
        );
        assert_eq!(body["messages"][2]["content"][0]["type"], "tool_result");
        assert_eq!(
            body["tools"][0]["input_schema"]["required"],
            json!(["title"])
        );
        let reply = anthropic::parse(&json!({"content": [{"type": "text", "text": "On it."},
            {"type": "tool_use", "id": "tu1", "name": "complete_task", "input": {"title": "milk"}}]}))
        .expect("reply");
        assert_eq!(reply.content, "On it.");
        assert_eq!(reply.tool_calls[0].arguments, json!({"title": "milk"}));
    }

    #[test]
    fn gemini_maps_messages_tools_and_function_calls() {
        let (messages, tools) = tool_request();
        let req = Request {
            feature: "chat",
            user_id: "u1",
            messages,
            tools: &tools,
            output: None,
            offline: &no_offline,
        };
        let body = gemini::body(&req);
        assert_eq!(
            body["systemInstruction"]["parts"][0]["text"],
            "You manage tasks."
        );
        assert_eq!(body["contents"][1]["role"], "model");
        assert_eq!(
            body["contents"][1]["parts"][0]["functionCall"]["name"],
            "add_task"
        );
        assert_eq!(
            body["contents"][2]["parts"][0]["functionResponse"]["response"]["result"],
            json!({"id": "t1"})
        );
        assert_eq!(
            body["tools"][0]["functionDeclarations"][0]["name"],
            "add_task"
        );
        let reply = gemini::parse(&json!({"candidates": [{"content": {"parts": [
            {"functionCall": {"name": "delete_task", "args": {"task_id": "t1"}}}]}}]}))
        .expect("reply");
        assert_eq!(reply.tool_calls[0].name, "delete_task");
    }

    #[test]
    fn output_check_applies_to_text_not_to_tool_calls() {
        fn positive(v: Value) -> Result<Value, String> {
            v["n"]
                .as_i64()
                .filter(|n| *n > 0)
                .map(|_| v.clone())
                .ok_or_else(|| "n must be > 0".into())
        }
        let text = |t: &str| Reply {
            content: t.into(),
            tool_calls: vec![],
        };
        assert_eq!(
            check(text("```json\n{\"n\": 2}\n```"), Some(&positive)),
            Ok(Outcome::Json(json!({"n": 2})))
        );
        assert!(matches!(
            check(text("{\"n\": 0}"), Some(&positive)),
            Err(AttemptError::Invalid(_))
        ));
        assert!(matches!(
            check(text("sorry"), Some(&positive)),
            Err(AttemptError::Invalid(_))
        ));
        let calls = Reply {
            content: String::new(),
            tool_calls: vec![ToolCall {
                id: "1".into(),
                name: "x".into(),
                arguments: json!({}),
            }],
        };
        assert!(matches!(
            check(calls, Some(&positive)),
            Ok(Outcome::Reply(_))
        ));
    }
}
