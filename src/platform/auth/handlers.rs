//! `/api/auth` routes (docs/auth.md).

use serde::Deserialize;
use serde_json::{json, Value};

use super::sessions::{Presented, Sessions};
use super::users::{self, Email, User};
use super::{
    api_keys, cookie_request_is_safe, cookie_value, jwt, password, rate_limit, verification, wallet,
};
use crate::platform::auth::Caller;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{no_body, page_of, Doc};

// ---------------------------------------------------------------- shared pieces

fn client_ip(ctx: &Ctx) -> String {
    ctx.header("CF-Connecting-IP")
        .unwrap_or_else(|| "unknown".into())
}

/// Counts a sign-in attempt (`action`: signup, login, refresh, wallet, challenge) against
/// the client's IP and, when known, the account. The account is counted per (account, IP)
/// — an attacker elsewhere cannot use up the owner's attempts — and under a higher ceiling
/// across all IPs, so brute force from many addresses stays bounded too.
pub async fn limit(ctx: &Ctx, action: &str, account: Option<&str>) -> Result<(), ApiError> {
    let a = &ctx.config.auth;
    let ip = client_ip(ctx);
    let mut keys = vec![(format!("ip:{ip}"), a.rate_limit_ip_per_minute)];
    if let Some(acct) = account {
        keys.push((
            format!("{action}:{acct}:{ip}"),
            a.rate_limit_account_per_minute,
        ));
        keys.push((
            format!("{action}:{acct}"),
            a.rate_limit_account_total_per_minute,
        ));
    }
    rate_limit::check(&ctx.env, &keys).await
}

fn sessions(ctx: &Ctx) -> Result<Sessions, ApiError> {
    let a = &ctx.config.auth;
    Sessions::new(&ctx.env, a.refresh_token_ttl_secs, a.access_token_ttl_secs)
}

fn cookie(name: &str, value: &str, path: &str, max_age: i64) -> String {
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax")
}

/// `{user, access_token, token_type, expires_in, refresh_token}` plus both cookies.
fn token_response(
    ctx: &Ctx,
    status: u16,
    user: &User,
    sid: &str,
    refresh: &str,
) -> Result<Response, ApiError> {
    let a = &ctx.config.auth;
    let keys = jwt::TokenKeys {
        secret: &a.jwt_secret,
        issuer: &a.jwt_issuer,
        audience: &a.jwt_audience,
    };
    let access = jwt::issue(
        &keys,
        &user.id,
        sid,
        crate::platform::ids::now(),
        a.access_token_ttl_secs,
    )
    .map_err(ApiError::internal)?;
    let mut resp = http::json(
        status,
        &json!({
            "user": user,
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": a.access_token_ttl_secs,
            "refresh_token": refresh,
        }),
    )?;
    resp.append_header(
        "Set-Cookie",
        cookie("access_token", &access, "/", a.access_token_ttl_secs),
    );
    resp.append_header(
        "Set-Cookie",
        cookie(
            "refresh_token",
            refresh,
            "/api/auth",
            a.refresh_token_ttl_secs,
        ),
    );
    resp.set_header("Cache-Control", "no-store");
    Ok(resp)
}

async fn sign_in(ctx: &Ctx, status: u16, user: &User) -> Result<Response, ApiError> {
    let (sid, refresh) = sessions(ctx)?.start(&user.id).await?;
    token_response(ctx, status, user, &sid, &refresh)
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized("invalid email or password".into())
}

fn collect(errors: Vec<Option<FieldError>>) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = errors.into_iter().flatten().collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

// ---------------------------------------------------------------- email and password

#[derive(Deserialize)]
struct SignupBody {
    email: String,
    password: String,
    name: Option<String>,
}

