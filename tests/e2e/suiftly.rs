//! Suiftly end to end: customers, services, billing on cron, escrow, vault.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use serde_json::{json, Value};

use crate::auth::{token, wallet_user};
use crate::harness::{env_value, suite, Resp, Server, Test};
use edge_api::platform::crypto::b64_decode;

pub fn tests() -> Vec<Test> {
    suite!(
        "suiftly";
        wallet_login_creates_the_customer,
        services_list_and_coming_soon,
        enable_checks_balance_and_limit_with_the_seed_details,
        tier_upgrade_charges_the_difference_and_downgrade_waits,
        metering_and_billing_match_a_hand_computation,
        insufficient_balance_suspends_and_leaves_the_vault,
        deposit_digest_credits_once_and_withdraw_is_bounded,
        vault_etag_304_and_keys_decrypt,
        service_keys_lifecycle,
        seal_keys_are_charged_and_private_parts_hidden,
        gateway_routes_refuse_wrong_tokens,
        ingest_is_validated_and_all_or_nothing,
        customer_routes_are_404_for_other_users,
        month_rollover_applies_downgrades_and_charges_the_new_month(exclusive),
    )
}

pub fn gateway(
    s: &Server,
    method: &str,
    path: &str,
    body: Option<&Value>,
    extra: &[(&str, &str)],
) -> Resp {
    let token = env_value("GATEWAY_TOKEN");
    let text = body.map(Value::to_string);
    let mut h = vec![
        ("X-Gateway-Token", token.as_str()),
        ("Content-Type", "application/json"),
    ];
    h.extend_from_slice(extra);
    s.send(method, path, &h, text.as_deref())
}

