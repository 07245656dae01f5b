//! Accounts and auth, each case a real HTTP round trip.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use jwt_compact::alg::{Hs256, Hs256Key, Hs512, Hs512Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions};
use serde_json::{json, Value};

use crate::harness::{suite, Resp, Server, Test};
use edge_api::platform::auth::wallet;
use edge_api::platform::crypto::{b64_encode, b64url_decode, b64url_encode};

pub fn tests() -> Vec<Test> {
    suite!(
        "auth";
        signup_login_me_refresh_logout,
        duplicate_email_is_409,
        signup_validation_names_the_field_and_writes_nothing,
        unknown_email_and_wrong_password_look_the_same,
        bad_access_tokens_are_401,
        refresh_rotates_and_reuse_revokes_the_chain,
        cookies_have_the_right_flags_and_work,
        cross_site_cookie_post_is_refused,
        api_key_lifecycle,
        api_keys_of_another_user_are_404,
        api_key_cap_is_twenty,
        wallet_login_with_real_ed25519_key,
        wallet_login_refusals,
        wallet_challenge_expires,
        eleventh_failed_login_is_429,
        missing_auth_is_401,
        openapi_lists_auth_routes_and_schemes,
        email_verification_is_single_use,
        password_reset_signs_out_everywhere,
        password_reset_never_says_who_has_an_account,
    )
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{prefix}{t}x{n}")
}

