//! Personal OS, first slice: tasks, dependencies, points, wallet, rewards, habits.

use serde_json::{json, Value};

use crate::auth::token;
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "os";
        task_crud_filters_and_validation,
        dependencies_block_completion_and_refuse_cycles,
        completion_pays_points_once_and_the_wallet_is_the_ledger_sum,
        rewards_redeem_never_below_zero,
        habits_log_idempotently_and_count_streaks,
        habits_follow_the_users_time_zone,
        other_users_ids_are_404_and_auth_is_required,
        metrics_log_analytics_and_milestones_paid_once,
        flashcards_follow_sm2_and_come_due,
        project_health_follows_tasks_and_time,
        logbook_links_are_checked_and_dangling_ones_dropped,
    )
}

fn task(s: &Server, t: &str, body: Value) -> Value {
    let r = s.authed("POST", "/api/os/tasks", t, Some(&body));
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn task_crud_filters_and_validation(s: &Server) {
    let t = token(s);
    let a = task(
        s,
        &t,
        json!({"title": "Write report", "priority": "high", "effort": 3, "area": "Work", "due_date": "2026-03-01"}),
    );
    assert_eq!(a["status"], "todo");
    assert_eq!(a["area"], "work");
    for f in [
        "id",
        "title",
        "description",
        "status",
        "priority",
        "area",
        "effort",
        "due_date",
        "project_id",
        "goal_id",
        "completed_at",
    ] {
        assert!(a.get(f).is_some(), "{f}");
    }
    let p1 = s.authed(
        "POST",
        "/api/os/projects",
        &t,
        Some(&json!({"name": "House"})),
    );
    assert_eq!(p1.status, 201, "{}", p1.text);
    let p1 = p1.json["id"].as_str().expect("project id").to_string();
    let b = task(
        s,
        &t,
        json!({"title": "Buy milk", "area": "home", "due_date": "2026-01-10", "project_id": p1}),
    );
    // Links must be the caller's own projects and goals.
    let other = token(s);
    let theirs = s.authed(
        "POST",
        "/api/os/projects",
        &other,
        Some(&json!({"name": "Theirs"})),
    );
    let stray = s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&json!({"title": "x", "project_id": theirs.json["id"], "goal_id": "no-such-goal"})),
    );
    stray.assert_error(422, "validation_failed");
    assert!(
        stray.json["error"]["details"]["fields"]["project_id"].is_string(),
        "{}",
        stray.text
    );
    assert!(
        stray.json["error"]["details"]["fields"]["goal_id"].is_string(),
        "{}",
        stray.text
    );
    let c = task(s, &t, json!({"title": "Call mum", "status": "in_progress"}));
    let list = |q: &str| s.authed("GET", &format!("/api/os/tasks{q}"), &t, None).json;
    assert_eq!(ids(&list("")).len(), 3);
    assert_eq!(
        ids(&list("?area=work")),
        vec![a["id"].as_str().unwrap_or("").to_string()]
    );
    assert_eq!(
        ids(&list("?status=in_progress")),
        vec![c["id"].as_str().unwrap_or("").to_string()]
    );
    assert_eq!(
        ids(&list(&format!("?project_id={p1}"))),
        vec![b["id"].as_str().unwrap_or("").to_string()]
    );
    assert_eq!(
        ids(&list("?due_before=2026-02-01")),
        vec![b["id"].as_str().unwrap_or("").to_string()]
    );
    assert_eq!(
        ids(&list("?due_after=2026-02-01")),
        vec![a["id"].as_str().unwrap_or("").to_string()]
    );
    let page = list("?limit=2");
    assert_eq!(ids(&page).len(), 2);
    let next = page["next_cursor"].as_str().expect("cursor");
    assert_eq!(ids(&list(&format!("?limit=2&cursor={next}"))).len(), 1);

    let id = a["id"].as_str().expect("id");
    let p = s.authed(
        "PATCH",
        &format!("/api/os/tasks/{id}"),
        &t,
        Some(&json!({"title": "Write the report", "due_date": null})),
    );
    assert_eq!(p.json["title"], "Write the report");
    assert_eq!(p.json["due_date"], Value::Null);
    assert_eq!(p.json["priority"], "high");

    let bad = s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&json!({"priority": "asap", "effort": 7})),
    );
    bad.assert_error(422, "validation_failed");
    for f in ["title", "priority", "effort"] {
        assert!(
            bad.json["error"]["details"]["fields"][f].is_string(),
            "{f}: {}",
            bad.text
        );
    }
    s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&json!({"title": "x", "due_date": "2026-02-30"})),
    )
    .assert_error(422, "validation_failed");
    s.authed("GET", "/api/os/tasks?status=later", &t, None)
        .assert_error(422, "validation_failed");
    s.send(
        "POST",
        "/api/os/tasks",
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Content-Type", "application/json"),
        ],
        Some("{"),
    )
    .assert_error(400, "bad_request");
    assert_eq!(
        ids(&list("")).len(),
        3,
        "nothing written by refused requests"
    );

    assert_eq!(
        s.authed("DELETE", &format!("/api/os/tasks/{id}"), &t, None)
            .status,
        204
    );
    s.authed("GET", &format!("/api/os/tasks/{id}"), &t, None)
        .assert_error(404, "not_found");
}

