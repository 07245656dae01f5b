//! Platform: health, request ids, error envelopes, CORS, OpenAPI, crons, alarms.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "platform";
        health_has_db_round_trip,
        request_id_is_echoed_or_made,
        unknown_route_is_404_envelope,
        wrong_method_is_405_with_allow,
        malformed_json_is_400,
        oversized_body_is_413,
        cors_preflight,
        openapi_is_valid,
        docs_page_renders_openapi,
        cron_run_is_recorded,
        durable_object_alarm_fires,
        request_is_logged_as_json,
        bookmarks_round_trip_and_reads_see_writes,
        server_timing_counts_round_trips,
    )
}

fn health_has_db_round_trip(s: &Server) {
    let r = s.get("/health");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "healthy");
    assert_eq!(r.json["db"], "ok");
    assert_eq!(r.json["stage"], "test");
    let ts = r.json["timestamp"].as_str().expect("timestamp");
    assert!(ts.ends_with('Z') && ts.contains('T'), "{ts}");
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json"));
}

fn request_id_is_echoed_or_made(s: &Server) {
    let r = s.send("GET", "/health", &[("X-Request-ID", "client-req-42")], None);
    assert_eq!(r.header("x-request-id"), Some("client-req-42"));
    let r = s.send(
        "GET",
        "/health",
        &[("X-Request-ID", "bad id with spaces")],
        None,
    );
    let id = r.header("x-request-id").expect("generated id");
    assert_ne!(id, "bad id with spaces");
    assert_eq!(id.len(), 36, "uuid: {id}");
    let a = s.get("/health");
    let b = s.get("/health");
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
    // Errors carry the same id in the envelope.
    let r = s.send("GET", "/nope", &[("X-Request-ID", "trace-7")], None);
    assert_eq!(r.json["error"]["request_id"], "trace-7");
    assert_eq!(r.header("x-request-id"), Some("trace-7"));
}

fn unknown_route_is_404_envelope(s: &Server) {
    s.get("/definitely/not/here").assert_error(404, "not_found");
    s.get("/health/").assert_error(404, "not_found");
}

fn wrong_method_is_405_with_allow(s: &Server) {
    let r = s.send("DELETE", "/health", &[], None);
    r.assert_error(405, "method_not_allowed");
    let allow = r.header("allow").expect("Allow header");
    assert!(allow.contains("GET"), "{allow}");
}

fn malformed_json_is_400(s: &Server) {
    let h = [("Content-Type", "application/json")];
    s.send(
        "POST",
        "/__dev/scheduler/x/probe",
        &h,
        Some("{\"delay_ms\": "),
    )
    .assert_error(400, "bad_request");
    s.send("POST", "/__dev/scheduler/x/probe", &h, Some("not json"))
        .assert_error(400, "bad_request");
    let r = s.send(
        "POST",
        "/__dev/scheduler/x/probe",
        &h,
        Some("{\"delay_ms\": \"soon\"}"),
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["delay_ms"].is_string(),
        "{}",
        r.text
    );
    let r = s.send("POST", "/__dev/scheduler/x/probe", &h, Some("{}"));
    r.assert_error(422, "validation_failed");
    assert_eq!(
        r.json["error"]["details"]["fields"]["delay_ms"],
        "is required"
    );
}

fn oversized_body_is_413(s: &Server) {
    let big = format!(
        "{{\"delay_ms\": 1, \"pad\": \"{}\"}}",
        "x".repeat(1024 * 1024 + 10)
    );
    let r = s.send(
        "POST",
        "/__dev/scheduler/x/probe",
        &[("Content-Type", "application/json")],
        Some(&big),
    );
    r.assert_error(413, "payload_too_large");
    // The probe was not armed: nothing is written on a 4xx.
    let state = s.get("/__dev/scheduler/x");
    assert!(
        state.json["jobs"].as_array().is_none_or(|j| j.is_empty()),
        "{}",
        state.text
    );
}

