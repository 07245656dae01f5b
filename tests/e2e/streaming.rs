//! Streamed chat turns (`Accept: text/event-stream`): Assistant and Money offline, then
//! the Assistant against fake providers speaking OpenAI's, Anthropic's and Gemini's real
//! streaming formats (pieces sent apart in time, tool-call arguments split across
//! chunks, a connection dropped mid-answer, a client that leaves), and a browser reading
//! the stream.

use std::io::{BufRead, BufReader};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::auth::token;
use crate::fake_stream::{FakeStream, Provider, REPLY};
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "streaming";
        offline_assistant_turn_streams_and_stores_like_json,
        money_turn_streams_its_stages_then_the_answer,
        simultaneous_turns_of_a_conversation_never_interleave,
        providers_stream_text_and_tool_calls,
    )
}

/// One event as the client received it.
#[derive(Debug)]
pub struct Event {
    pub at: Instant,
    pub name: String,
    pub data: Value,
}

pub struct Stream {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub events: Vec<Event>,
    /// The body when the answer is not a stream.
    pub text: String,
}

impl Stream {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn names(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.name.as_str()).collect()
    }

    pub fn deltas(&self) -> String {
        self.events
            .iter()
            .filter(|e| e.name == "delta")
            .filter_map(|e| e.data["text"].as_str())
            .collect()
    }

    pub fn last(&self) -> &Event {
        self.events.last().expect("an event")
    }
}

/// POSTs `body` asking for events and reads them as they arrive, up to `stop_after`
/// events (then the connection is dropped, as a client that leaves).
pub fn post_events(
    s: &Server,
    path: &str,
    token: &str,
    body: &Value,
    stop_after: Option<usize>,
) -> Stream {
    let resp = ureq::post(&s.url(path))
        .timeout(Duration::from_secs(30))
        .set("Authorization", &format!("Bearer {token}"))
        .set("Accept", "text/event-stream")
        .send_json(body.clone());
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    if !resp.content_type().starts_with("text/event-stream") {
        return Stream {
            status,
            headers,
            events: Vec::new(),
            text: resp.into_string().unwrap_or_default(),
        };
    }
    let mut reader = BufReader::new(resp.into_reader());
    let mut events = Vec::new();
    let (mut name, mut data) = (String::new(), String::new());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        let l = line.trim_end_matches(['\r', '\n']).to_string();
        line.clear();
        if l.is_empty() {
            if !data.is_empty() {
                events.push(Event {
                    at: Instant::now(),
                    name: std::mem::take(&mut name),
                    data: serde_json::from_str(&data).expect("event data is JSON"),
                });
                data.clear();
                if stop_after.is_some_and(|n| events.len() >= n) {
                    break;
                }
            }
        } else if let Some(v) = l.strip_prefix("event: ") {
            name = v.to_string();
        } else if let Some(v) = l.strip_prefix("data: ") {
            data.push_str(v);
        }
    }
    Stream {
        status,
        headers,
        events,
        text: String::new(),
    }
}