fn dependencies_block_completion_and_refuse_cycles(s: &Server) {
    let t = token(s);
    let a = task(s, &t, json!({"title": "A"}));
    let b = task(s, &t, json!({"title": "B"}));
    let c = task(s, &t, json!({"title": "C"}));
    let (a, b, c) = (
        a["id"].as_str().expect("a"),
        b["id"].as_str().expect("b"),
        c["id"].as_str().expect("c"),
    );
    let dep = |x: &str, y: &str| {
        s.authed(
            "POST",
            &format!("/api/os/tasks/{x}/dependencies/{y}"),
            &t,
            None,
        )
    };
    let r = dep(a, b);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["depends_on"], json!([b]));
    assert_eq!(dep(b, c).status, 201);
    let cycle = dep(c, a);
    cycle.assert_error(422, "dependency_cycle");
    dep(a, a).assert_error(422, "dependency_cycle");
    dep(a, "missing").assert_error(404, "not_found");

    s.authed("POST", &format!("/api/os/tasks/{a}/complete"), &t, None)
        .assert_error(409, "conflict");
    assert_eq!(
        s.authed("POST", &format!("/api/os/tasks/{c}/complete"), &t, None)
            .status,
        200
    );
    assert_eq!(
        s.authed("POST", &format!("/api/os/tasks/{b}/complete"), &t, None)
            .status,
        200
    );
    let done = s.authed("POST", &format!("/api/os/tasks/{a}/complete"), &t, None);
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["task"]["status"], "done");

    assert_eq!(
        s.authed(
            "DELETE",
            &format!("/api/os/tasks/{b}/dependencies/{c}"),
            &t,
            None
        )
        .status,
        204
    );
    s.authed(
        "DELETE",
        &format!("/api/os/tasks/{b}/dependencies/{c}"),
        &t,
        None,
    )
    .assert_error(404, "not_found");
    assert_eq!(
        dep(c, a).status,
        201,
        "no cycle once b no longer waits for c"
    );
}