pub async fn signup(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: SignupBody = ctx.json().await?;
    let email = Email::parse(&body.email);
    let name = users::check_name(body.name.as_deref());
    collect(vec![
        email.as_ref().err().cloned(),
        users::check_password(&body.password).err(),
        name.as_ref().err().cloned(),
    ])?;
    let (Ok(email), Ok(name)) = (email, name) else {
        return Err(ApiError::internal("validated fields did not parse"));
    };
    limit(&ctx, "signup", Some(email.as_str())).await?;
    let hash = password::hash(&body.password).await?;
    let user = users::create_with_password(&ctx.d1()?, &email, name.as_deref(), &hash).await?;
    // The verification link goes out after the answer: nothing granted by email (a group
    // invite) is claimed until the address is verified.
    let mailer = verification::Mailer::of(&ctx);
    let (id, address) = (user.id.clone(), email.as_str().to_string());
    ctx.in_background("verification mail", async move {
        mailer
            .send(&id, &address, verification::Purpose::Verify)
            .await
    });
    sign_in(&ctx, 201, &user).await
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

pub async fn login(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: LoginBody = ctx.json().await?;
    // A malformed email cannot be registered: same 401 as any other miss.
    let email = Email::parse(&body.email).ok();
    limit(&ctx, "login", email.as_ref().map(Email::as_str)).await?;
    let Some(email) = email else {
        password::burn(&body.password).await?;
        return Err(bad_credentials());
    };
    let db = ctx.d1()?;
    let Some(found) = users::find_by_email(&db, &email).await? else {
        password::burn(&body.password).await?;
        return Err(bad_credentials());
    };
    let Some(stored) = found.password_hash.as_deref() else {
        password::burn(&body.password).await?;
        return Err(bad_credentials());
    };
    if !password::verify(&body.password, stored).await? {
        return Err(bad_credentials());
    }
    if password::PasswordHash::parse(stored).is_some_and(|h| h.needs_upgrade()) {
        let upgraded = password::hash(&body.password).await?;
        users::set_password_hash(&db, &found.user.id, &upgraded).await?;
    }
    sign_in(&ctx, 200, &found.user).await
}

#[derive(Deserialize, Default)]
struct RefreshBody {
    refresh_token: Option<String>,
}

pub async fn refresh(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: RefreshBody = ctx.json().await?;
    let token = match body.refresh_token {
        Some(t) => t,
        None => {
            let cookies = ctx.header("Cookie").unwrap_or_default();
            let t = cookie_value(&cookies, "refresh_token")
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "no refresh token (send it in the body or the cookie)".into(),
                    )
                })?
                .to_string();
            let origin_allowed = ctx
                .header("Origin")
                .is_some_and(|o| ctx.config.cors_origins.allows(&o));
            if !cookie_request_is_safe(
                "POST",
                ctx.header("Content-Type").as_deref(),
                origin_allowed,
            ) {
                return Err(ApiError::Forbidden(
                    "cookie refresh must send JSON or come from an allowed origin".into(),
                ));
            }
            t
        }
    };
    limit(&ctx, "refresh", None).await?;
    let store = sessions(&ctx)?;
    let refused = || ApiError::Unauthorized("invalid or expired refresh token".into());
    match store.present(&token).await? {
        Presented::Unknown => Err(refused()),
        Presented::Reused => {
            worker::console_log!(
                "{}",
                json!({"request_id": ctx.request_id, "msg": "refresh token reuse: session revoked"})
            );
            Err(refused())
        }
        Presented::Rotated { sid, user_id, next } => {
            limit(&ctx, "refresh", Some(&user_id)).await?;
            let user = users::get(&ctx.d1()?, &user_id)
                .await?
                .ok_or_else(refused)?;
            token_response(&ctx, 200, &user, &sid, &next)
        }
    }
}

pub async fn logout(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let sid = caller.session_id.as_deref().ok_or_else(|| {
        ApiError::BadRequest("API keys have no session; revoke the key instead".into())
    })?;
    sessions(&ctx)?.revoke(sid).await?;
    let mut resp = http::no_content()?;
    resp.append_header("Set-Cookie", cookie("access_token", "", "/", 0));
    resp.append_header("Set-Cookie", cookie("refresh_token", "", "/api/auth", 0));
    Ok(resp)
}

pub async fn me(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let user = users::get(&ctx.d1()?, &caller.user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("account no longer exists".into()))?;
    http::json(200, &user)
}

// ---------------------------------------------------------------- API keys

#[derive(Deserialize)]
struct NewKey {
    name: String,
}

pub async fn create_api_key(mut ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let body: NewKey = ctx.json().await?;
    let name = crate::platform::fields::trim_blank(&body.name);
    if name.is_empty() || body.name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be 1 to 100 characters"));
    }
    let (view, key) = api_keys::create(&ctx.d1()?, &caller, name).await?;
    let mut body = serde_json::to_value(&view)?;
    body["key"] = Value::String(key);
    http::json(201, &body)
}