pub fn customer(s: &Server, t: &str) -> Value {
    let r = s.authed("GET", "/api/suiftly/customer", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

pub fn deposit(s: &Server, t: &str, cents: i64) -> Resp {
    let digest = format!("0x{}", crate::auth::unique("tx"));
    let r = s.authed(
        "POST",
        "/api/suiftly/escrow/deposit",
        t,
        Some(&json!({"amount_usd_cents": cents, "tx_digest": digest})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r
}

pub fn enable(s: &Server, t: &str) -> Resp {
    s.authed("POST", "/api/suiftly/services/seal/enable", t, None)
}

pub fn run_cron(s: &Server) {
    let r = s.get("/__scheduled?cron=*/5+*+*+*+*");
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The start (ms) of the 5-minute window `minutes_ago` minutes back.
pub fn window_ago(minutes_ago: i64) -> i64 {
    let t = chrono::Utc::now().timestamp_millis() - minutes_ago * 60_000;
    t - t.rem_euclid(300_000)
}

pub fn logs(customer_id: i64, window_start: i64, n: usize, status: i64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"timestamp": window_start + (i as i64 % 290_000), "customer_id": customer_id, "service_type": "seal",
                   "method": "POST", "status_code": status, "bytes_out": 100})
        })
        .collect()
}

pub fn ingest(s: &Server, rows: Vec<Value>) {
    for chunk in rows.chunks(1000) {
        let r = gateway(
            s,
            "POST",
            "/api/suiftly/usage/logs",
            Some(&json!({"logs": chunk})),
            &[],
        );
        assert_eq!(r.status, 202, "{}", r.text);
    }
}

fn escrow(s: &Server, t: &str) -> Vec<Value> {
    let r = s.authed("GET", "/api/suiftly/escrow/transactions?limit=200", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

pub fn usage(s: &Server, t: &str) -> Vec<Value> {
    let r = s.authed("GET", "/api/suiftly/usage?limit=200", t, None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().cloned().unwrap_or_default()
}

fn vault_csv(s: &Server) -> String {
    let r = gateway(s, "GET", "/api/suiftly/vault", None, &[]);
    assert_eq!(r.status, 200, "{}", r.text);
    r.text
}

fn wallet_login_creates_the_customer(s: &Server) {
    let (t, address) = wallet_user(s);
    let c = customer(s, &t);
    let id = c["customer_id"].as_i64().expect("id");
    assert!((1..=i64::from(i32::MAX)).contains(&id), "{id}");
    assert_eq!(c["wallet_address"], address.as_str());
    assert_eq!(c["current_balance_usd_cents"], 0);
    assert_eq!(c["max_monthly_usd_cents"], 25_000);
    assert_eq!(c["current_month_charged_usd_cents"], 0);
    assert_eq!(c["last_month_charged_usd_cents"], 0);
    assert!(
        c["current_month_start"]
            .as_str()
            .is_some_and(|m| m.ends_with("-01")),
        "{c}"
    );
    let p = s.authed(
        "PATCH",
        "/api/suiftly/customer",
        &t,
        Some(&json!({"max_monthly_usd_cents": 5_000})),
    );
    assert_eq!(p.json["max_monthly_usd_cents"], 5_000);
    s.authed(
        "PATCH",
        "/api/suiftly/customer",
        &t,
        Some(&json!({"max_monthly_usd_cents": -1})),
    )
    .assert_error(422, "validation_failed");
    s.authed(
        "PATCH",
        "/api/suiftly/customer",
        &t,
        Some(&json!({"max_monthly_usd_cents": "lots"})),
    )
    .assert_error(422, "validation_failed");
    // Email users are not customers.
    s.authed("GET", "/api/suiftly/customer", &token(s), None)
        .assert_error(404, "not_found");
}

fn services_list_and_coming_soon(s: &Server) {
    let (t, _) = wallet_user(s);
    let r = s.authed("GET", "/api/suiftly/services", &t, None);
    let items = r.json["items"].as_array().expect("items");
    let status = |ty: &str| {
        items
            .iter()
            .find(|i| i["service_type"] == ty)
            .map(|i| i["status"].clone())
    };
    assert_eq!(status("seal"), Some(json!("live")));
    assert_eq!(status("grpc"), Some(json!("coming_soon")));
    assert_eq!(status("graphql"), Some(json!("coming_soon")));
    let seal = s.authed("GET", "/api/suiftly/services/seal", &t, None);
    for f in [
        "service_type",
        "status",
        "tier",
        "is_enabled",
        "suspended_reason",
        "config",
    ] {
        assert!(seal.json.get(f).is_some(), "{f}: {}", seal.text);
    }
    assert_eq!(seal.json["is_enabled"], false);
    s.authed("POST", "/api/suiftly/services/grpc/enable", &t, None)
        .assert_error(409, "conflict");
    s.authed(
        "PUT",
        "/api/suiftly/services/graphql/config",
        &t,
        Some(&json!({"tier": "pro"})),
    )
    .assert_error(409, "conflict");
    s.authed("GET", "/api/suiftly/services/rest", &t, None)
        .assert_error(404, "not_found");
    s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "platinum"})),
    )
    .assert_error(422, "validation_failed");
}

