//! Access tokens: JWT HS256 (jwt-compact) with `sub`, `sid`, `iat`, `exp`, `nbf`, `iss`,
//! `aud`. Anything else — another algorithm, `none`, a bad signature, expired (30 s
//! leeway), not yet valid, wrong issuer or audience — is refused.

use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};

pub const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub aud: String,
}

/// Why a token was refused (logged, never shown: the client gets one 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    WrongAlgorithm(String),
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
}

pub struct TokenKeys<'a> {
    pub secret: &'a [u8],
    pub issuer: &'a str,
    pub audience: &'a str,
}

/// Issues an access token for (user, session) valid `ttl_secs` from `now`.
pub fn issue(
    keys: &TokenKeys<'_>,
    user_id: &str,
    session_id: &str,
    now: DateTime<Utc>,
    ttl_secs: i64,
) -> Result<String, String> {
    let options = TimeOptions::new(Duration::seconds(LEEWAY_SECS), move || now);
    let claims = Claims::new(AccessClaims {
        sub: user_id.to_string(),
        sid: session_id.to_string(),
        iss: keys.issuer.to_string(),
        aud: keys.audience.to_string(),
    })
    .set_duration_and_issuance(&options, Duration::seconds(ttl_secs))
    .set_not_before(now);
    Hs256
        .token(
            &Header::empty().with_token_type("JWT"),
            &claims,
            &Hs256Key::new(keys.secret),
        )
        .map_err(|e| e.to_string())
}

/// Verifies a token at time `now`.
pub fn verify(
    keys: &TokenKeys<'_>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    let untrusted = UntrustedToken::new(token).map_err(|_| TokenError::Malformed)?;
    if untrusted.algorithm() != "HS256" {
        return Err(TokenError::WrongAlgorithm(
            untrusted.algorithm().to_string(),
        ));
    }
    let key = Hs256Key::new(keys.secret);
    let token = Hs256
        .validator::<AccessClaims>(&key)
        .validate(&untrusted)
        .map_err(|e| match e {
            jwt_compact::ValidationError::InvalidSignature => TokenError::BadSignature,
            jwt_compact::ValidationError::AlgorithmMismatch { actual, .. } => {
                TokenError::WrongAlgorithm(actual)
            }
            _ => TokenError::Malformed,
        })?;
    let options = TimeOptions::new(Duration::seconds(LEEWAY_SECS), move || now);
    let claims = token.claims();
    claims
        .validate_expiration(&options)
        .map_err(|_| TokenError::Expired)?;
    claims
        .validate_maturity(&options)
        .map_err(|_| TokenError::NotYetValid)?;
    if claims.issued_at.is_none() {
        return Err(TokenError::Malformed);
    }
    let custom = &claims.custom;
    if custom.iss != keys.issuer {
        return Err(TokenError::WrongIssuer);
    }
    if custom.aud != keys.audience {
        return Err(TokenError::WrongAudience);
    }
    Ok(custom.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::crypto::b64url_encode;
    use jwt_compact::alg::{Hs512, Hs512Key};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> TokenKeys<'static> {
        TokenKeys {
            secret: SECRET,
            issuer: "edge-api",
            audience: "edge-api",
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("valid time")
    }

    #[test]
    fn round_trip_carries_claims() {
        let t = issue(&keys(), "user-1", "sess-1", now(), 900).expect("issue");
        let c = verify(&keys(), &t, now()).expect("valid");
        assert_eq!(c.sub, "user-1");
        assert_eq!(c.sid, "sess-1");
        let payload = t.split('.').nth(1).expect("payload");
        let json: serde_json::Value =
            serde_json::from_slice(&crate::platform::crypto::b64url_decode(payload).expect("b64"))
                .expect("json");
        for claim in ["sub", "sid", "iat", "exp", "nbf", "iss", "aud"] {
            assert!(json.get(claim).is_some(), "missing {claim}");
        }
        assert_eq!(json["exp"].as_i64(), Some(1_800_000_900));
    }

    #[test]
    fn expiry_has_thirty_second_leeway() {
        let t = issue(&keys(), "u", "s", now(), 60).expect("issue");
        assert!(verify(&keys(), &t, now() + Duration::seconds(89)).is_ok());
        assert_eq!(
            verify(&keys(), &t, now() + Duration::seconds(91)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&keys(), &t, now() - Duration::seconds(31)),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn tampering_and_other_keys_fail() {
        let t = issue(&keys(), "u", "s", now(), 60).expect("issue");
        let mut bad = t.clone();
        bad.pop();
        bad.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(verify(&keys(), &bad, now()), Err(TokenError::BadSignature));
        let other = TokenKeys {
            secret: b"another-secret-another-secret-xx",
            ..keys()
        };
        assert_eq!(verify(&other, &t, now()), Err(TokenError::BadSignature));
        assert_eq!(
            verify(&keys(), "not.a.jwt", now()),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn other_algorithms_are_refused() {
        let claims = Claims::new(AccessClaims {
            sub: "u".into(),
            sid: "s".into(),
            iss: "edge-api".into(),
            aud: "edge-api".into(),
        })
        .set_duration_and_issuance(
            &TimeOptions::new(Duration::seconds(0), now),
            Duration::seconds(60),
        );
        let hs512 = Hs512
            .token(&Header::empty(), &claims, &Hs512Key::new(SECRET))
            .expect("hs512");
        assert_eq!(
            verify(&keys(), &hs512, now()),
            Err(TokenError::WrongAlgorithm("HS512".into()))
        );

        let header = b64url_encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = b64url_encode(serde_json::to_string(&claims).expect("json").as_bytes());
        let none = format!("{header}.{body}.");
        assert!(matches!(
            verify(&keys(), &none, now()),
            Err(TokenError::WrongAlgorithm(_) | TokenError::Malformed)
        ));
    }

    #[test]
    fn issuer_and_audience_are_checked() {
        let t = issue(&keys(), "u", "s", now(), 60).expect("issue");
        let wrong_aud = TokenKeys {
            audience: "other-app",
            ..keys()
        };
        assert_eq!(
            verify(&wrong_aud, &t, now()),
            Err(TokenError::WrongAudience)
        );
        let wrong_iss = TokenKeys {
            issuer: "someone-else",
            ..keys()
        };
        assert_eq!(verify(&wrong_iss, &t, now()), Err(TokenError::WrongIssuer));
    }
}