/// Signs a fresh user up; returns (email, password, signup body).
pub fn new_user(s: &Server) -> (String, String, Value) {
    let email = format!("{}@example.test", unique("user"));
    let password = "correct horse battery".to_string();
    let r = s.post_json(
        "/api/auth/signup",
        &json!({"email": email, "password": password, "name": "Test User"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    (email, password, r.json)
}

/// The token of the newest link to `page` (`verify-email`, `reset-password`) that the
/// development outbox holds for `email`, waiting for it (links are mailed after the
/// answer that asks for them).
pub fn mailed_token(s: &Server, email: &str, page: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = s.get(&format!("/__dev/outbox?to={email}"));
        assert_eq!(r.status, 200, "{}", r.text);
        let found = r.json["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|m| {
                let text = m["text"].as_str()?;
                let at = text.find(&format!("/{page}?token="))?;
                let token = text[at..].split("token=").nth(1)?;
                Some(token.split_whitespace().next()?.to_string())
            });
        if let Some(t) = found {
            return t;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {page} link mailed to {email}: {}",
            r.text
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Opens the verification link mailed to `email` (through the API).
pub fn verify_email(s: &Server, email: &str) -> Resp {
    let token = mailed_token(s, email, "verify-email");
    s.post_json("/api/auth/email/verify", &json!({ "token": token }))
}

/// A fresh user whose address is verified; returns (email, password, signup body).
pub fn verified_user(s: &Server) -> (String, String, Value) {
    let (email, password, body) = new_user(s);
    let r = verify_email(s, &email);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["email_verified"], true, "{}", r.text);
    (email, password, body)
}

/// A fresh user's access token.
pub fn token(s: &Server) -> String {
    new_user(s).2["access_token"]
        .as_str()
        .expect("token")
        .to_string()
}

pub fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

fn me(s: &Server, access: &str) -> Resp {
    s.send(
        "GET",
        "/api/auth/me",
        &[("Authorization", &bearer(access))],
        None,
    )
}

fn secret() -> Vec<u8> {
    crate::harness::env_value("JWT_SECRET").into_bytes()
}

fn payload(token: &str) -> Value {
    let p = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&b64url_decode(p).expect("b64")).expect("json")
}

fn signup_login_me_refresh_logout(s: &Server) {
    let (email, password, body) = new_user(s);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["email"], email.as_str());
    assert!(body["refresh_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 43));
    assert!(body["user"].get("password_hash").is_none());

    let login = s.post_json(
        "/api/auth/login",
        &json!({"email": format!("  {}  ", email.to_uppercase()), "password": password}),
    );
    assert_eq!(login.status, 200, "{}", login.text);
    let access = login.json["access_token"].as_str().expect("access");
    let claims = payload(access);
    assert_eq!(claims["sub"], body["user"]["id"]);
    for c in ["sid", "iat", "exp", "iss", "aud"] {
        assert!(!claims[c].is_null(), "claim {c}");
    }

    let r = me(s, access);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["email"], email.as_str());

    let refreshed = s.post_json(
        "/api/auth/refresh",
        &json!({"refresh_token": login.json["refresh_token"]}),
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let access2 = refreshed.json["access_token"].as_str().expect("access2");
    assert_ne!(refreshed.json["refresh_token"], login.json["refresh_token"]);
    assert_eq!(payload(access2)["sid"], claims["sid"], "same session chain");
    assert_eq!(me(s, access2).status, 200);

    let out = s.send(
        "POST",
        "/api/auth/logout",
        &[("Authorization", &bearer(access2))],
        None,
    );
    assert_eq!(out.status, 204, "{}", out.text);
    assert!(out
        .headers
        .iter()
        .any(|(k, v)| k == "set-cookie" && v.contains("Max-Age=0")));
    me(s, access2).assert_error(401, "unauthorized");
    me(s, access).assert_error(401, "unauthorized");
    s.post_json(
        "/api/auth/refresh",
        &json!({"refresh_token": refreshed.json["refresh_token"]}),
    )
    .assert_error(401, "unauthorized");
    // The other session of the same user is untouched.
    let again = s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": password}),
    );
    assert_eq!(
        me(s, again.json["access_token"].as_str().expect("t")).status,
        200
    );
}

fn duplicate_email_is_409(s: &Server) {
    let (email, _, _) = new_user(s);
    let r = s.post_json(
        "/api/auth/signup",
        &json!({"email": email.to_uppercase(), "password": "another password"}),
    );
    r.assert_error(409, "conflict");
}

fn signup_validation_names_the_field_and_writes_nothing(s: &Server) {
    let email = format!("{}@example.test", unique("val"));
    let r = s.post_json(
        "/api/auth/signup",
        &json!({"email": "not-an-email", "password": "long enough"}),
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["email"].is_string(),
        "{}",
        r.text
    );

    let r = s.post_json(
        "/api/auth/signup",
        &json!({"email": email, "password": "short"}),
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["password"].is_string(),
        "{}",
        r.text
    );

    let r = s.post_json(
        "/api/auth/signup",
        &json!({"email": 42, "password": "long enough"}),
    );
    r.assert_error(422, "validation_failed");
    assert!(
        r.json["error"]["details"]["fields"]["email"].is_string(),
        "{}",
        r.text
    );

    let r = s.post_json("/api/auth/signup", &json!({"password": "long enough"}));
    r.assert_error(422, "validation_failed");
    assert_eq!(r.json["error"]["details"]["fields"]["email"], "is required");

    s.send(
        "POST",
        "/api/auth/signup",
        &[("Content-Type", "application/json")],
        Some("{\"email\":"),
    )
    .assert_error(400, "bad_request");

    // Nothing was written: the email is still free.
    s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": "short"}),
    )
    .assert_error(401, "unauthorized");
    let ok = s.post_json(
        "/api/auth/signup",
        &json!({"email": email, "password": "long enough"}),
    );
    assert_eq!(ok.status, 201, "{}", ok.text);
}

fn unknown_email_and_wrong_password_look_the_same(s: &Server) {
    let (email, _, _) = new_user(s);
    let wrong = s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": "wrong password"}),
    );
    let unknown = s.post_json(
        "/api/auth/login",
        &json!({"email": format!("{}@example.test", unique("nobody")), "password": "wrong password"}),
    );
    wrong.assert_error(401, "unauthorized");
    unknown.assert_error(401, "unauthorized");
    let strip = |mut v: Value| {
        v["error"]["request_id"] = Value::Null;
        v
    };
    assert_eq!(strip(wrong.json), strip(unknown.json));
}