fn enable_checks_balance_and_limit_with_the_seed_details(s: &Server) {
    let (t, _) = wallet_user(s);
    let r = enable(s, &t);
    r.assert_error(402, "insufficient_balance");
    let d = &r.json["error"]["details"];
    assert_eq!(d["current_balance_usd"], 0.0);
    assert_eq!(d["estimated_cost_usd"], 9.0);
    assert_eq!(d["required_deposit_usd"], 9.0);

    deposit(s, &t, 1_000);
    s.authed(
        "PATCH",
        "/api/suiftly/customer",
        &t,
        Some(&json!({"max_monthly_usd_cents": 500})),
    );
    let r = enable(s, &t);
    r.assert_error(402, "monthly_limit_exceeded");
    let d = &r.json["error"]["details"];
    assert_eq!(d["max_monthly_usd"], 5.0);
    assert_eq!(d["current_month_charged_usd"], 0.0);
    assert_eq!(d["estimated_cost_usd"], 9.0);
    assert_eq!(d["remaining_authorization_usd"], 5.0);
    assert_eq!(
        customer(s, &t)["current_balance_usd_cents"],
        1_000,
        "nothing written on 402"
    );

    s.authed(
        "PATCH",
        "/api/suiftly/customer",
        &t,
        Some(&json!({"max_monthly_usd_cents": 25_000})),
    );
    let r = enable(s, &t);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["is_enabled"], true);
    let c = customer(s, &t);
    assert_eq!(c["current_balance_usd_cents"], 100);
    assert_eq!(c["current_month_charged_usd_cents"], 900);
    // Enabling again, or disabling and enabling within the month, does not charge again.
    assert_eq!(enable(s, &t).status, 200);
    let off = s.authed("POST", "/api/suiftly/services/seal/disable", &t, None);
    assert_eq!(off.json["is_enabled"], false);
    assert_eq!(enable(s, &t).status, 200);
    assert_eq!(customer(s, &t)["current_balance_usd_cents"], 100);
    let charges: Vec<Value> = escrow(s, &t)
        .into_iter()
        .filter(|e| e["tx_type"] == "charge")
        .collect();
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0]["amount_usd_cents"], 900);
}

fn tier_upgrade_charges_the_difference_and_downgrade_waits(s: &Server) {
    let (t, _) = wallet_user(s);
    deposit(s, &t, 5_000);
    assert_eq!(enable(s, &t).status, 200);
    let up = s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "pro", "origins": ["https://a.example"]})),
    );
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(up.json["tier"], "pro");
    assert_eq!(up.json["config"]["origins"][0], "https://a.example");
    let c = customer(s, &t);
    assert_eq!(
        c["current_balance_usd_cents"],
        5_000 - 900 - 2_000,
        "charged 2,900 − 900"
    );
    assert_eq!(c["current_month_charged_usd_cents"], 2_900);

    let down = s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "starter"})),
    );
    assert_eq!(down.json["tier"], "pro", "still pro this month");
    assert_eq!(down.json["next_tier"], "starter");
    assert_eq!(
        customer(s, &t)["current_balance_usd_cents"],
        2_100,
        "no refund, no charge"
    );
    let back = s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "pro"})),
    );
    assert_eq!(back.json["next_tier"], Value::Null);
    assert_eq!(
        customer(s, &t)["current_balance_usd_cents"],
        2_100,
        "pro already paid this month"
    );

    let r = s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "enterprise"})),
    );
    r.assert_error(402, "insufficient_balance");
    assert_eq!(
        r.json["error"]["details"]["estimated_cost_usd"], 156.0,
        "18,500 − 2,900"
    );
}

