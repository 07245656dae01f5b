//! Sign-in sessions. A session is the rotation chain of one sign-in, kept in D1
//! (`auth_sessions`, `refresh_tokens`, each token only as its SHA-256). D1 is strongly
//! consistent, so rotation is one conditional UPDATE: of N simultaneous refreshes with
//! the same token exactly one retires it and gets the next; the others find it retired,
//! which is reuse, and revoke the whole session.
//!
//! Access tokens are checked against KV `SESSIONS`, which holds only revocation markers
//! (`revoked:{sid}`). Nothing but a revocation writes such a key, so no racing write can
//! bring a revoked session back; a marker lives as long as an access token can, after
//! which the token's own expiry refuses it.
//!
//! An isolate remembers ([`Checked`]) the sessions it found live for
//! [`RECHECK_AFTER_MS`] and the ones it revoked itself until their markers expire, so a
//! busy client costs one KV read per 10 seconds instead of one per request, a revocation
//! is refused at once by the isolate that made it, and by every other one within
//! 10 seconds (KV itself takes up to a minute to carry a write to other locations).

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

/// How long an isolate trusts a session it found live without reading KV again.
pub const RECHECK_AFTER_MS: f64 = 10_000.0;

/// What one isolate knows of sessions: the ones it found live (with when) and the ones
/// it revoked (until when their markers last). Both are bounded: past [`Checked::MAX`]
/// entries the live set starts over, and revocations are pruned as they expire.
#[derive(Default)]
pub struct Checked {
    live: std::collections::HashMap<String, f64>,
    revoked: std::collections::HashMap<String, f64>,
}

impl Checked {
    pub const MAX: usize = 10_000;

    /// `Some(false)` when revoked here, `Some(true)` when found live less than
    /// [`RECHECK_AFTER_MS`] ago, `None` when KV must be read.
    pub fn lookup(&self, sid: &str, now_ms: f64) -> Option<bool> {
        if self.revoked.get(sid).is_some_and(|until| *until > now_ms) {
            return Some(false);
        }
        self.live
            .get(sid)
            .filter(|at| now_ms - **at < RECHECK_AFTER_MS)
            .map(|_| true)
    }

    pub fn found_live(&mut self, sid: &str, now_ms: f64) {
        if self.live.len() >= Self::MAX {
            self.live.clear();
        }
        self.live.insert(sid.to_string(), now_ms);
    }

    pub fn revoked(&mut self, sid: &str, now_ms: f64, until_ms: f64) {
        self.revoked.retain(|_, until| *until > now_ms);
        self.live.remove(sid);
        self.revoked.insert(sid.to_string(), until_ms);
    }
}

thread_local! {
    static CHECKED: std::cell::RefCell<Checked> = std::cell::RefCell::new(Checked::default());
}

/// Whether an access token of session `sid` may still be used (no revocation marker) at
/// `now_ms` (the request's clock, read once for it): mostly answered by this isolate's
/// recent checks, else by KV `SESSIONS`.
pub async fn is_live(env: &Env, sid: &str, now_ms: f64) -> Result<bool, ApiError> {
    if let Some(known) = CHECKED.with(|c| c.borrow().lookup(sid, now_ms)) {
        return Ok(known);
    }
    let kv = env.kv("SESSIONS")?;
    let live = kv.get(&marker_key(sid)).text().await?.is_none();
    if live {
        // A revocation made here while KV was read is kept: `lookup` asks it first. The
        // check counts from before the read, so it is redone no later than it should be.
        CHECKED.with(|c| c.borrow_mut().found_live(sid, now_ms));
    }
    Ok(live)
}