fn bad_access_tokens_are_401(s: &Server) {
    let t = token(s);
    let claims = payload(&t);
    let now = chrono::Utc::now();

    let mut tampered = t.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    me(s, &tampered).assert_error(401, "unauthorized");

    #[derive(serde::Serialize)]
    struct C {
        sub: String,
        sid: String,
        iss: String,
        aud: String,
    }
    let custom = |aud: &str| C {
        sub: claims["sub"].as_str().expect("sub").into(),
        sid: claims["sid"].as_str().expect("sid").into(),
        iss: "edge-api".into(),
        aud: aud.into(),
    };
    let opts = TimeOptions::new(chrono::Duration::seconds(0), move || now);
    let valid = Claims::new(custom("edge-api"))
        .set_duration_and_issuance(&opts, chrono::Duration::seconds(300))
        .set_not_before(now);
    // Control: a token crafted the same way with the right key and claims works.
    let good = Hs256
        .token(&Header::empty(), &valid, &Hs256Key::new(secret()))
        .expect("hs256");
    assert_eq!(me(s, &good).status, 200);

    let hs512 = Hs512
        .token(&Header::empty(), &valid, &Hs512Key::new(secret()))
        .expect("hs512");
    me(s, &hs512).assert_error(401, "unauthorized");

    let none_header = b64url_encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64url_encode(serde_json::to_string(&valid).expect("claims").as_bytes());
    me(s, &format!("{none_header}.{body}.")).assert_error(401, "unauthorized");

    let past = now - chrono::Duration::seconds(600);
    let old_opts = TimeOptions::new(chrono::Duration::seconds(0), move || past);
    let expired = Claims::new(custom("edge-api"))
        .set_duration_and_issuance(&old_opts, chrono::Duration::seconds(60))
        .set_not_before(past);
    let expired = Hs256
        .token(&Header::empty(), &expired, &Hs256Key::new(secret()))
        .expect("expired");
    me(s, &expired).assert_error(401, "unauthorized");

    let wrong_aud = Claims::new(custom("another-app"))
        .set_duration_and_issuance(&opts, chrono::Duration::seconds(300))
        .set_not_before(now);
    let wrong_aud = Hs256
        .token(&Header::empty(), &wrong_aud, &Hs256Key::new(secret()))
        .expect("aud");
    me(s, &wrong_aud).assert_error(401, "unauthorized");

    let other_key = Hs256
        .token(
            &Header::empty(),
            &valid,
            &Hs256Key::new(b"some-other-secret-0123456789abcdef"),
        )
        .expect("other key");
    me(s, &other_key).assert_error(401, "unauthorized");
}

fn refresh_rotates_and_reuse_revokes_the_chain(s: &Server) {
    let (_, _, body) = new_user(s);
    let r1 = body["refresh_token"].as_str().expect("r1").to_string();
    let a1 = body["access_token"].as_str().expect("a1").to_string();
    let second = s.post_json("/api/auth/refresh", &json!({"refresh_token": r1}));
    assert_eq!(second.status, 200, "{}", second.text);
    let r2 = second.json["refresh_token"]
        .as_str()
        .expect("r2")
        .to_string();
    let a2 = second.json["access_token"]
        .as_str()
        .expect("a2")
        .to_string();
    assert_eq!(me(s, &a2).status, 200);

    // r1 was retired: presenting it again is reuse and kills the whole chain.
    s.post_json("/api/auth/refresh", &json!({"refresh_token": r1}))
        .assert_error(401, "unauthorized");
    s.post_json("/api/auth/refresh", &json!({"refresh_token": r2}))
        .assert_error(401, "unauthorized");
    me(s, &a2).assert_error(401, "unauthorized");
    me(s, &a1).assert_error(401, "unauthorized");

    s.post_json("/api/auth/refresh", &json!({"refresh_token": "made-up"}))
        .assert_error(401, "unauthorized");
    // No token in the body or a cookie is a missing credential.
    let r = s.post_json("/api/auth/refresh", &json!({}));
    r.assert_error(401, "unauthorized");
}

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.clone())
        .collect()
}

