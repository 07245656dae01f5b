//! Sign-in sessions. A session is the rotation chain of one sign-in, kept in D1
//! (`auth_sessions`, `refresh_tokens`, each token only as its SHA-256). D1 is strongly
//! consistent, so rotation is one conditional UPDATE: of N simultaneous refreshes with
//! the same token exactly one retires it and gets the next; the others find it retired,
//! which is reuse, and revoke the whole session.
//!
//! Access tokens are checked on every request against KV `SESSIONS`, which holds only
//! revocation markers (`revoked:{sid}`). Nothing but a revocation writes such a key, so
//! no racing write can bring a revoked session back; a marker lives as long as an access
//! token can, after which the token's own expiry refuses it.

use serde::Deserialize;
use worker::{D1Database, Env};

use crate::platform::crypto;
use crate::platform::error::ApiError;
use crate::platform::ids;

/// What presenting a refresh token found.
pub enum Presented {
    /// A live token: it is now retired, and `next` is the session's new refresh token.
    Rotated {
        sid: String,
        user_id: String,
        next: String,
    },
    /// A retired token came back (or lost a race to its twin): the session is revoked.
    Reused,
    Unknown,
}

pub struct Sessions {
    db: D1Database,
    kv: worker::kv::KvStore,
    ttl_secs: i64,
    /// How long a revocation marker must outlive the revocation: an access token's life.
    marker_ttl_secs: u64,
}

fn marker_key(sid: &str) -> String {
    format!("revoked:{sid}")
}

fn token_hash(token: &str) -> String {
    crypto::sha256_hex(token.as_bytes())
}

impl Sessions {
    pub fn new(env: &Env, ttl_secs: i64, access_ttl_secs: i64) -> Result<Self, ApiError> {
        Ok(Self {
            db: env.d1("DB")?,
            kv: env.kv("SESSIONS")?,
            ttl_secs: ttl_secs.max(60),
            // KV keeps entries at least 60 s; a minute of margin past the token's expiry.
            marker_ttl_secs: (access_ttl_secs.max(0) + 60) as u64,
        })
    }

    /// Starts a session for `user_id`; returns (session id, first refresh token).
    pub async fn start(&self, user_id: &str) -> Result<(String, String), ApiError> {
        let sid = ids::new_id()?;
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::seconds(self.ttl_secs);
        let token = crypto::random_token(32)?;
        self.db
            .batch(vec![
                self.db
                    .prepare(
                        "INSERT INTO auth_sessions (id, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .bind(&[
                        sid.as_str().into(),
                        user_id.into(),
                        ids::rfc3339(now).into(),
                        ids::rfc3339(expires).into(),
                    ])?,
                self.db
                    .prepare(
                        "INSERT INTO refresh_tokens (token_hash, session_id, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                    )
                    .bind(&[
                        token_hash(&token).into(),
                        sid.as_str().into(),
                        user_id.into(),
                        ids::rfc3339(now).into(),
                    ])?,
            ])
            .await?;
        Ok((sid, token))
    }

    /// Whether an access token of session `sid` may still be used (no revocation marker).
    pub async fn is_live(&self, sid: &str) -> Result<bool, ApiError> {
        Ok(self.kv.get(&marker_key(sid)).text().await?.is_none())
    }

    /// Revokes a session: D1 refuses its refresh tokens, the marker its access tokens.
    pub async fn revoke(&self, sid: &str) -> Result<(), ApiError> {
        self.db
            .prepare(
                "UPDATE auth_sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            )
            .bind(&[sid.into(), ids::now_rfc3339().into()])?
            .run()
            .await?;
        self.kv
            .put(&marker_key(sid), "1")?
            .expiration_ttl(self.marker_ttl_secs)
            .execute()
            .await?;
        Ok(())
    }

    /// Retires a presented refresh token and issues the next one, in one D1 batch: the
    /// UPDATE matches only a token not yet retired of a live session, and the INSERT of
    /// the next token happens only when that UPDATE changed a row.
    pub async fn present(&self, token: &str) -> Result<Presented, ApiError> {
        #[derive(Deserialize)]
        struct Retired {
            session_id: String,
            user_id: String,
        }
        let hash = token_hash(token);
        let next = crypto::random_token(32)?;
        let now = ids::now_rfc3339();
        let results = self
            .db
            .batch(vec![
                self.db
                    .prepare(
                        "UPDATE refresh_tokens SET rotated_at = ?2 WHERE token_hash = ?1 AND rotated_at IS NULL \
                         AND session_id IN (SELECT id FROM auth_sessions WHERE revoked_at IS NULL AND expires_at > ?2) \
                         RETURNING session_id, user_id",
                    )
                    .bind(&[hash.as_str().into(), now.as_str().into()])?,
                self.db
                    .prepare(
                        "INSERT INTO refresh_tokens (token_hash, session_id, user_id, created_at) \
                         SELECT ?1, session_id, user_id, ?3 FROM refresh_tokens WHERE token_hash = ?2 AND changes() = 1",
                    )
                    .bind(&[token_hash(&next).into(), hash.as_str().into(), now.as_str().into()])?,
            ])
            .await?;
        let retired: Option<Retired> = match results.first() {
            Some(r) => r.results::<Retired>()?.into_iter().next(),
            None => None,
        };
        if let Some(r) = retired {
            return Ok(Presented::Rotated {
                sid: r.session_id,
                user_id: r.user_id,
                next,
            });
        }
        // Not rotated: a token retired before (reuse), or one of a dead session.
        #[derive(Deserialize)]
        struct Known {
            session_id: String,
            rotated: i64,
        }
        let known: Option<Known> = self
            .db
            .prepare(
                "SELECT session_id, rotated_at IS NOT NULL AS rotated FROM refresh_tokens WHERE token_hash = ?1",
            )
            .bind(&[hash.as_str().into()])?
            .first(None)
            .await?;
        match known {
            Some(k) if k.rotated != 0 => {
                self.revoke(&k.session_id).await?;
                Ok(Presented::Reused)
            }
            _ => Ok(Presented::Unknown),
        }
    }
}
