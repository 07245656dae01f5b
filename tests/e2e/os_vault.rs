//! Personal OS knowledge vault: courses with modules, and the skill tree.

use serde_json::{json, Value};

use crate::auth::token;
use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "os_vault";
        courses_track_module_completion,
        skill_tree_refuses_cycles_and_locked_levels,
    )
}

fn ok(r: crate::harness::Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.text);
    r.json
}

fn courses_track_module_completion(s: &Server) {
    let t = token(s);
    let other = token(s);
    let c = ok(
        s.authed(
            "POST",
            "/api/os/courses",
            &t,
            Some(&json!({"title": "Rust", "url": "https://example.test/rust",
                         "modules": [{"title": "Ownership"}, {"title": "Traits"}, {"title": "Async"}]})),
        ),
        201,
    );
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(c["completion"], 0.0);
    let titles: Vec<&str> = c["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .filter_map(|m| m["title"].as_str())
        .collect();
    assert_eq!(titles, ["Ownership", "Traits", "Async"]);
    let m0 = c["modules"][0]["id"].as_str().expect("module").to_string();
    let path = |m: &str| format!("/api/os/courses/{id}/modules/{m}");

    let c = ok(
        s.authed("PATCH", &path(&m0), &t, Some(&json!({"completed": true}))),
        200,
    );
    assert_eq!(c["completion"], 33.3);
    let first_done = c["modules"][0]["completed_at"].clone();
    assert!(first_done.is_string());
    // Completing again keeps the first time; a new module lowers the share.
    let c = ok(
        s.authed("PATCH", &path(&m0), &t, Some(&json!({"completed": true}))),
        200,
    );
    assert_eq!(c["modules"][0]["completed_at"], first_done);
    let c = ok(
        s.authed(
            "POST",
            &format!("/api/os/courses/{id}/modules"),
            &t,
            Some(&json!({"title": "Macros", "completed": true})),
        ),
        201,
    );
    assert_eq!(c["modules"][3]["position"], 4);
    assert_eq!(c["completion"], 50.0);
    let c = ok(
        s.authed("PATCH", &path(&m0), &t, Some(&json!({"completed": false}))),
        200,
    );
    assert_eq!(c["completion"], 25.0);
    assert_eq!(c["modules"][0]["completed_at"], Value::Null);
    let m3 = c["modules"][3]["id"].as_str().expect("module").to_string();
    ok(s.authed("DELETE", &path(&m3), &t, None), 204);
    let c = ok(
        s.authed("GET", &format!("/api/os/courses/{id}"), &t, None),
        200,
    );
    assert_eq!(c["completion"], 0.0);
    assert_eq!(c["modules"].as_array().map(Vec::len), Some(3));

    let c = ok(
        s.authed(
            "PATCH",
            &format!("/api/os/courses/{id}"),
            &t,
            Some(&json!({"title": "Rust in depth", "url": null})),
        ),
        200,
    );
    assert_eq!(c["title"], "Rust in depth");
    assert_eq!(c["url"], Value::Null);
    let list = ok(s.authed("GET", "/api/os/courses", &t, None), 200);
    assert_eq!(
        list["items"][0]["modules"].as_array().map(Vec::len),
        Some(3)
    );

    // Bad input is 422 and writes nothing.
    for (body, field) in [
        (json!({}), "title"),
        (
            json!({"title": "x", "modules": [{"title": "ok"}, {}]}),
            "modules[1].title",
        ),
        (json!({"title": "x", "modules": "all"}), "modules"),
        (json!({"title": 3}), "title"),
    ] {
        let r = s.authed("POST", "/api/os/courses", &t, Some(&body));
        r.assert_error(422, "validation_failed");
        assert!(
            r.json["error"]["details"]["fields"][field].is_string(),
            "{field}: {}",
            r.text
        );
    }
    for body in [
        json!({"position": 0}),
        json!({"completed": "yes"}),
        json!({"grade": 1}),
    ] {
        s.authed("PATCH", &path(&m0), &t, Some(&body))
            .assert_error(422, "validation_failed");
    }
    let list = ok(s.authed("GET", "/api/os/courses", &t, None), 200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // Another user sees none of it.
    for (m, p) in [
        ("GET", format!("/api/os/courses/{id}")),
        ("PATCH", format!("/api/os/courses/{id}")),
        ("DELETE", format!("/api/os/courses/{id}")),
        ("POST", format!("/api/os/courses/{id}/modules")),
        ("PATCH", path(&m0)),
        ("DELETE", path(&m0)),
    ] {
        let body = matches!(m, "PATCH" | "POST").then(|| json!({"title": "mine"}));
        s.authed(m, &p, &other, body.as_ref())
            .assert_error(404, "not_found");
    }
    ok(
        s.authed("DELETE", &format!("/api/os/courses/{id}"), &t, None),
        204,
    );
    s.authed("GET", &format!("/api/os/courses/{id}"), &t, None)
        .assert_error(404, "not_found");
    s.send("GET", "/api/os/courses", &[], None)
        .assert_error(401, "unauthorized");
}

fn skill_tree_refuses_cycles_and_locked_levels(s: &Server) {
    let t = token(s);
    let other = token(s);
    let skill = |name: &str| {
        ok(
            s.authed("POST", "/api/os/skills", &t, Some(&json!({"name": name}))),
            201,
        )["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let html = skill("HTML");
    let js = skill("JavaScript");
    let react = skill("React");
    let req = |a: &str, b: &str| {
        s.authed(
            "POST",
            &format!("/api/os/skills/{a}/prerequisites/{b}"),
            &t,
            None,
        )
    };
    let v = ok(req(&js, &html), 201);
    assert_eq!(v["prerequisites"], json!([html]));
    assert_eq!(v["unlocked"], false);
    assert_eq!(v["tier"], 1);
    let v = ok(req(&react, &js), 201);
    assert_eq!(v["tier"], 2);
    req(&html, &react).assert_error(422, "prerequisite_cycle");
    req(&html, &html).assert_error(422, "prerequisite_cycle");

    let level = |id: &str, l: i64| {
        s.authed(
            "PATCH",
            &format!("/api/os/skills/{id}"),
            &t,
            Some(&json!({"level": l})),
        )
    };
    level(&js, 1).assert_error(409, "conflict");
    assert_eq!(ok(level(&html, 2), 200)["level"], 2);
    let v = ok(level(&js, 1), 200);
    assert_eq!(v["unlocked"], true);
    level(&html, 0).assert_error(409, "conflict");
    level(&html, 6).assert_error(422, "validation_failed");
    let a = skill("CSS");
    req(&js, &a).assert_error(409, "conflict");
    ok(
        s.authed(
            "DELETE",
            &format!("/api/os/skills/{js}/prerequisites/{html}"),
            &t,
            None,
        ),
        204,
    );
    s.authed(
        "DELETE",
        &format!("/api/os/skills/{js}/prerequisites/{html}"),
        &t,
        None,
    )
    .assert_error(404, "not_found");
    assert_eq!(
        ok(level(&html, 0), 200)["level"],
        0,
        "nothing requires it now"
    );

    let tree = ok(s.authed("GET", "/api/os/skills", &t, None), 200);
    assert_eq!(tree["items"].as_array().map(Vec::len), Some(4));
    let bad = s.authed(
        "POST",
        "/api/os/skills",
        &t,
        Some(&json!({"name": "Go", "level": 4, "max_level": 3})),
    );
    bad.assert_error(422, "validation_failed");
    s.authed("POST", "/api/os/skills", &t, Some(&json!({"name": ""})))
        .assert_error(422, "validation_failed");

    // Another user's skills are 404, also as prerequisites.
    let theirs = ok(
        s.authed(
            "POST",
            "/api/os/skills",
            &other,
            Some(&json!({"name": "Theirs"})),
        ),
        201,
    )["id"]
        .as_str()
        .expect("id")
        .to_string();
    req(&js, &theirs).assert_error(404, "not_found");
    for (m, p) in [
        ("GET", format!("/api/os/skills/{js}")),
        ("PATCH", format!("/api/os/skills/{js}")),
        ("DELETE", format!("/api/os/skills/{js}")),
        (
            "DELETE",
            format!("/api/os/skills/{react}/prerequisites/{js}"),
        ),
    ] {
        let body = (m == "PATCH").then(|| json!({"name": "mine"}));
        s.authed(m, &p, &other, body.as_ref())
            .assert_error(404, "not_found");
    }
    ok(
        s.authed("DELETE", &format!("/api/os/skills/{js}"), &t, None),
        204,
    );
    let v = ok(
        s.authed("GET", &format!("/api/os/skills/{react}"), &t, None),
        200,
    );
    assert_eq!(v["prerequisites"], json!([]), "links go with the skill");
    assert_eq!(v["tier"], 0);
}