fn cookies_have_the_right_flags_and_work(s: &Server) {
    let (email, password, _) = new_user(s);
    let r = s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": password}),
    );
    let cookies = set_cookies(&r);
    let access = cookies
        .iter()
        .find(|c| c.starts_with("access_token="))
        .expect("access cookie");
    let refresh = cookies
        .iter()
        .find(|c| c.starts_with("refresh_token="))
        .expect("refresh cookie");
    for c in [access, refresh] {
        assert!(c.contains("HttpOnly"), "{c}");
        assert!(c.contains("Secure"), "{c}");
        assert!(c.contains("SameSite=Lax"), "{c}");
    }
    assert!(access.contains("Path=/;"), "{access}");
    assert!(refresh.contains("Path=/api/auth;"), "{refresh}");

    let pair = |c: &str| c.split(';').next().expect("pair").to_string();
    let r = s.send("GET", "/api/auth/me", &[("Cookie", &pair(access))], None);
    assert_eq!(r.status, 200, "{}", r.text);

    // Refresh from the cookie alone (JSON request, no body field).
    let r = s.send(
        "POST",
        "/api/auth/refresh",
        &[
            ("Cookie", &pair(refresh)),
            ("Content-Type", "application/json"),
        ],
        Some(""),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

fn cross_site_cookie_post_is_refused(s: &Server) {
    let (email, password, _) = new_user(s);
    let r = s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": password}),
    );
    let cookie = format!(
        "access_token={}",
        r.json["access_token"].as_str().expect("t")
    );
    let form = s.send(
        "POST",
        "/api/auth/api-keys",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "https://evil.example"),
        ],
        Some("name=stolen"),
    );
    form.assert_error(403, "forbidden");
    let keys = s.send("GET", "/api/auth/api-keys", &[("Cookie", &cookie)], None);
    assert_eq!(
        keys.json["items"].as_array().map(Vec::len),
        Some(0),
        "nothing written"
    );

    let json_post = s.send(
        "POST",
        "/api/auth/api-keys",
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        Some(r#"{"name": "from my app"}"#),
    );
    assert_eq!(json_post.status, 201, "{}", json_post.text);
    // The same token as a Bearer header needs neither.
    let bearer_form = s.send(
        "POST",
        "/api/auth/logout",
        &[(
            "Authorization",
            &bearer(r.json["access_token"].as_str().expect("t")),
        )],
        None,
    );
    assert_eq!(bearer_form.status, 204);
}