pub async fn list_api_keys(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let page = ctx.page()?;
    let search = ctx.search()?;
    let keys = api_keys::list(&ctx.d1()?, &caller).await?;
    let items = page.window(
        keys,
        |k| &k.id,
        |k| search.as_ref().is_none_or(|q| q.matches(&k.name)),
    );
    http::json(200, &page.respond(items, |k| &k.id))
}

pub async fn revoke_api_key(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    api_keys::revoke(
        &ctx.d1()?,
        &ctx.env.kv("SESSIONS")?,
        &caller,
        ctx.param("id"),
    )
    .await?;
    http::no_content()
}

// ---------------------------------------------------------------- wallet

#[derive(Deserialize)]
struct ChallengeBody {
    address: String,
}

/// Unexpired challenges one address may have pending: each new one is kept beside the
/// others (a stranger asking for a challenge for your address cannot void yours), up to
/// this many; past it, 429 until the oldest expires.
const MAX_PENDING_CHALLENGES: usize = 16;

#[derive(Deserialize)]
struct Pending {
    nonce: String,
    message: String,
}

pub async fn wallet_challenge(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: ChallengeBody = ctx.json().await?;
    let address = wallet::parse_address(&body.address)
        .ok_or_else(|| ApiError::validation("address", "must be 0x followed by 64 hex digits"))?;
    limit(&ctx, "challenge", None).await?;
    let domain = ctx.authority().unwrap_or("edge-api").to_string();
    let nonce = ids::hex(&{
        let mut b = [0u8; 16];
        ids::random_bytes(&mut b)?;
        b
    });
    let now = crate::platform::ids::now();
    let ttl = ctx.config.auth.wallet_challenge_ttl_secs;
    let expires = now + chrono::Duration::seconds(ttl);
    let (now_s, expires_s) = (ids::rfc3339(now), ids::rfc3339(expires));
    let message = wallet::challenge_message(&domain, &address, &nonce, &now_s, &expires_s);
    let db = ctx.d1()?;
    // Expired ones of this address go; the new one is kept only under the cap, in the
    // same statement that counts them.
    let results = db
        .batch(vec![
            db.prepare("DELETE FROM wallet_challenges WHERE address = ?1 AND expires_at <= ?2")
                .bind(&[address.as_str().into(), now_s.as_str().into()])?,
            db.prepare(
                "INSERT INTO wallet_challenges (nonce, address, message, expires_at) SELECT ?1, ?2, ?3, ?4 \
                 WHERE (SELECT COUNT(*) FROM wallet_challenges WHERE address = ?2) < ?5",
            )
            .bind(&[
                nonce.as_str().into(),
                address.as_str().into(),
                message.as_str().into(),
                expires_s.as_str().into(),
                (MAX_PENDING_CHALLENGES as f64).into(),
            ])?,
        ])
        .await?;
    let kept = match results.get(1) {
        Some(r) => crate::platform::db::changes(r)?,
        None => 0,
    };
    if kept == 0 {
        return Err(ApiError::RateLimited {
            retry_after_secs: ttl.max(1) as u64,
        });
    }
    http::json(
        200,
        &json!({"nonce": nonce, "message": message, "expires_at": expires_s}),
    )
}

#[derive(Deserialize)]
struct VerifyBody {
    address: String,
    signature: String,
    public_key: Option<String>,
    /// When sent, must be exactly one pending challenge's message.
    message: Option<String>,
}

