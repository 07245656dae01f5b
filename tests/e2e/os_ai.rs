//! Personal OS AI helpers: every feature answers its documented schema offline; the
//! figures equal what the test computes; creation with `apply`; the cache and its
//! invalidation; and, against the fake model, the daily limit and a schema-breaking reply.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::auth::token;
use crate::fake_llm::FakeLlm;
use crate::harness::{suite, Resp, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "os_ai";
        every_feature_answers_its_schema,
        figures_equal_what_the_test_computes,
        breakdown_applies_subtasks_the_parent_depends_on,
        answers_are_cached_until_the_data_changes,
        bad_input_and_other_users,
        model_limit_and_schema_breaking_replies,
    )
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn ai(s: &Server, t: &str, feature: &str, body: Value) -> Resp {
    s.authed("POST", &format!("/api/os/ai/{feature}"), t, Some(&body))
}

fn ok(s: &Server, t: &str, feature: &str, body: Value) -> Value {
    let r = ai(s, t, feature, body);
    assert_eq!(r.status, 200, "{feature}: {}", r.text);
    r.json
}

fn make(s: &Server, t: &str, path: &str, body: Value) -> Value {
    let r = s.authed("POST", path, t, Some(&body));
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.json
}

struct Data {
    task: String,
    goal: String,
    habit: String,
    metric: String,
    project: String,
    entry: String,
}

/// A user with a little of everything: tasks, a goal, a habit logged every other day, a
/// metric with 20 daily logs (one outlier), a project, logbook entries.
fn seed(s: &Server, t: &str) -> Data {
    let d = |n: i64| (today() - Duration::days(n)).to_string();
    let task = make(
        s,
        t,
        "/api/os/tasks",
        json!({"title": "Write the quarterly report", "due_date": d(-2), "priority": "high", "area": "work"}),
    );
    make(
        s,
        t,
        "/api/os/tasks",
        json!({"title": "Call the bank", "due_date": d(3)}),
    );
    let goal = make(
        s,
        t,
        "/api/os/goals",
        json!({"title": "Run a marathon", "start_date": d(20), "target_date": d(-120),
        "success_criteria": [{"text": "sign up", "met": true}, {"text": "finish"}]}),
    );
    let habit = make(
        s,
        t,
        "/api/os/habits",
        json!({"name": "Run 5k", "schedule": {"type": "daily"}, "start_date": d(40)}),
    );
    let metric = make(
        s,
        t,
        "/api/os/metrics",
        json!({"name": "Training km", "unit": "km", "target": 40, "direction": "higher"}),
    );
    let (hid, mid) = (
        habit["id"].as_str().expect("habit"),
        metric["id"].as_str().expect("metric"),
    );
    for i in 0..20 {
        let value = if i == 5 { 60 } else { 10 + i % 3 };
        make(
            s,
            t,
            &format!("/api/os/metrics/{mid}/logs"),
            json!({"date": d(i), "value": value}),
        );
        if i % 2 == 0 {
            make(
                s,
                t,
                &format!("/api/os/habits/{hid}/logs"),
                json!({"date": d(i)}),
            );
        }
    }
    let project = make(
        s,
        t,
        "/api/os/projects",
        json!({"name": "Website", "start_date": d(10), "target_date": d(-50)}),
    );
    let entry = make(
        s,
        t,
        "/api/os/logbook",
        json!({"date": d(1), "content": "Great run in the park, felt happy. Need to buy new running shoes. Marathon training going well."}),
    );
    make(
        s,
        t,
        "/api/os/logbook",
        json!({"date": d(2), "content": "Tired and stressed at work. Long run in the park helped."}),
    );
    Data {
        task: task["id"].as_str().expect("task").into(),
        goal: goal["id"].as_str().expect("goal").into(),
        habit: hid.into(),
        metric: mid.into(),
        project: project["id"].as_str().expect("project").into(),
        entry: entry["id"].as_str().expect("entry").into(),
    }
}