fn api_key_lifecycle(s: &Server) {
    let t = token(s);
    let auth = bearer(&t);
    let created = s.send(
        "POST",
        "/api/auth/api-keys",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(r#"{"name": "browser extension"}"#),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let key = created.json["key"]
        .as_str()
        .expect("key shown once")
        .to_string();
    assert!(key.starts_with("ek_live_") && key.len() == 8 + 43, "{key}");
    let id = created.json["id"].as_str().expect("id").to_string();

    let r = s.send("GET", "/api/auth/me", &[("X-API-Key", &key)], None);
    assert_eq!(r.status, 200, "{}", r.text);

    let list = s.send(
        "GET",
        "/api/auth/api-keys",
        &[("Authorization", &auth)],
        None,
    );
    let items = list.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert!(
        items[0].get("key").is_none(),
        "never the secret: {}",
        list.text
    );
    assert!(!list.text.contains(&key[8..]), "secret leaked");
    assert_eq!(items[0]["prefix"], &key[..12]);
    assert!(
        items[0]["last_used_at"].is_string(),
        "use recorded: {}",
        list.text
    );

    let del = s.send(
        "DELETE",
        &format!("/api/auth/api-keys/{id}"),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(del.status, 204, "{}", del.text);
    s.send("GET", "/api/auth/me", &[("X-API-Key", &key)], None)
        .assert_error(401, "unauthorized");
    s.send(
        "DELETE",
        &format!("/api/auth/api-keys/{id}"),
        &[("Authorization", &auth)],
        None,
    )
    .assert_error(404, "not_found");

    let bad = s.send(
        "POST",
        "/api/auth/api-keys",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(r#"{"name": ""}"#),
    );
    bad.assert_error(422, "validation_failed");
    s.send(
        "GET",
        "/api/auth/me",
        &[("X-API-Key", "ek_live_nope")],
        None,
    )
    .assert_error(401, "unauthorized");
}

fn api_keys_of_another_user_are_404(s: &Server) {
    let a = bearer(&token(s));
    let b = bearer(&token(s));
    let created = s.send(
        "POST",
        "/api/auth/api-keys",
        &[("Authorization", &a), ("Content-Type", "application/json")],
        Some(r#"{"name": "a's key"}"#),
    );
    let id = created.json["id"].as_str().expect("id");
    let key = created.json["key"].as_str().expect("key");
    s.send(
        "DELETE",
        &format!("/api/auth/api-keys/{id}"),
        &[("Authorization", &b)],
        None,
    )
    .assert_error(404, "not_found");
    let list = s.send("GET", "/api/auth/api-keys", &[("Authorization", &b)], None);
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        s.send("GET", "/api/auth/me", &[("X-API-Key", key)], None)
            .status,
        200,
        "still live"
    );
}

fn api_key_cap_is_twenty(s: &Server) {
    let auth = bearer(&token(s));
    let h = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let mut last_id = String::new();
    for i in 0..20 {
        let r = s.send(
            "POST",
            "/api/auth/api-keys",
            &h,
            Some(&format!(r#"{{"name": "k{i}"}}"#)),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        last_id = r.json["id"].as_str().expect("id").to_string();
    }
    s.send("POST", "/api/auth/api-keys", &h, Some(r#"{"name": "k21"}"#))
        .assert_error(409, "conflict");
    s.send("DELETE", &format!("/api/auth/api-keys/{last_id}"), &h, None);
    let r = s.send("POST", "/api/auth/api-keys", &h, Some(r#"{"name": "k21"}"#));
    assert_eq!(r.status, 201, "room after a revoke: {}", r.text);
}

pub fn keypair() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("rng");
    SigningKey::from_bytes(&seed)
}

pub fn sui_signature(key: &SigningKey, message: &str) -> String {
    let digest = wallet::personal_message_digest(message.as_bytes());
    let mut raw = vec![0u8];
    raw.extend(key.sign(&digest).to_bytes());
    raw.extend(key.verifying_key().to_bytes());
    b64_encode(&raw)
}

pub fn challenge(s: &Server, address: &str) -> Value {
    let r = s.post_json("/api/auth/wallet/challenge", &json!({"address": address}));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// Signs a fresh wallet in; returns (access token, address).
pub fn wallet_user(s: &Server) -> (String, String) {
    let key = keypair();
    let address = wallet::address_of(&key.verifying_key().to_bytes());
    let ch = challenge(s, &address);
    let r = s.post_json(
        "/api/auth/wallet/verify",
        &json!({"address": address, "signature": sui_signature(&key, ch["message"].as_str().expect("message"))}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    (
        r.json["access_token"].as_str().expect("token").to_string(),
        address,
    )
}

fn wallet_login_with_real_ed25519_key(s: &Server) {
    let key = keypair();
    let address = wallet::address_of(&key.verifying_key().to_bytes());
    let ch = challenge(s, &address);
    let message = ch["message"].as_str().expect("message");
    assert!(message.contains(&address) && message.contains(ch["nonce"].as_str().expect("nonce")));
    assert!(message.contains("127.0.0.1"), "names the domain: {message}");
    let r = s.post_json(
        "/api/auth/wallet/verify",
        &json!({
            "address": address,
            "signature": sui_signature(&key, message),
            "public_key": b64_encode(&key.verifying_key().to_bytes()),
        }),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["user"]["wallet_address"], address.as_str());
    assert!(r.json["user"]["email"].is_null());
    let me_r = me(s, r.json["access_token"].as_str().expect("token"));
    assert_eq!(me_r.json["wallet_address"], address.as_str());

    // The second sign-in finds the same user.
    let ch = challenge(s, &address);
    let again = s.post_json(
        "/api/auth/wallet/verify",
        &json!({"address": address, "signature": sui_signature(&key, ch["message"].as_str().expect("m"))}),
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["user"]["id"], r.json["user"]["id"]);
}

fn wallet_login_refusals(s: &Server) {
    let key = keypair();
    let other = keypair();
    let address = wallet::address_of(&key.verifying_key().to_bytes());
    let verify = |body: Value| s.post_json("/api/auth/wallet/verify", &body);

    // Signed by another key (its own address does not match).
    let ch = challenge(s, &address);
    let m = ch["message"].as_str().expect("m").to_string();
    verify(json!({"address": address, "signature": sui_signature(&other, &m)}))
        .assert_error(401, "unauthorized");

    // public_key that differs from the key inside the signature.
    let ch = challenge(s, &address);
    let m = ch["message"].as_str().expect("m").to_string();
    verify(
        json!({"address": address, "signature": sui_signature(&key, &m),
        "public_key": b64_encode(&other.verifying_key().to_bytes())}),
    )
    .assert_error(401, "unauthorized");

    // Altered message: signed text differs from the challenge.
    let ch = challenge(s, &address);
    let altered = ch["message"]
        .as_str()
        .expect("m")
        .replace("Sign in", "Send all funds");
    verify(json!({"address": address, "signature": sui_signature(&key, &altered)}))
        .assert_error(401, "unauthorized");
    let ch = challenge(s, &address);
    let altered = ch["message"]
        .as_str()
        .expect("m")
        .replace("Sign in", "Send all funds");
    verify(
        json!({"address": address, "signature": sui_signature(&key, &altered), "message": altered}),
    )
    .assert_error(401, "unauthorized");

    // Reused nonce: a valid signature works once.
    let ch = challenge(s, &address);
    let body = json!({"address": address, "signature": sui_signature(&key, ch["message"].as_str().expect("m"))});
    assert_eq!(verify(body.clone()).status, 200);
    verify(body).assert_error(401, "unauthorized");

    // Malformed input.
    s.post_json("/api/auth/wallet/challenge", &json!({"address": "0x1234"}))
        .assert_error(422, "validation_failed");
    verify(json!({"address": address})).assert_error(422, "validation_failed");
    let ch = challenge(s, &address);
    let _ = ch;
    verify(json!({"address": address, "signature": "not base64!"}))
        .assert_error(401, "unauthorized");
}

fn wallet_challenge_expires(s: &Server) {
    let key = keypair();
    let address = wallet::address_of(&key.verifying_key().to_bytes());
    let ch = challenge(s, &address);
    std::thread::sleep(Duration::from_millis(3_500)); // WALLET_CHALLENGE_TTL=3 in tests/e2e.env
    let r = s.post_json(
        "/api/auth/wallet/verify",
        &json!({"address": address, "signature": sui_signature(&key, ch["message"].as_str().expect("m"))}),
    );
    r.assert_error(401, "unauthorized");
}

fn eleventh_failed_login_is_429(s: &Server) {
    let (email, password, _) = new_user(s);
    for i in 0..10 {
        let r = s.post_json(
            "/api/auth/login",
            &json!({"email": email, "password": format!("wrong {i}")}),
        );
        r.assert_error(401, "unauthorized");
    }
    let r = s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": password}),
    );
    r.assert_error(429, "rate_limited");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    // Another account from the same client is not affected.
    let (other, other_pw, _) = new_user(s);
    let ok = s.post_json(
        "/api/auth/login",
        &json!({"email": other, "password": other_pw}),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
}

fn missing_auth_is_401(s: &Server) {
    s.get("/api/auth/me").assert_error(401, "unauthorized");
    s.send(
        "GET",
        "/api/auth/me",
        &[("Authorization", "Bearer garbage")],
        None,
    )
    .assert_error(401, "unauthorized");
    s.send(
        "GET",
        "/api/auth/me",
        &[("Authorization", "Basic dXNlcjpwdw==")],
        None,
    )
    .assert_error(401, "unauthorized");
    s.send(
        "GET",
        "/api/auth/api-keys",
        &[("Cookie", "access_token=garbage")],
        None,
    )
    .assert_error(401, "unauthorized");
    s.send("POST", "/api/auth/logout", &[], None)
        .assert_error(401, "unauthorized");
}

fn openapi_lists_auth_routes_and_schemes(s: &Server) {
    let doc = s.get("/openapi.json").json;
    for (path, method) in [
        ("/api/auth/signup", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/me", "get"),
        ("/api/auth/api-keys", "post"),
        ("/api/auth/api-keys", "get"),
        ("/api/auth/api-keys/{id}", "delete"),
        ("/api/auth/wallet/challenge", "post"),
        ("/api/auth/wallet/verify", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    assert_eq!(schemes["apiKey"]["name"], "X-API-Key");
    assert!(doc["paths"]["/api/auth/me"]["get"]["security"].is_array());
    assert!(doc["paths"]["/api/auth/login"]["post"]["security"].is_null());
}

fn email_verification_is_single_use(s: &Server) {
    let (email, _, body) = new_user(s);
    let t = body["access_token"].as_str().expect("token");
    assert_eq!(body["user"]["email_verified"], false);
    let token = mailed_token(s, &email, "verify-email");
    // The link's page confirms only through its form (a mail scanner's GET changes nothing).
    let page = s.get(&format!("/auth/verify-email?token={token}"));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
    assert_eq!(me(s, t).json["email_verified"], false);
    let r = s.send(
        "POST",
        "/auth/verify-email",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&format!("token={token}")),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("is confirmed"), "{}", r.text);
    assert_eq!(me(s, t).json["email_verified"], true);
    // Used up: the API and the page both refuse it now.
    let again = s.post_json("/api/auth/email/verify", &json!({ "token": token }));
    again.assert_error(422, "validation_failed");
    assert!(again.json["error"]["details"]["fields"]["token"].is_string());
    s.post_json("/api/auth/email/verify", &json!({"token": "made-up"}))
        .assert_error(422, "validation_failed");
    s.post_json("/api/auth/email/verify", &json!({}))
        .assert_error(422, "validation_failed");
    // Verified already: no new mail.
    let r = s.authed("POST", "/api/auth/email/verification", t, None);
    assert_eq!(
        (r.status, &r.json["sent"]),
        (200, &json!(false)),
        "{}",
        r.text
    );
    // Unverified: a new link, and the old one of another user still works for them.
    let (other, _, body) = new_user(s);
    let first = mailed_token(s, &other, "verify-email");
    let r = s.authed(
        "POST",
        "/api/auth/email/verification",
        body["access_token"].as_str().expect("token"),
        None,
    );
    assert_eq!(
        (r.status, &r.json["sent"]),
        (202, &json!(true)),
        "{}",
        r.text
    );
    let second = mailed_token(s, &other, "verify-email");
    assert_ne!(first, second);
    let r = s.post_json("/api/auth/email/verify", &json!({ "token": second }));
    assert_eq!(r.status, 200, "{}", r.text);
    // One use of a purpose retires every other link of it.
    s.post_json("/api/auth/email/verify", &json!({ "token": first }))
        .assert_error(422, "validation_failed");
    s.send("POST", "/api/auth/email/verification", &[], None)
        .assert_error(401, "unauthorized");
}

fn password_reset_signs_out_everywhere(s: &Server) {
    let (email, password, body) = verified_user(s);
    let access = body["access_token"].as_str().expect("token").to_string();
    let refresh = body["refresh_token"].as_str().expect("refresh").to_string();
    let r = s.post_json("/api/auth/password/forgot", &json!({ "email": email }));
    assert_eq!(r.status, 202, "{}", r.text);
    let token = mailed_token(s, &email, "reset-password");
    // Too short a password: 422 on it, and the token still works after.
    let r = s.post_json(
        "/api/auth/password/reset",
        &json!({"token": token, "password": "short"}),
    );
    r.assert_error(422, "validation_failed");
    let page = s.get(&format!("/auth/reset-password?token={token}"));
    assert!(page.text.contains("type=\"password\""), "{}", page.text);
    let r = s.send(
        "POST",
        "/auth/reset-password",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&format!("token={token}&password=a+whole+new+phrase")),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Every session of the account is gone; the old password too.
    me(s, &access).assert_error(401, "unauthorized");
    s.post_json("/api/auth/refresh", &json!({ "refresh_token": refresh }))
        .assert_error(401, "unauthorized");
    s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": password}),
    )
    .assert_error(401, "unauthorized");
    let r = s.post_json(
        "/api/auth/login",
        &json!({"email": email, "password": "a whole new phrase"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Single use.
    s.post_json(
        "/api/auth/password/reset",
        &json!({"token": token, "password": "yet another phrase"}),
    )
    .assert_error(422, "validation_failed");
}

fn password_reset_never_says_who_has_an_account(s: &Server) {
    let (email, _, _) = new_user(s);
    let nobody = format!("{}@example.test", unique("nobody"));
    let a = s.post_json("/api/auth/password/forgot", &json!({ "email": email }));
    let b = s.post_json("/api/auth/password/forgot", &json!({ "email": nobody }));
    assert_eq!((a.status, b.status), (202, 202));
    assert_eq!(a.json, b.json);
    mailed_token(s, &email, "reset-password");
    std::thread::sleep(Duration::from_millis(500));
    let kept = s.get(&format!("/__dev/outbox?to={nobody}"));
    assert_eq!(
        kept.json["items"],
        json!([]),
        "no mail to an address without an account"
    );
    s.post_json(
        "/api/auth/password/forgot",
        &json!({"email": "not an email"}),
    )
    .assert_error(422, "validation_failed");
    // Rate limited per address (AUTH_RATE_LIMIT_ACCOUNT, 10 a minute from one IP).
    let statuses: Vec<u16> = (0..12)
        .map(|_| {
            s.post_json("/api/auth/password/forgot", &json!({ "email": nobody }))
                .status
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|st| **st == 429).count(),
        3,
        "{statuses:?}"
    );
}
