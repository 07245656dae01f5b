//! A local fake of an OpenAI-compatible server (`POST /v1/chat/completions`), real HTTP on
//! loopback, for testing the `openai` backend. What it answers depends on a marker in the
//! prompt, so one server serves several scenarios:
//! - `malformed-then-good`: first a reply with no JSON, then a valid persona in a fenced block;
//! - `always-500`: HTTP 500 every time;
//! - `tool-add`: calls `add_task`, then `list_tasks`, then answers in words;
//! - `tool-error`: calls `complete_task` with arguments that are not JSON, then answers
//!   with what the tool said;
//! - `tool-loop`: calls `list_tasks` every time, never answering;
//! - `ai-good`: a valid `tasks/categorize` result; `ai-bad`: JSON that breaks any schema.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

pub struct FakeLlm {
    pub port: u16,
    /// Requests seen per scenario marker.
    pub calls: Arc<Mutex<HashMap<String, usize>>>,
    /// Every request body received.
    pub bodies: Arc<Mutex<Vec<Value>>>,
}

const MARKERS: &[&str] = &[
    "malformed-then-good",
    "always-500",
    "tool-add",
    "tool-error",
    "tool-loop",
    "ai-good",
    "ai-bad",
];

impl FakeLlm {
    pub fn start() -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake llm");
        let port = listener.local_addr().expect("addr").port();
        let calls = Arc::new(Mutex::new(HashMap::new()));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (c, b) = (calls.clone(), bodies.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (c, b) = (c.clone(), b.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &c, &b);
                });
            }
        });
        FakeLlm {
            port,
            calls,
            bodies,
        }
    }

    /// A second server whose `openai` backend is this fake (retries 50 ms apart).
    pub fn server(&self) -> crate::harness::Server {
        let base = format!("http://127.0.0.1:{}/v1", self.port);
        crate::harness::Server::start_with(&[
            ("LLM_BACKEND", "openai"),
            ("LLM_BASE_URL", &base),
            ("LLM_MODEL", "fake-model"),
            ("LLM_RETRY_BASE_MS", "50"),
        ])
    }

    pub fn calls(&self, marker: &str) -> usize {
        self.calls
            .lock()
            .map(|m| m.get(marker).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

fn serve(
    stream: std::net::TcpStream,
    calls: &Mutex<HashMap<String, usize>>,
    bodies: &Mutex<Vec<Value>>,
) -> std::io::Result<()> {
    let (request_line, parsed) = crate::fake_http::read_request(&stream)?;
    if let Ok(mut b) = bodies.lock() {
        b.push(parsed.clone());
    }

    let (status, reply) = if !request_line.starts_with("POST /v1/chat/completions ") {
        (404, json!({"error": {"message": "not found"}}))
    } else {
        let prompt = parsed["messages"].to_string();
        let marker = MARKERS
            .iter()
            .find(|m| prompt.contains(*m))
            .copied()
            .unwrap_or("default");
        let n = {
            let mut m = calls.lock().map_err(|_| std::io::Error::other("lock"))?;
            let e = m.entry(marker.to_string()).or_insert(0);
            *e += 1;
            *e
        };
        let rounds = tool_rounds(&parsed["messages"]);
        let last_tool = parsed["messages"]
            .as_array()
            .and_then(|m| m.last())
            .map(|m| m["content"].as_str().unwrap_or("").to_string())
            .unwrap_or_default();
        match (marker, n) {
            ("always-500", _) => (500, json!({"error": {"message": "upstream exploded"}})),
            ("tool-add", _) => match rounds {
                0 => (200, tool_call("add_task", r#"{"title": "milk from the model", "priority": "high"}"#)),
                1 => (200, tool_call("list_tasks", r#"{"q": "from the model"}"#)),
                _ => (200, completion("I added “milk from the model”.")),
            },
            ("tool-error", _) => match rounds {
                0 => (200, tool_call("complete_task", "{not json")),
                _ => (200, completion(&format!("The tool said: {last_tool}"))),
            },
            ("tool-loop", _) => (200, tool_call("list_tasks", "{}")),
            ("ai-good", _) => (200, completion("{\"area\": \"finance\", \"tags\": [\"rent\", \"model\"]}")),
            ("ai-bad", _) => (200, completion("{\"title\": 5}")),
            ("malformed-then-good", 1) => (200, completion("I'm sorry, I can't produce that right now.")),
            _ => (
                200,
                completion(
                    "Here is the persona:\n```json\n{\"name\": \"Marta Quill\", \"age\": 37, \"occupation\": \"cartographer\", \
                     \"location\": \"Porto, Norte, PT\", \"interests\": [\"maps\", \"sailing\", \"coffee\"], \
                     \"shopping_style\": \"research-heavy\", \"description\": \"Marta draws maps.\"}\n```\nHope it helps!",
                ),
            ),
        }
    };
    crate::fake_http::write_json(stream, status, &reply)
}

/// Assistant messages with tool calls since the last user message: the rounds done so far.
fn tool_rounds(messages: &Value) -> usize {
    let all = messages.as_array().cloned().unwrap_or_default();
    let start = all.iter().rposition(|m| m["role"] == "user").unwrap_or(0);
    all[start..]
        .iter()
        .filter(|m| m["role"] == "assistant" && m["tool_calls"].is_array())
        .count()
}

fn tool_call(name: &str, arguments: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_800_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": format!("call_{name}"), "type": "function",
                "function": {"name": name, "arguments": arguments}}]}}],
    })
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_800_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}
    })
}
