//! Phantom end to end.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Timelike;
use serde_json::{json, Value};

use crate::auth::token;
use crate::fake_llm::FakeLlm;
use crate::harness::{suite, Resp, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "phantom";
        persona_crud_and_validation,
        persona_generate_offline,
        plan_generate_next_complete,
        concurrent_next_never_shares_a_plan,
        run_now_inside_and_outside_active_hours,
        noise_is_delivered_once_and_filtered_by_type,
        status_counts_match_generated_and_delivered,
        backlog_is_capped,
        alarm_loops_produce_events_and_disable_stops_them,
        persona_rotate_emits_event,
        fingerprint_stable_in_window_new_in_next_and_coherent,
        form_data_follows_active_persona,
        settings_are_validated,
        other_users_ids_are_404_and_auth_is_required,
        openai_backend_against_fake_server(exclusive),
        events_survive_restart(exclusive),
    )
}

fn persona_body(name: &str) -> Value {
    json!({"name": name, "age": 41, "occupation": "architect", "location": "Munich, Bavaria, DE",
           "interests": ["coffee", "cycling", "photography"], "shopping_style": "research-heavy",
           "description": "Designs libraries."})
}

fn create_persona(s: &Server, t: &str, name: &str) -> Value {
    let r = s.authed(
        "POST",
        "/api/phantom/personas",
        t,
        Some(&persona_body(name)),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

fn patch_settings(s: &Server, t: &str, body: Value) -> Resp {
    let r = s.authed("PATCH", "/api/phantom/settings", t, Some(&body));
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

/// Active hours that include / exclude the current UTC hour.
fn hours_now() -> Value {
    json!([0, 24])
}

fn hours_not_now() -> Value {
    let h = chrono::Utc::now().hour();
    json!([(h + 2) % 24, (h + 4) % 24])
}

/// A user with one persona, loops quiet (far intervals), every hour active.
fn noisy_user(s: &Server, search: u32, pages: u32, products: u32) -> String {
    let t = token(s);
    patch_settings(
        s,
        &t,
        json!({"active_hours": hours_now(), "searches_per_cycle": search, "pages_per_cycle": pages,
               "products_per_cycle": products, "search_interval": 1440, "browsing_interval": 1440, "shop_interval": 1440}),
    );
    create_persona(s, &t, "Lena Müller");
    t
}

fn run_now(s: &Server, t: &str) -> Value {
    let r = s.authed("POST", "/api/phantom/scheduler/run-now", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

fn items(r: &Resp) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

fn persona_crud_and_validation(s: &Server) {
    let t = token(s);
    let p = create_persona(s, &t, "Ada Quill");
    let id = p["id"].as_str().expect("id");
    assert_eq!(p["interests"], json!(["coffee", "cycling", "photography"]));
    assert_eq!(p["is_active"], true);

    let got = s.authed("GET", &format!("/api/phantom/personas/{id}"), &t, None);
    assert_eq!(got.json, p);
    let patched = s.authed(
        "PATCH",
        &format!("/api/phantom/personas/{id}"),
        &t,
        Some(&json!({"age": 42, "is_active": false})),
    );
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.json["age"], 42);
    assert_eq!(patched.json["name"], "Ada Quill");
    create_persona(s, &t, "Second One");
    let list = s.authed("GET", "/api/phantom/personas?limit=1", &t, None);
    assert_eq!(items(&list).len(), 1);
    let cursor = list.json["next_cursor"].as_str().expect("second page");
    let page2 = s.authed(
        "GET",
        &format!("/api/phantom/personas?limit=1&cursor={cursor}"),
        &t,
        None,
    );
    assert_eq!(items(&page2).len(), 1);
    assert!(page2.json["next_cursor"].is_null());

    // Bad input: named fields, nothing written.
    let r = s.authed(
        "POST",
        "/api/phantom/personas",
        &t,
        Some(&json!({"name": "X"})),
    );
    r.assert_error(422, "validation_failed");
    assert_eq!(r.json["error"]["details"]["fields"]["age"], "is required");
    let r = s.authed(
        "POST",
        "/api/phantom/personas",
        &t,
        Some(&json!({"name": "X", "age": "old", "occupation": "o",
        "location": "l", "interests": "coffee"})),
    );
    r.assert_error(422, "validation_failed");
    assert!(r.json["error"]["details"]["fields"]["age"].is_string());
    assert!(r.json["error"]["details"]["fields"]["interests"].is_string());
    s.authed(
        "PATCH",
        &format!("/api/phantom/personas/{id}"),
        &t,
        Some(&json!({"age": 300})),
    )
    .assert_error(422, "validation_failed");
    s.send(
        "POST",
        "/api/phantom/personas",
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Content-Type", "application/json"),
        ],
        Some("{oops"),
    )
    .assert_error(400, "bad_request");
    s.authed("GET", "/api/phantom/personas?limit=0", &t, None)
        .assert_error(422, "validation_failed");
    assert_eq!(
        items(&s.authed("GET", "/api/phantom/personas", &t, None)).len(),
        2
    );

    let del = s.authed("DELETE", &format!("/api/phantom/personas/{id}"), &t, None);
    assert_eq!(del.status, 204);
    s.authed("GET", &format!("/api/phantom/personas/{id}"), &t, None)
        .assert_error(404, "not_found");
}

fn persona_generate_offline(s: &Server) {
    let t = token(s);
    let r = s.authed(
        "POST",
        "/api/phantom/personas/generate",
        &t,
        Some(&json!({"hint": "loves coffee"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        r.json["interests"]
            .as_array()
            .expect("interests")
            .iter()
            .any(|i| i == "coffee"),
        "{}",
        r.text
    );
    for f in [
        "name",
        "occupation",
        "location",
        "shopping_style",
        "description",
    ] {
        assert!(r.json[f].as_str().is_some_and(|v| !v.is_empty()), "{f}");
    }
    let r2 = s.authed("POST", "/api/phantom/personas/generate", &t, None);
    assert_eq!(r2.status, 201, "{}", r2.text);
    s.authed(
        "POST",
        "/api/phantom/personas/generate",
        &t,
        Some(&json!({"hint": 5})),
    )
    .assert_error(422, "validation_failed");
}

fn plan_generate_next_complete(s: &Server) {
    let t = token(s);
    let p = create_persona(s, &t, "Plan Person");
    let r = s.authed(
        "POST",
        "/api/phantom/plans/generate",
        &t,
        Some(&json!({"persona_id": p["id"]})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["status"], "pending");
    let steps = r.json["plan_data"]["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    for step in steps {
        assert!(["search", "visit", "scroll", "click", "shop"]
            .contains(&step["action"].as_str().unwrap_or("")));
        assert!(step["dwell_seconds"].as_u64().is_some());
    }
    let id = r.json["id"].as_str().expect("id");

    let next = s.authed("GET", "/api/phantom/plans/next", &t, None);
    assert_eq!(next.status, 200, "{}", next.text);
    assert_eq!(next.json["id"], id);
    assert_eq!(next.json["status"], "in_progress");
    assert_eq!(
        s.authed("GET", "/api/phantom/plans/next", &t, None).status,
        204
    );

    let done = s.authed(
        "POST",
        &format!("/api/phantom/plans/{id}/complete"),
        &t,
        Some(&json!({"result": {"visited": 5}})),
    );
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["status"], "completed");
    assert_eq!(done.json["result"]["visited"], 5);
    s.authed(
        "POST",
        &format!("/api/phantom/plans/{id}/complete"),
        &t,
        Some(&json!({"result": {}})),
    )
    .assert_error(409, "conflict");
    let completed = s.authed("GET", "/api/phantom/plans?status=completed", &t, None);
    assert_eq!(items(&completed).len(), 1);
    assert_eq!(
        items(&s.authed("GET", "/api/phantom/plans?status=pending", &t, None)).len(),
        0
    );
    s.authed("GET", "/api/phantom/plans?status=lost", &t, None)
        .assert_error(422, "validation_failed");
    s.authed(
        "POST",
        "/api/phantom/plans/generate",
        &t,
        Some(&json!({"persona_id": "nope"})),
    )
    .assert_error(404, "not_found");
    s.authed("POST", "/api/phantom/plans/generate", &t, Some(&json!({})))
        .assert_error(422, "validation_failed");
    s.authed(
        "POST",
        &format!("/api/phantom/plans/{id}/complete"),
        &t,
        Some(&json!({"result": [1]})),
    )
    .assert_error(422, "validation_failed");
}

fn concurrent_next_never_shares_a_plan(s: &Server) {
    let t = token(s);
    let p = create_persona(s, &t, "Racer");
    let mut made = HashSet::new();
    for _ in 0..8 {
        let r = s.authed(
            "POST",
            "/api/phantom/plans/generate",
            &t,
            Some(&json!({"persona_id": p["id"]})),
        );
        made.insert(r.json["id"].as_str().expect("id").to_string());
    }
    let got: Vec<Option<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                scope.spawn(|| {
                    let r = s.authed("GET", "/api/phantom/plans/next", &t, None);
                    match r.status {
                        200 => Some(r.json["id"].as_str().expect("id").to_string()),
                        204 => None,
                        other => panic!("unexpected {other}: {}", r.text),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let ids: Vec<String> = got.into_iter().flatten().collect();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(
        ids.len(),
        unique.len(),
        "a plan went to two pollers: {ids:?}"
    );
    assert_eq!(unique, made, "every plan handed out exactly once");
}

fn run_now_inside_and_outside_active_hours(s: &Server) {
    let t = noisy_user(s, 3, 2, 1);
    let r = run_now(s, &t);
    assert_eq!(
        r["created"],
        json!({"search": 3, "browse": 2, "shop": 1, "persona_rotate": 0}),
        "{r}"
    );
    assert_eq!(r["events"].as_array().map(Vec::len), Some(6));

    patch_settings(s, &t, json!({"active_hours": hours_not_now()}));
    let r = run_now(s, &t);
    assert_eq!(r["created"]["search"], 0, "{r}");
    assert_eq!(r["skipped"]["search"], "outside active hours");
    assert_eq!(r["skipped"]["shop"], "outside active hours");

    patch_settings(
        s,
        &t,
        json!({"active_hours": hours_now(), "enabled": false}),
    );
    let r = run_now(s, &t);
    assert_eq!(r["skipped"]["browse"], "scheduler disabled", "{r}");
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(
        st.json["counts"]["search"]["generated"], 3,
        "nothing more was made: {}",
        st.text
    );
}

fn noise_is_delivered_once_and_filtered_by_type(s: &Server) {
    let t = noisy_user(s, 3, 2, 2);
    run_now(s, &t);
    let searches = items(&s.authed("GET", "/api/phantom/noise/search?limit=2", &t, None));
    assert_eq!(searches.len(), 2);
    for e in &searches {
        assert_eq!(e["event_type"], "search");
        for f in ["id", "event_type", "persona_id", "payload", "created_at"] {
            assert!(e.get(f).is_some(), "{f} in {e}");
        }
        assert!(
            e["payload"]["query"].is_string()
                && e["payload"]["url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://"))
        );
    }
    let rest = items(&s.authed("GET", "/api/phantom/noise", &t, None));
    assert_eq!(rest.len(), 5, "1 search + 2 browse + 2 shop left");
    let rest_ids: HashSet<&str> = rest.iter().filter_map(|e| e["id"].as_str()).collect();
    assert!(
        searches
            .iter()
            .all(|e| !rest_ids.contains(e["id"].as_str().unwrap_or(""))),
        "delivered once"
    );
    assert!(rest
        .iter()
        .any(|e| e["event_type"] == "browse" && e["payload"]["url"].is_string()));
    assert!(rest
        .iter()
        .any(|e| e["event_type"] == "shop" && e["payload"]["price_usd_cents"].is_u64()));
    assert!(
        items(&s.authed("GET", "/api/phantom/noise", &t, None)).is_empty(),
        "nothing new"
    );
    run_now(s, &t);
    let fresh = items(&s.authed("GET", "/api/phantom/noise?limit=50", &t, None));
    assert_eq!(fresh.len(), 7, "only the new ones");
    s.authed("GET", "/api/phantom/noise/teleport", &t, None)
        .assert_error(422, "validation_failed");
    s.authed("GET", "/api/phantom/noise?limit=999", &t, None)
        .assert_error(422, "validation_failed");
}

fn status_counts_match_generated_and_delivered(s: &Server) {
    let t = noisy_user(s, 4, 3, 2);
    run_now(s, &t);
    items(&s.authed("GET", "/api/phantom/noise/browse?limit=2", &t, None));
    items(&s.authed("GET", "/api/phantom/noise/search?limit=1", &t, None));
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(st.status, 200, "{}", st.text);
    let c = &st.json["counts"];
    assert_eq!(
        c["search"],
        json!({"generated": 4, "delivered": 1}),
        "{}",
        st.text
    );
    assert_eq!(c["browse"], json!({"generated": 3, "delivered": 2}));
    assert_eq!(c["shop"], json!({"generated": 2, "delivered": 0}));
    assert_eq!(c["persona_rotate"], json!({"generated": 0, "delivered": 0}));
    assert_eq!(st.json["queue_depth"], 6);
    assert_eq!(st.json["enabled"], true);
    assert_eq!(st.json["in_active_hours"], true);
    assert_eq!(st.json["active_persona"]["name"], "Lena Müller");
    assert!(st.json["next_runs"]["search"].is_string(), "{}", st.text);
    assert_eq!(st.json["backlog_full"], false);
}

fn backlog_is_capped(s: &Server) {
    let t = noisy_user(s, 50, 50, 50);
    let r = run_now(s, &t);
    // PHANTOM_MAX_BACKLOG=60 in tests/e2e.env: 50 searches, then room for 10 pages, then none.
    assert_eq!(r["created"]["search"], 50, "{r}");
    assert_eq!(r["created"]["browse"], 10, "{r}");
    assert_eq!(r["created"]["shop"], 0);
    assert_eq!(r["skipped"]["shop"], "backlog full");
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(st.json["queue_depth"], 60);
    assert_eq!(st.json["backlog_full"], true);
    let again = run_now(s, &t);
    assert_eq!(again["skipped"]["search"], "backlog full");
    items(&s.authed("GET", "/api/phantom/noise?limit=5", &t, None));
    let after = run_now(s, &t);
    assert_eq!(
        after["created"]["search"], 5,
        "room for exactly the 5 delivered: {after}"
    );
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> Option<Value>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn alarm_loops_produce_events_and_disable_stops_them(s: &Server) {
    let t = token(s);
    patch_settings(
        s,
        &t,
        json!({"active_hours": hours_now(), "searches_per_cycle": 2, "pages_per_cycle": 2, "products_per_cycle": 1,
               "search_interval": 1, "browsing_interval": 1, "shop_interval": 1}),
    );
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(st.json["running"], false, "no persona yet: {}", st.text);
    // The first persona starts the loops; each first cycle comes one period (1 min) later.
    create_persona(s, &t, "Alarm Person");
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(st.json["running"], true, "{}", st.text);
    let next = st.json["next_runs"]["search"]
        .as_str()
        .expect("next search run");
    let next = chrono::DateTime::parse_from_rfc3339(next).expect("time");
    let in_secs = (next.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!(
        (50..=61).contains(&in_secs),
        "first search cycle in a minute: {in_secs}s"
    );
    let status = wait_for("alarm-driven events", 100, || {
        let st = s.authed("GET", "/api/phantom/status", &t, None);
        let c = st.json["counts"].clone();
        let all = c["search"]["generated"].as_u64() >= Some(2)
            && c["browse"]["generated"].as_u64() >= Some(2)
            && c["shop"]["generated"].as_u64() >= Some(1);
        all.then_some(st.json)
    });
    assert!(
        status["last_runs"]["search"]["outcome"]
            .as_str()
            .is_some_and(|o| o.contains("events")),
        "{status}"
    );
    let c = &status["counts"];
    assert_eq!(
        c["search"]["generated"].as_u64().map(|n| n % 2),
        Some(0),
        "whole cycles of 2: {c}"
    );

    patch_settings(s, &t, json!({"enabled": false}));
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(st.json["running"], false, "{}", st.text);
    assert!(st.json["next_runs"]["search"].is_null());
}

fn persona_rotate_emits_event(s: &Server) {
    let t = token(s);
    s.authed("POST", "/api/phantom/persona/rotate", &t, None)
        .assert_error(409, "conflict");
    let a = create_persona(s, &t, "First Persona");
    let b = create_persona(s, &t, "Second Persona");
    let r = s.authed("POST", "/api/phantom/persona/rotate", &t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["active_persona"]["id"], b["id"],
        "moves past the first"
    );
    assert_eq!(r.json["event"]["event_type"], "persona_rotate");
    let r2 = s.authed("POST", "/api/phantom/persona/rotate", &t, None);
    assert_eq!(r2.json["active_persona"]["id"], a["id"], "wraps around");
    let events = items(&s.authed("GET", "/api/phantom/noise/persona_rotate", &t, None));
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["payload"]["to"], b["id"]);
    assert_eq!(events[1]["payload"]["from"], b["id"]);
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(st.json["active_persona"]["id"], a["id"]);
}

fn fingerprint_stable_in_window_new_in_next_and_coherent(s: &Server) {
    let t = token(s);
    let a = s.authed("GET", "/api/phantom/fingerprint", &t, None);
    assert_eq!(a.status, 200, "{}", a.text);
    let b = s.authed("GET", "/api/phantom/fingerprint", &t, None);
    let differing: Vec<String> = a
        .json
        .as_object()
        .expect("object")
        .iter()
        .filter(|(k, v)| b.json.get(k.as_str()) != Some(v))
        .map(|(k, v)| format!("{k}: {v} vs {}", b.json[k.as_str()]))
        .collect();
    assert!(
        differing.is_empty(),
        "identical within the window: {differing:?}"
    );
    let rotates =
        chrono::DateTime::parse_from_rfc3339(a.json["rotates_at"].as_str().expect("rotates_at"))
            .expect("time");
    assert!(rotates > chrono::Utc::now());
    check_coherent(&a.json);
    // Another window length puts "now" in another window: a new fingerprint.
    patch_settings(s, &t, json!({"fingerprint_rotation_interval": 7}));
    let c = s.authed("GET", "/api/phantom/fingerprint", &t, None);
    assert_ne!(c.json["canvas_noise_seed"], a.json["canvas_noise_seed"]);
    assert_ne!(c.json["window_index"], a.json["window_index"]);
    assert_eq!(c.json["rotation_interval_minutes"], 7);
    check_coherent(&c.json);
    // Other users get other fingerprints.
    let other = s.authed("GET", "/api/phantom/fingerprint", &token(s), None);
    assert_ne!(other.json["canvas_noise_seed"], a.json["canvas_noise_seed"]);
}

fn check_coherent(fp: &Value) {
    let ua = fp["user_agent"].as_str().expect("ua");
    let fonts: Vec<&str> = fp["fonts"]
        .as_array()
        .expect("fonts")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let gpu = format!("{} {}", fp["webgl"]["vendor"], fp["webgl"]["renderer"]);
    match fp["platform"].as_str().expect("platform") {
        "MacIntel" => {
            assert!(ua.contains("Mac OS X"), "{ua}");
            assert!(
                !fonts
                    .iter()
                    .any(|f| ["Segoe UI", "Calibri", "Consolas"].contains(f)),
                "{fonts:?}"
            );
            assert!(!gpu.contains("Direct3D"), "{gpu}");
        }
        "Win32" => {
            assert!(ua.contains("Windows NT"), "{ua}");
            assert!(
                !fonts
                    .iter()
                    .any(|f| ["Helvetica Neue", "Menlo", "SF Pro"].contains(f)),
                "{fonts:?}"
            );
            assert!(!gpu.contains("Apple"), "{gpu}");
        }
        "Linux x86_64" => assert!(ua.contains("Linux"), "{ua}"),
        other => panic!("platform {other}"),
    }
    assert_eq!(fp["timezone"], "UTC");
    assert!(fp["screen"]["width"].as_u64().is_some_and(|w| w >= 1280));
}

fn form_data_follows_active_persona(s: &Server) {
    let t = token(s);
    s.authed("GET", "/api/phantom/form-data?fields=name", &t, None)
        .assert_error(409, "conflict");
    create_persona(s, &t, "Lena Müller");
    let r = s.authed(
        "GET",
        "/api/phantom/form-data?fields=name,first_name,email,city,country,phone,address,dob",
        &t,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let keys: Vec<&String> = r.json.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 8);
    assert_eq!(r.json["name"], "Lena Müller");
    assert_eq!(r.json["first_name"], "Lena");
    assert_eq!(r.json["city"], "Munich");
    assert_eq!(r.json["country"], "DE");
    assert!(
        r.json["email"]
            .as_str()
            .is_some_and(|e| e.contains('@') && e.starts_with("lena.")),
        "{}",
        r.text
    );
    assert!(
        r.json["dob"].as_str().is_some_and(|d| d.len() == 10),
        "{}",
        r.text
    );
    let again = s.authed("GET", "/api/phantom/form-data?fields=email", &t, None);
    assert_eq!(
        again.json["email"], r.json["email"],
        "same persona, same email"
    );
    let r = s.authed("GET", "/api/phantom/form-data?fields=name,ssn", &t, None);
    r.assert_error(422, "validation_failed");
    assert!(r.json["error"]["details"]["fields"]["fields"]
        .as_str()
        .is_some_and(|m| m.contains("ssn")));
    s.authed("GET", "/api/phantom/form-data", &t, None)
        .assert_error(422, "validation_failed");
}

fn settings_are_validated(s: &Server) {
    let t = token(s);
    let d = s.authed("GET", "/api/phantom/settings", &t, None);
    assert_eq!(d.status, 200);
    assert_eq!(
        d.json,
        json!({"enabled": true, "search_interval": 10, "browsing_interval": 15, "shop_interval": 30,
               "active_hours": [8, 22], "timezone": "UTC", "max_concurrent": 3, "searches_per_cycle": 5,
               "pages_per_cycle": 8, "products_per_cycle": 3, "persona_rotation_hours": 4,
               "fingerprint_rotation_interval": 30})
    );
    let r = s.authed(
        "PATCH",
        "/api/phantom/settings",
        &t,
        Some(&json!({"search_interval": 0, "active_hours": [9, 25],
        "timezone": "Mars/Olympus_Mons", "max_concurrent": "3", "bogus": 1})),
    );
    r.assert_error(422, "validation_failed");
    let fields = r.json["error"]["details"]["fields"]
        .as_object()
        .expect("fields");
    for f in [
        "search_interval",
        "active_hours",
        "timezone",
        "max_concurrent",
        "bogus",
    ] {
        assert!(fields.keys().any(|k| k.starts_with(f)), "{f}: {}", r.text);
    }
    assert_eq!(
        s.authed("GET", "/api/phantom/settings", &t, None).json,
        d.json,
        "nothing written"
    );
    let ok = patch_settings(
        s,
        &t,
        json!({"timezone": "Europe/Paris", "active_hours": [22, 6]}),
    );
    assert_eq!(ok.json["timezone"], "Europe/Paris");
    assert_eq!(ok.json["active_hours"], json!([22, 6]));
    assert_eq!(
        s.authed("GET", "/api/phantom/settings", &t, None).json["timezone"],
        "Europe/Paris"
    );
    let st = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(st.json["timezone"], "Europe/Paris");
}

fn other_users_ids_are_404_and_auth_is_required(s: &Server) {
    let a = token(s);
    let b = token(s);
    let p = create_persona(s, &a, "Owner");
    let pid = p["id"].as_str().expect("id");
    let plan = s.authed(
        "POST",
        "/api/phantom/plans/generate",
        &a,
        Some(&json!({"persona_id": pid})),
    );
    let plan_id = plan.json["id"].as_str().expect("plan");
    s.authed("GET", &format!("/api/phantom/personas/{pid}"), &b, None)
        .assert_error(404, "not_found");
    s.authed(
        "PATCH",
        &format!("/api/phantom/personas/{pid}"),
        &b,
        Some(&json!({"age": 50})),
    )
    .assert_error(404, "not_found");
    s.authed("DELETE", &format!("/api/phantom/personas/{pid}"), &b, None)
        .assert_error(404, "not_found");
    s.authed(
        "POST",
        "/api/phantom/plans/generate",
        &b,
        Some(&json!({"persona_id": pid})),
    )
    .assert_error(404, "not_found");
    s.authed(
        "POST",
        &format!("/api/phantom/plans/{plan_id}/complete"),
        &b,
        Some(&json!({"result": {}})),
    )
    .assert_error(404, "not_found");
    assert_eq!(
        s.authed("GET", "/api/phantom/plans/next", &b, None).status,
        204,
        "B sees no plan of A"
    );
    assert!(items(&s.authed("GET", "/api/phantom/personas", &b, None)).is_empty());
    assert_eq!(
        s.authed("GET", &format!("/api/phantom/personas/{pid}"), &a, None)
            .json["age"],
        41,
        "untouched"
    );

    for (m, path) in [
        ("GET", "/api/phantom/personas"),
        ("POST", "/api/phantom/personas"),
        ("POST", "/api/phantom/personas/generate"),
        ("GET", "/api/phantom/personas/x"),
        ("PATCH", "/api/phantom/personas/x"),
        ("DELETE", "/api/phantom/personas/x"),
        ("POST", "/api/phantom/persona/rotate"),
        ("POST", "/api/phantom/plans/generate"),
        ("GET", "/api/phantom/plans"),
        ("GET", "/api/phantom/plans/next"),
        ("POST", "/api/phantom/plans/x/complete"),
        ("GET", "/api/phantom/noise"),
        ("GET", "/api/phantom/noise/search"),
        ("GET", "/api/phantom/fingerprint"),
        ("GET", "/api/phantom/form-data?fields=name"),
        ("GET", "/api/phantom/status"),
        ("GET", "/api/phantom/settings"),
        ("PATCH", "/api/phantom/settings"),
        ("POST", "/api/phantom/scheduler/run-now"),
    ] {
        s.send(m, path, &[], None).assert_error(401, "unauthorized");
    }

    // The extension's way in: an API key.
    let key = s.authed(
        "POST",
        "/api/auth/api-keys",
        &a,
        Some(&json!({"name": "extension"})),
    );
    let key = key.json["key"].as_str().expect("key");
    let r = s.send("GET", "/api/phantom/status", &[("X-API-Key", key)], None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["active_persona"]["id"], pid);
}

fn openai_backend_against_fake_server(_s: &Server) {
    let fake = FakeLlm::start();
    let server = fake.server();
    let t = token(&server);

    let r = server.authed(
        "POST",
        "/api/phantom/personas/generate",
        &t,
        Some(&json!({"hint": "malformed-then-good"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["name"], "Marta Quill");
    assert_eq!(r.json["interests"], json!(["maps", "sailing", "coffee"]));
    assert_eq!(
        fake.calls("malformed-then-good"),
        2,
        "one bad reply, one good"
    );
    let body = fake.bodies.lock().expect("lock")[0].clone();
    assert_eq!(body["model"], "fake-model");
    assert_eq!(body["messages"][0]["role"], "system");

    let r = server.authed(
        "POST",
        "/api/phantom/personas/generate",
        &t,
        Some(&json!({"hint": "always-500"})),
    );
    r.assert_error(502, "upstream_failed");
    assert_eq!(fake.calls("always-500"), 3, "three tries");
    let list = server.authed("GET", "/api/phantom/personas", &t, None);
    assert_eq!(
        list.json["items"].as_array().map(Vec::len),
        Some(1),
        "nothing written on 502"
    );
    server.stop();
}

fn events_survive_restart(s: &Server) {
    let t = noisy_user(s, 2, 1, 1);
    let made = run_now(s, &t);
    let ids: HashSet<String> = made["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["id"].as_str().map(String::from))
        .collect();
    assert_eq!(ids.len(), 4);
    s.restart();
    let got = items(&s.authed("GET", "/api/phantom/noise", &t, None));
    let got_ids: HashSet<String> = got
        .iter()
        .filter_map(|e| e["id"].as_str().map(String::from))
        .collect();
    assert_eq!(got_ids, ids, "the same events after a restart");
}
