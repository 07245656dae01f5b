//! Personal OS list filters: `?q=` on every list, and the per-entity ones (metric
//! direction, reward max_cost, flashcard deck, logbook linked_id).

use serde_json::{json, Value};

use crate::auth::token;
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "os_filters";
        every_list_searches_by_q,
        entity_filters_narrow_lists,
        bad_filters_are_422,
    )
}

fn created(s: &Server, t: &str, path: &str, body: Value) -> String {
    let r = s.authed("POST", path, t, Some(&body));
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.json["id"].as_str().expect("id").to_string()
}

/// The `field` of every item on one page of `path`, sorted.
fn names(s: &Server, t: &str, path: &str, field: &str) -> Vec<String> {
    let r = s.authed("GET", path, t, None);
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    let mut out: Vec<String> = r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i[field].as_str().unwrap_or("").to_string())
        .collect();
    out.sort();
    out
}

fn every_list_searches_by_q(s: &Server) {
    let t = token(s);
    let other = token(s);
    // Goals, courses and tasks carry children, so the list and GET comparison below
    // covers reading those for a whole page.
    let goal = created(s, &t, "/api/os/goals", json!({"title": "Read 12 books"}));
    let marathon = created(s, &t, "/api/os/goals", json!({"title": "Run a marathon"}));
    let mut tasks = Vec::new();
    for (title, description) in [
        ("Read Dune", ""),
        ("Write report", "reread the notes first"),
        ("Gym", ""),
    ] {
        tasks.push(created(
            s,
            &t,
            "/api/os/tasks",
            json!({"title": title, "description": description, "goal_id": goal}),
        ));
    }
    let dep = s.authed(
        "POST",
        &format!("/api/os/tasks/{}/dependencies/{}", tasks[1], tasks[0]),
        &t,
        None,
    );
    assert!(dep.status < 300, "{}", dep.text);
    let minutes = created(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Reading minutes", "unit": "min"}),
    );
    let link = s.authed(
        "POST",
        &format!("/api/os/goals/{marathon}/metrics/{minutes}"),
        &t,
        None,
    );
    assert!(link.status < 300, "{}", link.text);
    created(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Weight", "unit": "kg", "direction": "lower"}),
    );
    for name in ["Morning READING", "Stretch"] {
        created(
            s,
            &t,
            "/api/os/habits",
            json!({"name": name, "schedule": {"type": "daily"}}),
        );
    }
    created(s, &t, "/api/os/projects", json!({"name": "Reading club"}));
    created(s, &t, "/api/os/projects", json!({"name": "House"}));
    created(
        s,
        &t,
        "/api/os/rewards",
        json!({"name": "Reading lamp", "cost": 80}),
    );
    created(
        s,
        &t,
        "/api/os/rewards",
        json!({"name": "Cinema", "cost": 30}),
    );
    created(
        s,
        &t,
        "/api/os/courses",
        json!({"title": "Speed reading", "modules": [{"title": "Skim"}, {"title": "Scan"}]}),
    );
    created(s, &t, "/api/os/courses", json!({"title": "Rust"}));
    created(
        s,
        &t,
        "/api/os/flashcards",
        json!({"front": "lire", "back": "to read"}),
    );
    created(
        s,
        &t,
        "/api/os/flashcards",
        json!({"front": "écrire", "back": "to write"}),
    );
    created(s, &t, "/api/os/skills", json!({"name": "Reading"}));
    created(s, &t, "/api/os/skills", json!({"name": "Cooking"}));
    created(
        s,
        &t,
        "/api/os/logbook",
        json!({"content": "Read 30 pages"}),
    );
    created(s, &t, "/api/os/logbook", json!({"content": "Ran 5k"}));

    let cases: [(&str, &str, &[&str]); 10] = [
        ("tasks", "title", &["Read Dune", "Write report"]),
        ("goals", "title", &["Read 12 books"]),
        ("metrics", "name", &["Reading minutes"]),
        ("habits", "name", &["Morning READING"]),
        ("projects", "name", &["Reading club"]),
        ("rewards", "name", &["Reading lamp"]),
        ("courses", "title", &["Speed reading"]),
        ("flashcards", "front", &["lire"]),
        ("skills", "name", &["Reading"]),
        ("logbook", "content", &["Read 30 pages"]),
    ];
    for (list, field, want) in cases {
        // Case is ignored and surrounding blanks trimmed.
        let path = format!("/api/os/{list}?q=%20rEaD");
        assert_eq!(names(s, &t, &path, field), want, "{path}");
        // No match is an empty page, and nobody else's rows ever show.
        let none = format!("/api/os/{list}?q=zzz");
        assert!(names(s, &t, &none, field).is_empty(), "{none}");
        assert!(names(s, &other, &path, field).is_empty(), "{path} as other");
        // A blank q is no filter.
        let all = names(s, &t, &format!("/api/os/{list}?q="), field);
        assert_eq!(all.len(), 2 + usize::from(list == "tasks"), "{list}");
        // Each listed item is what GET answers for it.
        let page = s.authed("GET", &format!("/api/os/{list}"), &t, None);
        for item in page.json["items"].as_array().expect("items") {
            let id = item["id"].as_str().expect("id");
            let one = s.authed("GET", &format!("/api/os/{list}/{id}"), &t, None);
            assert_eq!(&one.json, item, "{list}/{id}");
        }
    }

    let write = s.authed("GET", "/api/os/tasks?q=write", &t, None);
    assert_eq!(
        write.json["items"][0]["depends_on"],
        json!([tasks[0]]),
        "{}",
        write.text
    );

    // The filter holds across pages.
    let first = s.authed("GET", "/api/os/tasks?q=read&limit=1", &t, None);
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["items"].as_array().map(Vec::len), Some(1));
    let cursor = first.json["next_cursor"].as_str().expect("cursor");
    let second = s.authed(
        "GET",
        &format!("/api/os/tasks?q=read&limit=1&cursor={cursor}"),
        &t,
        None,
    );
    assert_eq!(second.status, 200, "{}", second.text);
    let mut both = vec![
        first.json["items"][0]["title"].clone(),
        second.json["items"][0]["title"].clone(),
    ];
    both.sort_by_key(|v| v.as_str().unwrap_or("").to_string());
    assert_eq!(both, [json!("Read Dune"), json!("Write report")]);
    assert!(second.json["next_cursor"].is_null(), "{}", second.text);
}

