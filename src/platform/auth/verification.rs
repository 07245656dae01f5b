//! Proof that a person owns an email address, and what it unlocks (docs/auth.md):
//! verification of a new account's address, and password reset. Both send a link with a
//! single-use token (32 random bytes; only its SHA-256 is stored, in `email_tokens`) that
//! expires: 24 hours for verification, 1 hour for a reset. Whatever is granted by email
//! (a Money group invite) waits for the address to be verified.
//!
//! A reset also proves the address: it verifies it, revokes every session of the account
//! and, when the address had never been verified (the account may have been opened by
//! someone else with it), every API key too.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1Database;

use super::sessions::Sessions;
use super::users::{self, Email, User};
use super::{api_keys, password, Caller};
use crate::platform::error::ApiError;
use crate::platform::html::{self, escape, hidden};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::mail::{self, Mail};
use crate::platform::openapi::{no_body, Doc};
use crate::platform::product::{self, Event};

/// What a token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
        }
    }

    fn ttl_secs(self) -> i64 {
        match self {
            Self::Verify => 24 * 3600,
            Self::Reset => 3600,
        }
    }
}

/// A new token for `user_id`'s `email`; the token itself is only in the link mailed.
async fn issue(
    db: &D1Database,
    user_id: &str,
    email: &str,
    purpose: Purpose,
) -> Result<String, ApiError> {
    let token = crate::platform::crypto::random_token(32)?;
    let now = ids::now();
    let expires = ids::rfc3339(now + chrono::Duration::seconds(purpose.ttl_secs()));
    db.prepare(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, email, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&[
        crate::platform::crypto::sha256_hex(token.as_bytes()).into(),
        user_id.into(),
        purpose.as_str().into(),
        email.into(),
        expires.into(),
        ids::rfc3339(now).into(),
    ])?
    .run()
    .await?;
    Ok(token)
}

/// The account a token stands for, when it is unexpired, of its purpose, and still for the
/// account's current address. It is not used up here.
#[derive(Debug, Deserialize)]
struct Holder {
    user_id: String,
    email: String,
    #[serde(deserialize_with = "crate::platform::db::flag")]
    verified: bool,
}

async fn holder(
    db: &D1Database,
    token: &str,
    purpose: Purpose,
) -> Result<Option<Holder>, ApiError> {
    Ok(db
        .prepare(
            "SELECT t.user_id, t.email, u.email_verified_at IS NOT NULL AS verified FROM email_tokens t \
             JOIN users u ON u.id = t.user_id AND u.email = t.email AND u.is_active = 1 \
             WHERE t.token_hash = ?1 AND t.purpose = ?2 AND t.expires_at > ?3",
        )
        .bind(&[
            crate::platform::crypto::sha256_hex(token.as_bytes()).into(),
            purpose.as_str().into(),
            ids::now_rfc3339().into(),
        ])?
        .first(None)
        .await?)
}

/// Uses a token up together with `then` (statements about the holder), in one batch: the
/// token's DELETE comes first and `then` begins with [`on_use`], which only acts when it
/// removed the token (what follows it is guarded by its effect), so of simultaneous uses
/// exactly one takes effect. Every other token of the same purpose goes too. Returns the
/// answers of `then` when this use was the one.
async fn consume(
    db: &D1Database,
    token: &str,
    purpose: Purpose,
    user_id: &str,
    then: Vec<worker::D1PreparedStatement>,
) -> Result<Option<Vec<worker::D1Result>>, ApiError> {
    let hash = crate::platform::crypto::sha256_hex(token.as_bytes());
    let n = then.len();
    let mut stmts = vec![db
        .prepare(
            "DELETE FROM email_tokens WHERE token_hash = ?1 AND purpose = ?2 AND expires_at > ?3",
        )
        .bind(&[
            hash.as_str().into(),
            purpose.as_str().into(),
            ids::now_rfc3339().into(),
        ])?];
    stmts.extend(then);
    stmts.push(
        db.prepare("DELETE FROM email_tokens WHERE user_id = ?1 AND purpose = ?2")
            .bind(&[user_id.into(), purpose.as_str().into()])?,
    );
    let mut results = db.batch(stmts).await?;
    let used = match results.first() {
        Some(r) => crate::platform::db::changes(r)? == 1,
        None => false,
    };
    if !used || results.len() < n + 1 {
        return Ok(None);
    }
    results.truncate(n + 1);
    results.remove(0);
    Ok(Some(results))
}

/// Verifies the address (and, for a reset, sets the password hash), only while the token
/// removed just before it in the batch was this use's.
fn on_use(
    db: &D1Database,
    user_id: &str,
    password_hash: Option<&str>,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?2), \
             password_hash = COALESCE(?3, password_hash) WHERE id = ?1 AND changes() = 1",
        )
        .bind(&[
            user_id.into(),
            ids::now_rfc3339().into(),
            crate::platform::db::nullable(password_hash),
        ])?)
}