fn completion_pays_points_once_and_the_wallet_is_the_ledger_sum(s: &Server) {
    let t = token(s);
    let x = task(
        s,
        &t,
        json!({"title": "Big one", "priority": "urgent", "effort": 4}),
    );
    let y = task(s, &t, json!({"title": "Small one", "priority": "low"}));
    let x = x["id"].as_str().expect("x");
    let y = y["id"].as_str().expect("y");
    let r = s.authed("POST", &format!("/api/os/tasks/{x}/complete"), &t, None);
    assert_eq!(r.json["points_awarded"], 120, "urgent 30 × effort 4");
    assert!(r.json["task"]["completed_at"].is_string());
    // Reopen and complete again: no second payment.
    let reopened = s.authed(
        "PATCH",
        &format!("/api/os/tasks/{x}"),
        &t,
        Some(&json!({"status": "todo"})),
    );
    assert_eq!(reopened.json["completed_at"], Value::Null);
    let again = s.authed("POST", &format!("/api/os/tasks/{x}/complete"), &t, None);
    assert_eq!(again.json["points_awarded"], 0);
    let r = s.authed("POST", &format!("/api/os/tasks/{y}/complete"), &t, None);
    assert_eq!(r.json["points_awarded"], 5);
    // Completing goes through /complete (dependencies, points), not a PATCH.
    let z = task(s, &t, json!({"title": "Open one"}));
    let z = z["id"].as_str().expect("z");
    s.authed(
        "PATCH",
        &format!("/api/os/tasks/{z}"),
        &t,
        Some(&json!({"status": "done"})),
    )
    .assert_error(422, "validation_failed");

    let w = s.authed("GET", "/api/os/wallet", &t, None);
    assert_eq!(w.json["balance"], 125);
    let ledger = w.json["ledger"].as_array().expect("ledger");
    assert_eq!(ledger.len(), 2);
    let sum: i64 = ledger.iter().filter_map(|e| e["delta"].as_i64()).sum();
    assert_eq!(sum, 125, "balance = sum of the ledger");
    assert!(ledger.iter().all(|e| e["source_type"] == "task"
        && e["reason"].is_string()
        && e["source_id"].is_string()));
}

