//! A local fake of an OpenAI-compatible server (`POST /v1/chat/completions`), real HTTP on
//! loopback, for testing the `openai` backend. What it answers depends on a marker in the
//! prompt, so one server serves several scenarios:
//! - `malformed-then-good`: first a reply with no JSON, then a valid persona in a fenced block;
//! - `always-500`: HTTP 500 every time.

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

const MARKERS: &[&str] = &["malformed-then-good", "always-500"];

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
        match (marker, n) {
            ("always-500", _) => (500, json!({"error": {"message": "upstream exploded"}})),
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
