//! Attacks, replayed end to end. Each test is one hole an attack run found, driven the way
//! the attacker drove it; races start their requests together behind a barrier and are
//! repeated, so a fix that only narrows the window still fails.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::auth::{challenge, keypair, new_user, sui_signature, token, unique, wallet_user};
use crate::fake_sui::{self, change, FakeSui, ESCROW_ADDRESS, SUI, USDC};
use crate::harness::{suite, Resp, Server, Test};
use edge_api::platform::auth::wallet;

pub fn tests() -> Vec<Test> {
    suite!(
        "security";
        revoked_api_key_never_authenticates_again,
        simultaneous_purchases_never_overdraw_or_pass_the_limit,
        simultaneous_refreshes_have_one_winner_and_revoke_the_session,
        simultaneous_upgrades_cost_what_the_final_tier_costs,
        import_is_linear_and_capped,
        import_ledger_never_dips_below_zero,
        a_new_wallet_challenge_keeps_the_pending_ones,
        simultaneous_first_wallet_sign_ins_make_one_user,
        failed_logins_from_elsewhere_do_not_lock_the_owner_out,
        state_changing_gets_need_a_header_credential,
        stored_urls_are_http_and_dates_in_range,
        extension_origins_are_allowed,
        unknown_methods_are_405,
        production_refuses_every_mock,
        sui_escrow_credits_only_what_the_chain_shows,
    )
}

