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
    signed(keys, token)?.at(keys, now)
}

/// What a token's signature vouches for: its claims and when they hold.
#[derive(Debug, Clone)]
struct Signed {
    claims: AccessClaims,
    not_before: DateTime<Utc>,
    expires: DateTime<Utc>,
}

/// The checks of a token that do not depend on the time: its form, its algorithm, its
/// signature, and the claims every access token carries.
fn signed(keys: &TokenKeys<'_>, token: &str) -> Result<Signed, TokenError> {
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
    let claims = token.claims();
    if claims.issued_at.is_none() {
        return Err(TokenError::Malformed);
    }
    Ok(Signed {
        expires: claims.expiration.ok_or(TokenError::Expired)?,
        not_before: claims.not_before.ok_or(TokenError::NotYetValid)?,
        claims: claims.custom.clone(),
    })
}

impl Signed {
    /// The claims, if the token is valid at `now` (30 s leeway either side) and was
    /// issued by and for this service.
    fn at(&self, keys: &TokenKeys<'_>, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        if self.expired(now) {
            return Err(TokenError::Expired);
        }
        if now < self.not_before - Duration::seconds(LEEWAY_SECS) {
            return Err(TokenError::NotYetValid);
        }
        if self.claims.iss != keys.issuer {
            return Err(TokenError::WrongIssuer);
        }
        if self.claims.aud != keys.audience {
            return Err(TokenError::WrongAudience);
        }
        Ok(self.claims.clone())
    }

    /// Whether the token has expired at `now`, past the leeway.
    fn expired(&self, now: DateTime<Utc>) -> bool {
        now > self.expires + Duration::seconds(LEEWAY_SECS)
    }
}

/// The tokens one isolate has found valid, so that a client sending the same access
/// token with each request pays for decoding it and checking its signature once: both
/// give the same answer every time for the same text and keys. The time and the claims
/// are still checked on every use, and a token is only kept once it was valid in full.
#[derive(Default)]
pub struct Verified {
    keys: (Vec<u8>, String, String),
    tokens: std::collections::HashMap<String, Signed>,
}

impl Verified {
    /// At most this many tokens are kept; past it, expired ones go, then all.
    pub const CAPACITY: usize = 1024;

    /// [`verify`], answered from the tokens already found valid under the same keys.
    pub fn verify(
        &mut self,
        keys: &TokenKeys<'_>,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenError> {
        if self.keys.0 != keys.secret || self.keys.1 != keys.issuer || self.keys.2 != keys.audience
        {
            self.keys = (
                keys.secret.to_vec(),
                keys.issuer.into(),
                keys.audience.into(),
            );
            self.tokens.clear();
        }
        if let Some(known) = self.tokens.get(token) {
            return known.at(keys, now);
        }
        let signed = signed(keys, token)?;
        let claims = signed.at(keys, now)?;
        if self.tokens.len() >= Self::CAPACITY {
            self.tokens.retain(|_, s| !s.expired(now));
            if self.tokens.len() >= Self::CAPACITY {
                self.tokens.clear();
            }
        }
        self.tokens.insert(token.to_string(), signed);
        Ok(claims)
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
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
    fn verified_tokens_answer_as_verify_does() {
        let mut cache = Verified::default();
        let t = issue(&keys(), "u", "s", now(), 60).expect("issue");
        for _ in 0..2 {
            assert_eq!(cache.verify(&keys(), &t, now()), verify(&keys(), &t, now()));
        }
        assert_eq!(cache.len(), 1);
        // Time is checked on every use of a kept token.
        for secs in [-31, 89, 91] {
            let at = now() + Duration::seconds(secs);
            assert_eq!(
                cache.verify(&keys(), &t, at),
                verify(&keys(), &t, at),
                "{secs}"
            );
        }
        // Refused tokens are not kept; other keys start afresh.
        let mut bad = t.clone();
        bad.push('x');
        assert!(cache.verify(&keys(), &bad, now()).is_err());
        assert_eq!(cache.len(), 1);
        let other = TokenKeys {
            secret: b"another-secret-another-secret-xx",
            ..keys()
        };
        assert_eq!(
            cache.verify(&other, &t, now()),
            Err(TokenError::BadSignature)
        );
        assert!(cache.is_empty());
        let wrong_aud = TokenKeys {
            audience: "other-app",
            ..keys()
        };
        assert!(cache.verify(&keys(), &t, now()).is_ok());
        assert_eq!(
            cache.verify(&wrong_aud, &t, now()),
            Err(TokenError::WrongAudience)
        );
    }

    #[test]
    fn verified_tokens_stay_bounded() {
        let mut cache = Verified::default();
        for i in 0..Verified::CAPACITY {
            let t = issue(&keys(), &format!("u{i}"), "s", now(), 60).expect("issue");
            cache.verify(&keys(), &t, now()).expect("valid");
        }
        assert_eq!(cache.len(), Verified::CAPACITY);
        // Past capacity, expired tokens go first; none has expired yet, so all go.
        let later = now() + Duration::seconds(30);
        let t = issue(&keys(), "late", "s", later, 60).expect("issue");
        cache.verify(&keys(), &t, later).expect("valid");
        assert_eq!(cache.len(), 1);
        let much_later = now() + Duration::seconds(1000);
        for i in 0..Verified::CAPACITY {
            let t = issue(&keys(), &format!("v{i}"), "s", much_later, 60).expect("issue");
            cache.verify(&keys(), &t, much_later).expect("valid");
        }
        // The expired token made room for the last of these.
        assert_eq!(cache.len(), Verified::CAPACITY);
        let t = issue(&keys(), "last", "s", much_later, 60).expect("issue");
        cache.verify(&keys(), &t, much_later).expect("valid");
        assert_eq!(cache.len(), 1);
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