fn metering_and_billing_match_a_hand_computation(s: &Server) {
    let (t, _) = wallet_user(s);
    let cid = customer(s, &t)["customer_id"].as_i64().expect("id");
    deposit(s, &t, 10_000);
    assert_eq!(enable(s, &t).status, 200);
    let (a, b) = (window_ago(25), window_ago(15));
    // Each window's rows in one ingest batch, as a gateway sends them while the window is
    // open; other tests' crons may run between batches.
    let mut rows = logs(cid, a, 995, 200);
    rows.extend(logs(cid, a, 5, 503)); // server errors are not billed
    ingest(s, rows);
    ingest(s, logs(cid, b, 999, 404));
    run_cron(s);

    let mut u = usage(s, &t);
    u.sort_by_key(|r| r["window_start"].as_str().unwrap_or("").to_string());
    assert_eq!(u.len(), 2, "{u:?}");
    assert_eq!(u[0]["request_count"], 995);
    assert_eq!(u[0]["bytes_transferred"], 1_000 * 100);
    assert_eq!(
        u[0]["charged_amount_usd_cents"], 9,
        "995 × 10 ¢ / 1000 = 9.95 ¢ → 9, 0.95 carried"
    );
    assert_eq!(u[1]["request_count"], 999);
    assert_eq!(
        u[1]["charged_amount_usd_cents"], 10,
        "9.99 + 0.95 = 10.94 ¢ → 10, 0.94 carried"
    );
    let window_start =
        chrono::DateTime::parse_from_rfc3339(u[0]["window_start"].as_str().expect("start"))
            .expect("t");
    assert_eq!(window_start.timestamp_millis(), a);
    let c = customer(s, &t);
    assert_eq!(c["current_balance_usd_cents"], 10_000 - 900 - 19);
    assert_eq!(c["current_month_charged_usd_cents"], 919);
    let billing = s.authed("GET", "/api/suiftly/billing", &t, None);
    assert_eq!(
        billing.json["carried_fraction_usd_cents"], 0.94,
        "{}",
        billing.text
    );
    assert_eq!(billing.json["month_to_date_usd_cents"], 919);

    // A second run changes nothing.
    run_cron(s);
    assert_eq!(customer(s, &t)["current_balance_usd_cents"], 9_081);
    let charges = |s: &Server| {
        escrow(s, &t)
            .into_iter()
            .filter(|e| e["tx_type"] == "charge")
            .count()
    };
    assert_eq!(charges(s), 3, "base + one per window");

    // Two crons at once: still one charge per window.
    ingest(s, logs(cid, window_ago(10), 500, 200));
    std::thread::scope(|scope| {
        let h1 = scope.spawn(|| run_cron(s));
        let h2 = scope.spawn(|| run_cron(s));
        h1.join().expect("cron 1");
        h2.join().expect("cron 2");
    });
    run_cron(s);
    assert_eq!(charges(s), 4);
    assert_eq!(
        customer(s, &t)["current_balance_usd_cents"],
        9_081 - 5,
        "500 × 10 + 940 = 5,940 → 5 ¢"
    );
    assert_eq!(usage(s, &t).len(), 3);

    // Pages of one row follow each other; a cursor this API never made is a position
    // past every row (an empty page), not an error.
    let first = s.authed("GET", "/api/suiftly/usage?limit=2", &t, None);
    assert_eq!(first.json["items"].as_array().map(Vec::len), Some(2));
    let next = first.json["next_cursor"].as_str().expect("a next page");
    let second = s.authed(
        "GET",
        &format!("/api/suiftly/usage?limit=2&cursor={next}"),
        &t,
        None,
    );
    assert_eq!(
        second.json["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        second.text
    );
    assert_eq!(second.json["next_cursor"], Value::Null);
    for foreign in [
        "0000",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    ] {
        let r = s.authed(
            "GET",
            &format!("/api/suiftly/usage?cursor={foreign}"),
            &t,
            None,
        );
        assert_eq!(r.status, 200, "{foreign}: {}", r.text);
        assert_eq!(r.json["items"], json!([]), "{foreign}");
    }
}

fn insufficient_balance_suspends_and_leaves_the_vault(s: &Server) {
    let (t, _) = wallet_user(s);
    let cid = customer(s, &t)["customer_id"].as_i64().expect("id");
    deposit(s, &t, 901);
    assert_eq!(enable(s, &t).status, 200);
    let key = s.authed("POST", "/api/suiftly/services/seal/keys", &t, None);
    assert_eq!(key.status, 201, "{}", key.text);
    run_cron(s);
    let line = format!("\n{cid},");
    assert!(vault_csv(s).contains(&line), "key in the vault");

    ingest(s, logs(cid, window_ago(20), 200, 200)); // 2 ¢ > 1 ¢ balance
    run_cron(s);
    let seal = s.authed("GET", "/api/suiftly/services/seal", &t, None);
    assert_eq!(
        seal.json["suspended_reason"], "insufficient_balance",
        "{}",
        seal.text
    );
    assert!(
        !vault_csv(s).contains(&line),
        "suspended keys leave the vault"
    );
    assert_eq!(
        usage(s, &t)[0]["charged_amount_usd_cents"],
        Value::Null,
        "not charged"
    );
    assert_eq!(customer(s, &t)["current_balance_usd_cents"], 1);

    deposit(s, &t, 100);
    run_cron(s);
    let seal = s.authed("GET", "/api/suiftly/services/seal", &t, None);
    assert_eq!(seal.json["suspended_reason"], Value::Null);
    assert_eq!(usage(s, &t)[0]["charged_amount_usd_cents"], 2);
    assert_eq!(customer(s, &t)["current_balance_usd_cents"], 99);
    assert!(vault_csv(s).contains(&line), "back in the vault");
}

fn deposit_digest_credits_once_and_withdraw_is_bounded(s: &Server) {
    let (t, _) = wallet_user(s);
    let digest = format!("0x{}", crate::auth::unique("dup"));
    let body = json!({"amount_usd_cents": 500, "tx_digest": digest});
    let first = s.authed("POST", "/api/suiftly/escrow/deposit", &t, Some(&body));
    assert_eq!(first.status, 201, "{}", first.text);
    let again = s.authed("POST", "/api/suiftly/escrow/deposit", &t, Some(&body));
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["duplicate"], true);
    assert_eq!(
        again.json["transaction"]["id"],
        first.json["transaction"]["id"]
    );
    assert_eq!(
        customer(s, &t)["current_balance_usd_cents"],
        500,
        "credited once"
    );
    let (other, _) = wallet_user(s);
    s.authed("POST", "/api/suiftly/escrow/deposit", &other, Some(&body))
        .assert_error(409, "conflict");
    assert_eq!(customer(s, &other)["current_balance_usd_cents"], 0);
    s.authed(
        "POST",
        "/api/suiftly/escrow/deposit",
        &t,
        Some(&json!({"amount_usd_cents": 0, "tx_digest": "x1"})),
    )
    .assert_error(422, "validation_failed");

    s.authed(
        "POST",
        "/api/suiftly/escrow/withdraw",
        &t,
        Some(&json!({"amount_usd_cents": 501})),
    )
    .assert_error(409, "conflict");
    let w = s.authed(
        "POST",
        "/api/suiftly/escrow/withdraw",
        &t,
        Some(&json!({"amount_usd_cents": 200})),
    );
    assert_eq!(w.status, 201, "{}", w.text);
    assert_eq!(customer(s, &t)["current_balance_usd_cents"], 300);
    let types: Vec<String> = escrow(s, &t)
        .iter()
        .filter_map(|e| e["tx_type"].as_str().map(String::from))
        .collect();
    assert_eq!(types, vec!["deposit", "withdraw"]);

    // Down to exactly zero, not below.
    let w = s.authed(
        "POST",
        "/api/suiftly/escrow/withdraw",
        &t,
        Some(&json!({"amount_usd_cents": 300})),
    );
    assert_eq!(w.status, 201, "{}", w.text);
    assert_eq!(customer(s, &t)["current_balance_usd_cents"], 0);
    s.authed(
        "POST",
        "/api/suiftly/escrow/withdraw",
        &t,
        Some(&json!({"amount_usd_cents": 1})),
    )
    .assert_error(409, "conflict");
}

