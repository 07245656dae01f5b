//! Who is calling: one [`Caller`] out of three ways in (access token as Bearer header or
//! cookie, `X-API-Key`). Routes declare the auth they need; handlers of user routes get
//! the caller as an argument, and every store function that touches user data takes it.

pub mod api_keys;
pub mod handlers;
pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod sessions;
pub mod users;
pub mod verification;
pub mod wallet;

use crate::platform::config::Config;
use crate::platform::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Jwt,
    ApiKey,
    Cookie,
}

impl Via {
    pub fn as_str(&self) -> &'static str {
        match self {
            Via::Jwt => "jwt",
            Via::ApiKey => "api_key",
            Via::Cookie => "cookie",
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub via: Via,
    /// The sign-in session (tokens and cookies); `None` for API keys.
    pub session_id: Option<String>,
}

/// The parts of a request authentication looks at.
pub struct Credentials<'a> {
    pub authorization: Option<&'a str>,
    pub api_key: Option<&'a str>,
    pub cookie: Option<&'a str>,
    pub method: &'a str,
    pub content_type: Option<&'a str>,
    pub origin: Option<&'a str>,
}

/// One value of a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name && !v.is_empty()).then_some(v)
    })
}

/// A cookie-authenticated request that changes state must be JSON or come from an allowed
/// origin: a cross-site HTML form can do neither.
pub fn cookie_request_is_safe(
    method: &str,
    content_type: Option<&str>,
    origin_allowed: bool,
) -> bool {
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return true;
    }
    let json = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false);
    json || origin_allowed
}

/// Gateway routes: `X-Gateway-Token` must equal `GATEWAY_TOKEN` (constant-time); with no
/// token configured they refuse everyone.
pub fn check_gateway(config: &Config, given: Option<&str>) -> Result<(), ApiError> {
    let refused = || ApiError::Unauthorized("gateway token required".into());
    let Some(expected) = config.gateway_token.as_deref() else {
        worker::console_error!(
            "{}",
            serde_json::json!({"level": "error", "msg": "GATEWAY_TOKEN is not set"})
        );
        return Err(refused());
    };
    let given = given.unwrap_or_default();
    if crate::platform::crypto::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(refused())
    }
}

fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("authentication required".into())
}

thread_local! {
    /// The access tokens this isolate has found valid (see [`jwt::Verified`]).
    static VERIFIED: std::cell::RefCell<jwt::Verified> = std::cell::RefCell::default();
}

/// Resolves the caller: Bearer header first, then `X-API-Key`, then the access cookie.
pub async fn authenticate(
    env: &worker::Env,
    config: &Config,
    creds: &Credentials<'_>,
) -> Result<Caller, ApiError> {
    let keys = jwt::TokenKeys {
        secret: &config.auth.jwt_secret,
        issuer: &config.auth.jwt_issuer,
        audience: &config.auth.jwt_audience,
    };
    let (token, via) = if let Some(h) = creds.authorization {
        (bearer(h).ok_or_else(unauthorized)?, Via::Jwt)
    } else if let Some(key) = creds.api_key {
        let db = crate::platform::bindings::db(env)?;
        let kv = env.kv("SESSIONS")?;
        return match api_keys::authenticate(&db, &kv, key.trim()).await? {
            Some((_, user_id)) => Ok(Caller {
                user_id,
                via: Via::ApiKey,
                session_id: None,
            }),
            None => Err(ApiError::Unauthorized("invalid or revoked API key".into())),
        };
    } else if let Some(t) = creds.cookie.and_then(|c| cookie_value(c, "access_token")) {
        let origin_allowed = creds.origin.is_some_and(|o| config.cors_origins.allows(o));
        if !cookie_request_is_safe(creds.method, creds.content_type, origin_allowed) {
            return Err(ApiError::Forbidden(
                "cookie-authenticated writes must send JSON or come from an allowed origin".into(),
            ));
        }
        (t, Via::Cookie)
    } else {
        return Err(unauthorized());
    };

    // One clock read for the token's times and the session check.
    let now = crate::platform::ids::now();
    let claims = VERIFIED.with(|v| v.borrow_mut().verify(&keys, token, now));
    let claims = claims.map_err(|reason| {
        worker::console_log!(
            "{}",
            serde_json::json!({"msg": "access token refused", "reason": format!("{reason:?}")})
        );
        ApiError::Unauthorized("invalid or expired access token".into())
    })?;
    let live = sessions::is_live(env, &claims.sid, now.timestamp_millis() as f64).await?;
    if !live {
        return Err(ApiError::Unauthorized("session has been revoked".into()));
    }
    Ok(Caller {
        user_id: claims.sub,
        via,
        session_id: Some(claims.sid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_values_are_found_by_name() {
        let h = "theme=dark; access_token=abc.def.ghi; refresh_token=xyz";
        assert_eq!(cookie_value(h, "access_token"), Some("abc.def.ghi"));
        assert_eq!(cookie_value(h, "refresh_token"), Some("xyz"));
        assert_eq!(cookie_value(h, "token"), None);
        assert_eq!(cookie_value("access_token=", "access_token"), None);
    }

    #[test]
    fn cross_site_form_posts_are_not_safe() {
        assert!(cookie_request_is_safe("GET", None, false));
        assert!(cookie_request_is_safe(
            "POST",
            Some("application/json; charset=utf-8"),
            false
        ));
        assert!(cookie_request_is_safe("POST", Some("text/plain"), true));
        assert!(!cookie_request_is_safe(
            "POST",
            Some("application/x-www-form-urlencoded"),
            false
        ));
        assert!(!cookie_request_is_safe("DELETE", None, false));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