fn calls(d: &Data) -> Vec<(&'static str, Value)> {
    vec![
        ("tasks/parse", json!({"text": "call mom tomorrow urgent"})),
        ("tasks/breakdown", json!({"task_id": d.task})),
        ("tasks/prioritize", json!({"task_id": d.task})),
        ("tasks/estimate", json!({"task_id": d.task})),
        ("tasks/categorize", json!({"title": "Pay the rent"})),
        ("tasks/schedule", json!({"capacity_per_day": 3})),
        ("tasks/summarize", json!({})),
        ("goals/refine", json!({"goal_id": d.goal})),
        ("goals/criteria", json!({"goal_id": d.goal})),
        ("goals/cascade", json!({"goal_id": d.goal})),
        ("goals/forecast", json!({"goal_id": d.goal})),
        ("goals/obstacles", json!({"goal_id": d.goal})),
        ("goals/align", json!({"goal_id": d.goal})),
        ("goals/review", json!({"goal_id": d.goal, "days": 30})),
        ("metrics/patterns", json!({"metric_id": d.metric})),
        ("metrics/anomalies", json!({"metric_id": d.metric})),
        ("metrics/correlations", json!({"metric_id": d.metric})),
        ("metrics/predict", json!({"metric_id": d.metric})),
        ("metrics/targets", json!({"metric_id": d.metric})),
        ("metrics/insights", json!({"metric_id": d.metric})),
        ("habits/design", json!({"name": "Read 10 pages"})),
        ("habits/stack", json!({"name": "Stretch"})),
        ("habits/recovery", json!({"habit_id": d.habit})),
        ("habits/optimize", json!({"habit_id": d.habit})),
        ("habits/difficulty", json!({"habit_id": d.habit})),
        ("habits/insights", json!({})),
        (
            "projects/plan",
            json!({"name": "Garden", "description": "Clear the old beds. Buy soil and seeds. Plant tomatoes and herbs"}),
        ),
        ("projects/health", json!({"project_id": d.project})),
        ("projects/status", json!({"project_id": d.project})),
        ("logbook/summarize", json!({})),
        ("logbook/themes", json!({"days": 7})),
        ("logbook/sentiment", json!({})),
        ("logbook/reflect", json!({})),
        ("logbook/extract_tasks", json!({})),
        ("logbook/link", json!({"entry_id": d.entry})),
    ]
}

