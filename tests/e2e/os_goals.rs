//! Personal OS goals: criteria, links to tasks, metrics and habits, and the cached progress
//! that every linked change refreshes.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::auth::token;
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "os_goals";
        progress_follows_every_linked_change,
        goal_crud_validation_and_isolation,
    )
}

fn create(s: &Server, t: &str, path: &str, body: Value) -> String {
    let r = s.authed("POST", path, t, Some(&body));
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.json["id"].as_str().expect("id").to_string()
}

/// The progress cached on the goal (what lists show), checked against a fresh
/// computation: the two must agree after every change.
fn cached(s: &Server, t: &str, goal: &str) -> f64 {
    let g = s.authed("GET", &format!("/api/os/goals/{goal}"), t, None);
    assert_eq!(g.status, 200, "{}", g.text);
    let cached = g.json["progress"].as_f64().expect("progress");
    let fresh = s.authed("GET", &format!("/api/os/goals/{goal}/progress"), t, None);
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    assert_eq!(
        fresh.json["progress"].as_f64(),
        Some(cached),
        "cached {cached} vs computed {}",
        fresh.text
    );
    cached
}

fn progress_follows_every_linked_change(s: &Server) {
    let t = token(s);
    let today = Utc::now().date_naive();
    let days_ago = |n: i64| (today - Duration::days(n)).to_string();
    let goal = create(
        s,
        &t,
        "/api/os/goals",
        json!({"title": "Get fit", "start_date": days_ago(3),
               "success_criteria": [{"text": "Sign up for a race", "met": true}, {"text": "Finish it"}]}),
    );
    assert_eq!(cached(s, &t, &goal), 50.0, "criteria alone: 1 of 2");

    // Tasks link by goal_id: 2 open tasks → tasks part 0.
    let a = create(
        s,
        &t,
        "/api/os/tasks",
        json!({"title": "Buy shoes", "goal_id": goal}),
    );
    let b = create(s, &t, "/api/os/tasks", json!({"title": "Book a coach"}));
    let linked = s.authed("POST", &format!("/api/os/goals/{goal}/tasks/{b}"), &t, None);
    assert_eq!(linked.status, 200, "{}", linked.text);
    assert_eq!(linked.json["links"]["tasks"], json!([a, b]));
    assert_eq!(cached(s, &t, &goal), 25.0, "mean of 0.5 and 0");
    let done = s.authed("POST", &format!("/api/os/tasks/{a}/complete"), &t, None);
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(cached(s, &t, &goal), 50.0, "mean of 0.5 and 0.5");

    // A metric with a target: from 0 toward 10.
    let m = create(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "km per run", "target": 10, "direction": "higher"}),
    );
    let log = |v: f64, d: String| {
        let r = s.authed(
            "POST",
            &format!("/api/os/metrics/{m}/logs"),
            &t,
            Some(&json!({"value": v, "date": d})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    };
    log(0.0, days_ago(2));
    let r = s.authed(
        "POST",
        &format!("/api/os/goals/{goal}/metrics/{m}"),
        &t,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["links"]["metrics"], json!([m]));
    assert_eq!(
        cached(s, &t, &goal),
        33.3,
        "criteria 0.5, tasks 0.5, metric 0"
    );
    log(4.0, days_ago(1));
    assert_eq!(cached(s, &t, &goal), 46.7, "metric at 0.4");
    // A new target moves it too: 4 of 6.
    let r = s.authed(
        "PATCH",
        &format!("/api/os/metrics/{m}"),
        &t,
        Some(&json!({"target": 6})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(cached(s, &t, &goal), 55.6);

    // A daily habit since the goal's start, done 3 and 2 days ago: 2 of 3 due days so far
    // (today is still open).
    let h = create(
        s,
        &t,
        "/api/os/habits",
        json!({"name": "Stretch", "start_date": days_ago(3)}),
    );
    for d in [3, 2] {
        let r = s.authed(
            "POST",
            &format!("/api/os/habits/{h}/logs"),
            &t,
            Some(&json!({"date": days_ago(d)})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s.authed(
        "POST",
        &format!("/api/os/goals/{goal}/habits/{h}"),
        &t,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // (0.5 + 0.5 + 2/3 + 2/3) / 4
    assert_eq!(cached(s, &t, &goal), 58.3);
    let r = s.authed(
        "POST",
        &format!("/api/os/habits/{h}/logs"),
        &t,
        Some(&json!({})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    // Today done: 3 of 4 → (0.5 + 0.5 + 2/3 + 0.75) / 4
    assert_eq!(cached(s, &t, &goal), 60.4);
    let r = s.authed(
        "DELETE",
        &format!("/api/os/habits/{h}/logs/{}", days_ago(3)),
        &t,
        None,
    );
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(cached(s, &t, &goal), 54.2, "2 of 4 → 0.5");

    let p = s.authed("GET", &format!("/api/os/goals/{goal}/progress"), &t, None);
    let bd = &p.json["breakdown"];
    assert_eq!(
        bd["criteria"],
        json!({"met": 1, "total": 2, "percent": 50.0})
    );
    assert_eq!(bd["tasks"], json!({"done": 1, "total": 2, "percent": 50.0}));
    assert_eq!(bd["metrics"]["items"][0]["percent"], 66.7);
    assert_eq!(bd["habits"]["items"][0]["percent"], 50.0);

    // Criteria replaced: both met.
    let r = s.authed(
        "PATCH",
        &format!("/api/os/goals/{goal}"),
        &t,
        Some(&json!({"success_criteria": [{"text": "Sign up", "met": true}, {"text": "Finish", "met": true}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["progress"], 66.7, "(1 + 0.5 + 2/3 + 0.5) / 4");
    assert_eq!(cached(s, &t, &goal), 66.7);

    // Reopening a task, moving it away, deleting items: each refreshes the goal.
    let r = s.authed(
        "PATCH",
        &format!("/api/os/tasks/{a}"),
        &t,
        Some(&json!({"status": "todo"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(cached(s, &t, &goal), 54.2, "tasks 0 of 2");
    let r = s.authed(
        "DELETE",
        &format!("/api/os/goals/{goal}/tasks/{b}"),
        &t,
        None,
    );
    assert_eq!(r.status, 204, "{}", r.text);
    let r = s.authed("DELETE", &format!("/api/os/tasks/{a}"), &t, None);
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        cached(s, &t, &goal),
        72.2,
        "no tasks left: (1 + 2/3 + 0.5) / 3"
    );
    let r = s.authed("DELETE", &format!("/api/os/metrics/{m}"), &t, None);
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(cached(s, &t, &goal), 75.0, "(1 + 0.5) / 2");
    let r = s.authed("DELETE", &format!("/api/os/habits/{h}"), &t, None);
    assert_eq!(r.status, 204, "{}", r.text);
    let g = s.authed("GET", &format!("/api/os/goals/{goal}"), &t, None);
    assert_eq!(g.json["progress"], 100.0, "criteria only");
    assert_eq!(
        g.json["links"],
        json!({"tasks": [], "metrics": [], "habits": []})
    );

    // A goal's window bounds habit consistency: moving its start refreshes it.
    let g2 = create(
        s,
        &t,
        "/api/os/goals",
        json!({"title": "Stretch more", "start_date": days_ago(3)}),
    );
    let h2 = create(
        s,
        &t,
        "/api/os/habits",
        json!({"name": "Stretch daily", "start_date": days_ago(3)}),
    );
    let r = s.authed(
        "POST",
        &format!("/api/os/habits/{h2}/logs"),
        &t,
        Some(&json!({"date": days_ago(1)})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    s.authed("POST", &format!("/api/os/goals/{g2}/habits/{h2}"), &t, None);
    assert_eq!(cached(s, &t, &g2), 33.3, "1 of 3");
    let r = s.authed(
        "PATCH",
        &format!("/api/os/goals/{g2}"),
        &t,
        Some(&json!({"start_date": days_ago(1)})),
    );
    assert_eq!(r.json["progress"], 100.0, "{}", r.text);
    assert_eq!(cached(s, &t, &g2), 100.0);

    // Deleting a goal keeps its tasks, unlinked.
    let c = create(
        s,
        &t,
        "/api/os/tasks",
        json!({"title": "Stretch plan", "goal_id": g2}),
    );
    let r = s.authed("DELETE", &format!("/api/os/goals/{g2}"), &t, None);
    assert_eq!(r.status, 204, "{}", r.text);
    let task = s.authed("GET", &format!("/api/os/tasks/{c}"), &t, None);
    assert_eq!(task.json["goal_id"], Value::Null, "{}", task.text);
}

fn goal_crud_validation_and_isolation(s: &Server) {
    let t = token(s);
    let other = token(s);
    let g = create(
        s,
        &t,
        "/api/os/goals",
        json!({"title": "Learn Rust", "target_date": "2030-01-01", "start_date": "2026-01-01"}),
    );
    let v = s
        .authed("GET", &format!("/api/os/goals/{g}"), &t, None)
        .json;
    for f in [
        "id",
        "title",
        "description",
        "status",
        "start_date",
        "target_date",
        "success_criteria",
        "progress",
        "links",
    ] {
        assert!(v.get(f).is_some(), "{f}: {v}");
    }
    assert_eq!(v["status"], "active");
    assert_eq!(v["progress"], 0.0, "no parts yet");
    create(
        s,
        &t,
        "/api/os/goals",
        json!({"title": "Ship it", "status": "achieved"}),
    );
    let list = s.authed("GET", "/api/os/goals?status=achieved", &t, None);
    assert_eq!(
        list.json["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        list.text
    );
    s.authed("GET", "/api/os/goals?status=won", &t, None)
        .assert_error(422, "validation_failed");

    for (body, field) in [
        (json!({}), "title"),
        (json!({"title": "x", "status": "won"}), "status"),
        (
            json!({"title": "x", "success_criteria": [{"met": true}]}),
            "success_criteria[0].text",
        ),
        (
            json!({"title": "x", "success_criteria": "all"}),
            "success_criteria",
        ),
        (
            json!({"title": "x", "start_date": "2026-05-01", "target_date": "2026-04-01"}),
            "target_date",
        ),
        (json!({"title": "x", "colour": "red"}), "colour"),
        (json!({"title": 5}), "title"),
    ] {
        let r = s.authed("POST", "/api/os/goals", &t, Some(&body));
        r.assert_error(422, "validation_failed");
        assert!(
            r.json["error"]["details"]["fields"][field].is_string(),
            "{field}: {}",
            r.text
        );
    }
    let r = s.send(
        "POST",
        "/api/os/goals",
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Content-Type", "application/json"),
        ],
        Some("{\"title\": "),
    );
    r.assert_error(400, "bad_request");
    let list = s.authed("GET", "/api/os/goals", &t, None);
    assert_eq!(
        list.json["items"].as_array().map(Vec::len),
        Some(2),
        "nothing written"
    );

    // Another user's goal and items are 404 everywhere; they cannot link into ours.
    let mine_task = create(s, &t, "/api/os/tasks", json!({"title": "Read the book"}));
    let their_task = create(s, &other, "/api/os/tasks", json!({"title": "Theirs"}));
    let their_metric = create(s, &other, "/api/os/metrics", json!({"name": "Theirs"}));
    let their_habit = create(s, &other, "/api/os/habits", json!({"name": "Theirs"}));
    for (m, path) in [
        ("GET", format!("/api/os/goals/{g}")),
        ("PATCH", format!("/api/os/goals/{g}")),
        ("DELETE", format!("/api/os/goals/{g}")),
        ("GET", format!("/api/os/goals/{g}/progress")),
        ("POST", format!("/api/os/goals/{g}/tasks/{mine_task}")),
    ] {
        let body = (m == "PATCH").then(|| json!({"title": "mine now"}));
        s.authed(m, &path, &other, body.as_ref())
            .assert_error(404, "not_found");
    }
    for path in [
        format!("/api/os/goals/{g}/tasks/{their_task}"),
        format!("/api/os/goals/{g}/metrics/{their_metric}"),
        format!("/api/os/goals/{g}/habits/{their_habit}"),
    ] {
        s.authed("POST", &path, &t, None)
            .assert_error(404, "not_found");
    }
    s.authed(
        "PATCH",
        &format!("/api/os/tasks/{their_task}"),
        &other,
        Some(&json!({"goal_id": g})),
    )
    .assert_error(422, "validation_failed");
    // Unlinking what is not linked is 404.
    s.authed(
        "DELETE",
        &format!("/api/os/goals/{g}/tasks/{mine_task}"),
        &t,
        None,
    )
    .assert_error(404, "not_found");
    s.authed(
        "DELETE",
        &format!("/api/os/goals/{g}/habits/{their_habit}"),
        &t,
        None,
    )
    .assert_error(404, "not_found");
    let v = s
        .authed("GET", &format!("/api/os/goals/{g}"), &t, None)
        .json;
    assert_eq!(v["title"], "Learn Rust");
    assert_eq!(
        v["links"],
        json!({"tasks": [], "metrics": [], "habits": []})
    );

    let r = s.send("GET", "/api/os/goals", &[], None);
    r.assert_error(401, "unauthorized");
}