pub async fn wallet_verify(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: VerifyBody = ctx.json().await?;
    let address = wallet::parse_address(&body.address)
        .ok_or_else(|| ApiError::validation("address", "must be 0x followed by 64 hex digits"))?;
    limit(&ctx, "wallet", Some(&address)).await?;
    let refused = |why: &str| {
        worker::console_log!(
            "{}",
            json!({"request_id": ctx.request_id, "msg": "wallet login refused", "reason": why})
        );
        ApiError::Unauthorized("wallet signature could not be verified".into())
    };

    let db = ctx.d1()?;
    let pending = async {
        let pending: Vec<Pending> = db
            .prepare(
                "SELECT nonce, message FROM wallet_challenges WHERE address = ?1 AND expires_at > ?2 ORDER BY expires_at DESC",
            )
            .bind(&[address.as_str().into(), ids::now_rfc3339().into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(pending)
    };
    // The pending challenges and the wallet's user (when it signed in before), at once.
    let (pending, mut known) = futures::try_join!(pending, users::by_wallet(&db, &address))?;
    if known.as_ref().is_some_and(|(_, active)| !active) {
        return Err(ApiError::Unauthorized("account is disabled".into()));
    }
    let candidates: Vec<&Pending> = pending
        .iter()
        .filter(|p| body.message.as_ref().is_none_or(|m| *m == p.message))
        .collect();
    if candidates.is_empty() {
        return Err(refused("no pending challenge"));
    }

    // The challenge the signature is over (any one, under MOCK_AUTH).
    let signed = if ctx.config.auth.mock_auth {
        candidates[0]
    } else {
        let sig =
            wallet::parse_signature(&body.signature).ok_or_else(|| refused("signature format"))?;
        if let Some(pk) = &body.public_key {
            let given = crate::platform::crypto::b64_decode(pk)
                .ok_or_else(|| refused("public key format"))?;
            if given != sig.public_key {
                return Err(refused("public key differs from signature"));
            }
        }
        if wallet::address_of(&sig.public_key) != address {
            return Err(refused("key does not match address"));
        }
        let mut found = None;
        for p in &candidates {
            let digest = wallet::personal_message_digest(p.message.as_bytes());
            if crate::platform::crypto::ed25519_verify(&sig.public_key, &digest, &sig.signature)
                .await?
            {
                found = Some(*p);
                break;
            }
        }
        found.ok_or_else(|| refused("bad signature"))?
    };
    // Single use: of simultaneous verifies of one challenge, one deletes it and signs in.
    let consumed = db
        .prepare("DELETE FROM wallet_challenges WHERE nonce = ?1")
        .bind(&[signed.nonce.as_str().into()])?
        .run()
        .await?;
    if crate::platform::db::changes(&consumed)? == 0 {
        return Err(refused("challenge already used"));
    }

    // The user (made at its first sign-in), what products do on a sign-in (one makes
    // each wallet user its customer) and the session, in one batch. It fails when a first
    // sign-in of the same wallet made the user meanwhile, or (1 in 2^31) on a customer id
    // drawn twice: then the user is read again and the batch retried.
    let sessions = sessions(&ctx)?;
    let mut tries = 0;
    loop {
        let (user_id, new) = match &known {
            Some((u, _)) => (u.id.clone(), false),
            None => (ids::new_id()?, true),
        };
        let mut stmts = Vec::new();
        if new {
            stmts.push(users::insert_wallet(&db, &user_id, &address)?);
        }
        stmts.extend(crate::platform::product::reactions(
            &db,
            &ctx.config,
            &crate::platform::product::Event::WalletSignedIn {
                user_id: &user_id,
                address: &address,
            },
        )?);
        let (sid, refresh, started) = sessions.start_statements(&user_id)?;
        stmts.extend(started);
        stmts.push(users::select(&db, &user_id)?);
        match db.batch(stmts).await {
            Ok(results) => {
                let user = users::from_result(results.last())?
                    .ok_or_else(|| ApiError::Unauthorized("account is disabled".into()))?;
                return token_response(&ctx, 200, &user, &sid, &refresh);
            }
            Err(e) if tries < 2 => {
                tries += 1;
                worker::console_log!(
                    "{}",
                    json!({"request_id": ctx.request_id, "msg": "wallet sign-in retried", "error": e.to_string()})
                );
                known = users::by_wallet(&db, &address).await?;
                if known.as_ref().is_some_and(|(_, active)| !active) {
                    return Err(ApiError::Unauthorized("account is disabled".into()));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

// ---------------------------------------------------------------- OpenAPI

pub fn user_schema() -> Value {
    crate::schema!({"title": "User", "type": "object", "required": ["id", "email", "email_verified", "name", "wallet_address", "created_at"], "properties": {
        "id": {"type": "string"}, "email": {"type": ["string", "null"]},
        "email_verified": {"type": "boolean", "description": "Whether the address was proved by a verification or reset link. Pending Money group invites to it are claimed then."},
        "name": {"type": ["string", "null"]},
        "wallet_address": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"}}})
}

fn tokens_schema() -> Value {
    json!({"title": "Tokens", "type": "object", "required": ["user", "access_token", "token_type", "expires_in", "refresh_token"],
        "properties": {"user": user_schema(), "access_token": {"type": "string"},
        "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"}, "refresh_token": {"type": "string"}}})
}

fn api_key_schema() -> Value {
    crate::schema!({"title": "ApiKey", "type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
        "prefix": {"type": "string"}, "created_at": {"type": "string"}, "last_used_at": {"type": ["string", "null"]}}})
}

pub const SIGNUP_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Create an account with email and password",
    description: "Email is trimmed and lower-cased; password 8–128 characters. 409 when the email is taken (its owner \
        can reclaim an account someone else opened with it through the password reset). A verification link is mailed \
        to the address (`email_verified` is false until it is opened). Sets `access_token` and `refresh_token` cookies \
        (HttpOnly, Secure, SameSite=Lax). Rate limited per IP and per email.",
    request: Some(|| crate::schema!({"type": "object", "required": ["email", "password"], "properties": {
        "email": {"type": "string", "format": "email"}, "password": {"type": "string", "minLength": 8, "maxLength": 128, "examples": ["correct horse battery"]},
        "name": {"type": ["string", "null"], "maxLength": 100}}})),
    response: (201, tokens_schema),
};

pub const LOGIN_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Sign in with email and password",
    description: "Unknown email and wrong password give the same 401. Rate limited per IP (AUTH_RATE_LIMIT_IP, 60/min), \
        per account from one IP (AUTH_RATE_LIMIT_ACCOUNT, 10/min) and per account from all IPs together \
        (AUTH_RATE_LIMIT_ACCOUNT_TOTAL, 100/min): 429 with Retry-After. Failures from other addresses do not \
        lock the owner out below that ceiling.",
    request: Some(|| crate::schema!({"type": "object", "required": ["email", "password"], "properties": {
        "email": {"type": "string"}, "password": {"type": "string"}}})),
    response: (200, tokens_schema),
};

pub const REFRESH_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Rotate a refresh token",
    description: "Takes `refresh_token` from the body or the cookie (401 when neither has one); returns a new pair and retires the old token. \
        Presenting a retired token revokes the whole session (every token of it). Of simultaneous refreshes with one \
        token exactly one succeeds; the others count as reuse.",
    request: Some(|| crate::schema!({"type": "object", "properties": {"refresh_token": {"type": "string"}}})),
    response: (200, tokens_schema),
};

pub const LOGOUT_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Revoke the current session and clear cookies",
    description: "Every access and refresh token of the session stops working.",
    request: None,
    response: (204, no_body),
};

pub const ME_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "The signed-in user",
    description: "",
    request: None,
    response: (200, user_schema),
};

pub const CREATE_KEY_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Create an API key (shown once)",
    description: "`key` (`ek_live_…`) is only in this answer; send it as `X-API-Key`. At most 20 active keys (409).",
    request: Some(|| crate::schema!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"}}})),
    response: (201, || {
        let mut s = api_key_schema();
        s["title"] = json!("NewApiKey");
        s["properties"]["key"] = crate::schema!({"type": "string", "description": "The key itself, shown only here."});
        s
    }),
};

pub const LIST_KEYS_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "The caller's active API keys (never the secret)",
    description: "",
    request: None,
    response: (200, || page_of(api_key_schema())),
};

pub const REVOKE_KEY_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Revoke an API key",
    description: "Takes effect at once: once this answers, no request authenticates with the key, even one sent \
        while the revoke ran. Another user's key answers 404.",
    request: None,
    response: (204, no_body),
};

pub const CHALLENGE_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Start a Sui wallet sign-in",
    description:
        "Returns a SIWE-like message naming the domain, address, nonce, issued-at and expiration \
        (WALLET_CHALLENGE_TTL, default 5 minutes; single use) for the wallet to sign with `signPersonalMessage`. \
        A new challenge never voids one already issued: up to 16 may be pending per address (429 beyond, until \
        the oldest expires). Rate limited per IP (AUTH_RATE_LIMIT_IP).",
    request: Some(
        || crate::schema!({"type": "object", "required": ["address"], "properties": {"address": {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}}}),
    ),
    response: (200, || {
        crate::schema!({"type": "object", "properties": {"nonce": {"type": "string"}, "message": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"}}})
    }),
};

pub const VERIFY_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Finish a Sui wallet sign-in",
    description: "`signature` is the wallet's serialized signature (base64 of 0x00 ‖ Ed25519 signature ‖ public key) \
        over one pending challenge's message as a personal message (`message`, optional, picks which); `public_key` \
        (base64, optional) must match it, and the key must hash to `address`. The challenge is then used up. The \
        first sign-in creates the account.",
    request: Some(|| crate::schema!({"type": "object", "required": ["address", "signature"], "properties": {
        "address": {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}, "signature": {"type": "string"}, "public_key": {"type": "string"},
        "message": {"type": "string"}}})),
    response: (200, tokens_schema),
};
