//! The README's "first five minutes" block, run as written (bash, stop at the first
//! failing command) against the test server, so it cannot rot.

use crate::harness::{suite, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "readme";
        first_five_minutes_runs_as_written,
        the_wallet_sign_in_script_works,
        the_typed_client_example_runs,
        make_seed_fills_a_demo_account(exclusive),
    )
}

fn first_five_minutes_runs_as_written(s: &Server) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- first-five-minutes -->")
        .expect("start marker");
    let end = readme
        .find("<!-- /first-five-minutes -->")
        .expect("end marker");
    let block = &readme[start..end];
    let code = block
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(code, _)| code)
        .expect("a sh block between the markers");
    let out = std::process::Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", code])
        .env("B", &s.base)
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("you") && lines[0].ends_with("@example.com"),
        "{stdout}"
    );
    assert_eq!(
        lines[1], "20",
        "high priority × effort 1 pays 20 points: {stdout}"
    );
    assert_eq!(lines[2], "20");
    assert!(stdout.contains("Added “buy milk”"), "{stdout}");
    assert!(
        stdout.contains("Split 100.00 USD 3 ways: You 33.34, Person 2 33.33, Person 3 33.33."),
        "{stdout}"
    );
    assert!(stdout.contains("+33 "), "{stdout}");
    assert!(
        stdout.contains("wants you to sign in with your Sui account") || stdout.contains("0x0000"),
        "{stdout}"
    );
    assert!(stdout.contains("logout 204"), "{stdout}");
    assert!(stdout.contains("me after logout 401"), "{stdout}");
}

fn the_wallet_sign_in_script_works(s: &Server) {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(format!("{root}/.tools/venv/bin/python"))
        .arg(format!("{root}/docs/sign_in_with_sui.py"))
        .arg(&s.base)
        .output()
        .expect("run docs/sign_in_with_sui.py (make test installs pynacl)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (address, token) = stdout.trim().split_once(' ').expect("address and token");
    assert!(address.starts_with("0x") && address.len() == 66, "{stdout}");
    assert!(token.starts_with("eyJ"), "{stdout}");

    // The seed it printed signs in again as the same wallet.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let seed = stderr
        .split("--seed ")
        .nth(1)
        .map(str::trim)
        .expect("the seed is printed");
    let again = std::process::Command::new(format!("{root}/.tools/venv/bin/python"))
        .arg(format!("{root}/docs/sign_in_with_sui.py"))
        .arg(&s.base)
        .args(["--seed", seed])
        .output()
        .expect("run it again with --seed");
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(again.starts_with(&format!("{address} eyJ")), "{again}");
}

fn make_seed_fills_a_demo_account(s: &Server) {
    let root = env!("CARGO_MANIFEST_DIR");
    let gateway = crate::harness::env_value("GATEWAY_TOKEN");
    let out = std::process::Command::new(format!("{root}/.tools/venv/bin/python"))
        .arg(format!("{root}/scripts/seed.py"))
        .env("B", &s.base)
        .env("GATEWAY_TOKEN", gateway)
        .current_dir(root)
        .output()
        .expect("run scripts/seed.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("API key"))
        .map(str::trim)
        .expect("an API key is printed");
    let get = |path: &str| s.send("GET", path, &[("X-API-Key", key)], None).json;
    let tasks = get("/api/os/tasks");
    assert_eq!(tasks["items"].as_array().map(Vec::len), Some(3), "{tasks}");
    assert!(tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .any(|t| t["depends_on"].as_array().is_some_and(|d| !d.is_empty())));
    assert!(get("/api/os/wallet")["balance"].as_i64() > Some(0));
    let habits = get("/api/os/habits");
    assert_eq!(habits["items"][0]["current_streak"], 7, "{habits}");
    assert_eq!(
        get("/api/os/metrics")["items"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(get("/api/phantom/noise").as_object().is_some());
    assert!(get("/api/suiftly/customer")["current_balance_usd_cents"].as_i64() > Some(0));
    assert!(
        get("/api/suiftly/usage")["items"]
            .as_array()
            .is_some_and(|u| !u.is_empty()),
        "a month of metered usage"
    );
    assert_eq!(
        get("/api/money/accounts")["items"].as_array().map(Vec::len),
        Some(3)
    );
}

fn the_typed_client_example_runs(s: &Server) {
    let stdout = crate::harness::run_node(
        "clients/typescript/example.ts",
        &[s.base.as_str()],
        "clients/typescript",
        "make test installs it",
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(v["titles"], serde_json::json!(["Typed task"]), "{v}");
    assert_eq!(
        v["events"],
        serde_json::json!(["conversation", "tool_call", "tool_result", "delta", "done"]),
        "{v}"
    );
    assert!(
        v["reply"]
            .as_str()
            .is_some_and(|r| r.contains("Typed task")),
        "{v}"
    );
}