fn cors_preflight(s: &Server) {
    let allowed = "https://app.example.test";
    let r = s.send(
        "OPTIONS",
        "/health",
        &[
            ("Origin", allowed),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    );
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.header("access-control-allow-origin"), Some(allowed));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(r
        .header("access-control-allow-methods")
        .unwrap_or("")
        .contains("POST"));
    assert!(r
        .header("access-control-allow-headers")
        .unwrap_or("")
        .contains("Authorization"));

    let r = s.send("GET", "/health", &[("Origin", allowed)], None);
    assert_eq!(r.header("access-control-allow-origin"), Some(allowed));

    let evil = "https://evil.example";
    let r = s.send(
        "OPTIONS",
        "/health",
        &[("Origin", evil), ("Access-Control-Request-Method", "POST")],
        None,
    );
    r.assert_error(403, "forbidden");
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = s.send("GET", "/health", &[("Origin", evil)], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

/// Structural OpenAPI 3.1 checks: required top-level fields, every operation with
/// responses and unique operationId, path parameters declared, `$ref`s resolvable.
fn openapi_is_valid(s: &Server) {
    let r = s.get("/openapi.json");
    assert_eq!(r.status, 200);
    let doc = &r.json;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/health") && paths.contains_key("/openapi.json"));
    assert!(
        !paths.keys().any(|p| p.starts_with("/__dev")),
        "dev routes are not published"
    );
    let mut ids = std::collections::HashSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'));
        for (method, op) in item.as_object().expect("path item") {
            assert!(
                ["get", "post", "put", "patch", "delete"].contains(&method.as_str()),
                "{method}"
            );
            assert!(ids.insert(op["operationId"].as_str().expect("operationId").to_string()));
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let in_path: Vec<&str> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')))
                .collect();
            assert_eq!(declared, in_path, "{method} {path}");
        }
    }
    check_refs(doc, doc);

    // And an independent validator (openapi-spec-validator, installed by make setup).
    let file = s.state_dir.join("openapi.json");
    std::fs::write(&file, &r.text).expect("write openapi.json");
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/venv/bin/python");
    let out = std::process::Command::new(python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator (make setup installs it)");
    assert!(
        out.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_refs(doc: &Value, node: &Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let target = r.strip_prefix("#/").expect("local ref");
                let mut cur = doc;
                for part in target.split('/') {
                    cur = &cur[part];
                }
                assert!(!cur.is_null(), "dangling $ref {r}");
            }
            map.values().for_each(|v| check_refs(doc, v));
        }
        Value::Array(a) => a.iter().for_each(|v| check_refs(doc, v)),
        _ => {}
    }
}

fn docs_page_renders_openapi(s: &Server) {
    let r = s.get("/docs");
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/html"));
    assert!(r.text.contains("/openapi.json"));
    let csp = r
        .header("content-security-policy")
        .unwrap_or("")
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    for (file, kind) in [
        ("/docs/docs.js", "text/javascript"),
        ("/docs/docs.css", "text/css"),
    ] {
        let f = s.get(file);
        assert_eq!(f.status, 200, "{file} is served by the worker");
        assert!(
            f.header("content-type").unwrap_or("").starts_with(kind),
            "{file}"
        );
    }
    // A page, not an operation of the API document.
    let doc = s.get("/openapi.json").json;
    assert!(doc["paths"].get("/docs").is_none());

    // In headless Chromium: the token at the top, then "Send" on GET /api/auth/me and on
    // POST /api/os/tasks (its example body).
    let (email, _, signed_up) = crate::auth::new_user(s);
    let token = signed_up["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let root = env!("CARGO_MANIFEST_DIR");
    let shot = format!("{root}/target/docs-try-it.png");
    let stdout = crate::harness::run_node(
        "tests/browser/docs.mjs",
        &[s.base.as_str(), token.as_str(), shot.as_str()],
        "tests/browser",
        "make test installs chromium and playwright-core",
    );
    let v: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(v["status"], "200", "{v}");
    assert_eq!(v["body"]["email"], email.as_str(), "{v}");
    assert_eq!(v["created"], "201", "{v}");
    assert_eq!(v["signedUp"], "201", "{v}");
    let example = doc["paths"]["/api/auth/signup"]["post"]["requestBody"]["content"]
        ["application/json"]["example"]["email"]
        .as_str()
        .unwrap_or("");
    assert!(
        v["signupEmail"]
            .as_str()
            .is_some_and(|e| e != example && e.contains('@')),
        "a fresh address, not the document's {example}: {v}"
    );
    let operations = doc["paths"].as_object().map_or(0, |p| {
        p.values()
            .filter_map(|i| i.as_object())
            .map(|i| i.len())
            .sum()
    });
    assert_eq!(
        v["operations"], operations,
        "every operation is on the page: {v}"
    );
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    assert_eq!(
        v["outside"],
        serde_json::json!([]),
        "nothing loads from elsewhere: {v}"
    );
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
        "a screenshot"
    );
}

fn cron_run_is_recorded(s: &Server) {
    let r = s.get("/__scheduled?cron=*/5+*+*+*+*");
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let h = s.get("/health");
        let last = &h.json["last_cron_run"];
        if last["finished_at"].is_string() {
            assert_eq!(last["cron"], "*/5 * * * *");
            assert!(
                last["outcome"].as_str().unwrap_or("").starts_with("ok"),
                "{last}"
            );
            assert!(last["started_at"].is_string());
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no finished cron run: {}",
            h.text
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn durable_object_alarm_fires(s: &Server) {
    let name = format!("alarm-test-{}", std::process::id());
    let r = s.post_json(
        &format!("/__dev/scheduler/{name}/probe"),
        &json!({"delay_ms": 300}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["jobs"][0]["kind"], "probe");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let st = s.get(&format!("/__dev/scheduler/{name}"));
        let history = st.json["history"].as_array().cloned().unwrap_or_default();
        if let Some(run) = history.iter().find(|h| h["kind"] == "probe") {
            assert_eq!(run["ok"], true, "{run}");
            assert!(
                run["ran_at"].as_i64().unwrap_or(0) >= run["slot"].as_i64().unwrap_or(i64::MAX)
            );
            assert!(
                st.json["jobs"].as_array().is_some_and(|j| j.is_empty()),
                "one-shot job removed: {}",
                st.text
            );
            return;
        }
        assert!(Instant::now() < deadline, "alarm did not fire: {}", st.text);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn request_is_logged_as_json(s: &Server) {
    let id = format!("log-probe-{}", std::process::id());
    s.send("GET", "/health", &[("X-Request-ID", &id)], None);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = std::fs::read_to_string(s.log_path()).unwrap_or_default();
        if let Some(line) = log.lines().find(|l| l.contains(&id)) {
            let start = line.find('{').expect("json in line");
            let v: Value = serde_json::from_str(line[start..].trim()).expect("one JSON object");
            assert_eq!(v["method"], "GET");
            assert_eq!(v["route"], "/health");
            assert_eq!(v["status"], 200);
            assert!(v["latency_ms"].is_number());
            return;
        }
        assert!(Instant::now() < deadline, "no log line for {id}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The D1 Sessions API: every answer that used D1 carries `X-D1-Bookmark`; sent back, the
/// next request reads at least as fresh as that (it sees the write); a malformed one is
/// ignored; a cookie-authenticated client gets it as a cookie too.
fn bookmarks_round_trip_and_reads_see_writes(s: &Server) {
    let t = crate::auth::token(s);
    let is_bookmark =
        |b: &str| !b.is_empty() && b.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-');
    let created = s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&serde_json::json!({"title": "read me back"})),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let bookmark = created
        .header("x-d1-bookmark")
        .expect("a bookmark")
        .to_string();
    assert!(is_bookmark(&bookmark), "{bookmark}");
    let auth = format!("Bearer {t}");
    let read = s.send(
        "GET",
        &format!("/api/os/tasks/{}", created.json["id"].as_str().expect("id")),
        &[("Authorization", &auth), ("X-D1-Bookmark", &bookmark)],
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json["title"], "read me back");
    assert!(read.header("x-d1-bookmark").is_some_and(is_bookmark));
    for garbage in [
        "not a bookmark",
        "first-primary",
        "'; DROP TABLE os_tasks; --",
        &"a".repeat(300),
    ] {
        let r = s.send(
            "GET",
            "/api/os/tasks",
            &[("Authorization", &auth), ("X-D1-Bookmark", garbage)],
            None,
        );
        assert_eq!(r.status, 200, "{garbage}: {}", r.text);
        assert_eq!(r.json["items"].as_array().map(Vec::len), Some(1));
    }
    // A browser on the cookie gets the bookmark back as a cookie, and may send it so.
    let cookie = format!("access_token={t}; d1_bookmark={bookmark}");
    let r = s.send("GET", "/api/os/tasks", &[("Cookie", &cookie)], None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.headers.iter().any(|(k, v)| k == "set-cookie"
            && v.starts_with("d1_bookmark=")
            && v.contains("HttpOnly")),
        "{:?}",
        r.headers
    );
    // Exposed to browsers on other allowed origins.
    let r = s.send(
        "GET",
        "/api/os/tasks",
        &[
            ("Authorization", &auth),
            ("Origin", "https://app.example.test"),
        ],
        None,
    );
    let exposed = r.header("access-control-expose-headers").unwrap_or("");
    assert!(
        exposed.contains("X-D1-Bookmark") && exposed.contains("Server-Timing"),
        "{exposed}"
    );
}

/// Outside production every answer says how many sequential D1 round trips and KV reads
/// it made (`Server-Timing`).
fn server_timing_counts_round_trips(s: &Server) {
    let t = crate::auth::token(s);
    let r = s.authed("GET", "/api/os/tasks", &t, None);
    let timing = r
        .header("server-timing")
        .expect("Server-Timing")
        .to_string();
    let count = |name: &str| -> Option<u32> {
        let at = timing.find(&format!("{name};desc=\""))? + name.len() + 7;
        timing[at..].split('"').next()?.parse().ok()
    };
    assert_eq!(count("d1"), Some(1), "{timing}");
    assert!(count("kv").is_some(), "{timing}");
    assert!(timing.contains("app;dur="), "{timing}");
    let r = s.get("/no/such/route");
    assert!(
        r.header("server-timing")
            .is_some_and(|v| v.contains("d1;desc=\"0\"")),
        "{:?}",
        r.headers
    );
}
