//! Attacks of the third round, replayed end to end as the attacker sent them: inputs that
//! made the worker panic (which restarts the isolate for every user on it), a body check
//! that stalled it, bodies larger than the limit sent in chunks, and what the other
//! findings of that round became. Each test failed against the code before its fix.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::auth::token;
use crate::fake_llm::FakeLlm;
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "attacks";
        case_changing_text_never_panics_the_assistant,
        ai_helpers_take_any_text,
        a_forecast_far_away_is_no_date,
        a_huge_list_is_refused_at_once,
        a_chunked_body_is_refused_while_it_arrives,
        model_calls_are_metered_for_every_product,
        an_invite_goes_to_who_owns_the_address,
        mail_goes_through_the_provider,
        usage_rows_are_bounded_and_metering_goes_on(exclusive),
        knot_webhooks_are_fresh_bound_and_acted_on_once,
    )
}

/// How many times a worker panicked so far, from its log (a panic restarts the isolate and
/// fails every request in flight on it).
pub fn panics(s: &Server) -> usize {
    std::fs::read_to_string(s.log_path())
        .unwrap_or_default()
        .matches("panicked at")
        .count()
}

/// Sends `body` to `path` as `t`, and asserts a 2xx or a 4xx (never a 5xx) and that the
/// isolate still answers.
fn survives(s: &Server, t: &str, path: &str, body: &Value) -> Value {
    let r = s.authed("POST", path, t, Some(body));
    assert!(
        (200..500).contains(&r.status),
        "{path} {body}: {} {}",
        r.status,
        r.text
    );
    let health = s.get("/health");
    assert_eq!(health.status, 200, "{}", health.text);
    r.json
}

fn case_changing_text_never_panics_the_assistant(s: &Server) {
    let before = panics(s);
    let t = token(s);
    for m in [
        "add tas\u{212a}K x",
        "rename 1 to \u{212a}elvin",
        "add İİİ urgent",
        "add ẞẞ urgent",
        "remind me to call İlker urgent",
        "add meeting with İpek at high priority",
        "mark \u{212a}\u{212a} done",
        "add x to my lis\u{212a}",
        "move İ to friday",
        "add 👩‍👩‍👧 e\u{301} שלום \u{202e} \u{0}",
    ] {
        survives(s, &t, "/api/assistant/chat", &json!({"message": m}));
    }
    // The Turkish reminder is understood, not only survived.
    let r = survives(
        s,
        &t,
        "/api/assistant/chat",
        &json!({"message": "remind me to call İlker urgent"}),
    );
    assert_eq!(r["tool_calls"][0]["tool"], "add_task", "{r}");
    assert_eq!(
        r["tool_calls"][0]["arguments"]["title"], "call İlker",
        "{r}"
    );
    assert_eq!(r["tool_calls"][0]["arguments"]["priority"], "urgent", "{r}");
    assert_eq!(panics(s), before, "the worker panicked");
}