fn now_ms() -> f64 {
    crate::platform::ids::now_ms() as f64
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
            db: crate::platform::bindings::db(env)?,
            kv: env.kv("SESSIONS")?,
            ttl_secs: ttl_secs.max(60),
            // KV keeps entries at least 60 s; a minute of margin past the token's expiry.
            marker_ttl_secs: (access_ttl_secs.max(0) + 60) as u64,
        })
    }

    /// Starts a session for `user_id`; returns (session id, first refresh token).
    pub async fn start(&self, user_id: &str) -> Result<(String, String), ApiError> {
        let (sid, token, stmts) = self.start_statements(user_id)?;
        self.db.batch(stmts).await?;
        Ok((sid, token))
    }

    /// The statements that start a session for `user_id`, for a caller's batch; returns
    /// them with the session id and its first refresh token.
    pub fn start_statements(
        &self,
        user_id: &str,
    ) -> Result<(String, String, Vec<worker::D1PreparedStatement>), ApiError> {
        let sid = ids::new_id()?;
        let now = crate::platform::ids::now();
        let expires = now + chrono::Duration::seconds(self.ttl_secs);
        let token = crypto::random_token(32)?;
        let stmts = vec![
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
        ];
        Ok((sid, token, stmts))
    }

    /// Revokes a session: D1 refuses its refresh tokens, the marker its access tokens.
    pub async fn revoke(&self, sid: &str) -> Result<(), ApiError> {
        let now = now_ms();
        CHECKED.with(|c| {
            c.borrow_mut()
                .revoked(sid, now, now + self.marker_ttl_secs as f64 * 1000.0)
        });
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

    /// Revokes every live session of a user (a password reset): each one as [`revoke`]
    /// does. Returns how many.
    pub async fn revoke_all(&self, user_id: &str) -> Result<usize, ApiError> {
        let revoked = self.revoke_all_statement(user_id, None)?.all().await?;
        self.mark_revoked(&revoked).await
    }

    /// The statement that revokes every live session of `user_id` (returning their ids,
    /// for [`Sessions::mark_revoked`]); with `password_hash`, only while the account's
    /// password hash is that one (a reset's, set earlier in the same batch).
    pub fn revoke_all_statement(
        &self,
        user_id: &str,
        password_hash: Option<&str>,
    ) -> Result<worker::D1PreparedStatement, ApiError> {
        Ok(self
            .db
            .prepare(
                "UPDATE auth_sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL \
                 AND expires_at > ?2 AND (?3 IS NULL OR EXISTS \
                 (SELECT 1 FROM users WHERE id = ?1 AND password_hash = ?3)) RETURNING id",
            )
            .bind(&[
                user_id.into(),
                ids::now_rfc3339().into(),
                crate::platform::db::nullable(password_hash),
            ])?)
    }

    /// Writes the revocation markers of the sessions a [`Sessions::revoke_all_statement`]
    /// revoked; returns how many.
    pub async fn mark_revoked(&self, revoked: &worker::D1Result) -> Result<usize, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
        }
        let rows: Vec<Row> = revoked.results()?;
        let at = now_ms();
        for row in &rows {
            CHECKED.with(|c| {
                c.borrow_mut()
                    .revoked(&row.id, at, at + self.marker_ttl_secs as f64 * 1000.0)
            });
            self.kv
                .put(&marker_key(&row.id), "1")?
                .expiration_ttl(self.marker_ttl_secs)
                .execute()
                .await?;
        }
        Ok(rows.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_session_is_trusted_for_ten_seconds_then_read_again() {
        let mut c = Checked::default();
        assert_eq!(c.lookup("s1", 0.0), None);
        c.found_live("s1", 1_000.0);
        assert_eq!(c.lookup("s1", 1_000.0), Some(true));
        assert_eq!(c.lookup("s1", 10_999.0), Some(true));
        assert_eq!(c.lookup("s1", 11_000.0), None);
        assert_eq!(c.lookup("s2", 1_000.0), None);
    }

    #[test]
    fn a_revocation_here_wins_over_a_live_check_even_one_that_lands_after_it() {
        let mut c = Checked::default();
        c.found_live("s1", 0.0);
        c.revoked("s1", 1.0, 960_000.0);
        assert_eq!(c.lookup("s1", 2.0), Some(false));
        // A request that read KV before the revocation records its answer afterwards.
        c.found_live("s1", 3.0);
        assert_eq!(c.lookup("s1", 4.0), Some(false));
        // Once the marker has expired, so has every access token of the session.
        assert_eq!(c.lookup("s1", 960_001.0), None);
    }

    #[test]
    fn the_memory_stays_bounded() {
        let mut c = Checked::default();
        for i in 0..(Checked::MAX + 5) {
            c.found_live(&format!("s{i}"), 0.0);
        }
        assert!(c.live.len() <= Checked::MAX);
        for i in 0..100 {
            c.revoked(&format!("r{i}"), i as f64 * 10.0, i as f64 * 10.0 + 5.0);
        }
        assert_eq!(c.revoked.len(), 1);
    }
}