fn entity_filters_narrow_lists(s: &Server) {
    let t = token(s);
    let other = token(s);
    created(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Pages", "unit": "p"}),
    );
    created(
        s,
        &t,
        "/api/os/metrics",
        json!({"name": "Resting pulse", "unit": "bpm", "direction": "lower"}),
    );
    assert_eq!(
        names(s, &t, "/api/os/metrics?direction=lower", "name"),
        ["Resting pulse"]
    );
    assert_eq!(
        names(s, &t, "/api/os/metrics?direction=higher", "name"),
        ["Pages"]
    );

    created(
        s,
        &t,
        "/api/os/rewards",
        json!({"name": "Coffee", "cost": 10}),
    );
    created(
        s,
        &t,
        "/api/os/rewards",
        json!({"name": "Concert", "cost": 500}),
    );
    assert_eq!(
        names(s, &t, "/api/os/rewards?max_cost=10", "name"),
        ["Coffee"]
    );
    assert!(names(s, &t, "/api/os/rewards?max_cost=0", "name").is_empty());
    assert_eq!(
        names(s, &t, "/api/os/rewards?max_cost=1000", "name"),
        ["Coffee", "Concert"]
    );

    for (front, deck) in [("hola", "es"), ("adiós", "es"), ("hallo", "de")] {
        created(
            s,
            &t,
            "/api/os/flashcards",
            json!({"front": front, "back": "x", "deck": deck}),
        );
    }
    created(
        s,
        &t,
        "/api/os/flashcards",
        json!({"front": "loose", "back": "x"}),
    );
    assert_eq!(
        names(s, &t, "/api/os/flashcards?deck=es", "front"),
        ["adiós", "hola"]
    );
    assert_eq!(
        names(s, &t, "/api/os/flashcards?deck=es&q=HOL", "front"),
        ["hola"]
    );
    assert!(names(s, &t, "/api/os/flashcards?deck=fr", "front").is_empty());
    // New cards are due today; the review queue narrows to a deck too.
    assert_eq!(
        names(s, &t, "/api/os/flashcards/due?deck=es", "front"),
        ["adiós", "hola"]
    );
    assert_eq!(
        names(s, &t, "/api/os/flashcards/due?limit=1", "front").len(),
        1
    );
    assert_eq!(names(s, &t, "/api/os/flashcards/due", "front").len(), 4);
    assert!(names(s, &other, "/api/os/flashcards?deck=es", "front").is_empty());

    let goal = created(s, &t, "/api/os/goals", json!({"title": "Fit"}));
    let task = created(s, &t, "/api/os/tasks", json!({"title": "Book gym"}));
    created(
        s,
        &t,
        "/api/os/logbook",
        json!({"content": "Signed up", "links": [{"type": "goal", "id": goal}]}),
    );
    created(
        s,
        &t,
        "/api/os/logbook",
        json!({"content": "Called the gym",
               "links": [{"type": "task", "id": task}, {"type": "goal", "id": goal}]}),
    );
    created(s, &t, "/api/os/logbook", json!({"content": "Unrelated"}));
    assert_eq!(
        names(
            s,
            &t,
            &format!("/api/os/logbook?linked_id={goal}"),
            "content"
        ),
        ["Called the gym", "Signed up"]
    );
    assert_eq!(
        names(
            s,
            &t,
            &format!("/api/os/logbook?linked_id={task}&q=gym"),
            "content"
        ),
        ["Called the gym"]
    );
    assert!(names(
        s,
        &other,
        &format!("/api/os/logbook?linked_id={goal}"),
        "content"
    )
    .is_empty());
    // A page of entries answers each link once, dropping those to deleted entities.
    let gone = s.authed("DELETE", &format!("/api/os/tasks/{task}"), &t, None);
    assert_eq!(gone.status, 204, "{}", gone.text);
    let page = s.authed(
        "GET",
        &format!("/api/os/logbook?linked_id={goal}"),
        &t,
        None,
    );
    for e in page.json["items"].as_array().expect("items") {
        assert_eq!(e["links"], json!([{"type": "goal", "id": goal}]), "{e}");
    }
}