fn ai_helpers_take_any_text(s: &Server) {
    let before = panics(s);
    let t = token(s);
    for start in ["étude du marché", "Über alles", "🎉 launch party", "İİİ"] {
        let r = survives(
            s,
            &t,
            "/api/os/ai/projects/plan",
            &json!({"name": "Launch", "description": format!("{start} and more. Then write the docs")}),
        );
        let mut chars = start.chars();
        let capitalized: String = chars
            .next()
            .into_iter()
            .flat_map(char::to_uppercase)
            .chain(chars)
            .collect();
        assert_eq!(
            r["result"]["tasks"][0]["title"],
            format!("{capitalized} and more"),
            "{r}"
        );
    }
    let r = survives(
        s,
        &t,
        "/api/os/ai/tasks/parse",
        &json!({"text": "İİİ urgent"}),
    );
    assert_eq!(r["result"]["priority"], "urgent", "{r}");
    // One entry used to make every later call of this user panic.
    let r = s.authed(
        "POST",
        "/api/os/logbook",
        &t,
        Some(&json!({"content": "İ need to écrire le rapport"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    for _ in 0..2 {
        let r = survives(s, &t, "/api/os/ai/logbook/extract_tasks", &json!({}));
        assert_eq!(r["result"]["tasks"][0]["title"], "Écrire le rapport", "{r}");
    }
    assert_eq!(panics(s), before, "the worker panicked");
}

fn a_forecast_far_away_is_no_date(s: &Server) {
    let before = panics(s);
    let t = token(s);
    for (target, logs) in [
        (json!(100), [json!(10), json!(10.0000001)]),
        (json!(1_000_000), [json!(0), json!(0.001)]),
    ] {
        let m = s.authed(
            "POST",
            "/api/os/metrics",
            &t,
            Some(&json!({"name": "Distance", "target": target})),
        );
        assert_eq!(m.status, 201, "{}", m.text);
        let id = m.json["id"].as_str().expect("id");
        for (i, v) in logs.iter().enumerate() {
            let date = (chrono::Utc::now().date_naive() - chrono::Duration::days(2 - i as i64))
                .to_string();
            let r = s.authed(
                "POST",
                &format!("/api/os/metrics/{id}/logs"),
                &t,
                Some(&json!({"value": v, "date": date})),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let r = survives(
            s,
            &t,
            "/api/os/ai/metrics/predict",
            &json!({"metric_id": id}),
        );
        assert_eq!(r["result"]["target_reached_on"], Value::Null, "{r}");
    }
    // A target of 1e300 is out of range: 422, nothing stored.
    let r = s.authed(
        "POST",
        "/api/os/metrics",
        &t,
        Some(&json!({"name": "Huge", "target": 1e300})),
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["target"].is_string(),
        "{}",
        r.text
    );
    let list = s.authed("GET", "/api/os/metrics?q=Huge", &t, None);
    assert_eq!(list.json["items"], json!([]), "{}", list.text);
    assert_eq!(panics(s), before, "the worker panicked");
}

/// 128,000 distinct strings in `depends_on` (1 MiB): refused by `maxItems` at once, where
/// the pairwise uniqueness check held the isolate for half a minute and another user's
/// request waited as long.
fn a_huge_list_is_refused_at_once(s: &Server) {
    let t = token(s);
    let other = token(s);
    let deps: Vec<String> = (0..128_000).map(|i| format!("{i:x}")).collect();
    let body = json!({"title": "x", "depends_on": deps});
    assert!(body.to_string().len() < 1024 * 1024);
    let started = Instant::now();
    let (big, me) = std::thread::scope(|scope| {
        let big = scope.spawn(|| s.authed("POST", "/api/os/tasks", &t, Some(&body)));
        std::thread::sleep(Duration::from_millis(50));
        let me = scope.spawn(|| {
            let at = Instant::now();
            let r = s.authed("GET", "/api/auth/me", &other, None);
            (r.status, at.elapsed())
        });
        (big.join().expect("big"), me.join().expect("me"))
    });
    big.assert_error(422, "validation_failed");
    assert!(
        big.json["error"]["details"]["fields"]["depends_on"].is_string(),
        "{}",
        big.text
    );
    assert_eq!(me.0, 200);
    assert!(
        me.1 < Duration::from_secs(3),
        "another user waited {:?}",
        me.1
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let list = s.authed("GET", "/api/os/tasks", &t, None);
    assert_eq!(list.json["items"], json!([]), "nothing written");
}

/// 64 MiB of chunked body before sign-in: the worker answers 413 while the body is still
/// being sent (after a few MiB), where it used to buffer all of it first. The answer
/// itself may not reach the client: wrangler's local proxy resets a connection whose
/// request body is still arriving, which can drop the 413 in flight (a server answering
/// early is ordinary HTTP; the edge delivers it). So the test reads the worker's own log
/// line for its request id, and the point at which the sending stopped.
fn a_chunked_body_is_refused_while_it_arrives(s: &Server) {
    let id = crate::auth::unique("chunked");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         X-Request-ID: {id}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).expect("head");
    conn.set_nonblocking(true).expect("nonblocking");
    let chunk = vec![b'a'; 64 * 1024];
    let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
    frame.extend_from_slice(&chunk);
    frame.extend_from_slice(b"\r\n");
    let mut sent = 0usize;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(60);
    'sending: while sent < 64 * 1024 * 1024 && Instant::now() < deadline {
        let mut at = 0;
        while at < frame.len() {
            match conn.read(&mut buf) {
                Ok(n) if n > 0 => {
                    answer.extend_from_slice(&buf[..n]);
                    break 'sending;
                }
                Ok(_) => break 'sending,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break 'sending,
            }
            match conn.write(&frame[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Err(_) => break 'sending,
            }
        }
        sent += chunk.len();
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        sent < 16 * 1024 * 1024,
        "the body was taken until {sent} bytes; answer {answer:?}"
    );
    assert!(!answer.starts_with("HTTP/1.1 2"), "{answer}");
    // The worker's own line for this request: 413, before sign-in was even tried.
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let log = std::fs::read_to_string(s.log_path()).unwrap_or_default();
        if let Some(l) = log
            .lines()
            .find(|l| l.contains(&id) && l.contains("\"status\""))
        {
            break l.to_string();
        }
        assert!(Instant::now() < deadline, "no log line for {id}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let logged: Value = serde_json::from_str(line.trim()).expect("a JSON log line");
    assert_eq!(logged["status"], 413, "{line}");
    assert_eq!(s.get("/health").status, 200);
}

/// Rounds of the metering race, each with a fresh user.
const METER_ROUNDS: usize = 3;

/// With `AI_DAILY_LIMIT=5`, twelve simultaneous model-backed requests of one user across
/// Assistant, Phantom and Money: exactly five reach the model, the rest answer 429 with
/// `Retry-After`. The count was the Personal OS helpers' own, so every other product's
/// calls went unmetered.
fn model_calls_are_metered_for_every_product(_s: &Server) {
    let fake = FakeLlm::start();
    let base = format!("http://127.0.0.1:{}/v1", fake.port);
    let server = Server::start_with(&[
        ("LLM_BACKEND", "openai"),
        ("LLM_BASE_URL", &base),
        ("LLM_MODEL", "fake-model"),
        ("LLM_RETRY_BASE_MS", "50"),
        ("AI_DAILY_LIMIT", "5"),
        ("FEATURE_AI", "true"),
    ]);
    for round in 0..METER_ROUNDS {
        let t = token(&server);
        // One chat per Money message: a chat answers one message at a time (409).
        let chats: Vec<String> = (0..4)
            .map(|_| {
                let chat = server.authed("POST", "/api/money/chats", &t, Some(&json!({})));
                assert_eq!(chat.status, 201, "{}", chat.text);
                chat.json["id"].as_str().expect("chat id").to_string()
            })
            .collect();
        let before: usize = fake.calls.lock().map(|m| m.values().sum()).unwrap_or(0);
        let answers = crate::security::together(12, |i| match i % 3 {
            0 => server.authed(
                "POST",
                "/api/assistant/chat",
                &t,
                Some(&json!({"message": "hello there"})),
            ),
            1 => server.authed(
                "POST",
                "/api/phantom/personas/generate",
                &t,
                Some(&json!({})),
            ),
            _ => server.authed(
                "POST",
                &format!("/api/money/chats/{}/messages", chats[i / 3]),
                &t,
                Some(&json!({"content": "tell me something about saving"})),
            ),
        });
        let ok = answers
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .count();
        let limited: Vec<_> = answers.iter().filter(|r| r.status == 429).collect();
        assert_eq!(
            ok,
            5,
            "round {round}: {:?}",
            answers
                .iter()
                .map(|r| (r.status, r.text.clone()))
                .collect::<Vec<_>>()
        );
        assert_eq!(limited.len(), 7, "round {round}");
        for r in limited {
            r.assert_error(429, "rate_limited");
            assert!(r
                .header("retry-after")
                .and_then(|v| v.parse::<u64>().ok())
                .is_some_and(|s| (1..=86_400).contains(&s)));
        }
        let after: usize = fake.calls.lock().map(|m| m.values().sum()).unwrap_or(0);
        assert_eq!(after - before, 5, "round {round}: model calls made");
    }
    server.stop();
}

/// An owner invites an address that has no account. Someone else signs up with it first:
/// they see nothing of the group (before, they were made a member and read the group, its
/// members' emails and its chat). The address's owner is not blocked: a password reset
/// mailed to the address recovers the account, verifies it, claims the invite and signs
/// the squatter out everywhere (API keys included).
fn an_invite_goes_to_who_owns_the_address(s: &Server) {
    let owner = token(s);
    let victim = format!("{}@example.test", crate::auth::unique("invitee"));
    let g = s.authed(
        "POST",
        "/api/money/groups",
        &owner,
        Some(&json!({"name": "Flat", "members": [victim]})),
    );
    assert_eq!(g.status, 201, "{}", g.text);
    let gid = g.json["id"].as_str().expect("group").to_string();
    let chat = s.authed(
        "POST",
        "/api/money/chats",
        &owner,
        Some(&json!({"title": "Rent", "group_id": gid})),
    );
    assert_eq!(chat.status, 201, "{}", chat.text);
    let chat_id = chat.json["id"].as_str().expect("chat").to_string();

    let squat = s.post_json(
        "/api/auth/signup",
        &json!({"email": victim, "password": "i am not the owner"}),
    );
    assert_eq!(squat.status, 201, "{}", squat.text);
    let attacker = squat.json["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let key = s.authed(
        "POST",
        "/api/auth/api-keys",
        &attacker,
        Some(&json!({"name": "kept"})),
    );
    let key = key.json["key"].as_str().expect("key").to_string();
    s.authed("GET", &format!("/api/money/groups/{gid}"), &attacker, None)
        .assert_error(404, "not_found");
    s.authed(
        "GET",
        &format!("/api/money/chats/{chat_id}"),
        &attacker,
        None,
    )
    .assert_error(404, "not_found");
    assert_eq!(
        s.authed("GET", "/api/money/groups", &attacker, None).json["items"],
        json!([])
    );
    let seen = s.authed("GET", &format!("/api/money/groups/{gid}"), &owner, None);
    assert_eq!(
        seen.json["members"][1]["status"], "pending",
        "{}",
        seen.text
    );

    // The owner of the address takes it back through the mail only they can read.
    let r = s.post_json("/api/auth/password/forgot", &json!({ "email": victim }));
    assert_eq!(r.status, 202, "{}", r.text);
    let reset = crate::auth::mailed_token(s, &victim, "reset-password");
    let r = s.post_json(
        "/api/auth/password/reset",
        &json!({"token": reset, "password": "the real owner here"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    s.authed("GET", "/api/auth/me", &attacker, None)
        .assert_error(401, "unauthorized");
    s.send("GET", "/api/auth/me", &[("X-API-Key", &key)], None)
        .assert_error(401, "unauthorized");
    let login = s.post_json(
        "/api/auth/login",
        &json!({"email": victim, "password": "the real owner here"}),
    );
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.json["user"]["email_verified"], true);
    let mine = login.json["access_token"].as_str().expect("token");
    let g = s.authed("GET", &format!("/api/money/groups/{gid}"), mine, None);
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.json["members"][1]["status"], "member", "{}", g.text);
    assert_eq!(
        s.authed("GET", &format!("/api/money/chats/{chat_id}"), mine, None)
            .status,
        200
    );
}

/// With `EMAIL_BACKEND=resend`, the links go through Resend's API (a local fake speaking
/// it): the verification mail at sign-up carries a link to the front end's page that works.
fn mail_goes_through_the_provider(_s: &Server) {
    let resend = crate::fake_mail::FakeResend::start();
    let url = resend.url();
    let server = Server::start_with(&[
        ("EMAIL_BACKEND", "resend"),
        ("EMAIL_API_KEY", crate::fake_mail::KEY),
        ("EMAIL_API_URL", &url),
        ("EMAIL_FROM", "Edge <hello@edge.test>"),
        ("EMAIL_LINK_BASE", "https://app.edge.test"),
    ]);
    let email = format!("{}@example.test", crate::auth::unique("mail"));
    let r = server.post_json(
        "/api/auth/signup",
        &json!({"email": email, "password": "correct horse battery"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mail = loop {
        if let Some(m) = resend.to(&email).pop() {
            break m;
        }
        assert!(Instant::now() < deadline, "no mail reached the provider");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(mail["from"], "Edge <hello@edge.test>");
    assert_eq!(mail["subject"], "Confirm your email address");
    let text = mail["text"].as_str().expect("text");
    let token = text
        .split("https://app.edge.test/verify-email?token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("a link to the front end's page: {text}"));
    let v = server.post_json("/api/auth/email/verify", &json!({ "token": token }));
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.json["email_verified"], true);
    // Nothing was kept in the development outbox.
    assert_eq!(
        server.get(&format!("/__dev/outbox?to={email}")).json["items"],
        json!([])
    );
    server.stop();
}

/// `bytes_out = 2^62` is refused at ingest (it made metering's SUM overflow on every cron
/// run, for every customer, for 90 days). Rows stored before that bound (standing in:
/// written straight into D1) are counted at the bound, and one customer whose records
/// cannot be written at all (standing in: a trigger that refuses them) is skipped and
/// logged while every other customer is metered.
fn usage_rows_are_bounded_and_metering_goes_on(s: &Server) {
    use crate::suiftly::{customer, gateway, ingest, logs, run_cron, usage, window_ago};
    let huge = 1i64 << 62;
    let (ta, _) = crate::auth::wallet_user(s);
    let (tb, _) = crate::auth::wallet_user(s);
    let a = customer(s, &ta)["customer_id"].as_i64().expect("id");
    let b = customer(s, &tb)["customer_id"].as_i64().expect("id");
    let window = window_ago(20);
    let mut row = logs(a, window, 1, 200);
    row[0]["bytes_out"] = json!(huge);
    let r = gateway(
        s,
        "POST",
        "/api/suiftly/usage/logs",
        Some(&json!({ "logs": row })),
        &[],
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["logs[0].bytes_out"].is_string(),
        "{}",
        r.text
    );

    // Three such rows already stored, and B's ordinary traffic in the same window.
    for i in 0..3 {
        s.d1_execute(&format!(
            "INSERT INTO suiftly_access_logs (ts, customer_id, service_type, method, status_code, bytes_out) \
             VALUES ({}, {a}, 'seal', 'POST', 200, {huge})",
            window + i
        ));
    }
    ingest(s, logs(b, window, 10, 200));
    run_cron(s);
    let ub = usage(s, &tb);
    assert_eq!(
        ub.iter()
            .map(|u| u["request_count"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        10,
        "{ub:?}"
    );
    let ua = usage(s, &ta);
    assert_eq!(
        ua.iter()
            .map(|u| u["bytes_transferred"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        3_000_000_000_000,
        "{ua:?}"
    );

    // A customer whose records cannot be written is skipped; the others are metered.
    s.d1_execute(&format!(
        "CREATE TRIGGER refuse_a BEFORE INSERT ON suiftly_usage_records WHEN NEW.customer_id = {a} \
         BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
    ));
    let later = window_ago(10);
    ingest(s, logs(a, later, 5, 200));
    ingest(s, logs(b, later, 7, 200));
    run_cron(s);
    s.d1_execute("DROP TRIGGER refuse_a");
    let ub = usage(s, &tb);
    assert_eq!(
        ub.iter()
            .map(|u| u["request_count"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        17,
        "{ub:?}"
    );
    let ua = usage(s, &ta);
    assert_eq!(
        ua.iter()
            .map(|u| u["request_count"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        3,
        "A's later rows were skipped: {ua:?}"
    );
    let log = std::fs::read_to_string(s.log_path()).unwrap_or_default();
    assert!(
        log.contains("customers metered one by one"),
        "the skip is logged"
    );
    run_cron(s);
    assert_eq!(
        usage(s, &tb).len(),
        ub.len(),
        "a second run changes nothing"
    );
}

/// Knot's signature covers only the headers, `event` and `session_id`, so the same one fits
/// any body of that length: a captured delivery replayed acts once (then `duplicate`), an
/// old one is refused, a session named must be its user's, a crafted body queues at most
/// one sync a minute per account. And an account unlinked while its sync is in flight
/// stops that sync cleanly (404, nothing written), where it answered 500.
fn knot_webhooks_are_fresh_bound_and_acted_on_once(_s: &Server) {
    use crate::fake_knot::{self, FakeKnot};
    use crate::money::signed_webhook;
    let fake = FakeKnot::start();
    let base = format!("http://127.0.0.1:{}", fake.port);
    let server = Server::start_with(&[
        ("FEATURE_KNOT", "true"),
        ("KNOT_BASE_URL", &base),
        ("KNOT_CLIENT_ID", fake_knot::CLIENT_ID),
        ("KNOT_SECRET", fake_knot::SECRET),
        ("KNOT_RETRY_BASE_MS", "20"),
    ]);
    let s = &server;
    let user = |s: &Server| {
        let (_, _, body) = crate::auth::new_user(s);
        (
            body["access_token"].as_str().expect("token").to_string(),
            body["user"]["id"].as_str().expect("id").to_string(),
        )
    };
    let (ta, a) = user(s);
    let (tb, b) = user(s);
    let session_a = s
        .authed("POST", "/api/money/onboarding/start", &ta, None)
        .json["session_id"]
        .as_str()
        .expect("session")
        .to_string();
    s.authed("POST", "/api/money/onboarding/start", &tb, None);
    for t in [&ta, &tb] {
        let r = s.authed(
            "POST",
            "/api/money/onboarding/complete",
            t,
            Some(&json!({"merchant_id": 44})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let now = chrono::Utc::now().timestamp_millis();
    let event = |user: &str, at: i64| {
        json!({"event": "NEW_TRANSACTIONS_AVAILABLE", "external_user_id": user,
            "merchant": {"id": 44, "name": "Walmart"}, "timestamp": at})
    };
    // One delivery, then the same bytes three more times: acted on once.
    let first = signed_webhook(s, &event(&a, now), fake_knot::SECRET);
    assert_eq!(
        (first.status, &first.json["queued"]),
        (200, &json!(true)),
        "{}",
        first.text
    );
    for _ in 0..3 {
        let again = signed_webhook(s, &event(&a, now), fake_knot::SECRET);
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(
            (&again.json["queued"], &again.json["duplicate"]),
            (&json!(false), &json!(true))
        );
    }
    // The same signature on a same-length body naming another user, fresh: at most once a
    // minute per account; twice more in that minute queues nothing.
    let crafted = signed_webhook(s, &event(&b, now + 1), fake_knot::SECRET);
    assert_eq!(crafted.status, 200, "{}", crafted.text);
    let crafted_again = signed_webhook(s, &event(&b, now + 2), fake_knot::SECRET);
    assert_eq!(
        crafted_again.json["queued"], false,
        "{}",
        crafted_again.text
    );
    // An old delivery is refused.
    signed_webhook(s, &event(&a, now - 3_600_000), fake_knot::SECRET)
        .assert_error(401, "unauthorized");
    signed_webhook(
        s,
        &json!({"event": "NEW_TRANSACTIONS_AVAILABLE", "external_user_id": a,
        "merchant": {"id": 44}}),
        fake_knot::SECRET,
    )
    .assert_error(401, "unauthorized");
    // A session names its user: A's session with B's id is refused.
    let bound = json!({"event": "AUTHENTICATED", "session_id": session_a, "external_user_id": a,
        "merchant": {"id": 44, "name": "Walmart"}, "timestamp": now + 3});
    assert_eq!(signed_webhook(s, &bound, fake_knot::SECRET).status, 200);
    let mut swapped = bound.clone();
    swapped["external_user_id"] = json!(b);
    swapped["timestamp"] = json!(now + 4);
    signed_webhook(s, &swapped, fake_knot::SECRET).assert_error(401, "unauthorized");

    // Unlinked while its sync is in flight (Target answers after 1.5 s): the sync stops.
    let r = s.authed(
        "POST",
        "/api/money/onboarding/complete",
        &ta,
        Some(&json!({"merchant_id": 77})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let target = r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|x| x["merchant_id"] == 77)
        .expect("target")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (sync, unlink) = std::thread::scope(|scope| {
        let sync = scope.spawn(|| {
            s.authed(
                "POST",
                &format!("/api/money/accounts/{target}/sync"),
                &ta,
                None,
            )
        });
        std::thread::sleep(Duration::from_millis(500));
        let unlink = s.authed(
            "DELETE",
            &format!("/api/money/accounts/{target}"),
            &ta,
            None,
        );
        (sync.join().expect("sync"), unlink)
    });
    assert_eq!(unlink.status, 204, "{}", unlink.text);
    sync.assert_error(404, "not_found");
    let txs = s.authed(
        "GET",
        &format!("/api/money/transactions?account_id={target}"),
        &ta,
        None,
    );
    assert_eq!(txs.json["items"], json!([]), "{}", txs.text);
    assert_eq!(s.get("/health").status, 200);
    server.stop();
}
