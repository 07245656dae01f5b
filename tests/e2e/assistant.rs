//! Assistant: chat turns over Personal OS with the offline backend, the tool-calling loop
//! against a fake OpenAI-compatible server, conversations, and the MCP server with the
//! official TypeScript clients and raw frames.

use serde_json::{json, Value};

use crate::auth::token;
use crate::fake_llm::FakeLlm;
use crate::harness::{suite, Resp, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "assistant";
        offline_chat_manages_tasks_habits_and_goals,
        ambiguous_titles_change_nothing,
        simultaneous_completions_pay_once,
        conversations_are_paged_private_and_deletable,
        bad_chat_input_is_refused_and_writes_nothing,
        tool_calling_loop_against_a_fake_model,
        official_mcp_clients_connect_with_an_api_key,
        mcp_frames_versions_and_transport_rules,
    )
}

fn chat(s: &Server, t: &str, conversation: Option<&str>, message: &str) -> Value {
    let r = s.authed(
        "POST",
        "/api/assistant/chat",
        t,
        Some(&json!({"conversation_id": conversation, "message": message})),
    );
    assert_eq!(r.status, 200, "{message}: {}", r.text);
    r.json
}

fn tools_called(turn: &Value) -> Vec<String> {
    turn["tool_calls"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["tool"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn tasks(s: &Server, t: &str) -> Vec<Value> {
    let r = s.authed("GET", "/api/os/tasks", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

fn by_title<'a>(all: &'a [Value], title: &str) -> &'a Value {
    all.iter()
        .find(|t| t["title"] == title)
        .unwrap_or_else(|| panic!("no task {title:?} in {all:?}"))
}

fn balance(s: &Server, t: &str) -> i64 {
    s.authed("GET", "/api/os/wallet", t, None).json["balance"]
        .as_i64()
        .expect("balance")
}

fn offline_chat_manages_tasks_habits_and_goals(s: &Server) {
    let t = token(s);
    let habit = s.authed(
        "POST",
        "/api/os/habits",
        &t,
        Some(&json!({"name": "Read 20 pages", "schedule": {"type": "daily"}})),
    );
    assert_eq!(habit.status, 201, "{}", habit.text);
    let goal = s.authed(
        "POST",
        "/api/os/goals",
        &t,
        Some(&json!({"title": "Run a marathon", "success_criteria": [{"text": "sign up", "met": true}, {"text": "finish"}]})),
    );
    assert_eq!(goal.status, 201, "{}", goal.text);

    let first = chat(s, &t, None, "add buy milk tomorrow");
    let c = first["conversation_id"]
        .as_str()
        .expect("conversation")
        .to_string();
    assert_eq!(tools_called(&first), ["add_task"]);
    let milk = first["tool_calls"][0]["result"]["task"].clone();
    assert_eq!(milk["title"], "buy milk");
    let created = milk["created_at"].as_str().expect("created")[..10].to_string();
    assert!(milk["due_date"].as_str() > Some(created.as_str()), "{milk}");
    assert!(first["reply"].as_str().unwrap_or("").contains("buy milk"));

    let mom = chat(
        s,
        &t,
        Some(&c),
        "remind me to call mom on friday at high priority",
    );
    assert_eq!(mom["tool_calls"][0]["arguments"]["priority"], "high");
    let all = tasks(s, &t);
    assert_eq!(all.len(), 2);
    assert_eq!(by_title(&all, "call mom")["priority"], "high");
    assert_eq!(by_title(&all, "buy milk")["due_date"], milk["due_date"]);

    let listing = chat(s, &t, Some(&c), "what's pending?");
    assert_eq!(tools_called(&listing), ["list_tasks"]);
    let items = listing["tool_calls"][0]["result"]["tasks"].clone();
    assert_eq!(items[0]["title"], "buy milk", "{items}");
    assert_eq!(items[1]["title"], "call mom");
    let reply = listing["reply"].as_str().unwrap_or("");
    assert!(
        reply.contains("1. buy milk") && reply.contains("2. call mom"),
        "{reply}"
    );

    // "done with 2" is item 2 of the listing above: call mom (high × effort 1 = 20 points).
    let done = chat(s, &t, Some(&c), "done with 2");
    assert_eq!(tools_called(&done), ["complete_task"]);
    assert_eq!(done["tool_calls"][0]["result"]["points_awarded"], 20);
    let all = tasks(s, &t);
    assert_eq!(by_title(&all, "call mom")["status"], "done");
    assert_eq!(by_title(&all, "buy milk")["status"], "todo");
    assert_eq!(balance(s, &t), 20);
    let again = chat(s, &t, Some(&c), "done with 2");
    assert_eq!(
        again["tool_calls"][0]["result"]["points_awarded"], 0,
        "paid once"
    );
    assert_eq!(balance(s, &t), 20);

    let moved = chat(s, &t, Some(&c), "move buy milk to 2030-01-07");
    assert_eq!(tools_called(&moved), ["update_task"]);
    assert_eq!(
        by_title(&tasks(s, &t), "buy milk")["due_date"],
        "2030-01-07"
    );
    let renamed = chat(s, &t, Some(&c), "rename 1 to buy oat milk");
    assert_eq!(renamed["tool_calls"][0]["result"]["task"]["id"], milk["id"]);
    assert_eq!(by_title(&tasks(s, &t), "buy oat milk")["id"], milk["id"]);
    let urgent = chat(s, &t, Some(&c), "make buy oat milk urgent");
    assert_eq!(
        urgent["tool_calls"][0]["result"]["task"]["priority"],
        "urgent"
    );

    let gone = chat(s, &t, Some(&c), "delete buy oat milk");
    assert_eq!(tools_called(&gone), ["delete_task"]);
    let path = format!("/api/os/tasks/{}", milk["id"].as_str().unwrap_or(""));
    s.authed("GET", &path, &t, None)
        .assert_error(404, "not_found");

    let read = chat(s, &t, Some(&c), "I read today");
    assert_eq!(tools_called(&read), ["log_habit"]);
    let hid = habit.json["id"].as_str().expect("habit id");
    let h = s.authed("GET", &format!("/api/os/habits/{hid}"), &t, None);
    assert_eq!(h.json["done_today"], true, "{}", h.text);
    assert_eq!(h.json["current_streak"], 1);

    let g = chat(s, &t, Some(&c), "how is my marathon goal going?");
    assert_eq!(tools_called(&g), ["goal_progress"]);
    assert_eq!(g["tool_calls"][0]["result"]["progress"], 50.0);
    let reply = g["reply"].as_str().unwrap_or("");
    assert!(
        reply.contains("Run a marathon") && reply.contains("50"),
        "{reply}"
    );

    let help = chat(s, &t, Some(&c), "sing me a song");
    assert!(tools_called(&help).is_empty());
    assert!(help["reply"]
        .as_str()
        .unwrap_or("")
        .contains("add buy milk tomorrow"));

    // The conversation reads back in order: each turn is user, [assistant with calls, tool], assistant.
    let conv = s.authed(
        "GET",
        &format!("/api/assistant/conversations/{c}"),
        &t,
        None,
    );
    assert_eq!(conv.status, 200, "{}", conv.text);
    let messages = conv.json["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let users: Vec<&str> = messages
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(users.len(), 12);
    assert_eq!(users[0], "add buy milk tomorrow");
    assert_eq!(users[11], "sing me a song");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["tool_calls"][0]["tool"], "add_task");
    assert_eq!(messages[2]["role"], "tool");
    assert_eq!(messages[3]["role"], "assistant");
    assert_eq!(messages[3]["content"], first["reply"]);
    assert_eq!(conv.json["title"], "add buy milk tomorrow");
}

fn ambiguous_titles_change_nothing(s: &Server) {
    let t = token(s);
    for title in ["pay rent", "pay rent deposit"] {
        let r = s.authed(
            "POST",
            "/api/os/tasks",
            &t,
            Some(&json!({ "title": title })),
        );
        assert_eq!(r.status, 201);
    }
    let turn = chat(s, &t, None, "mark pay done");
    let result = &turn["tool_calls"][0]["result"];
    assert!(
        result["error"]
            .as_str()
            .unwrap_or("")
            .contains("2 tasks match"),
        "{result}"
    );
    assert_eq!(result["candidates"].as_array().map(Vec::len), Some(2));
    let reply = turn["reply"].as_str().unwrap_or("");
    assert!(reply.contains("pay rent deposit"), "{reply}");
    assert!(
        tasks(s, &t).iter().all(|t| t["status"] == "todo"),
        "nothing completed"
    );
    assert_eq!(balance(s, &t), 0);

    let turn = chat(s, &t, None, "delete pay");
    assert!(tools_called(&turn).is_empty(), "no delete was attempted");
    assert!(turn["reply"]
        .as_str()
        .unwrap_or("")
        .contains("2 tasks match"));
    assert_eq!(tasks(s, &t).len(), 2);

    // The exact title is not ambiguous.
    let turn = chat(s, &t, None, "mark pay rent done");
    assert_eq!(turn["tool_calls"][0]["result"]["task"]["title"], "pay rent");

    // A number with no listing in the conversation changes nothing either.
    let turn = chat(s, &t, None, "done with 1");
    assert!(tools_called(&turn).is_empty());
    assert!(turn["reply"]
        .as_str()
        .unwrap_or("")
        .contains("no numbered list"));
}

fn simultaneous_completions_pay_once(s: &Server) {
    let t = token(s);
    let r = s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&json!({"title": "file taxes", "priority": "urgent", "effort": 2})),
    );
    assert_eq!(r.status, 201);
    let id = r.json["id"].as_str().expect("id").to_string();
    // The same completion through chat turns and MCP calls, all started together.
    let key = api_key(s, &t);
    let barrier = std::sync::Barrier::new(12);
    let results: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let (barrier, t, key, id) = (&barrier, &t, &key, &id);
                scope.spawn(move || {
                    barrier.wait();
                    if i % 2 == 0 {
                        chat(s, t, None, "mark file taxes done")["tool_calls"][0]["result"].clone()
                    } else {
                        let body = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                            "params": {"name": "complete_task", "arguments": {"task_id": id}}});
                        rpc(
                            s,
                            &[("X-API-Key", key), ("MCP-Protocol-Version", "2025-11-25")],
                            &body.to_string(),
                        )
                        .json["result"]["structuredContent"]
                            .clone()
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    // Each call either completed the task (points paid once in all) or, by title, found it
    // already done: never a second payment, never a server error.
    let paid: Vec<i64> = results
        .iter()
        .filter_map(|r| r["points_awarded"].as_i64())
        .collect();
    assert_eq!(paid.iter().sum::<i64>(), 60, "{results:?}");
    assert_eq!(paid.iter().filter(|p| **p == 60).count(), 1, "{results:?}");
    for r in &results {
        let refused = r["error"]
            .as_str()
            .is_some_and(|e| e.contains("no open task matches"));
        assert!(r["points_awarded"].is_i64() || refused, "{r}");
    }
    assert!(
        paid.len() >= 6,
        "every MCP call by id completed: {results:?}"
    );
    assert_eq!(balance(s, &t), 60, "urgent (30) × effort 2, once");
}

fn conversations_are_paged_private_and_deletable(s: &Server) {
    let a = token(s);
    let b = token(s);
    let ids: Vec<String> = ["hello", "what's pending?", "show completed"]
        .iter()
        .map(|m| {
            chat(s, &a, None, m)["conversation_id"]
                .as_str()
                .expect("id")
                .to_string()
        })
        .collect();
    let page = s.authed("GET", "/api/assistant/conversations?limit=2", &a, None);
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["items"].as_array().map(Vec::len), Some(2));
    let cursor = page.json["next_cursor"].as_str().expect("more");
    let rest = s.authed(
        "GET",
        &format!("/api/assistant/conversations?limit=2&cursor={cursor}"),
        &a,
        None,
    );
    assert_eq!(rest.json["items"][0]["id"], ids[2].as_str());
    assert!(rest.json["next_cursor"].is_null());
    let found = s.authed("GET", "/api/assistant/conversations?q=PENDING", &a, None);
    assert_eq!(found.json["items"].as_array().map(Vec::len), Some(1));

    // Another user's conversation is 404 everywhere, and B's list is empty.
    let path = format!("/api/assistant/conversations/{}", ids[0]);
    s.authed("GET", &path, &b, None)
        .assert_error(404, "not_found");
    s.authed("DELETE", &path, &b, None)
        .assert_error(404, "not_found");
    s.authed(
        "POST",
        "/api/assistant/chat",
        &b,
        Some(&json!({"conversation_id": ids[0], "message": "what's pending?"})),
    )
    .assert_error(404, "not_found");
    let mine = s.authed("GET", "/api/assistant/conversations", &b, None);
    assert_eq!(mine.json["items"], json!([]));
    assert_eq!(
        s.authed("GET", &path, &a, None).json["messages"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "B's attempt wrote nothing into A's conversation"
    );

    assert_eq!(s.authed("DELETE", &path, &a, None).status, 204);
    s.authed("GET", &path, &a, None)
        .assert_error(404, "not_found");
    s.authed("DELETE", &path, &a, None)
        .assert_error(404, "not_found");
    let left = s.authed("GET", "/api/assistant/conversations", &a, None);
    assert_eq!(left.json["items"].as_array().map(Vec::len), Some(2));
    s.send("GET", "/api/assistant/conversations", &[], None)
        .assert_error(401, "unauthorized");
}

fn bad_chat_input_is_refused_and_writes_nothing(s: &Server) {
    let t = token(s);
    let post = |body: &str| {
        s.send(
            "POST",
            "/api/assistant/chat",
            &[
                ("Authorization", &format!("Bearer {t}")),
                ("Content-Type", "application/json"),
            ],
            Some(body),
        )
    };
    post(r#"{"message": ""}"#).assert_error(422, "validation_failed");
    post(r#"{"message": "   "}"#).assert_error(422, "validation_failed");
    post(&json!({"message": "a".repeat(4001)}).to_string()).assert_error(422, "validation_failed");
    post(r#"{"message": 42}"#).assert_error(422, "validation_failed");
    post(r#"{}"#).assert_error(422, "validation_failed");
    post(r#"{"message": "hi", "extra": true}"#).assert_error(422, "validation_failed");
    post(r#"{"message": "#).assert_error(400, "bad_request");
    post(r#"["add milk"]"#).assert_error(422, "validation_failed");
    post(r#"{"message": "add milk", "conversation_id": "no-such-conversation"}"#)
        .assert_error(404, "not_found");
    let big = json!({"message": "x".repeat(2_000_000)}).to_string();
    assert_eq!(post(&big).status, 413);
    s.send(
        "POST",
        "/api/assistant/chat",
        &[("Content-Type", "application/json")],
        Some(r#"{"message": "add milk"}"#),
    )
    .assert_error(401, "unauthorized");
    assert!(tasks(s, &t).is_empty(), "no task was added");
    let list = s.authed("GET", "/api/assistant/conversations", &t, None);
    assert_eq!(list.json["items"], json!([]), "no conversation was written");
    // Exactly 4,000 characters is accepted.
    let ok = post(&json!({"message": "a".repeat(4000)}).to_string());
    assert_eq!(ok.status, 200, "{}", ok.text);
}

fn tool_calling_loop_against_a_fake_model(_s: &Server) {
    let fake = FakeLlm::start();
    let server = fake.server();
    let t = token(&server);

    // add_task, then list_tasks, then an answer: three model calls, two tool rounds.
    let turn = chat(&server, &t, None, "tool-add: please add milk");
    assert_eq!(tools_called(&turn), ["add_task", "list_tasks"]);
    assert_eq!(turn["reply"], "I added “milk from the model”.");
    assert_eq!(fake.calls("tool-add"), 3);
    let all = tasks(&server, &t);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["title"], "milk from the model");
    assert_eq!(all[0]["priority"], "high");
    let bodies = fake.bodies.lock().expect("lock").clone();
    let third = bodies
        .iter()
        .filter(|b| b.to_string().contains("tool-add"))
        .nth(2)
        .expect("third call");
    let roles: Vec<&str> = third["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["role"].as_str())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "tool"]
    );
    assert_eq!(third["tools"].as_array().map(Vec::len), Some(10));

    // The next turn sends the stored history back: the previous turn's tool calls included.
    let next = chat(
        &server,
        &t,
        turn["conversation_id"].as_str(),
        "tool-add: again",
    );
    assert_eq!(tools_called(&next).len(), 2);
    let bodies = fake.bodies.lock().expect("lock").clone();
    let fourth = bodies
        .iter()
        .filter(|b| b.to_string().contains("tool-add"))
        .nth(3)
        .expect("fourth call");
    assert_eq!(
        fourth["messages"].as_array().map(Vec::len),
        Some(8),
        "system + 6 stored + the new user message"
    );

    // Arguments that are not JSON go back to the model as a tool error, not a 500.
    let turn = chat(&server, &t, None, "tool-error: finish it");
    let result = &turn["tool_calls"][0]["result"];
    assert!(
        result["error"]
            .as_str()
            .unwrap_or("")
            .contains("JSON object"),
        "{result}"
    );
    assert!(
        turn["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("The tool said: {\"error\""),
        "{}",
        turn["reply"]
    );
    assert_eq!(
        tasks(&server, &t)
            .iter()
            .filter(|t| t["status"] == "done")
            .count(),
        0
    );

    // A model that never stops calling tools is stopped after 5 rounds.
    let turn = chat(&server, &t, None, "tool-loop: keep going");
    assert_eq!(fake.calls("tool-loop"), 5);
    assert_eq!(tools_called(&turn).len(), 5);
    assert!(turn["reply"]
        .as_str()
        .unwrap_or("")
        .contains("stopped after 5"));

    // An upstream that fails: 502 after 3 tries, and no conversation is written.
    let before = server
        .authed("GET", "/api/assistant/conversations", &t, None)
        .json["items"]
        .clone();
    let r = server.authed(
        "POST",
        "/api/assistant/chat",
        &t,
        Some(&json!({"message": "always-500"})),
    );
    r.assert_error(502, "upstream_failed");
    assert_eq!(fake.calls("always-500"), 3);
    let after = server
        .authed("GET", "/api/assistant/conversations", &t, None)
        .json["items"]
        .clone();
    assert_eq!(before, after, "nothing written on 502");
    server.stop();
}

fn api_key(s: &Server, t: &str) -> String {
    let r = s.authed(
        "POST",
        "/api/auth/api-keys",
        t,
        Some(&json!({"name": "mcp"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["key"].as_str().expect("key").to_string()
}

fn official_mcp_clients_connect_with_an_api_key(s: &Server) {
    let t = token(s);
    let key = api_key(s, &t);
    let stdout = crate::harness::run_node(
        "tests/mcp/clients.mjs",
        &[s.base.as_str(), key.as_str()],
        "",
        "make test installs the MCP clients",
    );
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["protocol"], "2026-07-28");
    assert_eq!(lines[1]["session"], true);
    // Both clients acted as the key's user.
    let mine = tasks(s, &t);
    for line in &lines {
        assert!(mine.iter().any(|t| t["id"] == line["task_id"]), "{line}");
    }
}

fn rpc(s: &Server, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut all = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
    ];
    all.extend_from_slice(headers);
    s.send("POST", "/mcp", &all, Some(body))
}

fn mcp_frames_versions_and_transport_rules(s: &Server) {
    let t = token(s);
    let key = api_key(s, &t);
    let k: &[(&str, &str)] = &[("X-API-Key", &key)];
    let code = |r: &Resp| r.json["error"]["code"].as_i64();

    // Authentication like every route, with the challenge MCP clients look for.
    let r = s.send(
        "POST",
        "/mcp",
        &[("Content-Type", "application/json")],
        Some("{}"),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        s.send("GET", "/mcp", k, None).status,
        405,
        "no server stream"
    );

    // Bad frames.
    let r = rpc(s, k, "{not json");
    assert_eq!((r.status, code(&r)), (400, Some(-32700)));
    let r = rpc(s, k, r#"[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]"#);
    assert_eq!((r.status, code(&r)), (400, Some(-32600)));
    let r = rpc(s, k, r#"{"jsonrpc": "1.0", "id": 1, "method": "ping"}"#);
    assert_eq!((r.status, code(&r)), (400, Some(-32600)));
    assert_eq!(r.json["id"], 1);
    let r = rpc(s, k, r#"{"jsonrpc": "2.0", "id": 1, "method": "nope"}"#);
    assert_eq!(code(&r), Some(-32601));
    let r = rpc(
        s,
        k,
        r#"{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "no_such_tool"}}"#,
    );
    assert_eq!(code(&r), Some(-32602));
    let r = rpc(
        s,
        k,
        r#"{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "add_task", "arguments": [1]}}"#,
    );
    assert_eq!(code(&r), Some(-32602));
    let r = rpc(
        s,
        k,
        r#"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#,
    );
    assert_eq!(r.status, 202);
    assert!(r.text.is_empty());

    // The handshake negotiates down to what the client asks for, with a session id.
    let init = |version: &str| {
        rpc(s, k, &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).to_string())
    };
    let r = init("2025-06-18");
    assert_eq!(r.json["result"]["protocolVersion"], "2025-06-18");
    assert!(r.header("mcp-session-id").is_some_and(|v| v.len() >= 16));
    assert_eq!(
        r.json["result"]["capabilities"]["tools"],
        json!({"listChanged": false})
    );
    assert_eq!(
        init("2025-03-26").json["result"]["protocolVersion"],
        "2025-03-26"
    );
    assert_eq!(
        init("2024-11-05").json["result"]["protocolVersion"],
        "2025-11-25"
    );
    let r = rpc(
        s,
        &[k[0], ("MCP-Protocol-Version", "2025-03-26")],
        r#"{"jsonrpc": "2.0", "id": 4, "method": "tools/list"}"#,
    );
    let tools = r.json["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tools.len(), 10);
    assert!(
        tools[0].get("outputSchema").is_none(),
        "2025-03-26 has no outputSchema"
    );
    let r = rpc(
        s,
        &[k[0], ("MCP-Protocol-Version", "2025-11-25")],
        r#"{"jsonrpc": "2.0", "id": 5, "method": "ping"}"#,
    );
    assert_eq!(r.json["result"], json!({}));

    // The stateless revision: headers must match the body; versions we do not speak are named.
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}});
    let modern = |method: &str, name: Option<&str>, params: Value| {
        let mut h = vec![
            k[0],
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", method),
        ];
        if let Some(n) = name {
            h.push(("Mcp-Name", n));
        }
        let mut p = params;
        p["_meta"] = meta.clone();
        rpc(
            s,
            &h,
            &json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": p}).to_string(),
        )
    };
    let d = modern("server/discover", None, json!({}));
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.json["result"]["supportedVersions"][0], "2026-07-28");
    assert_eq!(d.json["result"]["resultType"], "complete");
    assert!(d.json["result"]["capabilities"]["tools"].is_object());
    assert_eq!(d.json["result"]["serverInfo"]["name"], "edge-api");
    assert!(d.json["result"]["instructions"].is_string());
    assert!(
        d.header("mcp-session-id").is_none(),
        "no sessions in 2026-07-28"
    );
    let call = modern(
        "tools/call",
        Some("add_task"),
        json!({"name": "add_task", "arguments": {"title": "from raw mcp"}}),
    );
    assert_eq!(call.json["result"]["isError"], false, "{}", call.text);
    assert_eq!(
        call.json["result"]["structuredContent"]["task"]["title"],
        "from raw mcp"
    );
    let refused = modern(
        "tools/call",
        Some("add_task"),
        json!({"name": "add_task", "arguments": {"title": ""}}),
    );
    assert_eq!(refused.json["result"]["isError"], true, "{}", refused.text);
    let r = modern(
        "tools/call",
        Some("delete_task"),
        json!({"name": "add_task", "arguments": {"title": "x"}}),
    );
    assert_eq!(
        (r.status, code(&r)),
        (400, Some(-32020)),
        "Mcp-Name must match"
    );
    let r = modern("nope", None, json!({}));
    assert_eq!((r.status, code(&r)), (404, Some(-32601)));
    let r = rpc(
        s,
        &[
            k[0],
            ("MCP-Protocol-Version", "1900-01-01"),
            ("Mcp-Method", "tools/list"),
        ],
        r#"{"jsonrpc": "2.0", "id": 8, "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "1900-01-01", "io.modelcontextprotocol/clientCapabilities": {}}}}"#,
    );
    assert_eq!((r.status, code(&r)), (400, Some(-32022)));
    assert_eq!(r.json["error"]["data"]["requested"], "1900-01-01");
    assert_eq!(r.json["error"]["data"]["supported"][0], "2026-07-28");
    assert_eq!(tasks(s, &t).len(), 1, "only the one good call wrote");

    // DNS-rebinding protection: an Origin outside CORS_ORIGINS is refused.
    let r = rpc(
        s,
        &[k[0], ("Origin", "https://evil.example")],
        r#"{"jsonrpc": "2.0", "id": 9, "method": "ping"}"#,
    );
    assert_eq!(r.status, 403);
    let r = rpc(
        s,
        &[k[0], ("Origin", "https://app.example.test")],
        r#"{"jsonrpc": "2.0", "id": 9, "method": "ping"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // The server's own origin is always accepted (a page it serves, a same-origin client).
    let own = s.base.clone();
    let r = rpc(
        s,
        &[k[0], ("Origin", own.as_str())],
        r#"{"jsonrpc": "2.0", "id": 9, "method": "ping"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let other_port = format!("http://127.0.0.1:{}", s.port + 1);
    let r = rpc(
        s,
        &[k[0], ("Origin", other_port.as_str())],
        r#"{"jsonrpc": "2.0", "id": 9, "method": "ping"}"#,
    );
    assert_eq!(r.status, 403, "another port is another origin");

    // Under 2026-07-28, resources/read and prompts/get name their target in Mcp-Name.
    let modern = |method: &str, name: Option<&str>, params: &str| {
        let mut h = vec![
            k[0],
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", method),
        ];
        if let Some(n) = name {
            h.push(("Mcp-Name", n));
        }
        rpc(
            s,
            &h,
            &format!(
                r#"{{"jsonrpc": "2.0", "id": 10, "method": "{method}", "params": {{{params} "_meta": {{"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {{}}}}}}}}"#
            ),
        )
    };
    let r = modern("prompts/get", None, r#""name": "weekly_review","#);
    assert_eq!((r.status, code(&r)), (400, Some(-32020)), "{}", r.text);
    let r = modern(
        "prompts/get",
        Some("weekly_review"),
        r#""name": "weekly_review","#,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["result"]["messages"][0]["role"], "user");
    let r = modern(
        "resources/read",
        Some("task://nope"),
        r#""uri": "task://nope","#,
    );
    assert_eq!(code(&r), Some(-32002), "{}", r.text);
    let r = modern(
        "prompts/get",
        Some("plan_my_day"),
        r#""name": "plan_my_day", "arguments": {"focus": 5},"#,
    );
    assert_eq!(code(&r), Some(-32602), "{}", r.text);
}