/// The message of a link.
fn mail_of(purpose: Purpose, email: &str, url: &str) -> Mail {
    let (subject, text) = match purpose {
        Purpose::Verify => (
            "Confirm your email address",
            format!(
                "Confirm that {email} is yours by opening this link within 24 hours:\n\n{url}\n\n\
                 If you did not create an account, ignore this message."
            ),
        ),
        Purpose::Reset => (
            "Reset your password",
            format!(
                "Someone asked to reset the password of the account {email}. To choose a new one, open \
                 this link within 1 hour:\n\n{url}\n\nIf it was not you, ignore this message: your password \
                 stays as it is."
            ),
        ),
    };
    Mail {
        to: email.to_string(),
        subject: subject.into(),
        text,
    }
}

/// What mailing a link needs of a request, kept past its answer (links are mailed after
/// it: a slow or failing provider neither delays a sign-up nor tells anyone whether an
/// address has an account).
pub struct Mailer {
    env: worker::Env,
    config: std::rc::Rc<crate::platform::config::Config>,
    /// Where links point: the front end's pages under `EMAIL_LINK_BASE`, else this
    /// worker's own pages under `/auth`.
    base: String,
}

impl Mailer {
    pub fn of(ctx: &Ctx) -> Self {
        let base = match &ctx.config.mail.link_base {
            Some(b) => b.clone(),
            None => format!("{}/auth", ctx.public_url()),
        };
        Mailer {
            env: ctx.env.clone(),
            config: ctx.config.clone(),
            base,
        }
    }

    /// Issues a token of `purpose` for the account and mails its link.
    pub async fn send(&self, user_id: &str, email: &str, purpose: Purpose) -> Result<(), ApiError> {
        let db = crate::platform::bindings::db(&self.env)?;
        let token = issue(&db, user_id, email, purpose).await?;
        let page = match purpose {
            Purpose::Verify => "verify-email",
            Purpose::Reset => "reset-password",
        };
        let url = format!("{}/{page}?token={token}", self.base);
        mail::send(&db, &self.config.mail, &mail_of(purpose, email, &url)).await
    }
}

/// Marks `holder`'s address verified by `token` (single use) and tells the products, in
/// the batch that uses the token up; answers the account.
async fn verify_token(ctx: &Ctx, token: &str) -> Result<User, ApiError> {
    let invalid =
        || ApiError::validation("token", "is invalid, used or expired: ask for a new link");
    let db = ctx.d1()?;
    let h = holder(&db, token, Purpose::Verify)
        .await?
        .ok_or_else(invalid)?;
    let mut then = vec![on_use(&db, &h.user_id, None)?];
    if !h.verified {
        then.extend(verified(ctx, &db, &h)?);
    }
    then.push(users::select(&db, &h.user_id)?);
    let done = consume(&db, token, Purpose::Verify, &h.user_id, then)
        .await?
        .ok_or_else(invalid)?;
    users::from_result(done.last())?.ok_or_else(invalid)
}

/// What products do once an address is proved (their statements keep to verified
/// addresses, so they act only when this use verified it).
fn verified(
    ctx: &Ctx,
    db: &D1Database,
    h: &Holder,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    product::reactions(
        db,
        &ctx.config,
        &Event::EmailVerified {
            user_id: &h.user_id,
            email: &h.email,
        },
    )
}

