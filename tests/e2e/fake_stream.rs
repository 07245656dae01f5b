//! A local fake of three providers' streaming APIs, real HTTP on loopback, each in its own
//! wire format: OpenAI chat completions (`POST /v1/chat/completions`, `stream: true`:
//! `data:` chunks with content and tool-call deltas, then `data: [DONE]`), Anthropic
//! Messages (`POST /v1/messages`: `message_start`, `content_block_start/delta/stop`,
//! `message_delta`, `message_stop`) and Gemini (`POST
//! /v1beta/models/{m}:streamGenerateContent?alt=sse`: whole `GenerateContentResponse`
//! chunks, the last with `finishReason`). The answer is sent in pieces 150 ms apart; what
//! it is depends on a marker in the prompt:
//! - `stream-add`: first a call to `add_task` whose arguments arrive in three pieces; once
//!   the tool result is in the prompt, a reply in five pieces;
//! - `stream-drop`: two pieces of text, then the connection closes mid-answer;
//! - `stream-slow`: forty pieces (6 s), noting when the client stops reading;
//! - anything else: a short reply in pieces.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    OpenAi,
    Anthropic,
    Gemini,
}

pub struct FakeStream {
    pub port: u16,
    /// When the last piece of each answer was sent.
    pub last_piece_at: Arc<Mutex<Vec<Instant>>>,
    /// Answers whose client went away before the end (a write failed).
    pub cancelled: Arc<AtomicUsize>,
    /// Request bodies received.
    pub bodies: Arc<Mutex<Vec<Value>>>,
}

pub const REPLY: [&str; 5] = ["I added ", "“milk ", "from the ", "stream”", " for you."];
const GAP: Duration = Duration::from_millis(150);

