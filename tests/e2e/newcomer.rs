//! The paper cuts a newcomer hit, each replayed: dependencies in a task body, back-filling
//! a habit, usage stamped in seconds, the pending usage window, the last run after
//! run-now, and a French persona's form data.

use serde_json::{json, Value};

use crate::auth::{token, wallet_user};
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "newcomer";
        depends_on_in_a_task_body_is_kept_and_checked,
        a_habit_can_be_back_filled,
        usage_in_seconds_says_milliseconds,
        usage_says_which_window_is_pending(exclusive),
        run_now_shows_in_last_runs,
        a_lyon_persona_gets_french_form_data,
    )
}

fn task(s: &Server, t: &str, body: Value) -> Value {
    let r = s.authed("POST", "/api/os/tasks", t, Some(&body));
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

fn depends_on_in_a_task_body_is_kept_and_checked(s: &Server) {
    let t = token(s);
    let a = task(s, &t, json!({"title": "Buy paint"}));
    let aid = a["id"].as_str().expect("id");
    let b = task(
        s,
        &t,
        json!({"title": "Paint the fence", "depends_on": [aid]}),
    );
    let bid = b["id"].as_str().expect("id");
    assert_eq!(b["depends_on"], json!([aid]));
    assert_eq!(
        s.authed("GET", &format!("/api/os/tasks/{bid}"), &t, None)
            .json["depends_on"],
        json!([aid])
    );
    // Blocked until its dependency is done.
    s.authed("POST", &format!("/api/os/tasks/{bid}/complete"), &t, None)
        .assert_error(409, "conflict");
    // A cycle, the task itself, or another user's task: 422 and nothing changes.
    s.authed(
        "PATCH",
        &format!("/api/os/tasks/{aid}"),
        &t,
        Some(&json!({"depends_on": [bid]})),
    )
    .assert_error(422, "dependency_cycle");
    s.authed(
        "PATCH",
        &format!("/api/os/tasks/{aid}"),
        &t,
        Some(&json!({"depends_on": [aid]})),
    )
    .assert_error(422, "validation_failed");
    let other = token(s);
    let theirs = task(s, &other, json!({"title": "Theirs"}));
    s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&json!({"title": "X", "depends_on": [theirs["id"]]})),
    )
    .assert_error(422, "validation_failed");
    s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&json!({"title": "X", "depends_on": "nope"})),
    )
    .assert_error(422, "validation_failed");
    assert_eq!(
        s.authed("GET", "/api/os/tasks", &t, None).json["items"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // PATCH replaces the set.
    let r = s.authed(
        "PATCH",
        &format!("/api/os/tasks/{bid}"),
        &t,
        Some(&json!({"depends_on": []})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["depends_on"], json!([]));
    assert_eq!(
        s.authed("POST", &format!("/api/os/tasks/{bid}/complete"), &t, None)
            .status,
        200
    );
}

fn a_habit_can_be_back_filled(s: &Server) {
    let t = token(s);
    let h = s.authed(
        "POST",
        "/api/os/habits",
        &t,
        Some(&json!({"name": "Stretch", "schedule": {"type": "daily"}})),
    );
    assert_eq!(h.status, 201, "{}", h.text);
    let id = h.json["id"].as_str().expect("id");
    let today = chrono::NaiveDate::parse_from_str(
        h.json["start_date"].as_str().expect("start"),
        "%Y-%m-%d",
    )
    .expect("date");
    for back in [2, 1] {
        let day = (today - chrono::Duration::days(back)).to_string();
        let r = s.authed(
            "POST",
            &format!("/api/os/habits/{id}/logs"),
            &t,
            Some(&json!({ "date": day })),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s.authed("POST", &format!("/api/os/habits/{id}/logs"), &t, None);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json["start_date"],
        (today - chrono::Duration::days(2)).to_string().as_str()
    );
    assert_eq!(r.json["current_streak"], 3);
}

fn ingest(s: &Server, rows: Value) -> crate::harness::Resp {
    let token = crate::harness::env_value("GATEWAY_TOKEN");
    s.send(
        "POST",
        "/api/suiftly/usage/logs",
        &[
            ("X-Gateway-Token", &token),
            ("Content-Type", "application/json"),
        ],
        Some(&json!({ "logs": rows }).to_string()),
    )
}

fn usage_in_seconds_says_milliseconds(s: &Server) {
    let seconds = chrono::Utc::now().timestamp();
    let r = ingest(
        s,
        json!([{"timestamp": seconds, "customer_id": 1, "service_type": "seal", "method": "GET", "status_code": 200, "bytes_out": 10}]),
    );
    r.assert_error(422, "validation_failed");
    let msg = r.json["error"]["details"]["fields"]["logs[0].timestamp"]
        .as_str()
        .unwrap_or("");
    assert!(
        msg.contains("unix seconds") && msg.contains("milliseconds"),
        "{}",
        r.text
    );
}

fn usage_says_which_window_is_pending(s: &Server) {
    let (t, _) = wallet_user(s);
    let c = s.authed("GET", "/api/suiftly/customer", &t, None);
    assert_eq!(c.status, 200, "{}", c.text);
    let id = c.json["customer_id"].as_i64().expect("customer id");
    let before = s.authed("GET", "/api/suiftly/usage", &t, None);
    assert_eq!(before.json["pending"]["raw_logs"], 0, "{}", before.text);
    // Logs of a window that closed 15 minutes ago, before any cron run meters them (this
    // test runs alone, and stays out of the open window so it holds nobody's metering up).
    let then = chrono::Utc::now().timestamp_millis() - 15 * 60_000;
    let window = then - then.rem_euclid(300_000);
    let rows: Vec<Value> = (0..3)
        .map(|i| json!({"timestamp": window + i, "customer_id": id, "service_type": "seal", "method": "GET", "status_code": 200, "bytes_out": 10}))
        .collect();
    assert_eq!(ingest(s, Value::Array(rows)).status, 202);
    let after = s.authed("GET", "/api/suiftly/usage", &t, None);
    let p = &after.json["pending"];
    assert_eq!(p["raw_logs"], 3, "{}", after.text);
    let end = chrono::DateTime::parse_from_rfc3339(p["window_end"].as_str().expect("window_end"))
        .expect("time")
        .timestamp_millis();
    assert_eq!(end, window + 300_000, "{p}");
    assert!(p["note"].as_str().unwrap_or("").contains("cron"));
    // A cron run meters them: nothing is pending any more.
    assert_eq!(s.get("/__scheduled?cron=*/5+*+*+*+*").status, 200);
    let metered = s.authed("GET", "/api/suiftly/usage", &t, None);
    assert_eq!(metered.json["pending"]["raw_logs"], 0, "{}", metered.text);
    assert_eq!(
        metered.json["items"][0]["request_count"], 3,
        "{}",
        metered.text
    );
}

fn run_now_shows_in_last_runs(s: &Server) {
    let t = token(s);
    let r = s.authed(
        "PATCH",
        "/api/phantom/settings",
        &t,
        Some(&json!({"active_hours": [0, 24]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let p = s.authed(
        "POST",
        "/api/phantom/personas",
        &t,
        Some(
            &json!({"name": "Ada Quinn", "age": 30, "occupation": "nurse",
        "location": "Austin, Texas, US", "interests": ["coffee"]}),
        ),
    );
    assert_eq!(p.status, 201, "{}", p.text);
    assert_eq!(
        s.authed("POST", "/api/phantom/scheduler/run-now", &t, None)
            .status,
        200
    );
    let status = s.authed("GET", "/api/phantom/status", &t, None);
    assert_eq!(status.status, 200, "{}", status.text);
    let last = &status.json["last_runs"]["search"];
    assert!(last["at"].is_string(), "{}", status.text);
    assert!(
        last["outcome"]
            .as_str()
            .is_some_and(|o| o.ends_with("events")),
        "{last}"
    );
}

fn a_lyon_persona_gets_french_form_data(s: &Server) {
    let t = token(s);
    let p = s.authed(
        "POST",
        "/api/phantom/personas",
        &t,
        Some(
            &json!({"name": "Camille Martin", "age": 34, "occupation": "teacher",
        "location": "Lyon, Auvergne-Rhône-Alpes, FR", "interests": ["cinema"]}),
        ),
    );
    assert_eq!(p.status, 201, "{}", p.text);
    let f = s.authed(
        "GET",
        "/api/phantom/form-data?fields=address,phone,postal_code,country",
        &t,
        None,
    );
    assert_eq!(f.status, 200, "{}", f.text);
    let postal = f.json["postal_code"].as_str().expect("postal");
    assert_eq!(postal.len(), 5);
    assert!(
        f.json["address"]
            .as_str()
            .is_some_and(|a| a.ends_with(&format!("{postal} Lyon"))),
        "{}",
        f.text
    );
    assert!(
        f.json["phone"]
            .as_str()
            .is_some_and(|p| p.starts_with("+33 ")),
        "{}",
        f.text
    );
}