/// Sets a new password with a reset `token` (single use): verifies the address, revokes
/// every session, and every API key when the address was not verified before. All of it
/// is one batch with the token's use; the revocations act only while the password is the
/// one this use set.
async fn reset_with(ctx: &Ctx, token: &str, new_password: &str) -> Result<(), ApiError> {
    users::check_password(new_password).map_err(|e| ApiError::Validation(vec![e]))?;
    let invalid =
        || ApiError::validation("token", "is invalid, used or expired: ask for a new link");
    let db = ctx.d1()?;
    let h = holder(&db, token, Purpose::Reset)
        .await?
        .ok_or_else(invalid)?;
    let hash = password::hash(new_password).await?;
    let a = &ctx.config.auth;
    let sessions = Sessions::new(&ctx.env, a.refresh_token_ttl_secs, a.access_token_ttl_secs)?;
    let mut then = vec![
        on_use(&db, &h.user_id, Some(&hash))?,
        sessions.revoke_all_statement(&h.user_id, Some(&hash))?,
    ];
    if !h.verified {
        then.push(api_keys::revoke_all_statement(
            &db,
            &h.user_id,
            Some(&hash),
        )?);
        then.extend(verified(ctx, &db, &h)?);
    }
    let done = consume(&db, token, Purpose::Reset, &h.user_id, then)
        .await?
        .ok_or_else(invalid)?;
    if let Some(r) = done.get(1) {
        sessions.mark_revoked(r).await?;
    }
    if !h.verified {
        if let Some(r) = done.get(2) {
            api_keys::mark_revoked(&ctx.env.kv("SESSIONS")?, r).await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- API

/// `POST /api/auth/email/verification`: a new link to the caller's address.
pub async fn send_verification(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let user = users::get(&db, &caller.user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("account no longer exists".into()))?;
    let Some(email) = user.email.clone() else {
        return Err(ApiError::Conflict(
            "this account has no email address (it signs in with a wallet)".into(),
        ));
    };
    if user.email_verified {
        return http::json(200, &json!({"sent": false, "email_verified": true}));
    }
    super::handlers::limit(&ctx, "verify", Some(&caller.user_id)).await?;
    // Mailed after the answer, as at sign-up (a slow provider does not hold it up).
    let mailer = Mailer::of(&ctx);
    ctx.in_background("verification mail", async move {
        mailer.send(&user.id, &email, Purpose::Verify).await
    });
    http::json(202, &json!({"sent": true, "email_verified": false}))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

/// `POST /api/auth/email/verify {token}`.
pub async fn verify(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: TokenBody = ctx.json().await?;
    super::handlers::limit(&ctx, "verify-token", None).await?;
    let user = verify_token(&ctx, &body.token).await?;
    http::json(200, &user)
}

#[derive(Deserialize)]
struct ForgotBody {
    email: String,
}

/// `POST /api/auth/password/forgot {email}`: always the same answer, at once; the lookup
/// and the mail happen after it, so neither the answer nor its timing says whether the
/// address has an account.
pub async fn forgot(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: ForgotBody = ctx.json().await?;
    let email = Email::parse(&body.email).map_err(|e| ApiError::Validation(vec![e]))?;
    super::handlers::limit(&ctx, "forgot", Some(email.as_str())).await?;
    let db = ctx.d1()?;
    let mailer = Mailer::of(&ctx);
    ctx.in_background("password reset mail", async move {
        match users::find_by_email(&db, &email).await? {
            Some(found) => {
                mailer
                    .send(&found.user.id, email.as_str(), Purpose::Reset)
                    .await
            }
            None => Ok(()),
        }
    });
    http::json(
        202,
        &json!({"status": "if an account has this address, a reset link is on its way (valid 1 hour)"}),
    )
}

#[derive(Deserialize)]
struct ResetBody {
    token: String,
    password: String,
}

/// `POST /api/auth/password/reset {token, password}`.
pub async fn reset(mut ctx: Ctx) -> Result<Response, ApiError> {
    let body: ResetBody = ctx.json().await?;
    super::handlers::limit(&ctx, "reset", None).await?;
    reset_with(&ctx, &body.token, &body.password).await?;
    http::no_content()
}

// ---------------------------------------------------------------- pages the links open

fn token_param(ctx: &Ctx) -> String {
    ctx.query_param("token").unwrap_or_default()
}

/// `GET /auth/verify-email?token=…`: a button that confirms (a GET never does, so a mail
/// scanner opening the link verifies nothing).
pub async fn verify_page(ctx: Ctx) -> Result<Response, ApiError> {
    let token = token_param(&ctx);
    Ok(html::page(
        200,
        "Confirm your email",
        &format!(
            "<h1>Confirm your email</h1><form method=\"post\" action=\"/auth/verify-email\">{}\
             <button type=\"submit\">Confirm my address</button></form>",
            hidden("token", &token)
        ),
        &[],
    ))
}

/// `POST /auth/verify-email` (the page's form).
pub async fn verify_form(mut ctx: Ctx) -> Result<Response, ApiError> {
    let form = ctx.form().await?;
    let token = form
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    super::handlers::limit(&ctx, "verify-token", None).await?;
    Ok(match verify_token(&ctx, &token).await {
        Ok(u) => html::message(
            200,
            "Email confirmed",
            &format!(
                "{} is confirmed. You can close this page.",
                u.email.unwrap_or_default()
            ),
        ),
        Err(ApiError::Validation(_)) => html::message(
            400,
            "This link no longer works",
            "It was used already or has expired. Ask for a new one from the app.",
        ),
        Err(e) => return Err(e),
    })
}

fn reset_form_html(token: &str, error: Option<&str>) -> String {
    format!(
        "<h1>Choose a new password</h1>{}<form method=\"post\" action=\"/auth/reset-password\">{}\
         <label for=\"password\">New password (8 to 128 characters)</label>\
         <input id=\"password\" type=\"password\" name=\"password\" minlength=\"8\" maxlength=\"128\" required \
         autocomplete=\"new-password\"><button type=\"submit\">Set password</button></form>\
         <p class=\"muted\">Every device signed in to the account is signed out.</p>",
        error.map(|e| format!("<p class=\"error\">{}</p>", escape(e))).unwrap_or_default(),
        hidden("token", token)
    )
}

/// `GET /auth/reset-password?token=…`.
pub async fn reset_page(ctx: Ctx) -> Result<Response, ApiError> {
    Ok(html::page(
        200,
        "Choose a new password",
        &reset_form_html(&token_param(&ctx), None),
        &[],
    ))
}

/// `POST /auth/reset-password` (the page's form).
pub async fn reset_form(mut ctx: Ctx) -> Result<Response, ApiError> {
    let form = ctx.form().await?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (token, password) = (field("token"), field("password"));
    super::handlers::limit(&ctx, "reset", None).await?;
    Ok(match reset_with(&ctx, &token, &password).await {
        Ok(()) => html::message(200, "Password changed", "Sign in with your new password."),
        Err(ApiError::Validation(problems)) if problems.iter().any(|p| p.field == "password") => {
            html::page(
                422,
                "Choose a new password",
                &reset_form_html(&token, Some("The password must have 8 to 128 characters.")),
                &[],
            )
        }
        Err(ApiError::Validation(_)) => html::message(
            400,
            "This link no longer works",
            "It was used already or has expired. Ask for a new one from the sign-in page.",
        ),
        Err(e) => return Err(e),
    })
}

// ---------------------------------------------------------------- development outbox

/// `GET /__dev/outbox?to=…`: the messages the `outbox` backend kept (newest first), only
/// outside production.
pub async fn dev_outbox(ctx: Ctx) -> Result<Response, ApiError> {
    let to = ctx
        .query_param("to")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    #[derive(Deserialize, serde::Serialize)]
    struct Kept {
        id: i64,
        to_address: String,
        subject: String,
        text: String,
        created_at: String,
    }
    let items: Vec<Kept> = ctx
        .d1()?
        .prepare(
            "SELECT id, to_address, subject, text, created_at FROM email_outbox \
             WHERE ?1 = '' OR to_address = ?1 ORDER BY id DESC LIMIT 50",
        )
        .bind(&[to.into()])?
        .all()
        .await?
        .results()?;
    http::json(200, &json!({"items": items}))
}

// ---------------------------------------------------------------- OpenAPI

fn token_body() -> Value {
    crate::schema!({"type": "object", "required": ["token"], "additionalProperties": false, "properties": {
        "token": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The `token` of the link mailed."}}})
}

pub const SEND_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Mail a new verification link to my address",
    description: "202 `{sent: true}` with a new link (valid 24 hours; earlier ones keep working until used or expired); \
        200 `{sent: false, email_verified: true}` when the address is verified already; 409 for a wallet account, \
        which has no address. Rate limited per account.",
    request: None,
    response: (202, || crate::schema!({"type": "object", "required": ["sent", "email_verified"], "properties": {
        "sent": {"type": "boolean"}, "email_verified": {"type": "boolean"}}})),
};

pub const VERIFY_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Verify my email address with the token of the link",
    description: "Single use. Verifying claims what was granted to the address (pending Money group invites). \
        422 on `token` when it is unknown, used or expired.",
    request: Some(token_body),
    response: (200, super::handlers::user_schema),
};

pub const FORGOT_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Ask for a password reset link",
    description: "Always 202 with the same body, at once, whether or not the address has an account; the link \
        (valid 1 hour, single use) is mailed only when it does. Rate limited per IP and per address.",
    request: Some(|| crate::schema!({"type": "object", "required": ["email"], "additionalProperties": false, "properties": {
        "email": {"type": "string", "format": "email", "maxLength": 254}}})),
    response: (202, || crate::schema!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}})),
};

pub const RESET_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Set a new password with the token of a reset link",
    description: "Single use. Verifies the address, signs out every session of the account (their access and \
        refresh tokens stop working), and — when the address had never been verified, so the account may have \
        been opened by someone else — revokes every API key too. 422 on `token` when it is unknown, used or \
        expired; on `password` when it is not 8 to 128 characters.",
    request: Some(|| crate::schema!({"type": "object", "required": ["token", "password"], "additionalProperties": false,
        "properties": {"token": {"type": "string", "minLength": 1, "maxLength": 200},
        "password": {"type": "string", "minLength": 8, "maxLength": 128}}})),
    response: (204, no_body),
};

pub const PAGE_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "A page an emailed link opens",
    description: "",
    request: None,
    response: (200, no_body),
};

pub const DEV_OUTBOX_DOC: Doc = Doc {
    tag: "auth",
    params: &[],
    summary: "Mail kept by the development outbox",
    description: "",
    request: None,
    response: (200, no_body),
};