/// Runs `f(0..n)` on `n` threads released together by a barrier; results in index order.
pub fn together<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(n);
    let joined: Vec<std::thread::Result<T>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (b, f) = (&barrier, &f);
                s.spawn(move || {
                    b.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    // A request thread's panic (a refused connection) is re-raised here, outside the scope.
    joined
        .into_iter()
        .map(|r| r.unwrap_or_else(|p| std::panic::resume_unwind(p)))
        .collect()
}

fn count(rs: &[Resp], status: u16) -> usize {
    rs.iter().filter(|r| r.status == status).count()
}

fn customer(s: &Server, t: &str) -> Value {
    let r = s.authed("GET", "/api/suiftly/customer", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

fn deposit(s: &Server, t: &str, cents: i64) {
    let r = s.authed(
        "POST",
        "/api/suiftly/escrow/deposit",
        t,
        Some(&json!({"amount_usd_cents": cents, "tx_digest": unique("tx")})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

fn charges(s: &Server, t: &str) -> Vec<Value> {
    let r = s.authed("GET", "/api/suiftly/escrow/transactions?limit=200", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["tx_type"] == "charge")
        .collect()
}

fn cents(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("integer cents: {v}"))
}

// ---------------------------------------------------------------- 1. revoked API keys

const KEY_ROUNDS: usize = 15;

/// `DELETE /api-keys/{id}` while ten requests with the key are in flight: once the
/// DELETE has answered, no request started afterwards is let in, then or minutes later.
fn revoked_api_key_never_authenticates_again(s: &Server) {
    let t = token(s);
    let mut revoked = Vec::new();
    for round in 0..KEY_ROUNDS {
        let created = s.authed(
            "POST",
            "/api/auth/api-keys",
            &t,
            Some(&json!({"name": format!("round {round}")})),
        );
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json["id"].as_str().expect("id").to_string();
        let key = created.json["key"].as_str().expect("key").to_string();
        let results = together(11, |i| {
            if i == 10 {
                s.authed("DELETE", &format!("/api/auth/api-keys/{id}"), &t, None)
            } else {
                s.send("GET", "/api/auth/me", &[("X-API-Key", &key)], None)
            }
        });
        assert_eq!(
            results[10].status, 204,
            "round {round}: {}",
            results[10].text
        );
        for (i, r) in results[..10].iter().enumerate() {
            assert!(
                r.status == 200 || r.status == 401,
                "round {round} request {i}: {}",
                r.text
            );
        }
        for _ in 0..5 {
            s.send("GET", "/api/auth/me", &[("X-API-Key", &key)], None)
                .assert_error(401, "unauthorized");
        }
        revoked.push(key);
    }
    // Later, once any write-back of the racing requests has landed: still refused.
    std::thread::sleep(Duration::from_secs(2));
    for key in &revoked {
        s.send("GET", "/api/auth/me", &[("X-API-Key", key)], None)
            .assert_error(401, "unauthorized");
    }
    let listed = s.authed("GET", "/api/auth/api-keys", &t, None);
    assert_eq!(listed.json["items"], json!([]), "{}", listed.text);
}

// ---------------------------------------------------------------- 3. overdrawn balances

const PURCHASE_ROUNDS: usize = 6;
const SEAL_KEY_PRICE: i64 = 500;

/// Twenty simultaneous seal-key purchases against a balance of one key's price, then
/// against a monthly limit with room for one: exactly one succeeds, nothing goes negative
/// or past the limit, and the ledger equals the balance change.
fn simultaneous_purchases_never_overdraw_or_pass_the_limit(s: &Server) {
    for round in 0..PURCHASE_ROUNDS {
        let (t, _) = wallet_user(s);
        deposit(s, &t, SEAL_KEY_PRICE);
        let rs = together(20, |_| s.authed("POST", "/api/suiftly/seal-keys", &t, None));
        assert_eq!(count(&rs, 201), 1, "round {round}: one key for one price");
        for r in rs.iter().filter(|r| r.status != 201) {
            r.assert_error(402, "insufficient_balance");
            assert_eq!(r.json["error"]["details"]["current_balance_usd"], 0.0);
        }
        let c = customer(s, &t);
        assert_eq!(cents(&c["current_balance_usd_cents"]), 0, "round {round}");
        assert_eq!(cents(&c["current_month_charged_usd_cents"]), SEAL_KEY_PRICE);
        let keys = s.authed("GET", "/api/suiftly/seal-keys", &t, None);
        assert_eq!(keys.json["items"].as_array().map(Vec::len), Some(1));
        let paid: i64 = charges(s, &t)
            .iter()
            .map(|c| cents(&c["amount_usd_cents"]))
            .sum();
        assert_eq!(
            paid, SEAL_KEY_PRICE,
            "round {round}: ledger = balance change"
        );
    }
    for round in 0..PURCHASE_ROUNDS {
        let (t, _) = wallet_user(s);
        deposit(s, &t, 100_000);
        let r = s.authed(
            "PATCH",
            "/api/suiftly/customer",
            &t,
            Some(&json!({"max_monthly_usd_cents": SEAL_KEY_PRICE + SEAL_KEY_PRICE / 2})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        let rs = together(20, |_| s.authed("POST", "/api/suiftly/seal-keys", &t, None));
        assert_eq!(count(&rs, 201), 1, "round {round}: room for one key");
        for r in rs.iter().filter(|r| r.status != 201) {
            r.assert_error(402, "monthly_limit_exceeded");
        }
        let c = customer(s, &t);
        assert_eq!(cents(&c["current_month_charged_usd_cents"]), SEAL_KEY_PRICE);
        assert_eq!(
            cents(&c["current_balance_usd_cents"]),
            100_000 - SEAL_KEY_PRICE
        );
    }
}

// ---------------------------------------------------------------- 4. refresh races

const REFRESH_ROUNDS: usize = 10;

/// N simultaneous refreshes with one token: one 200, the rest count as reuse and revoke
/// the session — so the winner's new tokens stop working too.
fn simultaneous_refreshes_have_one_winner_and_revoke_the_session(s: &Server) {
    for round in 0..REFRESH_ROUNDS {
        let (_, _, body) = new_user(s);
        let refresh = body["refresh_token"].as_str().expect("refresh").to_string();
        let rs = together(6, |_| {
            s.post_json("/api/auth/refresh", &json!({"refresh_token": refresh}))
        });
        assert_eq!(count(&rs, 200), 1, "round {round}: exactly one winner");
        assert_eq!(count(&rs, 401), 5, "round {round}: the others are refused");
        let winner = rs.iter().find(|r| r.status == 200).expect("winner");
        let next = winner.json["refresh_token"].as_str().expect("next");
        let access = winner.json["access_token"].as_str().expect("access");
        s.post_json("/api/auth/refresh", &json!({"refresh_token": next}))
            .assert_error(401, "unauthorized");
        s.authed("GET", "/api/auth/me", access, None)
            .assert_error(401, "unauthorized");
        let first_access = body["access_token"].as_str().expect("access");
        s.authed("GET", "/api/auth/me", first_access, None)
            .assert_error(401, "unauthorized");
    }
    // Without a race, rotation still works as before.
    let (_, _, body) = new_user(s);
    let r1 = s.post_json(
        "/api/auth/refresh",
        &json!({"refresh_token": body["refresh_token"]}),
    );
    assert_eq!(r1.status, 200, "{}", r1.text);
    let r2 = s.post_json(
        "/api/auth/refresh",
        &json!({"refresh_token": r1.json["refresh_token"]}),
    );
    assert_eq!(r2.status, 200, "{}", r2.text);
}

// ---------------------------------------------------------------- 5. upgrade double charge

const UPGRADE_ROUNDS: usize = 15;

/// Ten simultaneous tier changes alternating pro and enterprise on an enabled starter
/// service: whatever the interleaving, the month's tier charges add up to the final
/// tier's monthly base.
fn simultaneous_upgrades_cost_what_the_final_tier_costs(s: &Server) {
    for round in 0..UPGRADE_ROUNDS {
        let (t, _) = wallet_user(s);
        deposit(s, &t, 1_000_000);
        let r = s.authed("POST", "/api/suiftly/services/seal/enable", &t, None);
        assert_eq!(r.status, 200, "{}", r.text);
        let starter = cents(&r.json["pricing"]["monthly_usd_cents"]);
        let rs = together(10, |i| {
            let tier = if i % 2 == 0 { "pro" } else { "enterprise" };
            s.authed(
                "PUT",
                "/api/suiftly/services/seal/config",
                &t,
                Some(&json!({"tier": tier})),
            )
        });
        for r in &rs {
            assert!(
                r.status == 200 || r.status == 409,
                "round {round}: {}",
                r.text
            );
        }
        assert!(
            count(&rs, 200) >= 1,
            "round {round}: some change went through"
        );
        let svc = s.authed("GET", "/api/suiftly/services/seal", &t, None);
        let final_price = cents(&svc.json["pricing"]["monthly_usd_cents"]);
        let tier_paid: i64 = charges(s, &t)
            .iter()
            .filter(|c| {
                c["idempotency_key"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("tier:"))
            })
            .map(|c| cents(&c["amount_usd_cents"]))
            .sum();
        assert_eq!(
            tier_paid, final_price,
            "round {round}: tier {} after paying {tier_paid} (starter was {starter})",
            svc.json["tier"]
        );
        let c = customer(s, &t);
        assert_eq!(
            cents(&c["current_balance_usd_cents"]),
            1_000_000 - tier_paid
        );
    }
}

// ---------------------------------------------------------------- 6. import CPU

fn chain_doc(n: usize) -> Value {
    let tasks: Vec<Value> = (0..n)
        .map(|i| {
            let deps = if i == 0 {
                json!([])
            } else {
                json!([format!("t{}", i - 1)])
            };
            json!({"id": format!("t{i}"), "title": format!("step {i}"), "depends_on": deps})
        })
        .collect();
    json!({"version": 1, "tasks": tasks})
}

/// A dependency chain of 5,000 tasks (9,999 rows with its dependencies, just under the
/// cap) imports in linear time while `/health` keeps answering; 14,000 (the attack's
/// 663 KB document) is refused at once.
fn import_is_linear_and_capped(s: &Server) {
    let t = token(s);
    let big = chain_doc(14_000);
    let started = Instant::now();
    let r = s.authed("POST", "/api/os/import", &t, Some(&big));
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["body"]
            .as_str()
            .is_some_and(|m| m.contains("10000")),
        "{}",
        r.text
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused quickly"
    );

    let doc = chain_doc(5_000);
    let rs = together(2, |i| {
        let t0 = Instant::now();
        let r = if i == 0 {
            s.authed("POST", "/api/os/import", &t, Some(&doc))
        } else {
            std::thread::sleep(Duration::from_millis(300));
            s.get("/health")
        };
        (r, t0.elapsed())
    });
    let (import, took) = &rs[0];
    assert_eq!(import.status, 201, "{}", import.text);
    assert_eq!(import.json["imported"]["tasks"], 5_000);
    // The quadratic check took about 3 s of CPU for this; linear takes a fraction.
    assert!(*took < Duration::from_secs(2), "import took {took:?}");
    println!("    5,000-task chain imported in {took:?}");
    assert_eq!(rs[1].0.status, 200);

    // A cycle in a long chain is still found, and named.
    let mut cyclic = chain_doc(3_000);
    cyclic["tasks"][0]["depends_on"] = json!(["t2999"]);
    let r = s.authed("POST", "/api/os/import", &token(s), Some(&cyclic));
    r.assert_error(422, "validation_failed");
    let fields = r.json["error"]["details"]["fields"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(
        fields
            .iter()
            .any(|(k, v)| k.starts_with("tasks[") && v == "closes a dependency cycle"),
        "{}",
        r.text
    );
}

/// A ledger whose running balance dips below zero is refused even when it ends positive.
fn import_ledger_never_dips_below_zero(s: &Server) {
    let t = token(s);
    let entry = |delta: i64| json!({"delta": delta, "reason": "r", "source_type": "manual"});
    let doc = json!({"version": 1, "wallet": {"balance": 50, "ledger": [entry(100), entry(-150), entry(100)]}});
    let r = s.authed("POST", "/api/os/import", &t, Some(&doc));
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["wallet.ledger[1].delta"].is_string(),
        "{}",
        r.text
    );
    let w = s.authed("GET", "/api/os/wallet", &t, None);
    assert_eq!(w.json["balance"], 0, "nothing written: {}", w.text);
    let ok = json!({"version": 1, "wallet": {"balance": 50, "ledger": [entry(100), entry(-100), entry(50)]}});
    assert_eq!(
        s.authed("POST", "/api/os/import", &t, Some(&ok)).status,
        201
    );
}

// ---------------------------------------------------------------- smaller holes

/// Someone asking for a challenge for your address does not void yours; each challenge
/// still works once.
fn a_new_wallet_challenge_keeps_the_pending_ones(s: &Server) {
    let key = keypair();
    let address = wallet::address_of(&key.verifying_key().to_bytes());
    let mine = challenge(s, &address);
    // The attacker, from another IP, asks for one for the same address.
    let theirs = s.send(
        "POST",
        "/api/auth/wallet/challenge",
        &[
            ("Content-Type", "application/json"),
            ("CF-Connecting-IP", "203.0.113.66"),
        ],
        Some(&json!({"address": address}).to_string()),
    );
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    let signed = json!({"address": address, "signature": sui_signature(&key, mine["message"].as_str().expect("m"))});
    let r = s.post_json("/api/auth/wallet/verify", &signed);
    assert_eq!(
        r.status, 200,
        "the victim's challenge still works: {}",
        r.text
    );
    s.post_json("/api/auth/wallet/verify", &signed)
        .assert_error(401, "unauthorized");
    // The other pending challenge is still good for its own signature, once.
    let other = json!({"address": address, "signature": sui_signature(&key, theirs.json["message"].as_str().expect("m"))});
    assert_eq!(s.post_json("/api/auth/wallet/verify", &other).status, 200);
    // Simultaneous verifies of one challenge: one signs in.
    let ch = challenge(s, &address);
    let body = json!({"address": address, "signature": sui_signature(&key, ch["message"].as_str().expect("m"))});
    let rs = together(5, |_| s.post_json("/api/auth/wallet/verify", &body));
    assert_eq!(count(&rs, 200), 1);
    assert_eq!(count(&rs, 401), 4);
}

/// A new wallet signing in from several devices at once (each with its own challenge):
/// every sign-in succeeds, as one user, who is one Suiftly customer.
fn simultaneous_first_wallet_sign_ins_make_one_user(s: &Server) {
    let key = keypair();
    let address = wallet::address_of(&key.verifying_key().to_bytes());
    let bodies: Vec<Value> = (0..4)
        .map(|_| {
            let ch = challenge(s, &address);
            json!({"address": address, "signature": sui_signature(&key, ch["message"].as_str().expect("m"))})
        })
        .collect();
    let rs = together(4, |i| s.post_json("/api/auth/wallet/verify", &bodies[i]));
    assert_eq!(
        count(&rs, 200),
        4,
        "{:?}",
        rs.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let users: std::collections::HashSet<&str> = rs
        .iter()
        .filter_map(|r| r.json["user"]["id"].as_str())
        .collect();
    assert_eq!(users.len(), 1, "one user: {users:?}");
    let customers: std::collections::HashSet<i64> = rs
        .iter()
        .map(|r| {
            let t = r.json["access_token"].as_str().expect("token");
            let c = s.authed("GET", "/api/suiftly/customer", t, None);
            assert_eq!(c.status, 200, "{}", c.text);
            c.json["customer_id"].as_i64().expect("customer id")
        })
        .collect();
    assert_eq!(customers.len(), 1, "one customer: {customers:?}");
}

/// Ten wrong passwords from ten other IPs do not lock the owner out; ten from one IP
/// still lock that IP out of that account.
fn failed_logins_from_elsewhere_do_not_lock_the_owner_out(s: &Server) {
    let (email, password, _) = new_user(s);
    let login = |ip: &str, pw: &str| {
        s.send(
            "POST",
            "/api/auth/login",
            &[
                ("Content-Type", "application/json"),
                ("CF-Connecting-IP", ip),
            ],
            Some(&json!({"email": email, "password": pw}).to_string()),
        )
    };
    for i in 0..12 {
        login(&format!("198.51.100.{}", i + 1), "wrong password").assert_error(401, "unauthorized");
    }
    let owner = login("192.0.2.10", &password);
    assert_eq!(owner.status, 200, "owner locked out: {}", owner.text);
    for _ in 0..10 {
        login("198.51.100.200", "wrong again").assert_error(401, "unauthorized");
    }
    login("198.51.100.200", &password).assert_error(429, "rate_limited");
    assert_eq!(login("192.0.2.10", &password).status, 200);
}

/// `GET /plans/next` and `GET /noise` hand out and mark work: the SameSite=Lax cookie
/// alone (a cross-site link) is refused; Bearer and X-API-Key work.
fn state_changing_gets_need_a_header_credential(s: &Server) {
    let (_, _, body) = new_user(s);
    let access = body["access_token"].as_str().expect("access");
    let cookie = format!("access_token={access}");
    for path in [
        "/api/phantom/plans/next",
        "/api/phantom/noise",
        "/api/phantom/noise/search",
    ] {
        s.send("GET", path, &[("Cookie", &cookie)], None)
            .assert_error(401, "unauthorized");
        let r = s.authed("GET", path, access, None);
        assert!(r.status == 200 || r.status == 204, "{path}: {}", r.text);
    }
    let key = s.authed(
        "POST",
        "/api/auth/api-keys",
        access,
        Some(&json!({"name": "extension"})),
    );
    let key = key.json["key"].as_str().expect("key");
    let r = s.send("GET", "/api/phantom/noise", &[("X-API-Key", key)], None);
    assert_eq!(r.status, 200, "{}", r.text);
    // Read-only GETs keep accepting the cookie.
    let r = s.send("GET", "/api/phantom/status", &[("Cookie", &cookie)], None);
    assert_eq!(r.status, 200, "{}", r.text);
}

fn stored_urls_are_http_and_dates_in_range(s: &Server) {
    let t = token(s);
    for url in [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
        "https://",
    ] {
        let r = s.authed(
            "POST",
            "/api/os/courses",
            &t,
            Some(&json!({"title": "Rust", "url": url})),
        );
        r.assert_error(422, "validation_failed");
        assert!(
            r.json["error"]["details"]["fields"]["url"].is_string(),
            "{}",
            r.text
        );
    }
    let ok = s.authed(
        "POST",
        "/api/os/courses",
        &t,
        Some(&json!({"title": "Rust", "url": "https://doc.rust-lang.org/book/"})),
    );
    assert_eq!(ok.status, 201, "{}", ok.text);
    let id = ok.json["id"].as_str().expect("id");
    s.authed(
        "PATCH",
        &format!("/api/os/courses/{id}"),
        &t,
        Some(&json!({"url": "javascript:alert(1)"})),
    )
    .assert_error(422, "validation_failed");
    let list = s.authed("GET", "/api/os/courses", &t, None);
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        list.json["items"][0]["url"],
        "https://doc.rust-lang.org/book/"
    );

    for date in ["1969-12-31", "2101-01-01", "9999-12-31"] {
        let r = s.authed(
            "POST",
            "/api/os/tasks",
            &t,
            Some(&json!({"title": "far", "due_date": date})),
        );
        r.assert_error(422, "validation_failed");
        assert!(r.json["error"]["details"]["fields"]["due_date"].is_string());
    }
    let r = s.authed(
        "POST",
        "/api/os/tasks",
        &t,
        Some(&json!({"title": "near", "due_date": "2100-12-31"})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

/// `CORS_ORIGINS` in tests/e2e.env lists a chrome-extension:// origin: it is served like
/// any other allowed origin (it used to turn every request into a 500).
fn extension_origins_are_allowed(s: &Server) {
    let origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
    let r = s.send("GET", "/health", &[("Origin", origin)], None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    let pre = s.send(
        "OPTIONS",
        "/api/phantom/noise",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "x-api-key"),
        ],
        None,
    );
    assert_eq!(pre.status, 204, "{}", pre.text);
    let other = s.send(
        "GET",
        "/health",
        &[("Origin", "chrome-extension://someoneelse")],
        None,
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
}

fn unknown_methods_are_405(s: &Server) {
    let t = token(s);
    for method in ["QUERY", "PURGE", "PROPFIND"] {
        let r = s.send(
            method,
            "/api/auth/me",
            &[("Authorization", &format!("Bearer {t}"))],
            None,
        );
        r.assert_error(405, "method_not_allowed");
        let allow = r.header("allow").unwrap_or("").to_string();
        assert!(allow.contains("GET") && !allow.contains(method), "{allow}");
    }
    s.send("PURGE", "/health", &[], None)
        .assert_error(405, "method_not_allowed");
}

// ---------------------------------------------------------------- 2. mocks and the chain

/// With ENVIRONMENT=production, every mock is refused: each request answers 503
/// `misconfigured` naming the setting, and nothing is credited.
fn production_refuses_every_mock(_s: &Server) {
    let server =
        Server::start_answering(&[("ENVIRONMENT", "production"), ("MOCK_AUTH", "true")], 503);
    for (method, path, body) in [
        ("GET", "/health", None),
        (
            "POST",
            "/api/suiftly/escrow/deposit",
            Some(json!({"amount_usd_cents": 100_000_000, "tx_digest": "anything-new"})),
        ),
        (
            "POST",
            "/api/auth/wallet/challenge",
            Some(json!({"address": "0x1"})),
        ),
    ] {
        let r = match body {
            Some(b) => server.post_json(path, &b),
            None => server.send(method, path, &[], None),
        };
        r.assert_error(503, "misconfigured");
        let settings = r.json["error"]["details"]["settings"].clone();
        assert_eq!(
            settings,
            json!(["MOCK_AUTH", "EMAIL_BACKEND", "EMAIL_FROM", "ESCROW_MODE"]),
            "{}",
            r.text
        );
        assert!(
            r.json["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("MOCK_AUTH")
                    && m.contains("ESCROW_MODE")
                    && m.contains("EMAIL_BACKEND")),
            "{}",
            r.text
        );
    }
    // The log line names the setting (wrangler writes it a moment later).
    let wanted = "MOCK_AUTH=true (a mock) is refused when ENVIRONMENT=production";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(server.log_path())
        .unwrap_or_default()
        .contains(wanted)
    {
        assert!(Instant::now() < deadline, "no log line naming the setting");
        std::thread::sleep(Duration::from_millis(200));
    }
    server.stop();
}

/// `ESCROW_MODE=sui` in production, against a fake Sui GraphQL RPC: a deposit is credited
/// only as the chain shows it; every other case is a 422 naming the reason.
fn sui_escrow_credits_only_what_the_chain_shows(_s: &Server) {
    let chain = FakeSui::start();
    let url = chain.url();
    let server = Server::start_with(&[
        ("ENVIRONMENT", "production"),
        ("EMAIL_BACKEND", "resend"),
        ("EMAIL_API_KEY", "re_test_key"),
        ("EMAIL_API_URL", "http://127.0.0.1:9"),
        ("EMAIL_FROM", "Suiftly <billing@suiftly.test>"),
        ("ESCROW_MODE", "sui"),
        ("SUI_GRAPHQL_URL", &url),
        ("ESCROW_ADDRESS", ESCROW_ADDRESS),
        ("ESCROW_COIN_TYPE", USDC),
    ]);
    assert_eq!(server.get("/health").status, 200);
    let (t, wallet) = wallet_user(&server);
    let (_, stranger) = wallet_user(&server);
    let deposit = |digest: &str, stated: Option<i64>| {
        let mut body = json!({"tx_digest": digest});
        if let Some(c) = stated {
            body["amount_usd_cents"] = json!(c);
        }
        server.authed("POST", "/api/suiftly/escrow/deposit", &t, Some(&body))
    };
    let balance = || cents(&customer(&server, &t)["current_balance_usd_cents"]);

    // The attack: a made-up digest and a million dollars.
    deposit("anything-new", Some(100_000_000)).assert_error(422, "validation_failed");
    deposit(&fake_sui::digest(), Some(100_000_000)).assert_error(422, "unknown_transaction");

    // 12.345678 USDC to the escrow address, sent by the customer's wallet: 1,234 cents.
    let paid = chain.add(
        &wallet,
        "SUCCESS",
        vec![
            change(&wallet, USDC, -12_345_678),
            change(ESCROW_ADDRESS, USDC, 12_345_678),
            change(&wallet, SUI, -2_000_000),
        ],
    );
    deposit(&paid, Some(100_000_000)).assert_error(422, "amount_mismatch");
    let r = deposit(&paid, None);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["transaction"]["amount_usd_cents"], 1_234);
    assert_eq!(balance(), 1_234);
    let again = deposit(&paid, Some(1_234));
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["duplicate"], true);
    assert_eq!(balance(), 1_234, "a digest credits once");

    let cases = [
        (
            chain.add(
                &wallet,
                "FAILURE",
                vec![change(ESCROW_ADDRESS, USDC, 5_000_000)],
            ),
            "transaction_failed",
        ),
        (
            chain.add(
                &stranger,
                "SUCCESS",
                vec![change(ESCROW_ADDRESS, USDC, 5_000_000)],
            ),
            "wrong_sender",
        ),
        (
            chain.add(&wallet, "SUCCESS", vec![change(&stranger, USDC, 5_000_000)]),
            "wrong_recipient",
        ),
        (
            chain.add(
                &wallet,
                "SUCCESS",
                vec![change(ESCROW_ADDRESS, SUI, 5_000_000_000)],
            ),
            "wrong_coin",
        ),
    ];
    for (digest, code) in &cases {
        deposit(digest, None).assert_error(422, code);
    }
    assert_eq!(balance(), 1_234, "nothing else credited");
    let asked: Vec<String> = chain
        .bodies
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|b| b["variables"]["digest"].as_str().map(String::from))
        .collect();
    assert!(
        asked.contains(&paid),
        "the chain was asked about the digest"
    );

    // Withdrawals are requests for the operator's signer, with the money reserved.
    let w = server.authed(
        "POST",
        "/api/suiftly/escrow/withdraw",
        &t,
        Some(&json!({"amount_usd_cents": 234})),
    );
    assert_eq!(w.status, 202, "{}", w.text);
    assert_eq!(w.json["status"], "pending");
    assert_eq!(balance(), 1_000);
    let ledger = server.authed("GET", "/api/suiftly/escrow/transactions", &t, None);
    let withdrawal = ledger.json["items"]
        .as_array()
        .and_then(|i| i.iter().find(|e| e["tx_type"] == "withdraw").cloned())
        .expect("withdrawal listed");
    assert_eq!(withdrawal["status"], "pending");
    assert!(withdrawal["tx_digest"].is_null());
    server.stop();
}