fn messages(s: &Server, t: &str, conversation: &str) -> Vec<Value> {
    let r = s.authed(
        "GET",
        &format!("/api/assistant/conversations/{conversation}"),
        t,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["messages"].as_array().cloned().unwrap_or_default()
}

/// A message without what differs between two equal turns (ids, times).
fn shape(m: &Value) -> Value {
    json!({"role": m["role"], "tool": m["tool"],
        "calls": m["tool_calls"].as_array().map(|c| c.iter().map(|c| c["tool"].clone()).collect::<Vec<_>>()),
        "content": if m["role"] == "tool" { Value::Null } else { m["content"].clone() }})
}

fn offline_assistant_turn_streams_and_stores_like_json(s: &Server) {
    let t = token(s);
    let turn = post_events(
        s,
        "/api/assistant/chat",
        &t,
        &json!({"message": "add buy milk tomorrow"}),
        None,
    );
    assert_eq!(turn.status, 200);
    assert_eq!(
        turn.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert_eq!(turn.header("cache-control"), Some("no-cache"));
    assert!(turn.header("x-request-id").is_some_and(|v| !v.is_empty()));
    let names = turn.names();
    assert_eq!(
        &names[..3],
        ["conversation", "tool_call", "tool_result"],
        "{names:?}"
    );
    assert!(
        names[3..names.len() - 1].iter().all(|n| *n == "delta") && names.len() > 5,
        "{names:?}"
    );
    assert_eq!(turn.last().name, "done");
    let done = &turn.last().data;
    assert_eq!(turn.deltas(), done["reply"].as_str().expect("reply"));
    assert!(
        done["reply"]
            .as_str()
            .is_some_and(|r| r.starts_with("Added")),
        "{done}"
    );
    let id = turn.events[0].data["conversation_id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(done["conversation_id"], id.as_str());
    assert_eq!(
        turn.events[1].data,
        json!({"tool": "add_task", "arguments": done["tool_calls"][0]["arguments"]})
    );
    assert_eq!(
        turn.events[2].data["result"],
        done["tool_calls"][0]["result"]
    );
    let tasks = s.authed("GET", "/api/os/tasks", &t, None);
    assert_eq!(tasks.json["items"][0]["title"], "buy milk");

    // The same turn through JSON stores the same conversation.
    let other = token(s);
    let json_turn = s.authed(
        "POST",
        "/api/assistant/chat",
        &other,
        Some(&json!({"message": "add buy milk tomorrow"})),
    );
    assert_eq!(json_turn.json["reply"], done["reply"]);
    let json_id = json_turn.json["conversation_id"].as_str().expect("id");
    let streamed: Vec<Value> = messages(s, &t, &id).iter().map(shape).collect();
    let plain: Vec<Value> = messages(s, &other, json_id).iter().map(shape).collect();
    assert_eq!(streamed, plain);

    // The next turn of the conversation, streamed; then errors before the stream starts
    // are plain HTTP errors, and a stream that is refused writes nothing.
    let next = post_events(
        s,
        "/api/assistant/chat",
        &t,
        &json!({"conversation_id": id, "message": "what's pending?"}),
        None,
    );
    assert_eq!(
        next.names()[..3],
        ["conversation", "tool_call", "tool_result"]
    );
    assert!(next.deltas().contains("buy milk"), "{}", next.deltas());
    assert_eq!(messages(s, &t, &id).len(), 8);
    let stranger = token(s);
    let r = post_events(
        s,
        "/api/assistant/chat",
        &stranger,
        &json!({"conversation_id": id, "message": "hi"}),
        None,
    );
    assert_eq!(r.status, 404, "{}", r.text);
    let r = post_events(s, "/api/assistant/chat", &t, &json!({"message": ""}), None);
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(messages(s, &t, &id).len(), 8);
}

fn money_turn_streams_its_stages_then_the_answer(s: &Server) {
    let t = token(s);
    let chat = s.authed(
        "POST",
        "/api/money/chats",
        &t,
        Some(&json!({"title": "Dinner"})),
    );
    assert_eq!(chat.status, 201, "{}", chat.text);
    let path = format!(
        "/api/money/chats/{}/messages",
        chat.json["id"].as_str().expect("id")
    );
    let turn = post_events(
        s,
        &path,
        &t,
        &json!({"content": "split $100.00 three ways"}),
        None,
    );
    assert_eq!(turn.status, 200);
    let names = turn.names();
    let stages: Vec<&str> = turn
        .events
        .iter()
        .filter(|e| e.name == "thinking")
        .filter_map(|e| e.data["stage"].as_str())
        .collect();
    let first_delta = names.iter().position(|n| *n == "delta").expect("a delta");
    assert!(
        names[..first_delta].iter().all(|n| *n == "thinking"),
        "{names:?}"
    );
    assert_eq!(turn.last().name, "done");
    let message = &turn.last().data["message"];
    assert_eq!(
        message["thinking"],
        json!(stages),
        "every stage streamed, in order"
    );
    assert_eq!(stages[0], "detect intent: split (rules)");
    assert_eq!(turn.deltas(), message["content"].as_str().expect("content"));
    assert_eq!(message["drawer_data"]["shares"][0]["amount_cents"], 3334);
    let stored = s.authed(
        "GET",
        &format!("/api/money/chats/{}", chat.json["id"].as_str().expect("id")),
        &t,
        None,
    );
    assert_eq!(stored.json["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(stored.json["messages"][1]["content"], message["content"]);

    // A refused split streams an error and stores nothing.
    let bad = post_events(
        s,
        &path,
        &t,
        &json!({"content": "split $0.001 with Sam"}),
        None,
    );
    assert_eq!(bad.status, 200);
    let last = bad.last();
    assert!(
        last.name == "error" || last.name == "done",
        "{:?}",
        bad.names()
    );
    let stored = s.authed(
        "GET",
        &format!("/api/money/chats/{}", chat.json["id"].as_str().expect("id")),
        &t,
        None,
    );
    let expected = if last.name == "error" { 2 } else { 4 };
    assert_eq!(
        stored.json["messages"].as_array().map(Vec::len),
        Some(expected)
    );
    // The chat is free again for the next message either way.
    let again = s.authed(
        "POST",
        &path,
        &t,
        Some(&json!({"content": "split $30 with Sam and Ana"})),
    );
    assert_eq!(again.status, 201, "{}", again.text);
}

/// Ten turns sent at once to one conversation (half streamed): each is answered or
/// refused with 409 while another runs, and the stored messages are whole turns, one
/// after another.
fn simultaneous_turns_of_a_conversation_never_interleave(s: &Server) {
    let t = token(s);
    let first = s.authed(
        "POST",
        "/api/assistant/chat",
        &t,
        Some(&json!({"message": "add water plants"})),
    );
    let id = first.json["conversation_id"]
        .as_str()
        .expect("id")
        .to_string();
    let body = json!({"conversation_id": id, "message": "what's pending?"});
    let answers = crate::security::together(10, |i| {
        if i % 2 == 0 {
            let r = s.authed("POST", "/api/assistant/chat", &t, Some(&body));
            (
                r.status,
                r.json["error"]["code"].as_str().unwrap_or("").to_string(),
            )
        } else {
            let r = post_events(s, "/api/assistant/chat", &t, &body, None);
            let last = r.events.last().map(|e| e.name.clone()).unwrap_or_default();
            (
                r.status,
                if r.status == 200 {
                    last
                } else {
                    serde_json::from_str::<Value>(&r.text)
                        .map(|v| v["error"]["code"].as_str().unwrap_or("").to_string())
                        .unwrap_or_default()
                },
            )
        }
    });
    let done = answers
        .iter()
        .filter(|(st, what)| *st == 200 && (what.is_empty() || what == "done"))
        .count();
    let refused = answers
        .iter()
        .filter(|(st, what)| *st == 409 && what == "conflict")
        .count();
    assert_eq!(done + refused, 10, "{answers:?}");
    assert!(done >= 1, "{answers:?}");
    let roles: Vec<String> = messages(s, &t, &id)
        .iter()
        .map(|m| m["role"].as_str().unwrap_or("").to_string())
        .collect();
    let turn = ["user", "assistant", "tool", "assistant"];
    assert_eq!(roles.len(), turn.len() * (done + 1), "{roles:?}");
    for whole in roles.chunks(turn.len()) {
        assert_eq!(whole, turn, "{roles:?}");
    }
}

fn providers_stream_text_and_tool_calls(_: &Server) {
    let fake = FakeStream::start();
    for provider in [Provider::OpenAi, Provider::Anthropic, Provider::Gemini] {
        let s = fake.server(provider);
        let t = token(&s);
        let before = fake.last_piece_at.lock().map(|l| l.len()).unwrap_or(0);
        let turn = post_events(
            &s,
            "/api/assistant/chat",
            &t,
            &json!({"message": "stream-add milk please"}),
            None,
        );
        assert_eq!(turn.status, 200, "{provider:?}: {}", turn.text);
        let names = turn.names();
        assert_eq!(
            names[..3],
            ["conversation", "tool_call", "tool_result"],
            "{provider:?}: {names:?}"
        );
        assert_eq!(
            turn.events[1].data,
            json!({"tool": "add_task", "arguments": {"title": "milk from the stream", "priority": "high"}}),
            "{provider:?}: arguments put together from their pieces"
        );
        assert_eq!(turn.last().name, "done", "{provider:?}: {names:?}");
        assert_eq!(turn.deltas(), REPLY.concat().trim(), "{provider:?}");
        assert_eq!(turn.last().data["reply"], REPLY.concat().trim());
        // The first text reached the client before the provider sent its last piece.
        let first = turn
            .events
            .iter()
            .find(|e| e.name == "delta")
            .expect("delta")
            .at;
        let last_sent = fake
            .last_piece_at
            .lock()
            .ok()
            .and_then(|l| l.get(before + 1).copied())
            .expect("answer sent");
        assert!(
            first + Duration::from_millis(300) < last_sent,
            "{provider:?}: text streamed, not buffered"
        );
        let tasks = s.authed("GET", "/api/os/tasks", &t, None);
        assert_eq!(tasks.json["items"][0]["title"], "milk from the stream");

        if provider == Provider::Gemini {
            continue;
        }
        // A connection dropped mid-answer: the text already sent, then an error, and no
        // conversation stored.
        let u = token(&s);
        let dropped = post_events(
            &s,
            "/api/assistant/chat",
            &u,
            &json!({"message": "stream-drop now"}),
            None,
        );
        assert_eq!(
            dropped.deltas(),
            "Half an answer",
            "{provider:?}: {:?}",
            dropped.names()
        );
        assert_eq!(dropped.last().name, "error");
        assert_eq!(dropped.last().data["code"], "upstream_failed");
        let list = s.authed("GET", "/api/assistant/conversations", &u, None);
        assert_eq!(list.json["items"], json!([]), "{provider:?}");

        if provider == Provider::OpenAi {
            client_leaving_cancels_the_provider_and_turns_take_turns(&s, &fake);
            browser_reads_the_stream(&s);
        }
    }
}

fn client_leaving_cancels_the_provider_and_turns_take_turns(s: &Server, fake: &FakeStream) {
    let t = token(s);
    let first = post_events(
        s,
        "/api/assistant/chat",
        &t,
        &json!({"message": "stream-add milk"}),
        None,
    );
    let id = first.events[0].data["conversation_id"]
        .as_str()
        .expect("id")
        .to_string();
    let stored = messages(s, &t, &id).len();

    // A slow turn on the conversation: a second turn meanwhile is 409; the client then
    // leaves after three events, and the provider sees its request cancelled.
    let cancelled = fake.cancelled.load(Ordering::SeqCst);
    let slow_body = json!({"conversation_id": id, "message": "stream-slow"});
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| post_events(s, "/api/assistant/chat", &t, &slow_body, Some(3)));
        std::thread::sleep(Duration::from_millis(600));
        let meanwhile = s.authed(
            "POST",
            "/api/assistant/chat",
            &t,
            Some(&json!({"conversation_id": id, "message": "hi"})),
        );
        assert_eq!(meanwhile.status, 409, "{}", meanwhile.text);
        assert_eq!(meanwhile.json["error"]["code"], "conflict");
        let slow = slow.join().expect("slow turn");
        assert_eq!(slow.names(), ["conversation", "delta", "delta"]);
    });
    let deadline = Instant::now() + Duration::from_secs(8);
    while fake.cancelled.load(Ordering::SeqCst) == cancelled && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        fake.cancelled.load(Ordering::SeqCst) > cancelled,
        "the provider's request was cancelled"
    );
    // Nothing of the abandoned turn is stored, and the conversation is free again.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut next = s.authed(
        "POST",
        "/api/assistant/chat",
        &t,
        Some(&json!({"conversation_id": id, "message": "hello"})),
    );
    while next.status == 409 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        next = s.authed(
            "POST",
            "/api/assistant/chat",
            &t,
            Some(&json!({"conversation_id": id, "message": "hello"})),
        );
    }
    assert_eq!(next.status, 502, "the fake only streams: {}", next.text);
    let streamed = post_events(
        s,
        "/api/assistant/chat",
        &t,
        &json!({"conversation_id": id, "message": "hello"}),
        None,
    );
    assert_eq!(streamed.last().name, "done", "{:?}", streamed.names());
    assert_eq!(
        messages(s, &t, &id).len(),
        stored + 2,
        "only the last turn was added"
    );
}

fn browser_reads_the_stream(s: &Server) {
    let t = token(s);
    let stdout = crate::harness::run_node(
        "tests/browser/stream.mjs",
        &[s.base.as_str(), t.as_str()],
        "tests/browser",
        "make test installs chromium and playwright-core",
    );
    let v: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(v["names"][0], "conversation", "{v}");
    assert_eq!(
        v["names"].as_array().and_then(|n| n.last()),
        Some(&json!("done")),
        "{v}"
    );
    assert_eq!(v["text"], REPLY.concat().trim(), "{v}");
    assert!(
        v["spread_ms"].as_f64().is_some_and(|ms| ms > 300.0),
        "deltas arrived over time: {v}"
    );
    assert!(
        v["reads"].as_u64().is_some_and(|n| n >= 4),
        "in several reads: {v}"
    );
}
