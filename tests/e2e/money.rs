//! Money: demo onboarding, the chat orchestrator (splits, cards, tracker), insights made by
//! the scheduler, groups with pending invites, isolation, bad input, and Knot against a
//! local fake (retries, cursor resume, no duplicates, webhooks, unlink).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::auth::{new_user, token, unique};
use crate::fake_knot::{self, FakeKnot};
use crate::harness::{suite, Resp, Server, Test};

pub fn tests() -> Vec<Test> {
    suite!(
        "money";
        demo_onboarding_tracker_matches_the_transactions,
        splits_are_exact_to_the_cent,
        card_recommendation_names_a_linked_card,
        insights_come_from_the_scheduler,
        groups_invites_and_group_chats,
        other_users_get_404_everywhere,
        bad_input_writes_nothing,
        unlink_keeps_or_drops_transactions,
        knot_sync_retries_resumes_and_never_duplicates,
    )
}

fn onboard(s: &Server, t: &str) -> Vec<Value> {
    let r = s.authed("POST", "/api/money/onboarding/start", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["mode"], "mock");
    let r = s.authed("POST", "/api/money/onboarding/complete", t, None);
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

/// Every transaction of the user, following the cursor, with the given query.
fn all_transactions(s: &Server, t: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/money/transactions?limit=200{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = s.authed("GET", &path, t, None);
        assert_eq!(r.status, 200, "{}", r.text);
        out.extend(r.json["items"].as_array().cloned().unwrap_or_default());
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

fn new_chat(s: &Server, t: &str, body: Value) -> String {
    let r = s.authed("POST", "/api/money/chats", t, Some(&body));
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().expect("chat id").to_string()
}

fn ask(s: &Server, t: &str, chat: &str, content: &str) -> Resp {
    s.authed(
        "POST",
        &format!("/api/money/chats/{chat}/messages"),
        t,
        Some(&json!({ "content": content })),
    )
}

fn answer(s: &Server, t: &str, chat: &str, content: &str) -> Value {
    let r = ask(s, t, chat, content);
    assert_eq!(r.status, 201, "{content}: {}", r.text);
    r.json["message"].clone()
}

fn demo_onboarding_tracker_matches_the_transactions(s: &Server) {
    let t = token(s);
    let accounts = onboard(s, &t);
    assert_eq!(accounts.len(), 3);
    for a in &accounts {
        assert!(a["last4"].as_str().is_some_and(|l| l.len() == 4), "{a}");
        assert!(a["name"].is_string() && a["merchant"].is_string() && a["linked_at"].is_string());
    }
    assert_eq!(
        onboard(s, &t).len(),
        3,
        "onboarding twice links nothing more"
    );
    let all = all_transactions(s, &t, "");
    assert!(all.len() > 60, "{}", all.len());
    let currencies: std::collections::BTreeSet<&str> =
        all.iter().filter_map(|x| x["currency"].as_str()).collect();
    assert_eq!(currencies.len(), 2, "{currencies:?}");
    assert!(
        all.iter().any(|x| x["amount_cents"].as_i64() < Some(0)),
        "a refund"
    );

    // "How much on dining this month?" equals the sum of this month's dining transactions.
    let today = chrono::Utc::now().date_naive();
    let first = today.format("%Y-%m-01").to_string();
    let dining = all_transactions(s, &t, &format!("&category=dining&from={first}&to={today}"));
    let expected: i64 = dining
        .iter()
        .filter(|x| x["currency"] == "USD")
        .filter_map(|x| x["amount_cents"].as_i64())
        .sum();
    let chat = new_chat(s, &t, json!({"title": "Spending"}));
    let m = answer(s, &t, &chat, "How much did I spend on dining this month?");
    assert_eq!(m["drawer_data"]["total_cents"], expected, "{m}");
    assert_eq!(m["drawer_data"]["period"]["from"], first.as_str());
    assert_eq!(m["thinking"][0], "detect intent: tracker (rules)");
    assert!(
        m["content"].as_str().unwrap_or("").contains(&format!(
            "{}.{:02}",
            expected / 100,
            expected % 100
        )),
        "{m}"
    );
    let vs = answer(s, &t, &chat, "how much on dining vs last month?");
    assert!(
        vs["drawer_data"]["previous"]["total_cents"].is_i64(),
        "{vs}"
    );
    let top = answer(s, &t, &chat, "top merchants last month");
    assert!(
        top["drawer_data"]["merchants"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{top}"
    );
    let general = answer(s, &t, &chat, "hello");
    assert_eq!(
        general["thinking"],
        json!(["detect intent: general (rules)", "general: offline reply"])
    );
}

fn splits_are_exact_to_the_cent(s: &Server) {
    let t = token(s);
    let chat = new_chat(s, &t, json!({}));
    let shares = |m: &Value| -> Vec<(String, i64)> {
        m["drawer_data"]["shares"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x["name"].as_str().unwrap_or("").to_string(),
                            x["amount_cents"].as_i64().unwrap_or(-1),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let m = answer(s, &t, &chat, "split $100.00 three ways");
    assert_eq!(m["action"]["type"], "split");
    assert_eq!(m["drawer_data"]["total_cents"], 10_000);
    assert_eq!(
        shares(&m).iter().map(|x| x.1).collect::<Vec<_>>(),
        [3334, 3333, 3333]
    );
    let m = answer(s, &t, &chat, "split 90 2:1 with Sam");
    assert_eq!(
        shares(&m),
        [("You".to_string(), 6000), ("Sam".to_string(), 3000)]
    );
    let m = answer(s, &t, &chat, "split $0.01 two ways");
    assert_eq!(shares(&m).iter().map(|x| x.1).collect::<Vec<_>>(), [1, 0]);
    let m = answer(s, &t, &chat, "Split $84.50 with Sam and Ana");
    assert_eq!(
        shares(&m),
        [
            ("You".into(), 2817),
            ("Sam".into(), 2817),
            ("Ana".into(), 2816)
        ]
    );
    assert_eq!(
        m["thinking"],
        json!([
            "detect intent: split (rules)",
            "parse amount: 8450 cents",
            "resolve people: 3",
            "compute shares (remainder cents to the first named)"
        ])
    );
    let read = s.authed("GET", &format!("/api/money/chats/{chat}"), &t, None);
    let messages = read.json["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(messages.len(), 8, "question and answer each time, in order");
    assert_eq!(messages[0]["content"], "split $100.00 three ways");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[7]["drawer_data"], m["drawer_data"]);
}

fn card_recommendation_names_a_linked_card(s: &Server) {
    let t = token(s);
    let chat = new_chat(s, &t, json!({}));
    let none = answer(s, &t, &chat, "which card for groceries?");
    assert!(
        none["drawer_data"].is_null(),
        "no numbers without linked cards: {none}"
    );
    assert!(none["content"]
        .as_str()
        .unwrap_or("")
        .contains("haven't linked"));
    let tracker = answer(s, &t, &chat, "how much did I spend this month?");
    assert!(
        tracker["drawer_data"].is_null()
            && tracker["content"]
                .as_str()
                .unwrap_or("")
                .contains("haven't linked")
    );

    let accounts = onboard(s, &t);
    let names: Vec<&str> = accounts.iter().filter_map(|a| a["name"].as_str()).collect();
    let m = answer(s, &t, &chat, "which card for groceries?");
    let rec = &m["drawer_data"]["recommended"];
    assert!(names.contains(&rec["name"].as_str().unwrap_or("")), "{m}");
    assert_eq!(rec["name"], "Amex Gold");
    assert_eq!(rec["rate_bps"], 400);
    assert_eq!(m["action"]["type"], "card");
    let content = m["content"].as_str().unwrap_or("");
    assert!(
        content.contains("Amex Gold") && content.contains("4%"),
        "{content}"
    );
    let travel = answer(s, &t, &chat, "what card should I use for flights?");
    assert_eq!(
        travel["drawer_data"]["recommended"]["name"],
        "Chase Sapphire Preferred"
    );
    assert_eq!(travel["drawer_data"]["recommended"]["rate_bps"], 500);
}

fn insights_come_from_the_scheduler(s: &Server) {
    let t = token(s);
    let before = s.authed("GET", "/api/money/insights", &t, None);
    assert_eq!(before.json["status"], "pending");
    onboard(s, &t);
    // No call computes them: the user's scheduler does, right after onboarding.
    let deadline = Instant::now() + Duration::from_secs(20);
    let summary = loop {
        let r = s.authed("GET", "/api/money/insights/summary", &t, None);
        assert_eq!(r.status, 200, "{}", r.text);
        if r.json["computed_at"].is_string() {
            break r.json;
        }
        assert!(
            Instant::now() < deadline,
            "insights never computed: {}",
            r.text
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let recurring: Vec<&str> = summary["recurring"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["merchant"].as_str()).collect())
        .unwrap_or_default();
    for m in ["Netflix", "Spotify", "Blink Fitness Gym"] {
        assert!(recurring.contains(&m), "{m} in {recurring:?}");
    }
    let netflix = summary["recurring"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["merchant"] == "Netflix"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(netflix["amount_cents"], 1549);
    assert!(netflix["next_expected_date"].is_string());
    // Month over month agrees with the transactions.
    let today = chrono::Utc::now().date_naive();
    let first = today.format("%Y-%m-01").to_string();
    let this_month: i64 = all_transactions(s, &t, &format!("&from={first}&to={today}"))
        .iter()
        .filter(|x| x["currency"] == "USD")
        .filter_map(|x| x["amount_cents"].as_i64())
        .sum();
    assert_eq!(summary["month_over_month"]["this_month_cents"], this_month);
    assert!(summary["by_category"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
}

fn groups_invites_and_group_chats(s: &Server) {
    let (_, _, a) = new_user(s);
    let (b_email, _, b) = crate::auth::verified_user(s);
    let ta = a["access_token"].as_str().expect("token").to_string();
    let tb = b["access_token"].as_str().expect("token").to_string();
    let invited = format!("{}@example.test", unique("invitee"));
    let r = s.authed(
        "POST",
        "/api/money/groups",
        &ta,
        Some(&json!({"name": "Flatmates", "members": [b_email, invited]})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let gid = r.json["id"].as_str().expect("group id").to_string();
    let statuses: Vec<&str> = r.json["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["status"].as_str())
        .collect();
    assert_eq!(statuses, ["member", "member", "pending"]);
    assert_eq!(
        s.authed("GET", &format!("/api/money/groups/{gid}"), &tb, None)
            .status,
        200,
        "B joined at once"
    );
    let listed = s.authed("GET", "/api/money/groups", &tb, None);
    assert_eq!(listed.json["items"][0]["id"], gid.as_str());

    // A group chat: every member sees it; a split "with the group" uses its members in order.
    let chat = new_chat(s, &ta, json!({"title": "Rent", "group_id": gid}));
    let m = answer(s, &tb, &chat, "split $100 with the group");
    let names: Vec<&str> = m["drawer_data"]["shares"]
        .as_array()
        .expect("shares")
        .iter()
        .filter_map(|x| x["name"].as_str())
        .collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[1], "You", "B asked: B is You");
    assert_eq!(m["drawer_data"]["shares"][0]["amount_cents"], 3334);
    assert_eq!(
        s.authed("GET", &format!("/api/money/chats/{chat}"), &ta, None)
            .json["messages"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // The pending invite becomes a membership once that address is verified, not before.
    let r = s.post_json(
        "/api/auth/signup",
        &json!({"email": invited, "password": "correct horse battery"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let tc = r.json["access_token"].as_str().expect("token").to_string();
    s.authed("GET", &format!("/api/money/groups/{gid}"), &tc, None)
        .assert_error(404, "not_found");
    let v = crate::auth::verify_email(s, &invited);
    assert_eq!(v.status, 200, "{}", v.text);
    let g = s.authed("GET", &format!("/api/money/groups/{gid}"), &tc, None);
    assert_eq!(g.status, 200, "{}", g.text);
    assert!(g.json["members"]
        .as_array()
        .expect("members")
        .iter()
        .all(|m| m["status"] == "member"));
    assert_eq!(
        s.authed("GET", &format!("/api/money/chats/{chat}"), &tc, None)
            .status,
        200
    );
}

fn other_users_get_404_everywhere(s: &Server) {
    let a = token(s);
    let c = token(s);
    let accounts = onboard(s, &a);
    let account = accounts[0]["id"].as_str().expect("id");
    let chat = new_chat(s, &a, json!({}));
    let g = s.authed(
        "POST",
        "/api/money/groups",
        &a,
        Some(&json!({"name": "Mine"})),
    );
    let gid = g.json["id"].as_str().expect("group");
    s.authed("GET", &format!("/api/money/chats/{chat}"), &c, None)
        .assert_error(404, "not_found");
    ask(s, &c, &chat, "split $10 with Sam").assert_error(404, "not_found");
    s.authed("GET", &format!("/api/money/groups/{gid}"), &c, None)
        .assert_error(404, "not_found");
    s.authed(
        "POST",
        "/api/money/chats",
        &c,
        Some(&json!({"group_id": gid})),
    )
    .assert_error(404, "not_found");
    s.authed(
        "DELETE",
        &format!("/api/money/accounts/{account}"),
        &c,
        None,
    )
    .assert_error(404, "not_found");
    s.authed(
        "POST",
        &format!("/api/money/accounts/{account}/sync"),
        &c,
        None,
    )
    .assert_error(404, "not_found");
    assert_eq!(
        s.authed(
            "GET",
            &format!("/api/money/transactions?account_id={account}"),
            &c,
            None
        )
        .json["items"],
        json!([])
    );
    assert_eq!(
        s.authed("GET", "/api/money/accounts", &c, None).json["items"],
        json!([])
    );
    assert_eq!(
        s.authed("GET", "/api/money/chats", &c, None).json["items"],
        json!([])
    );
    assert_eq!(
        s.authed("GET", "/api/money/groups", &c, None).json["items"],
        json!([])
    );
    s.send("GET", "/api/money/transactions", &[], None)
        .assert_error(401, "unauthorized");
    assert_eq!(
        s.authed("GET", &format!("/api/money/chats/{chat}"), &a, None)
            .json["messages"],
        json!([]),
        "C wrote nothing"
    );
}

fn bad_input_writes_nothing(s: &Server) {
    let t = token(s);
    let chat = new_chat(s, &t, json!({}));
    let asked = new_chat(s, &t, json!({}));
    for bad in [
        "split $10.005 with Sam",
        "split -$5 with Sam",
        "split $0 with Sam",
        "split $0.00 three ways",
        "split $20",
        "split $20 with nobody",
        "split $10000000.01 with Sam",
        "split 90 2:1:1 with Sam",
        "split $60 with the group",
    ] {
        // The assistant says what is missing (in a chat of its own); no split is recorded.
        let m = answer(s, &t, &asked, bad);
        assert!(
            m["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("I can't split that yet: ")),
            "{bad}: {m}"
        );
        assert_eq!(m["action"], Value::Null, "{bad}: {m}");
        assert_eq!(m["drawer_data"], Value::Null, "{bad}: {m}");
    }
    ask(s, &t, &chat, &"a".repeat(4001)).assert_error(422, "validation_failed");
    ask(s, &t, &chat, "").assert_error(422, "validation_failed");
    ask(s, &t, &chat, " \n ").assert_error(422, "validation_failed");
    let r = s.send(
        "POST",
        &format!("/api/money/chats/{chat}/messages"),
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Content-Type", "application/json"),
        ],
        Some("{\"content\": "),
    );
    r.assert_error(400, "bad_request");
    s.authed(
        "POST",
        "/api/money/chats/no-such-chat/messages",
        &t,
        Some(&json!({"content": "hi"})),
    )
    .assert_error(404, "not_found");
    s.authed(
        "POST",
        "/api/money/chats",
        &t,
        Some(&json!({"group_id": "no-such-group"})),
    )
    .assert_error(404, "not_found");
    s.authed(
        "POST",
        "/api/money/groups",
        &t,
        Some(&json!({"name": "", "members": ["not-an-email"]})),
    )
    .assert_error(422, "validation_failed");
    s.authed("GET", "/api/money/transactions?category=yachts", &t, None)
        .assert_error(422, "validation_failed");
    s.authed("GET", "/api/money/transactions?from=2026-02-30", &t, None)
        .assert_error(422, "validation_failed");
    s.authed(
        "PATCH",
        "/api/money/settings",
        &t,
        Some(&json!({"home_currency": "XYZ"})),
    )
    .assert_error(422, "validation_failed");
    let read = s.authed("GET", &format!("/api/money/chats/{chat}"), &t, None);
    assert_eq!(read.json["messages"], json!([]), "nothing written");
    assert_eq!(
        s.authed("GET", "/api/money/groups", &t, None).json["items"],
        json!([])
    );
    // The largest allowed amount splits.
    let m = answer(s, &t, &chat, "split $10,000,000.00 with Sam");
    assert_eq!(m["drawer_data"]["total_cents"], 1_000_000_000);
}

fn unlink_keeps_or_drops_transactions(s: &Server) {
    let t = token(s);
    let accounts = onboard(s, &t);
    let (first, second) = (
        accounts[0]["id"].as_str().expect("id"),
        accounts[1]["id"].as_str().expect("id"),
    );
    let of = |id: &str| all_transactions(s, &t, &format!("&account_id={id}")).len();
    let (n1, n2) = (of(first), of(second));
    assert!(n1 > 0 && n2 > 0);
    assert_eq!(
        s.authed(
            "DELETE",
            &format!("/api/money/accounts/{first}?keep_transactions=true"),
            &t,
            None
        )
        .status,
        204
    );
    assert_eq!(of(first), n1, "kept");
    assert_eq!(
        s.authed("DELETE", &format!("/api/money/accounts/{second}"), &t, None)
            .status,
        204
    );
    assert_eq!(of(second), 0, "dropped with the account");
    assert_eq!(
        s.authed("GET", "/api/money/accounts", &t, None).json["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    s.authed("DELETE", &format!("/api/money/accounts/{second}"), &t, None)
        .assert_error(404, "not_found");
}

pub fn signed_webhook(s: &Server, body: &Value, secret: &str) -> Resp {
    use sha2::{Digest, Sha256};
    let text = body.to_string();
    let event = body["event"].as_str().unwrap_or("");
    let mut msg = format!(
        "Content-Length|{}|Content-Type|application/json|Encryption-Type|HMAC-SHA256|event|{event}",
        text.len()
    );
    if let Some(sid) = body["session_id"].as_str() {
        msg.push_str(&format!("|session_id|{sid}"));
    }
    let mut key = [0u8; 64];
    key[..secret.len()].copy_from_slice(secret.as_bytes());
    let pad = |b: u8| key.iter().map(|k| k ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg.as_bytes())
        .finalize();
    let mac = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    let signature = <base64ct::Base64 as base64ct::Encoding>::encode_string(&mac);
    s.send(
        "POST",
        "/api/money/webhooks/knot",
        &[
            ("Content-Type", "application/json"),
            ("Encryption-Type", "HMAC-SHA256"),
            ("Knot-Signature", &signature),
        ],
        Some(&text),
    )
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn knot_sync_retries_resumes_and_never_duplicates(_s: &Server) {
    let fake = FakeKnot::start();
    let base = format!("http://127.0.0.1:{}", fake.port);
    let server = Server::start_with(&[
        ("FEATURE_KNOT", "true"),
        ("KNOT_BASE_URL", &base),
        ("KNOT_CLIENT_ID", fake_knot::CLIENT_ID),
        ("KNOT_SECRET", fake_knot::SECRET),
        ("KNOT_RETRY_BASE_MS", "20"),
    ]);
    let s = &server;
    let (_, _, signup) = new_user(s);
    let t = signup["access_token"].as_str().expect("token").to_string();
    let user_id = signup["user"]["id"].as_str().expect("user id").to_string();

    let start = s.authed("POST", "/api/money/onboarding/start", &t, None);
    assert_eq!(start.status, 200, "{}", start.text);
    assert_eq!(start.json["mode"], "knot");
    assert!(start.json["session_id"].is_string());
    assert_eq!(start.json["merchants"][0]["name"], "DoorDash");

    // DoorDash: the queued sync meets a 429 (Retry-After: 1), then pages through three pages.
    let r = s.authed(
        "POST",
        "/api/money/onboarding/complete",
        &t,
        Some(&json!({"merchant_id": 19})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let doordash = r.json["items"][0]["id"]
        .as_str()
        .expect("account")
        .to_string();
    let dd_txs = || all_transactions(s, &t, &format!("&account_id={doordash}"));
    wait_for("DoorDash synced", || dd_txs().len() == 5);
    let statuses: Vec<u16> = fake.syncs(19).iter().map(|x| x.status).collect();
    assert_eq!(&statuses[..2], [429, 200], "{statuses:?}");
    let txs = dd_txs();
    let refund = txs
        .iter()
        .find(|x| x["amount_cents"] == -1875)
        .expect("the refund is negative");
    assert_eq!(refund["category"], "dining");
    assert!(
        txs.iter().all(|x| x["amount_cents"] != 999),
        "the cancelled order moved no money"
    );
    assert!(fake
        .seen()
        .iter()
        .any(|x| x.path == "/development/accounts/link" && x.body["merchant_id"] == 19));
    let accounts = s.authed("GET", "/api/money/accounts", &t, None);
    assert_eq!(
        accounts.json["items"][0]["last4"], "5690",
        "from the card the orders were paid with"
    );

    // Syncing again never duplicates.
    let again = s.authed(
        "POST",
        &format!("/api/money/accounts/{doordash}/sync"),
        &t,
        None,
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(dd_txs().len(), 5);

    // Walmart: page 2 fails on every try; the next sync resumes at its cursor, not from scratch.
    let r = s.authed(
        "POST",
        "/api/money/onboarding/complete",
        &t,
        Some(&json!({"merchant_id": 44})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let walmart = r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["merchant_id"] == 44)
        .expect("walmart")["id"]
        .as_str()
        .expect("id")
        .to_string();
    wait_for("Walmart's failure recorded", || {
        fake.syncs(44).iter().filter(|x| x.status == 500).count() >= 4
    });
    let wm_txs = || all_transactions(s, &t, &format!("&account_id={walmart}"));
    wait_for("Walmart resumed", || {
        if wm_txs().len() == 3 {
            return true;
        }
        let r = s.authed(
            "POST",
            &format!("/api/money/accounts/{walmart}/sync"),
            &t,
            None,
        );
        assert!(r.status == 200 || r.status == 502, "{}", r.text);
        false
    });
    let wm = fake.syncs(44);
    assert_eq!(
        wm.iter().filter(|x| x.body["cursor"].is_null()).count(),
        1,
        "never restarted: {wm:?}"
    );
    assert!(wm
        .iter()
        .any(|x| x.body["cursor"] == "w1" && x.status == 200));
    assert_eq!(
        wm.iter()
            .filter(|x| x.body["cursor"] == "w1" && x.status == 500)
            .count(),
        4
    );

    // Webhooks: a bad signature is 401; a good one queues a sync that picks up the update.
    let event = json!({"event": "UPDATED_TRANSACTIONS_AVAILABLE", "external_user_id": user_id,
        "merchant": {"id": 19, "name": "DoorDash"}, "data": {"transactions": [{"id": "dd-5"}]},
        "timestamp": chrono::Utc::now().timestamp_millis()});
    assert_eq!(signed_webhook(s, &event, "wrong secret").status, 401);
    let unsigned = s.send(
        "POST",
        "/api/money/webhooks/knot",
        &[("Content-Type", "application/json")],
        Some(&event.to_string()),
    );
    assert_eq!(unsigned.status, 401);
    let ok = signed_webhook(s, &event, fake_knot::SECRET);
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["queued"], true);
    wait_for("the updated transaction", || {
        dd_txs().iter().any(|x| x["amount_cents"] == 2000)
    });
    assert_eq!(dd_txs().len(), 5, "updated in place");

    // Unlinking removes the account and its future syncs.
    assert_eq!(
        s.authed(
            "DELETE",
            &format!("/api/money/accounts/{doordash}"),
            &t,
            None
        )
        .status,
        204
    );
    assert!(dd_txs().is_empty());
    let mut later = event.clone();
    later["timestamp"] = json!(chrono::Utc::now().timestamp_millis() + 1);
    let after = signed_webhook(s, &later, fake_knot::SECRET);
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(
        (&after.json["queued"], &after.json["duplicate"]),
        (&json!(false), &json!(false)),
        "no account, no sync"
    );
    let syncs_before = fake.syncs(19).len();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        fake.syncs(19).len(),
        syncs_before,
        "nothing syncs the unlinked account"
    );
    server.stop();
}