fn bad_filters_are_422(s: &Server) {
    let t = token(s);
    created(s, &t, "/api/os/tasks", json!({"title": "untouched"}));
    let long = "a".repeat(101);
    for list in [
        "tasks",
        "goals",
        "metrics",
        "habits",
        "projects",
        "rewards",
        "courses",
        "flashcards",
        "skills",
        "logbook",
    ] {
        let r = s.authed("GET", &format!("/api/os/{list}?q={long}"), &t, None);
        r.assert_error(422, "validation_failed");
        assert!(
            r.json["error"]["details"]["fields"]["q"].is_string(),
            "{list}: {}",
            r.text
        );
        let r = s.get(&format!("/api/os/{list}?q=read"));
        r.assert_error(401, "unauthorized");
    }
    for (path, field) in [
        ("/api/os/metrics?direction=sideways", "direction"),
        ("/api/os/rewards?max_cost=-1", "max_cost"),
        ("/api/os/rewards?max_cost=lots", "max_cost"),
        ("/api/os/flashcards/due?limit=0", "limit"),
    ] {
        let r = s.authed("GET", path, &t, None);
        r.assert_error(422, "validation_failed");
        assert!(
            r.json["error"]["details"]["fields"][field].is_string(),
            "{path}: {}",
            r.text
        );
    }
    // Exactly 100 characters is still a search.
    let r = s.authed(
        "GET",
        &format!("/api/os/tasks?q={}", &long[..100]),
        &t,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(s, &t, "/api/os/tasks", "title"), ["untouched"]);
}
