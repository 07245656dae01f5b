//! Personal OS export and import: a full round trip into a fresh account, and documents
//! that are refused whole.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::auth::token;
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "os_transfer";
        export_import_export_round_trips,
        bad_documents_write_nothing,
    )
}

fn call(s: &Server, t: &str, method: &str, path: &str, body: Value, status: u16) -> Value {
    let body = (!body.is_null()).then_some(body);
    let r = s.authed(method, path, t, body.as_ref());
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    r.json
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// Everything Personal OS has, for one user, with links between the parts.
fn fill(s: &Server, t: &str) {
    let today = Utc::now().date_naive();
    let ago = |n: i64| (today - Duration::days(n)).to_string();
    let project = id(&call(
        s,
        t,
        "POST",
        "/api/os/projects",
        json!({"name": "Garden", "target_date": "2030-01-01"}),
        201,
    ));
    let goal = id(&call(
        s,
        t,
        "POST",
        "/api/os/goals",
        json!({"title": "Grow food", "start_date": ago(3), "success_criteria": [{"text": "Beds built", "met": true}, {"text": "First harvest"}]}),
        201,
    ));
    let dig = id(&call(
        s,
        t,
        "POST",
        "/api/os/tasks",
        json!({"title": "Dig beds", "priority": "high", "effort": 3, "project_id": project, "goal_id": goal, "area": "home"}),
        201,
    ));
    let sow = id(&call(
        s,
        t,
        "POST",
        "/api/os/tasks",
        json!({"title": "Sow seeds", "due_date": "2030-03-01", "goal_id": goal}),
        201,
    ));
    call(
        s,
        t,
        "POST",
        &format!("/api/os/tasks/{sow}/dependencies/{dig}"),
        Value::Null,
        201,
    );
    call(
        s,
        t,
        "POST",
        &format!("/api/os/tasks/{dig}/complete"),
        Value::Null,
        200,
    );
    let metric = id(&call(
        s,
        t,
        "POST",
        "/api/os/metrics",
        json!({"name": "Harvest kg", "unit": "kg", "target": 10}),
        201,
    ));
    for (d, v) in [(2, 1.0), (1, 2.5)] {
        call(
            s,
            t,
            "POST",
            &format!("/api/os/metrics/{metric}/logs"),
            json!({"date": ago(d), "value": v}),
            201,
        );
    }
    let habit = id(&call(
        s,
        t,
        "POST",
        "/api/os/habits",
        json!({"name": "Water plants", "start_date": ago(3), "schedule": {"type": "weekdays", "days": [1, 2, 3, 4, 5, 6, 7]}}),
        201,
    ));
    for d in [3, 1] {
        call(
            s,
            t,
            "POST",
            &format!("/api/os/habits/{habit}/logs"),
            json!({"date": ago(d)}),
            201,
        );
    }
    call(
        s,
        t,
        "POST",
        &format!("/api/os/goals/{goal}/metrics/{metric}"),
        Value::Null,
        200,
    );
    call(
        s,
        t,
        "POST",
        &format!("/api/os/goals/{goal}/habits/{habit}"),
        Value::Null,
        200,
    );
    let reward = id(&call(
        s,
        t,
        "POST",
        "/api/os/rewards",
        json!({"name": "Seed catalogue", "cost": 10}),
        201,
    ));
    call(
        s,
        t,
        "POST",
        &format!("/api/os/rewards/{reward}/redeem"),
        Value::Null,
        200,
    );
    let course = call(
        s,
        t,
        "POST",
        "/api/os/courses",
        json!({"title": "Permaculture", "modules": [{"title": "Soil"}, {"title": "Water"}]}),
        201,
    );
    let soil = course["modules"][0]["id"]
        .as_str()
        .expect("module")
        .to_string();
    call(
        s,
        t,
        "PATCH",
        &format!("/api/os/courses/{}/modules/{soil}", id(&course)),
        json!({"completed": true}),
        200,
    );
    let card = id(&call(
        s,
        t,
        "POST",
        "/api/os/flashcards",
        json!({"front": "pH of loam?", "back": "6–7", "deck": "soil"}),
        201,
    ));
    call(
        s,
        t,
        "POST",
        &format!("/api/os/flashcards/{card}/review"),
        json!({"grade": 4}),
        200,
    );
    let gone = id(&call(
        s,
        t,
        "POST",
        "/api/os/flashcards",
        json!({"front": "gone", "back": "soon"}),
        201,
    ));
    let basics = id(&call(
        s,
        t,
        "POST",
        "/api/os/skills",
        json!({"name": "Composting", "level": 2}),
        201,
    ));
    let advanced = id(&call(
        s,
        t,
        "POST",
        "/api/os/skills",
        json!({"name": "Seed saving", "max_level": 3}),
        201,
    ));
    call(
        s,
        t,
        "POST",
        &format!("/api/os/skills/{advanced}/prerequisites/{basics}"),
        Value::Null,
        201,
    );
    call(
        s,
        t,
        "PATCH",
        &format!("/api/os/skills/{advanced}"),
        json!({"level": 1}),
        200,
    );
    call(
        s,
        t,
        "POST",
        "/api/os/logbook",
        json!({"date": ago(1), "content": "Dug the beds",
        "links": [{"type": "task", "id": dig}, {"type": "goal", "id": goal}, {"type": "flashcard", "id": gone}]}),
        201,
    );
    call(
        s,
        t,
        "DELETE",
        &format!("/api/os/flashcards/{gone}"),
        Value::Null,
        204,
    );
}

/// A document with ids replaced by what they name, timestamps kept (import keeps them),
/// and lists sorted, so two exports compare equal when only their ids differ.
fn canonical(doc: &Value) -> Value {
    let mut names = std::collections::HashMap::new();
    for (section, label) in [
        ("tasks", "title"),
        ("goals", "title"),
        ("metrics", "name"),
        ("habits", "name"),
        ("projects", "name"),
        ("logbook", "content"),
        ("rewards", "name"),
        ("courses", "title"),
        ("flashcards", "front"),
        ("skills", "name"),
    ] {
        for item in doc[section].as_array().expect(section) {
            names.insert(
                id(item),
                format!("{section}:{}", item[label].as_str().expect(label)),
            );
            for m in item["modules"].as_array().into_iter().flatten() {
                names.insert(
                    id(m),
                    format!("module:{}", m["title"].as_str().expect("title")),
                );
            }
        }
    }
    for e in doc["wallet"]["ledger"].as_array().expect("ledger") {
        names.insert(id(e), "ledger entry".into());
    }
    fn walk(v: &Value, names: &std::collections::HashMap<String, String>) -> Value {
        match v {
            Value::String(s) => Value::String(
                s.split(':')
                    .map(|p| names.get(p).cloned().unwrap_or_else(|| p.to_string()))
                    .collect::<Vec<_>>()
                    .join(":"),
            ),
            Value::Array(a) => {
                let mut items: Vec<Value> = a.iter().map(|x| walk(x, names)).collect();
                items.sort_by_key(|x| x.to_string());
                Value::Array(items)
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .filter(|(k, _)| k.as_str() != "exported_at")
                    .map(|(k, x)| (k.clone(), walk(x, names)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(doc, &names)
}

fn export_import_export_round_trips(s: &Server) {
    let a = token(s);
    fill(s, &a);
    let first = call(s, &a, "GET", "/api/os/export", Value::Null, 200);
    assert_eq!(first["version"], 1);
    for section in [
        "tasks",
        "goals",
        "metrics",
        "habits",
        "projects",
        "logbook",
        "rewards",
        "courses",
        "flashcards",
        "skills",
    ] {
        assert!(
            !first[section].as_array().expect(section).is_empty(),
            "{section} exported"
        );
    }
    assert_eq!(
        first["logbook"][0]["links"].as_array().map(Vec::len),
        Some(2),
        "the deleted card's link is dropped"
    );
    let balance = first["wallet"]["balance"].as_i64().expect("balance");
    assert!(
        balance > 0 && first["wallet"]["ledger"].as_array().map(Vec::len) >= Some(3),
        "{}",
        first["wallet"]
    );

    let b = token(s);
    let imported = call(s, &b, "POST", "/api/os/import", first.clone(), 201);
    assert_eq!(imported["imported"]["tasks"], 2, "{imported}");
    assert_eq!(imported["imported"]["skills"], 2, "{imported}");
    let second = call(s, &b, "GET", "/api/os/export", Value::Null, 200);
    assert_ne!(first["tasks"][0]["id"], second["tasks"][0]["id"], "new ids");
    assert_eq!(canonical(&first), canonical(&second));

    // The imported account works like the original: the wallet is the same, the goal's
    // cached progress matches a fresh computation, and completed tasks do not pay twice.
    let w = call(s, &b, "GET", "/api/os/wallet", Value::Null, 200);
    assert_eq!(w["balance"], balance);
    let goal = id(&second["goals"][0]);
    let p = call(
        s,
        &b,
        "GET",
        &format!("/api/os/goals/{goal}/progress"),
        Value::Null,
        200,
    );
    assert_eq!(p["progress"], second["goals"][0]["progress"]);
    let done = second["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["status"] == "done")
        .expect("a done task");
    let again = call(
        s,
        &b,
        "POST",
        &format!("/api/os/tasks/{}/complete", id(done)),
        Value::Null,
        200,
    );
    assert_eq!(
        again["points_awarded"], 0,
        "paid in the original account already"
    );
    // The original account is untouched.
    let still = call(s, &a, "GET", "/api/os/export", Value::Null, 200);
    assert_eq!(canonical(&still), canonical(&first));
}

fn bad_documents_write_nothing(s: &Server) {
    let a = token(s);
    fill(s, &a);
    let good = call(s, &a, "GET", "/api/os/export", Value::Null, 200);
    let c = token(s);
    let empty = call(s, &c, "GET", "/api/os/export", Value::Null, 200);

    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut d = good.clone();
    d["skills"][1]["name"] = json!("");
    d["tasks"][1]["priority"] = json!("asap");
    cases.push((d, "tasks[1].priority"));
    let mut d = good.clone();
    d["version"] = json!(2);
    cases.push((d, "version"));
    let mut d = good.clone();
    let (t0, t1) = (
        good["tasks"][0]["id"].clone(),
        good["tasks"][1]["id"].clone(),
    );
    d["tasks"][0]["depends_on"] = json!([t1]);
    d["tasks"][1]["depends_on"] = json!([t0]);
    cases.push((d, "tasks[1].depends_on[0]"));
    let mut d = good.clone();
    d["tasks"][0]["goal_id"] = json!("not-in-the-document");
    cases.push((d, "tasks[0].goal_id"));
    let mut d = good.clone();
    d["wallet"]["balance"] = json!(1_000_000);
    cases.push((d, "wallet.balance"));
    let mut d = good.clone();
    d["metrics"][0]["logs"][1]["date"] = d["metrics"][0]["logs"][0]["date"].clone();
    cases.push((d, "metrics[0].logs[1].date"));
    let mut d = good.clone();
    d["skills"][0]["level"] = json!(0);
    cases.push((d, "skills"));
    let mut d = good.clone();
    d["flashcards"][0]["ease"] = json!(0.5);
    cases.push((d, "flashcards[0].ease"));
    let mut d = good.clone();
    d["courses"][0]["modules"][1]["position"] = json!("second");
    cases.push((d, "courses[0].modules[1].position"));
    let mut d = good.clone();
    d["goals"][0]["habits"] = json!(["nope"]);
    cases.push((d, "goals[0].habits[0]"));
    let mut d = good.clone();
    d["habits"][0]["id"] = good["habits"][0]["id"].clone();
    d["projects"] = json!("many");
    cases.push((d, "projects"));
    let mut d = good.clone();
    d["extra"] = json!([]);
    cases.push((d, "extra"));

    for (doc, field) in cases {
        let r = s.authed("POST", "/api/os/import", &c, Some(&doc));
        r.assert_error(422, "validation_failed");
        assert!(
            r.json["error"]["details"]["fields"][field].is_string(),
            "{field}: {}",
            r.text
        );
    }
    s.send(
        "POST",
        "/api/os/import",
        &[
            ("Authorization", &format!("Bearer {c}")),
            ("Content-Type", "application/json"),
        ],
        Some("{\"version\": 1, "),
    )
    .assert_error(400, "bad_request");
    s.authed("POST", "/api/os/import", &c, Some(&json!([1, 2])))
        .assert_error(422, "validation_failed");
    s.send("GET", "/api/os/export", &[], None)
        .assert_error(401, "unauthorized");
    s.post_json("/api/os/import", &good)
        .assert_error(401, "unauthorized");
    let after = call(s, &c, "GET", "/api/os/export", Value::Null, 200);
    assert_eq!(canonical(&after), canonical(&empty), "nothing was written");
}