fn every_feature_answers_its_schema(s: &Server) {
    let t = token(s);
    let d = seed(s, &t);
    let all = calls(&d);
    assert_eq!(all.len(), 35);
    let mut answers = serde_json::Map::new();
    for (feature, body) in &all {
        let v = ok(s, &t, feature, body.clone());
        assert_eq!(v["model"], "offline", "{feature}");
        assert_eq!(v["cached"], false, "{feature}");
        answers.insert(format!("/api/os/ai/{feature}"), v);
    }
    // Each answer against its 200 schema in /openapi.json, by an independent validator.
    let doc = s.get("/openapi.json").text;
    let dir = &s.state_dir;
    std::fs::write(dir.join("ai_doc.json"), doc).expect("write doc");
    std::fs::write(
        dir.join("ai_answers.json"),
        Value::Object(answers).to_string(),
    )
    .expect("write answers");
    let script = "import json,sys,jsonschema\n\
        doc=json.load(open(sys.argv[1])); answers=json.load(open(sys.argv[2])); bad=[]\n\
        for path,answer in answers.items():\n\
        \x20   schema=doc['paths'][path]['post']['responses']['200']['content']['application/json']['schema']\n\
        \x20   errs=[e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(answer)]\n\
        \x20   bad += [path+': '+m for m in errs]\n\
        print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n";
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/venv/bin/python");
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(dir.join("ai_doc.json"))
        .arg(dir.join("ai_answers.json"))
        .output()
        .expect("run jsonschema (make setup installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    sxy / (sxx.sqrt() * syy.sqrt())
}

fn figures_equal_what_the_test_computes(s: &Server) {
    let t = token(s);
    let d = |n: i64| (today() - Duration::days(n)).to_string();
    // Two metrics on 10 shared dates (and a few dates only one has).
    let sleep = make(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Sleep hours", "direction": "higher"}),
    );
    let mood = make(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Mood", "direction": "higher"}),
    );
    let (sid, mid) = (
        sleep["id"].as_str().expect("id"),
        mood["id"].as_str().expect("id"),
    );
    let sleep_v = [7.0, 6.5, 8.0, 5.5, 7.5, 6.0, 8.5, 7.0, 6.0, 9.0];
    let mood_v = [6.0, 5.0, 8.0, 4.0, 7.0, 5.5, 8.0, 6.5, 5.0, 9.5];
    for i in 0..10 {
        make(
            s,
            &t,
            &format!("/api/os/metrics/{sid}/logs"),
            json!({"date": d(i), "value": sleep_v[i as usize]}),
        );
        make(
            s,
            &t,
            &format!("/api/os/metrics/{mid}/logs"),
            json!({"date": d(i), "value": mood_v[i as usize]}),
        );
    }
    make(
        s,
        &t,
        &format!("/api/os/metrics/{sid}/logs"),
        json!({"date": d(30), "value": 3.0}),
    );
    let c = ok(s, &t, "metrics/correlations", json!({"metric_id": sid}));
    let pair = c["result"]["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .find(|p| p["id"] == mid)
        .cloned()
        .expect("mood pair");
    assert_eq!(pair["n"], 10);
    let expected = pearson(&sleep_v, &mood_v);
    assert!(
        (pair["pearson"].as_f64().expect("r") - expected).abs() < 1e-4,
        "{pair} vs {expected}"
    );
    assert!(pair["spearman"].is_number());
    // Too few shared dates: a reason, not a figure.
    let lonely = make(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Steps", "direction": "higher"}),
    );
    let lid = lonely["id"].as_str().expect("id");
    for i in 0..3 {
        make(
            s,
            &t,
            &format!("/api/os/metrics/{lid}/logs"),
            json!({"date": d(i), "value": 1000 + i}),
        );
    }
    let c = ok(s, &t, "metrics/correlations", json!({"metric_id": lid}));
    let few = c["result"]["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .find(|p| p["id"] == sid)
        .cloned()
        .expect("pair");
    assert!(
        few["pearson"].is_null()
            && few["reason"]
                .as_str()
                .unwrap_or("")
                .contains("7 are needed"),
        "{few}"
    );

    // The planted outlier is the one anomaly, with its date.
    let steps = make(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Coffee cups", "direction": "lower"}),
    );
    let cid = steps["id"].as_str().expect("id");
    for i in 0..15 {
        let v = if i == 4 {
            14.0
        } else {
            2.0 + (i % 3) as f64 * 0.5
        };
        make(
            s,
            &t,
            &format!("/api/os/metrics/{cid}/logs"),
            json!({"date": d(i), "value": v}),
        );
    }
    let a = ok(s, &t, "metrics/anomalies", json!({"metric_id": cid}));
    let found = a["result"]["anomalies"].as_array().expect("anomalies");
    assert_eq!(found.len(), 1, "{a}");
    assert_eq!(found[0]["date"], d(4).as_str());
    assert_eq!(found[0]["direction"], "high");

    // Forecast: 1 of 4 criteria met = 25 % in 10 days, 2.5 a day, 75 left: today + 30 days.
    let g = make(
        s,
        &t,
        "/api/os/goals",
        json!({"title": "Learn Spanish", "start_date": d(10),
        "success_criteria": [{"text": "a", "met": true}, {"text": "b"}, {"text": "c"}, {"text": "e"}]}),
    );
    let f = ok(s, &t, "goals/forecast", json!({"goal_id": g["id"]}));
    assert_eq!(f["computed"]["velocity_per_day"], 2.5);
    assert_eq!(f["result"]["forecast_date"], d(-30).as_str());
    assert_eq!(f["result"]["earliest"], d(-24).as_str());
    assert_eq!(f["result"]["latest"], d(-40).as_str());

    // Schedule: a task never before one it depends on.
    let later = make(
        s,
        &t,
        "/api/os/tasks",
        json!({"title": "Deploy", "due_date": d(-1), "priority": "urgent", "effort": 2}),
    );
    let first = make(
        s,
        &t,
        "/api/os/tasks",
        json!({"title": "Build", "due_date": d(-5), "priority": "low", "effort": 3}),
    );
    let (lid, fid) = (
        later["id"].as_str().expect("id"),
        first["id"].as_str().expect("id"),
    );
    assert_eq!(
        s.authed(
            "POST",
            &format!("/api/os/tasks/{lid}/dependencies/{fid}"),
            &t,
            None
        )
        .status,
        201
    );
    let plan = ok(s, &t, "tasks/schedule", json!({"capacity_per_day": 3}));
    let order: Vec<&str> = plan["result"]["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .filter_map(|p| p["task_id"].as_str())
        .collect();
    let (pb, pd) = (
        order.iter().position(|x| *x == fid),
        order.iter().position(|x| *x == lid),
    );
    assert!(pb < pd, "Build before Deploy: {order:?}");
    let dates: Vec<&str> = plan["result"]["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .filter_map(|p| p["date"].as_str())
        .collect();
    assert_eq!(
        dates,
        [
            today().to_string(),
            (today() + Duration::days(1)).to_string()
        ],
        "3 effort a day"
    );
}

fn breakdown_applies_subtasks_the_parent_depends_on(s: &Server) {
    let t = token(s);
    let parent = make(
        s,
        &t,
        "/api/os/tasks",
        json!({"title": "Launch the new website", "project_id": null}),
    );
    let pid = parent["id"].as_str().expect("id");
    let proposal = ok(s, &t, "tasks/breakdown", json!({"task_id": pid}));
    let n = proposal["result"]["subtasks"]
        .as_array()
        .map_or(0, Vec::len);
    assert!((3..=8).contains(&n));
    assert!(proposal.get("applied").is_none());
    assert_eq!(
        s.authed("GET", "/api/os/tasks", &t, None).json["items"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "proposing writes nothing"
    );
    let applied = ok(
        s,
        &t,
        "tasks/breakdown",
        json!({"task_id": pid, "apply": true}),
    );
    let ids: Vec<String> = applied["applied"]["task_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    assert_eq!(ids.len(), n);
    let p = s
        .authed("GET", &format!("/api/os/tasks/{pid}"), &t, None)
        .json;
    let mut deps: Vec<String> = p["depends_on"]
        .as_array()
        .expect("deps")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    let mut want = ids.clone();
    deps.sort();
    want.sort();
    assert_eq!(deps, want, "the parent depends on every subtask");
    // The parent cannot be completed before its subtasks.
    s.authed("POST", &format!("/api/os/tasks/{pid}/complete"), &t, None)
        .assert_error(409, "conflict");
    // Parse with apply creates the task it read.
    let parsed = ok(
        s,
        &t,
        "tasks/parse",
        json!({"text": "renew passport next week", "apply": true}),
    );
    let new_id = parsed["applied"]["task_ids"][0].as_str().expect("created");
    let task = s
        .authed("GET", &format!("/api/os/tasks/{new_id}"), &t, None)
        .json;
    assert_eq!(task["title"], "renew passport");
    assert_eq!(
        task["due_date"],
        (today() + Duration::days(7)).to_string().as_str()
    );

    // The other creators write what they proposed, each in one batch.
    let goal = make(s, &t, "/api/os/goals", json!({"title": "Learn to sail"}));
    let gid = goal["id"].as_str().expect("goal");
    let cascade = ok(
        s,
        &t,
        "goals/cascade",
        json!({"goal_id": gid, "apply": true}),
    );
    let made = cascade["applied"]["task_ids"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(made, 7, "4 milestones and 3 first tasks: {cascade}");
    let linked = s
        .authed("GET", &format!("/api/os/tasks?goal_id={gid}"), &t, None)
        .json;
    assert_eq!(linked["items"].as_array().map(Vec::len), Some(7));
    let plan = ok(
        s,
        &t,
        "projects/plan",
        json!({"name": "Garden", "description": "Clear the beds. Buy soil and seeds", "apply": true}),
    );
    let pid = plan["applied"]["project_id"].as_str().expect("project");
    let in_project = s
        .authed("GET", &format!("/api/os/tasks?project_id={pid}"), &t, None)
        .json;
    assert_eq!(
        in_project["items"].as_array().map(Vec::len),
        Some(6),
        "4 milestones and 2 tasks"
    );
    make(
        s,
        &t,
        "/api/os/logbook",
        json!({"date": today().to_string(), "content": "Remember to water the plants. TODO: call the plumber"}),
    );
    let extracted = ok(
        s,
        &t,
        "logbook/extract_tasks",
        json!({"days": 1, "apply": true}),
    );
    let ids = extracted["applied"]["task_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(ids.len(), 2, "{extracted}");
    let first = s
        .authed(
            "GET",
            &format!("/api/os/tasks/{}", ids[0].as_str().unwrap_or("")),
            &t,
            None,
        )
        .json;
    assert_eq!(first["title"], "Water the plants");
}

fn answers_are_cached_until_the_data_changes(s: &Server) {
    let t = token(s);
    let m = make(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Weight", "direction": "lower"}),
    );
    let mid = m["id"].as_str().expect("id");
    for i in 0..5 {
        make(
            s,
            &t,
            &format!("/api/os/metrics/{mid}/logs"),
            json!({"date": (today() - Duration::days(i)).to_string(), "value": 80 - i}),
        );
    }
    let first = ok(s, &t, "metrics/insights", json!({"metric_id": mid}));
    assert_eq!(first["cached"], false);
    let again = ok(s, &t, "metrics/insights", json!({"metric_id": mid}));
    assert_eq!(again["cached"], true);
    assert_eq!(again["result"], first["result"]);
    make(
        s,
        &t,
        &format!("/api/os/metrics/{mid}/logs"),
        json!({"date": (today() - Duration::days(9)).to_string(), "value": 90}),
    );
    let after = ok(s, &t, "metrics/insights", json!({"metric_id": mid}));
    assert_eq!(after["cached"], false, "a new log invalidates the answer");
    assert_eq!(after["computed"]["n"], 6);
}

fn bad_input_and_other_users(s: &Server) {
    let t = token(s);
    let other = token(s);
    let d = seed(s, &t);
    ai(s, &other, "goals/forecast", json!({"goal_id": d.goal})).assert_error(404, "not_found");
    ai(
        s,
        &other,
        "metrics/anomalies",
        json!({"metric_id": d.metric}),
    )
    .assert_error(404, "not_found");
    ai(
        s,
        &other,
        "tasks/breakdown",
        json!({"task_id": d.task, "apply": true}),
    )
    .assert_error(404, "not_found");
    ai(s, &other, "logbook/link", json!({"entry_id": d.entry})).assert_error(404, "not_found");
    ai(s, &t, "tasks/parse", json!({"text": ""})).assert_error(422, "validation_failed");
    ai(s, &t, "tasks/parse", json!({"text": "x".repeat(501)}))
        .assert_error(422, "validation_failed");
    ai(s, &t, "tasks/parse", json!({})).assert_error(422, "validation_failed");
    ai(s, &t, "tasks/parse", json!({"text": "a", "colour": 1}))
        .assert_error(422, "validation_failed");
    ai(s, &t, "goals/review", json!({"goal_id": d.goal, "days": 9}))
        .assert_error(422, "validation_failed");
    ai(s, &t, "tasks/schedule", json!({"capacity_per_day": 0}))
        .assert_error(422, "validation_failed");
    ai(s, &t, "logbook/summarize", json!({"from": "2026-02-30"}))
        .assert_error(422, "validation_failed");
    s.send("POST", "/api/os/ai/tasks/summarize", &[], Some("{}"))
        .assert_error(401, "unauthorized");
    assert_eq!(
        s.authed("GET", "/api/os/tasks", &other, None).json["items"],
        json!([]),
        "nothing written for the other user"
    );
}

fn model_limit_and_schema_breaking_replies(_s: &Server) {
    let fake = FakeLlm::start();
    let base = format!("http://127.0.0.1:{}/v1", fake.port);
    let server = Server::start_with(&[
        ("LLM_BACKEND", "openai"),
        ("LLM_BASE_URL", &base),
        ("LLM_MODEL", "fake-model"),
        ("LLM_RETRY_BASE_MS", "50"),
        ("AI_DAILY_LIMIT", "3"),
    ]);
    let t = token(&server);
    // The model writes the words; the figures stay ours.
    let good = ok(
        &server,
        &t,
        "tasks/categorize",
        json!({"title": "ai-good pay the rent"}),
    );
    assert_eq!(good["model"], "fake-model");
    assert_eq!(
        good["result"],
        json!({"area": "finance", "tags": ["rent", "model"]})
    );
    assert!(good["computed"]["your_areas"].is_object());
    // A reply that breaks the schema, three times: 502 and nothing written.
    let r = ai(
        &server,
        &t,
        "tasks/parse",
        json!({"text": "ai-bad buy milk", "apply": true}),
    );
    r.assert_error(502, "upstream_failed");
    assert_eq!(fake.calls("ai-bad"), 3);
    assert_eq!(
        server.authed("GET", "/api/os/tasks", &t, None).json["items"],
        json!([])
    );
    // The third model call of the day is the last; a cached answer costs nothing.
    ok(
        &server,
        &t,
        "tasks/categorize",
        json!({"title": "ai-good buy soil"}),
    );
    assert_eq!(
        ok(
            &server,
            &t,
            "tasks/categorize",
            json!({"title": "ai-good pay the rent"})
        )["cached"],
        true
    );
    let limited = ai(
        &server,
        &t,
        "tasks/categorize",
        json!({"title": "ai-good one more"}),
    );
    limited.assert_error(429, "rate_limited");
    let wait: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=86_400).contains(&wait));
    assert_eq!(
        fake.calls("ai-good"),
        2,
        "the refused call never reached the model"
    );
    server.stop();
}