fn rewards_redeem_never_below_zero(s: &Server) {
    let t = token(s);
    let x = task(
        s,
        &t,
        json!({"title": "Earn", "priority": "high", "effort": 2}),
    );
    s.authed(
        "POST",
        &format!("/api/os/tasks/{}/complete", x["id"].as_str().expect("id")),
        &t,
        None,
    );
    let r = s.authed(
        "POST",
        "/api/os/rewards",
        &t,
        Some(&json!({"name": "Movie night", "cost": 30})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().expect("id");
    let ok = s.authed("POST", &format!("/api/os/rewards/{id}/redeem"), &t, None);
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["balance"], 10);
    s.authed("POST", &format!("/api/os/rewards/{id}/redeem"), &t, None)
        .assert_error(409, "conflict");
    let w = s.authed("GET", "/api/os/wallet", &t, None);
    assert_eq!(w.json["balance"], 10, "refused redeem wrote nothing");
    assert_eq!(w.json["ledger"].as_array().map(Vec::len), Some(2));
    s.authed(
        "POST",
        "/api/os/rewards",
        &t,
        Some(&json!({"name": "Free", "cost": 0})),
    )
    .assert_error(422, "validation_failed");
    s.authed("POST", "/api/os/rewards", &t, Some(&json!({"cost": 5})))
        .assert_error(422, "validation_failed");

    // Editing a reward: partial, checked, only the owner's.
    let path = format!("/api/os/rewards/{id}");
    let p = s.authed("PATCH", &path, &t, Some(&json!({"cost": 5})));
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(
        (p.json["name"].clone(), p.json["cost"].clone()),
        (json!("Movie night"), json!(5))
    );
    for bad in [
        json!({"cost": -1}),
        json!({"name": ""}),
        json!({"colour": "red"}),
    ] {
        s.authed("PATCH", &path, &t, Some(&bad))
            .assert_error(422, "validation_failed");
    }
    s.authed("PATCH", &path, &token(s), Some(&json!({"cost": 1})))
        .assert_error(404, "not_found");
    assert_eq!(
        s.authed("GET", &path, &t, None).json["cost"],
        5,
        "bad edits wrote nothing"
    );
    let ok = s.authed("POST", &format!("{path}/redeem"), &t, None);
    assert_eq!(ok.json["balance"], 5, "{}", ok.text);
}

fn habits_log_idempotently_and_count_streaks(s: &Server) {
    let t = token(s);
    let today = chrono::Utc::now().date_naive();
    let start = today - chrono::Duration::days(4);
    let h = s.authed(
        "POST",
        "/api/os/habits",
        &t,
        Some(&json!({"name": "Read", "start_date": start.to_string()})),
    );
    assert_eq!(h.status, 201, "{}", h.text);
    let id = h.json["id"].as_str().expect("id");
    for back in [4, 3, 2, 1] {
        let day = today - chrono::Duration::days(back);
        let r = s.authed(
            "POST",
            &format!("/api/os/habits/{id}/logs"),
            &t,
            Some(&json!({"date": day.to_string()})),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = s.authed(
        "POST",
        &format!("/api/os/habits/{id}/logs"),
        &t,
        Some(&json!({"date": (today - chrono::Duration::days(1)).to_string()})),
    );
    assert_eq!(
        r.json["current_streak"], 4,
        "same day twice counts once: {}",
        r.text
    );
    assert_eq!(r.json["done_today"], false);
    let done = s.authed("POST", &format!("/api/os/habits/{id}/logs"), &t, None);
    assert_eq!(done.json["current_streak"], 5);
    assert_eq!(done.json["best_streak"], 5);
    assert_eq!(done.json["done_today"], true);
    assert!(
        done.json["strength"]
            .as_f64()
            .is_some_and(|v| v > 0.0 && v < 30.0),
        "{}",
        done.text
    );

    let today_list = s.authed("GET", "/api/os/habits/today", &t, None);
    assert_eq!(
        today_list.json["items"][0]["done"], true,
        "{}",
        today_list.text
    );
    assert_eq!(
        s.authed(
            "DELETE",
            &format!("/api/os/habits/{id}/logs/{}", today),
            &t,
            None
        )
        .status,
        204
    );
    let back = s.authed("GET", &format!("/api/os/habits/{id}"), &t, None);
    assert_eq!(
        back.json["current_streak"], 4,
        "an open today keeps the streak"
    );

    s.authed(
        "POST",
        &format!("/api/os/habits/{id}/logs"),
        &t,
        Some(&json!({"date": (today + chrono::Duration::days(1)).to_string()})),
    )
    .assert_error(422, "validation_failed");
    // A day before the start back-fills the habit: the start moves back to it.
    let early = s.authed(
        "POST",
        &format!("/api/os/habits/{id}/logs"),
        &t,
        Some(&json!({"date": (start - chrono::Duration::days(1)).to_string()})),
    );
    assert_eq!(early.status, 201, "{}", early.text);
    assert_eq!(
        early.json["start_date"],
        (start - chrono::Duration::days(1)).to_string().as_str()
    );
    let bad = s.authed(
        "POST",
        "/api/os/habits",
        &t,
        Some(&json!({"name": "Gym", "schedule": {"type": "weekdays", "days": [9]}})),
    );
    bad.assert_error(422, "validation_failed");
    assert!(bad.json["error"]["details"]["fields"]["schedule"].is_string());
    let mwf = s.authed(
        "POST",
        "/api/os/habits",
        &t,
        Some(&json!({"name": "Gym", "schedule": {"type": "weekdays", "days": [1, 3, 5]}})),
    );
    assert_eq!(mwf.status, 201);
    assert_eq!(
        mwf.json["schedule"],
        json!({"type": "weekdays", "days": [1, 3, 5]})
    );

    // Editing: a later start drops the logs before it; bad fields change nothing.
    let path = format!("/api/os/habits/{id}");
    let p = s.authed(
        "PATCH",
        &path,
        &t,
        Some(&json!({"name": "Read daily", "start_date": (today - chrono::Duration::days(2)).to_string()})),
    );
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json["name"], "Read daily");
    assert_eq!(
        (
            p.json["current_streak"].clone(),
            p.json["best_streak"].clone()
        ),
        (json!(2), json!(2))
    );
    for bad in [
        json!({"schedule": {"type": "every_n_days", "n": 0}}),
        json!({"name": ""}),
        json!({"start_date": "soon"}),
        json!({"colour": "red"}),
    ] {
        s.authed("PATCH", &path, &t, Some(&bad))
            .assert_error(422, "validation_failed");
    }
    s.authed("PATCH", &path, &token(s), Some(&json!({"name": "mine"})))
        .assert_error(404, "not_found");
    let back = s.authed("GET", &path, &t, None);
    assert_eq!(back.json["name"], "Read daily");
    assert_eq!(back.json["schedule"], json!({"type": "daily"}));
}

fn habits_follow_the_users_time_zone(s: &Server) {
    let t = token(s);
    assert_eq!(
        s.authed("GET", "/api/os/settings", &t, None).json["timezone"],
        "UTC"
    );
    s.authed(
        "PATCH",
        "/api/os/settings",
        &t,
        Some(&json!({"timezone": "Moon/Base"})),
    )
    .assert_error(422, "validation_failed");
    // Kiribati is UTC+14: its date is often a day ahead of UTC; "today" must follow it.
    let r = s.authed(
        "PATCH",
        "/api/os/settings",
        &t,
        Some(&json!({"timezone": "Pacific/Kiritimati"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let local_today = (chrono::Utc::now() + chrono::Duration::hours(14)).date_naive();
    let today = s.authed("GET", "/api/os/habits/today", &t, None);
    assert_eq!(
        today.json["date"],
        local_today.to_string(),
        "{}",
        today.text
    );
    let h = s.authed(
        "POST",
        "/api/os/habits",
        &t,
        Some(&json!({"name": "Stretch"})),
    );
    assert_eq!(h.json["start_date"], local_today.to_string());
    let id = h.json["id"].as_str().expect("id");
    let logged = s.authed("POST", &format!("/api/os/habits/{id}/logs"), &t, None);
    assert_eq!(logged.json["done_today"], true, "{}", logged.text);
}

fn other_users_ids_are_404_and_auth_is_required(s: &Server) {
    let a = token(s);
    let b = token(s);
    let tk = task(s, &a, json!({"title": "Mine"}));
    let tid = tk["id"].as_str().expect("id");
    let other = task(s, &b, json!({"title": "Theirs"}));
    let oid = other["id"].as_str().expect("id");
    let reward = s.authed(
        "POST",
        "/api/os/rewards",
        &a,
        Some(&json!({"name": "Cake", "cost": 1})),
    );
    let rid = reward.json["id"].as_str().expect("id");
    let habit = s.authed("POST", "/api/os/habits", &a, Some(&json!({"name": "Walk"})));
    let hid = habit.json["id"].as_str().expect("id");
    for (m, p) in [
        ("GET", format!("/api/os/tasks/{tid}")),
        ("PATCH", format!("/api/os/tasks/{tid}")),
        ("DELETE", format!("/api/os/tasks/{tid}")),
        ("POST", format!("/api/os/tasks/{tid}/complete")),
        ("POST", format!("/api/os/tasks/{oid}/dependencies/{tid}")),
        ("GET", format!("/api/os/rewards/{rid}")),
        ("POST", format!("/api/os/rewards/{rid}/redeem")),
        ("DELETE", format!("/api/os/rewards/{rid}")),
        ("GET", format!("/api/os/habits/{hid}")),
        ("POST", format!("/api/os/habits/{hid}/logs")),
        ("DELETE", format!("/api/os/habits/{hid}")),
    ] {
        let body = (m == "PATCH").then(|| json!({"title": "hijacked"}));
        s.authed(m, &p, &b, body.as_ref())
            .assert_error(404, "not_found");
    }
    assert_eq!(
        s.authed("GET", &format!("/api/os/tasks/{tid}"), &a, None)
            .json["title"],
        "Mine",
        "untouched"
    );
    assert_eq!(
        ids(&s.authed("GET", "/api/os/tasks", &b, None).json),
        vec![oid.to_string()]
    );
    for (m, p) in [
        ("GET", "/api/os/tasks"),
        ("POST", "/api/os/tasks"),
        ("GET", "/api/os/wallet"),
        ("GET", "/api/os/rewards"),
        ("GET", "/api/os/habits"),
        ("GET", "/api/os/habits/today"),
        ("GET", "/api/os/settings"),
    ] {
        s.send(m, p, &[], None).assert_error(401, "unauthorized");
    }
}

fn metrics_log_analytics_and_milestones_paid_once(s: &Server) {
    let t = token(s);
    let m = s.authed(
        "POST",
        "/api/os/metrics",
        &t,
        Some(&json!({"name": "Weight", "unit": "kg", "target": 90, "direction": "lower"})),
    );
    assert_eq!(m.status, 201, "{}", m.text);
    let id = m.json["id"].as_str().expect("id");
    assert_eq!(m.json["milestones"], json!([]));
    let today = chrono::Utc::now().date_naive();
    let day = |back: i64| (today - chrono::Duration::days(back)).to_string();
    let log = |date: String, value: f64| {
        s.authed(
            "POST",
            &format!("/api/os/metrics/{id}/logs"),
            &t,
            Some(&json!({"value": value, "date": date})),
        )
    };
    for (back, v) in [
        (6, 100.0),
        (5, 99.0),
        (4, 98.0),
        (3, 96.0),
        (2, 95.0),
        (1, 93.0),
    ] {
        let r = log(day(back), v);
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // The 7th consecutive day, at or under target: three milestones at once.
    let r = log(day(0), 89.5);
    let kinds: Vec<&str> = r.json["new_milestones"]
        .as_array()
        .expect("new")
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        vec!["target_reached", "improvement_10", "streak_7"],
        "{}",
        r.text
    );
    // Logging the same day again (replacing the value) pays nothing new.
    let again = log(day(0), 89.0);
    assert_eq!(again.json["new_milestones"], json!([]));
    let w = s.authed("GET", "/api/os/wallet", &t, None);
    assert_eq!(w.json["balance"], 50 + 10 + 20, "{}", w.text);

    let a = s.authed("GET", &format!("/api/os/metrics/{id}/analytics"), &t, None);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["progress"], 100.0);
    assert_eq!(a.json["streak"], 7);
    assert!(
        a.json["velocity"]
            .as_f64()
            .is_some_and(|v| v < -1.0 && v > -2.5),
        "{}",
        a.text
    );
    let logs = s.authed(
        "GET",
        &format!("/api/os/metrics/{id}/logs?from={}&to={}", day(3), day(1)),
        &t,
        None,
    );
    let values: Vec<f64> = logs.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|l| l["value"].as_f64())
        .collect();
    assert_eq!(values, vec![96.0, 95.0, 93.0], "date order and range");
    let got = s.authed("GET", &format!("/api/os/metrics/{id}"), &t, None);
    assert_eq!(got.json["milestones"].as_array().map(Vec::len), Some(3));
    // The list carries each metric's own milestones, as GET does.
    let quiet = s.authed(
        "POST",
        "/api/os/metrics",
        &t,
        Some(&json!({"name": "Quiet", "unit": "x"})),
    );
    let list = s.authed("GET", "/api/os/metrics", &t, None);
    let items = list.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{}", list.text);
    for item in items {
        let want = if item["id"] == got.json["id"] {
            &got.json
        } else {
            &quiet.json
        };
        assert_eq!(item, want);
    }

    log((today + chrono::Duration::days(1)).to_string(), 1.0)
        .assert_error(422, "validation_failed");
    s.authed(
        "POST",
        &format!("/api/os/metrics/{id}/logs"),
        &t,
        Some(&json!({"value": "heavy"})),
    )
    .assert_error(422, "validation_failed");
    s.authed(
        "POST",
        "/api/os/metrics",
        &t,
        Some(&json!({"name": "x", "direction": "sideways"})),
    )
    .assert_error(422, "validation_failed");
    s.authed(
        "GET",
        &format!("/api/os/metrics/{id}/analytics"),
        &token(s),
        None,
    )
    .assert_error(404, "not_found");
}

fn flashcards_follow_sm2_and_come_due(s: &Server) {
    let t = token(s);
    let c = s.authed(
        "POST",
        "/api/os/flashcards",
        &t,
        Some(&json!({"front": "der Hund", "back": "the dog", "deck": "German"})),
    );
    assert_eq!(c.status, 201, "{}", c.text);
    let id = c.json["id"].as_str().expect("id");
    assert_eq!(c.json["ease"], 2.5);
    let due = s.authed("GET", "/api/os/flashcards/due", &t, None);
    assert_eq!(
        due.json["items"].as_array().map(Vec::len),
        Some(1),
        "new cards are due today"
    );
    let review = |grade: u8| {
        s.authed(
            "POST",
            &format!("/api/os/flashcards/{id}/review"),
            &t,
            Some(&json!({"grade": grade})),
        )
    };
    let r1 = review(5);
    assert_eq!(
        (
            r1.json["repetitions"].clone(),
            r1.json["interval_days"].clone(),
            r1.json["ease"].clone()
        ),
        (json!(1), json!(1), json!(2.6))
    );
    let r2 = review(4);
    assert_eq!(r2.json["interval_days"], 6);
    let r3 = review(4);
    assert_eq!(r3.json["interval_days"], 16, "6 × 2.6");
    let expected_due = (chrono::Utc::now().date_naive() + chrono::Duration::days(16)).to_string();
    assert_eq!(r3.json["due_on"], expected_due);
    assert_eq!(
        s.authed("GET", "/api/os/flashcards/due", &t, None).json["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let r4 = review(1);
    assert_eq!(
        (
            r4.json["repetitions"].clone(),
            r4.json["interval_days"].clone()
        ),
        (json!(0), json!(1)),
        "a lapse starts over"
    );
    review(9).assert_error(422, "validation_failed");
    // Answered well again and again, the interval multiplies past the last date the API
    // takes: the card is then due on that date, never after it (nor a failed request).
    let mut last = review(5);
    for _ in 0..24 {
        last = review(5);
        assert_eq!(last.status, 200, "{}", last.text);
    }
    assert!(
        last.json["interval_days"].as_u64().unwrap_or(0) > 30_000,
        "{}",
        last.text
    );
    assert_eq!(last.json["due_on"], "2100-12-31");
    s.authed(
        "POST",
        "/api/os/flashcards",
        &t,
        Some(&json!({"front": "only front"})),
    )
    .assert_error(422, "validation_failed");
    s.authed(
        "POST",
        &format!("/api/os/flashcards/{id}/review"),
        &token(s),
        Some(&json!({"grade": 5})),
    )
    .assert_error(404, "not_found");
}

fn project_health_follows_tasks_and_time(s: &Server) {
    let t = token(s);
    let today = chrono::Utc::now().date_naive();
    let start = (today - chrono::Duration::days(50)).to_string();
    let target = (today + chrono::Duration::days(50)).to_string();
    let p = s.authed(
        "POST",
        "/api/os/projects",
        &t,
        Some(&json!({"name": "Launch", "start_date": start, "target_date": target})),
    );
    assert_eq!(p.status, 201, "{}", p.text);
    let pid = p.json["id"].as_str().expect("id").to_string();
    assert_eq!(
        p.json["health"], "on_track",
        "nothing planned yet: {}",
        p.text
    );
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            task(
                s,
                &t,
                json!({"title": format!("step {i}"), "project_id": pid}),
            )["id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    let get = || {
        s.authed("GET", &format!("/api/os/projects/{pid}"), &t, None)
            .json
    };
    let h = get();
    assert_eq!(h["health"], "off_track", "0 % done at half time: {h}");
    assert_eq!(h["elapsed"], 50.0);
    for id in &ids[..5] {
        s.authed("POST", &format!("/api/os/tasks/{id}/complete"), &t, None);
    }
    let h = get();
    assert_eq!(
        (h["health"].clone(), h["completion"].clone()),
        (json!("on_track"), json!(50.0)),
        "{h}"
    );
    let overdue = (today - chrono::Duration::days(2)).to_string();
    s.authed(
        "PATCH",
        &format!("/api/os/tasks/{}", ids[5]),
        &t,
        Some(&json!({"due_date": overdue})),
    );
    let h = get();
    assert_eq!(h["health"], "at_risk", "{h}");
    assert_eq!(h["tasks"]["overdue"], 1);
    // The list counts each project's own tasks, as GET does.
    let empty = s.authed(
        "POST",
        "/api/os/projects",
        &t,
        Some(&json!({"name": "Empty"})),
    );
    assert_eq!(empty.status, 201, "{}", empty.text);
    let list = s.authed("GET", "/api/os/projects", &t, None);
    let items = list.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{}", list.text);
    for item in items {
        let want = if item["id"] == h["id"] {
            &h
        } else {
            &empty.json
        };
        assert_eq!(item, want);
    }
    assert_eq!(
        empty.json["tasks"],
        json!({"total": 0, "done": 0, "overdue": 0})
    );
    s.authed(
        "POST",
        "/api/os/projects",
        &t,
        Some(&json!({"name": "Bad", "start_date": "2026-05-01", "target_date": "2026-04-01"})),
    )
    .assert_error(422, "validation_failed");
    s.authed("GET", &format!("/api/os/projects/{pid}"), &token(s), None)
        .assert_error(404, "not_found");
}

fn logbook_links_are_checked_and_dangling_ones_dropped(s: &Server) {
    let t = token(s);
    let tk = task(s, &t, json!({"title": "Linked task"}));
    let tid = tk["id"].as_str().expect("id");
    let h = s.authed(
        "POST",
        "/api/os/habits",
        &t,
        Some(&json!({"name": "Journal"})),
    );
    let hid = h.json["id"].as_str().expect("id");
    let e = s.authed("POST", "/api/os/logbook", &t, Some(&json!({"content": "Good day.", "links": [{"type": "task", "id": tid}, {"type": "habit", "id": hid}]})));
    assert_eq!(e.status, 201, "{}", e.text);
    let eid = e.json["id"].as_str().expect("id");
    assert_eq!(e.json["links"].as_array().map(Vec::len), Some(2));
    // The task goes away: its link is dropped on read, not a 500.
    assert_eq!(
        s.authed("DELETE", &format!("/api/os/tasks/{tid}"), &t, None)
            .status,
        204
    );
    let got = s.authed("GET", &format!("/api/os/logbook/{eid}"), &t, None);
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json["links"], json!([{"type": "habit", "id": hid}]));
    let list = s.authed("GET", "/api/os/logbook", &t, None);
    assert_eq!(
        list.json["items"][0]["links"].as_array().map(Vec::len),
        Some(1)
    );

    let other = task(s, &token(s), json!({"title": "Not mine"}));
    let r = s.authed(
        "POST",
        "/api/os/logbook",
        &t,
        Some(&json!({"content": "x", "links": [{"type": "task", "id": other["id"]}]})),
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["links[0]"].is_string(),
        "{}",
        r.text
    );
    s.authed(
        "POST",
        "/api/os/logbook",
        &t,
        Some(&json!({"content": "x", "links": [{"type": "planet", "id": "p"}]})),
    )
    .assert_error(422, "validation_failed");
    s.authed("POST", "/api/os/logbook", &t, Some(&json!({"links": []})))
        .assert_error(422, "validation_failed");
    s.authed("GET", &format!("/api/os/logbook/{eid}"), &token(s), None)
        .assert_error(404, "not_found");

    // Editing an entry: partial, links checked as on create, only the owner's.
    let path = format!("/api/os/logbook/{eid}");
    let p = s.authed("PATCH", &path, &t, Some(&json!({"content": "Edited"})));
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json["content"], "Edited");
    assert_eq!(
        p.json["links"].as_array().map(Vec::len),
        Some(1),
        "links kept"
    );
    s.authed(
        "PATCH",
        &path,
        &t,
        Some(&json!({"links": [{"type": "task", "id": other["id"]}]})),
    )
    .assert_error(422, "validation_failed");
    s.authed("PATCH", &path, &t, Some(&json!({"date": "yesterday"})))
        .assert_error(422, "validation_failed");
    s.authed("PATCH", &path, &token(s), Some(&json!({"content": "mine"})))
        .assert_error(404, "not_found");
    let p = s.authed("PATCH", &path, &t, Some(&json!({"links": []})));
    assert_eq!(p.json["links"], json!([]), "{}", p.text);
    assert_eq!(s.authed("GET", &path, &t, None).json["content"], "Edited");
}