fn decrypt(encrypted_b64: &str) -> String {
    let key = b64_decode(&env_value("VAULT_KEY")).expect("key");
    let sealed = b64_decode(encrypted_b64).expect("b64");
    let cipher = Aes256Gcm::new_from_slice(&key).expect("32 bytes");
    let plain = cipher
        .decrypt(Nonce::from_slice(&sealed[..12]), &sealed[12..])
        .expect("decrypts under VAULT_KEY");
    String::from_utf8(plain).expect("utf8")
}

fn vault_etag_304_and_keys_decrypt(s: &Server) {
    let (t, _) = wallet_user(s);
    let cid = customer(s, &t)["customer_id"].as_i64().expect("id");
    deposit(s, &t, 5_000);
    s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "pro"})),
    );
    assert_eq!(enable(s, &t).status, 200);
    let created = s.authed("POST", "/api/suiftly/services/seal/keys", &t, None);
    let key = created.json["key"].as_str().expect("key").to_string();
    run_cron(s);

    let r = gateway(s, "GET", "/api/suiftly/vault", None, &[]);
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/csv"));
    assert!(r
        .text
        .starts_with("customer_id,encrypted_key,rate_limit,tier,service_type\n"));
    let etag = r.header("etag").expect("ETag").to_string();
    let row = r
        .text
        .lines()
        .find(|l| l.starts_with(&format!("{cid},")))
        .expect("our row")
        .to_string();
    let cols: Vec<&str> = row.split(',').collect();
    assert_eq!(cols.len(), 5);
    assert_eq!(&cols[2..], &["500", "pro", "seal"]);
    assert_eq!(decrypt(cols[1]), key, "the encrypted key is the real key");

    // Other tests change the vault too: ask until one version is seen twice.
    let mut etag = etag;
    let mut not_modified = false;
    for _ in 0..10 {
        let again = gateway(
            s,
            "GET",
            "/api/suiftly/vault",
            None,
            &[("If-None-Match", &etag)],
        );
        if again.status == 304 {
            assert!(again.text.is_empty());
            assert_eq!(again.header("etag"), Some(etag.as_str()));
            not_modified = true;
            break;
        }
        assert_eq!(again.status, 200);
        assert_ne!(
            again.header("etag"),
            Some(etag.as_str()),
            "200 only for a new version"
        );
        etag = again.header("etag").expect("ETag").to_string();
    }
    assert!(
        not_modified,
        "If-None-Match with the current ETag gives 304"
    );

    // A regenerated key: a new vault version with the new secret.
    let id = created.json["id"].as_str().expect("id");
    let regen = s.authed(
        "POST",
        &format!("/api/suiftly/services/seal/keys/{id}/regenerate"),
        &t,
        None,
    );
    let new_key = regen.json["key"].as_str().expect("new key").to_string();
    run_cron(s);
    let r2 = gateway(
        s,
        "GET",
        "/api/suiftly/vault",
        None,
        &[("If-None-Match", &etag)],
    );
    assert_eq!(r2.status, 200, "changed vault");
    assert_ne!(r2.header("etag"), Some(etag.as_str()));
    let row = r2
        .text
        .lines()
        .find(|l| l.starts_with(&format!("{cid},")))
        .expect("row");
    assert_eq!(decrypt(row.split(',').nth(1).expect("col")), new_key);
}