enum Piece {
    Text(&'static str),
    /// A tool call: its name, then its arguments' text in pieces.
    Call(&'static str, Vec<&'static str>),
}

impl FakeStream {
    pub fn start() -> FakeStream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake stream");
        let port = listener.local_addr().expect("addr").port();
        let fake = FakeStream {
            port,
            last_piece_at: Arc::new(Mutex::new(Vec::new())),
            cancelled: Arc::new(AtomicUsize::new(0)),
            bodies: Arc::new(Mutex::new(Vec::new())),
        };
        let (last, cancelled, bodies) = (
            fake.last_piece_at.clone(),
            fake.cancelled.clone(),
            fake.bodies.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (last, cancelled, bodies) = (last.clone(), cancelled.clone(), bodies.clone());
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &last, &bodies) {
                        if e.kind() != std::io::ErrorKind::Other {
                            cancelled.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        fake
    }

    /// A server whose backend is this fake speaking `provider`'s format.
    pub fn server(&self, provider: Provider) -> crate::harness::Server {
        let (backend, base) = match provider {
            Provider::OpenAi => ("openai", format!("http://127.0.0.1:{}/v1", self.port)),
            Provider::Anthropic => ("anthropic", format!("http://127.0.0.1:{}", self.port)),
            Provider::Gemini => ("gemini", format!("http://127.0.0.1:{}", self.port)),
        };
        crate::harness::Server::start_with(&[
            ("LLM_BACKEND", backend),
            ("LLM_BASE_URL", &base),
            ("LLM_MODEL", "fake-model"),
            ("LLM_API_KEY", "fake-key"),
            ("LLM_RETRY_BASE_MS", "50"),
        ])
    }
}

fn serve(
    mut stream: TcpStream,
    last_piece_at: &Mutex<Vec<Instant>>,
    bodies: &Mutex<Vec<Value>>,
) -> std::io::Result<()> {
    let (line, body) = crate::fake_http::read_request(&stream)?;
    if let Ok(mut b) = bodies.lock() {
        b.push(body.clone());
    }
    let provider = if line.starts_with("POST /v1/chat/completions ") && body["stream"] == true {
        Provider::OpenAi
    } else if line.starts_with("POST /v1/messages ") && body["stream"] == true {
        Provider::Anthropic
    } else if line.starts_with("POST /v1beta/models/fake-model:streamGenerateContent?alt=sse ") {
        Provider::Gemini
    } else {
        crate::fake_http::write_json(
            stream,
            404,
            &json!({"error": {"message": "not a streaming call"}}),
        )?;
        return Err(std::io::Error::other("not streaming"));
    };
    // The marker of the turn is the last one in the prompt (the user's latest message);
    // the tools' definitions come after the messages, so a call of `add_task` made in
    // this turn is a second mention after it.
    let prompt = body.to_string();
    let marker = ["stream-add", "stream-drop", "stream-slow"]
        .into_iter()
        .filter_map(|m| prompt.rfind(m).map(|at| (at, m)))
        .max()
        .map_or(("", ""), |(at, m)| (&prompt[at..], m));
    let tool_ran = marker.0.matches("\"add_task\"").count() > 1;
    let (pieces, complete): (Vec<Piece>, bool) = if marker.1 == "stream-add" && !tool_ran {
        (
            vec![Piece::Call(
                "add_task",
                vec![
                    "{\"title\": \"milk ",
                    "from the stream\", \"prio",
                    "rity\": \"high\"}",
                ],
            )],
            true,
        )
    } else if marker.1 == "stream-add" {
        (REPLY.iter().map(|t| Piece::Text(t)).collect(), true)
    } else if marker.1 == "stream-drop" {
        (vec![Piece::Text("Half an "), Piece::Text("answer")], false)
    } else if marker.1 == "stream-slow" {
        ((0..40).map(|_| Piece::Text("slow ")).collect(), true)
    } else {
        (vec![Piece::Text("Hello "), Piece::Text("there.")], true)
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
    )?;
    let send = |stream: &mut TcpStream, events: Vec<String>| -> std::io::Result<()> {
        for e in events {
            stream.write_all(e.as_bytes())?;
        }
        stream.flush()
    };
    send(&mut stream, opening(provider))?;
    let n = pieces.len();
    for (i, piece) in pieces.iter().enumerate() {
        std::thread::sleep(GAP);
        send(&mut stream, render(provider, piece, i))?;
        if i + 1 == n {
            if let Ok(mut l) = last_piece_at.lock() {
                l.push(Instant::now());
            }
        }
    }
    if complete {
        std::thread::sleep(GAP);
        let calls = pieces.iter().any(|p| matches!(p, Piece::Call(..)));
        send(&mut stream, closing(provider, calls, n))?;
    }
    Ok(())
}

fn data(v: &Value) -> String {
    format!("data: {v}\n\n")
}

fn named(event: &str, v: &Value) -> String {
    format!("event: {event}\ndata: {v}\n\n")
}

fn opening(p: Provider) -> Vec<String> {
    match p {
        Provider::OpenAi => vec![data(&json!({"id": "c1", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}))],
        Provider::Anthropic => vec![named(
            "message_start",
            &json!({"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "fake-model",
            "stop_reason": null, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        )],
        Provider::Gemini => vec![],
    }
}

fn render(p: Provider, piece: &Piece, i: usize) -> Vec<String> {
    match (p, piece) {
        (Provider::OpenAi, Piece::Text(t)) => {
            vec![data(&json!({"id": "c1", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": null}]}))]
        }
        (Provider::OpenAi, Piece::Call(name, args)) => {
            let mut out = vec![data(
                &json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0,
                "delta": {"tool_calls": [{"index": 0, "id": "call_s1", "type": "function",
                    "function": {"name": name, "arguments": ""}}]}, "finish_reason": null}]}),
            )];
            out.extend(args.iter().map(|a| data(&json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": a}}]}, "finish_reason": null}]}))));
            out
        }
        (Provider::Anthropic, Piece::Text(t)) => {
            let mut out = Vec::new();
            if i == 0 {
                out.push(named(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}),
                ));
                out.push(named("ping", &json!({"type": "ping"})));
            }
            out.push(named(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": t}}),
            ));
            out
        }
        (Provider::Anthropic, Piece::Call(name, args)) => {
            let mut out = vec![named(
                "content_block_start",
                &json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "tool_use", "id": "toolu_s1", "name": name, "input": {}}}),
            )];
            out.extend(args.iter().map(|a| {
                named(
                    "content_block_delta",
                    &json!({"type": "content_block_delta",
                "index": 0, "delta": {"type": "input_json_delta", "partial_json": a}}),
                )
            }));
            out
        }
        (Provider::Gemini, Piece::Text(t)) => {
            vec![data(&json!({"candidates": [{"content": {"role": "model",
            "parts": [{"text": t}]}, "index": 0}]}))]
        }
        (Provider::Gemini, Piece::Call(name, args)) => {
            let args: Value = serde_json::from_str(&args.concat()).unwrap_or(Value::Null);
            vec![data(&json!({"candidates": [{"content": {"role": "model",
                "parts": [{"functionCall": {"name": name, "args": args}}]}, "index": 0}]}))]
        }
    }
}

fn closing(p: Provider, calls: bool, _n: usize) -> Vec<String> {
    match p {
        Provider::OpenAi => vec![
            data(
                &json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {},
                "finish_reason": if calls { "tool_calls" } else { "stop" }}]}),
            ),
            data(
                &json!({"id": "c1", "object": "chat.completion.chunk", "choices": [],
                "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}),
            ),
            "data: [DONE]\n\n".to_string(),
        ],
        Provider::Anthropic => vec![
            named(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": 0}),
            ),
            named(
                "message_delta",
                &json!({"type": "message_delta",
                "delta": {"stop_reason": if calls { "tool_use" } else { "end_turn" }, "stop_sequence": null},
                "usage": {"output_tokens": 9}}),
            ),
            named("message_stop", &json!({"type": "message_stop"})),
        ],
        Provider::Gemini => vec![data(
            &json!({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]},
            "finishReason": "STOP", "index": 0}], "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 9,
            "totalTokenCount": 21}}),
        )],
    }
}