fn service_keys_lifecycle(s: &Server) {
    let (t, _) = wallet_user(s);
    let created = s.authed("POST", "/api/suiftly/services/seal/keys", &t, None);
    assert_eq!(created.status, 201, "{}", created.text);
    for f in ["id", "key", "key_version", "created_at"] {
        assert!(created.json.get(f).is_some(), "{f}");
    }
    assert_eq!(created.json["key_version"], 1);
    let key = created.json["key"].as_str().expect("key");
    let id = created.json["id"].as_str().expect("id");
    let list = s.authed("GET", "/api/suiftly/services/seal/keys", &t, None);
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
    assert!(!list.text.contains(&key[12..]), "never the secret");
    let regen = s.authed(
        "POST",
        &format!("/api/suiftly/services/seal/keys/{id}/regenerate"),
        &t,
        None,
    );
    assert_eq!(regen.status, 201);
    assert_eq!(regen.json["key_version"], 2);
    assert_ne!(regen.json["key"], created.json["key"]);
    let del = s.authed(
        "DELETE",
        &format!("/api/suiftly/services/seal/keys/{id}"),
        &t,
        None,
    );
    assert_eq!(del.status, 204);
    assert_eq!(
        s.authed("GET", "/api/suiftly/services/seal/keys", &t, None)
            .json["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    s.authed(
        "DELETE",
        &format!("/api/suiftly/services/seal/keys/{id}"),
        &t,
        None,
    )
    .assert_error(404, "not_found");
    s.authed("POST", "/api/suiftly/services/grpc/keys", &t, None)
        .assert_error(409, "conflict");
}

fn seal_keys_are_charged_and_private_parts_hidden(s: &Server) {
    let (t, _) = wallet_user(s);
    s.authed("POST", "/api/suiftly/seal-keys", &t, None)
        .assert_error(402, "insufficient_balance");
    deposit(s, &t, 600);
    let r = s.authed("POST", "/api/suiftly/seal-keys", &t, None);
    assert_eq!(r.status, 201, "{}", r.text);
    let private = r.json["private_key"].as_str().expect("private key once");
    assert_eq!(
        b64_decode(private).map(|b| b.len()),
        Some(48),
        "PKCS#8 Ed25519"
    );
    assert_eq!(
        b64_decode(r.json["public_key"].as_str().expect("pk")).map(|b| b.len()),
        Some(32)
    );
    assert_eq!(customer(s, &t)["current_balance_usd_cents"], 100);
    let list = s.authed("GET", "/api/suiftly/seal-keys", &t, None);
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
    assert!(
        !list.text.contains(private) && !list.text.contains("private"),
        "{}",
        list.text
    );
    s.authed("POST", "/api/suiftly/seal-keys", &t, None)
        .assert_error(402, "insufficient_balance");
}

fn gateway_routes_refuse_wrong_tokens(s: &Server) {
    let (t, _) = wallet_user(s);
    let body = json!({"logs": []}).to_string();
    for headers in [
        vec![],
        vec![("X-Gateway-Token", "wrong-token-wrong-token")],
        vec![("Authorization", "Bearer x")],
    ] {
        s.send("POST", "/api/suiftly/usage/logs", &headers, Some(&body))
            .assert_error(401, "unauthorized");
        s.send("GET", "/api/suiftly/vault", &headers, None)
            .assert_error(401, "unauthorized");
    }
    // A user's own token is not a gateway token.
    s.authed("GET", "/api/suiftly/vault", &t, None)
        .assert_error(401, "unauthorized");
}

fn ingest_is_validated_and_all_or_nothing(s: &Server) {
    let (t, _) = wallet_user(s);
    let cid = customer(s, &t)["customer_id"].as_i64().expect("id");
    let mut rows = logs(cid, window_ago(40), 3, 200);
    rows[1]["status_code"] = json!(999);
    let r = gateway(
        s,
        "POST",
        "/api/suiftly/usage/logs",
        Some(&json!({"logs": rows})),
        &[],
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["logs[1].status_code"].is_string(),
        "{}",
        r.text
    );
    let unknown = logs(2_147_000_001, window_ago(40), 1, 200);
    let r = gateway(
        s,
        "POST",
        "/api/suiftly/usage/logs",
        Some(&json!({"logs": unknown})),
        &[],
    );
    r.assert_error(422, "validation_failed");
    let r = gateway(
        s,
        "POST",
        "/api/suiftly/usage/logs",
        Some(&json!({"logs": logs(cid, window_ago(40), 1_001, 200)})),
        &[],
    );
    r.assert_error(422, "validation_failed");
    gateway(
        s,
        "POST",
        "/api/suiftly/usage/logs",
        Some(&json!({"rows": []})),
        &[],
    )
    .assert_error(422, "validation_failed");
    run_cron(s);
    assert!(
        usage(s, &t).is_empty(),
        "nothing written by refused batches"
    );
}

fn customer_routes_are_404_for_other_users(s: &Server) {
    let (a, _) = wallet_user(s);
    let (b, _) = wallet_user(s);
    let key = s.authed("POST", "/api/suiftly/services/seal/keys", &a, None);
    let id = key.json["id"].as_str().expect("id");
    s.authed(
        "POST",
        &format!("/api/suiftly/services/seal/keys/{id}/regenerate"),
        &b,
        None,
    )
    .assert_error(404, "not_found");
    s.authed(
        "DELETE",
        &format!("/api/suiftly/services/seal/keys/{id}"),
        &b,
        None,
    )
    .assert_error(404, "not_found");
    assert_eq!(
        s.authed("GET", "/api/suiftly/services/seal/keys", &b, None)
            .json["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        s.authed("GET", "/api/suiftly/services/seal/keys", &a, None)
            .json["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    for (m, p) in [
        ("GET", "/api/suiftly/customer"),
        ("GET", "/api/suiftly/services"),
        ("POST", "/api/suiftly/services/seal/enable"),
        ("GET", "/api/suiftly/usage"),
        ("GET", "/api/suiftly/billing"),
        ("GET", "/api/suiftly/escrow/transactions"),
        ("POST", "/api/suiftly/seal-keys"),
    ] {
        s.send(m, p, &[], None).assert_error(401, "unauthorized");
    }
}

fn month_rollover_applies_downgrades_and_charges_the_new_month(s: &Server) {
    let (t, _) = wallet_user(s);
    let cid = customer(s, &t)["customer_id"].as_i64().expect("id");
    deposit(s, &t, 10_000);
    s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "pro"})),
    );
    assert_eq!(enable(s, &t).status, 200);
    s.authed(
        "PUT",
        "/api/suiftly/services/seal/config",
        &t,
        Some(&json!({"tier": "starter"})),
    );
    s.authed(
        "PATCH",
        "/api/suiftly/customer",
        &t,
        Some(&json!({"max_monthly_usd_cents": 2_900})),
    );
    // The limit is reached: usage suspends the service.
    ingest(s, logs(cid, window_ago(35), 200, 200)); // 1.6 ¢ at pro → 1 ¢: 2,901 > 2,900
    run_cron(s);
    let seal = s.authed("GET", "/api/suiftly/services/seal", &t, None);
    assert_eq!(
        seal.json["suspended_reason"], "monthly_limit_exceeded",
        "{}",
        seal.text
    );
    // Raising the limit lets it run again; the waiting usage is billed to this month.
    s.authed(
        "PATCH",
        "/api/suiftly/customer",
        &t,
        Some(&json!({"max_monthly_usd_cents": 25_000})),
    );
    let seal = s.authed("GET", "/api/suiftly/services/seal", &t, None);
    assert_eq!(seal.json["suspended_reason"], Value::Null, "{}", seal.text);
    run_cron(s);
    assert_eq!(customer(s, &t)["current_month_charged_usd_cents"], 2_901);

    // The month ends (stand-in for the calendar).
    s.d1_execute(&format!(
        "UPDATE suiftly_customers SET current_month_start = '2000-01-01' WHERE customer_id = {cid}"
    ));
    run_cron(s);
    let c = customer(s, &t);
    assert_eq!(c["last_month_charged_usd_cents"], 2_901, "{c}");
    assert_eq!(
        c["current_month_start"],
        format!("{}-01", chrono::Utc::now().format("%Y-%m"))
    );
    // The new month: the downgrade applies and the starter base is charged.
    let seal = s.authed("GET", "/api/suiftly/services/seal", &t, None);
    assert_eq!(seal.json["tier"], "starter", "{}", seal.text);
    assert_eq!(seal.json["next_tier"], Value::Null);
    assert_eq!(c["current_month_charged_usd_cents"], 900);
    assert_eq!(c["current_balance_usd_cents"], 10_000 - 2_900 - 1 - 900);
    run_cron(s);
    assert_eq!(
        customer(s, &t)["current_balance_usd_cents"],
        10_000 - 2_900 - 1 - 900,
        "a second run changes nothing"
    );
    let bases = escrow(s, &t)
        .into_iter()
        .filter(|e| {
            e["description"]
                .as_str()
                .is_some_and(|d| d.contains("base"))
        })
        .count();
    assert_eq!(bases, 2, "pro last month, starter this month");
}
