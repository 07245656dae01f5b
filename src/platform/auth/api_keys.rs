//! API keys (`ek_live_` + 32 random bytes base64url), for the browser extension, gateways
//! and scripts. Only the SHA-256 of a key is stored. Lookups are cached in KV `SESSIONS`
//! (`ak:{hash}`, 5 minutes).
//!
//! Revocation cannot be undone by a request in flight. KV has no compare-and-set, so a
//! request that read the key from D1 just before the revoke may still write it back into
//! the cache after. Revoking therefore also writes a marker (`akr:{hash}`) that nothing
//! else writes and that outlives any such write-back; every check reads the marker with
//! the cache entry and refuses the key when it is there. A cache refresh also only
//! happens when the `last_used_at` UPDATE, conditional on the key not being revoked,
//! changed its row.

use serde::{Deserialize, Serialize};
use worker::D1Database;

use super::Caller;
use crate::platform::crypto;
use crate::platform::error::ApiError;
use crate::platform::ids;

pub const PREFIX: &str = "ek_live_";
pub const MAX_ACTIVE_PER_USER: i64 = 20;
const CACHE_TTL_SECS: u64 = 300;
/// A revocation marker outlives every cache entry a racing request could still write.
const REVOKED_TTL_SECS: u64 = 2 * CACHE_TTL_SECS;
/// `last_used_at` is written at most this often per key.
const LAST_USED_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedKey {
    key_id: String,
    user_id: String,
    last_used_at: Option<String>,
}

fn cache_key(hash: &str) -> String {
    format!("ak:{hash}")
}

fn revoked_key(hash: &str) -> String {
    format!("akr:{hash}")
}

/// Whether a string has the shape of one of our keys (cheap pre-check before any I/O).
pub fn looks_like_key(key: &str) -> bool {
    key.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.len() == 43 && crypto::b64url_decode(rest).is_some())
}

/// Creates a key; the secret is only in the returned pair.
pub async fn create(
    db: &D1Database,
    caller: &Caller,
    name: &str,
) -> Result<(ApiKeyView, String), ApiError> {
    let secret = format!("{PREFIX}{}", crypto::random_token(32)?);
    let view = ApiKeyView {
        id: ids::new_id()?,
        name: name.to_string(),
        prefix: secret[..PREFIX.len() + 4].to_string(),
        created_at: ids::now_rfc3339(),
        last_used_at: None,
    };
    // One statement: the insert happens only while the user is under the cap.
    let result = db
        .prepare(
            "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
             WHERE (SELECT COUNT(*) FROM api_keys WHERE user_id = ?2 AND revoked_at IS NULL) < ?7",
        )
        .bind(&[
            view.id.as_str().into(),
            caller.user_id.as_str().into(),
            view.name.as_str().into(),
            view.prefix.as_str().into(),
            crypto::sha256_hex(secret.as_bytes()).as_str().into(),
            view.created_at.as_str().into(),
            (MAX_ACTIVE_PER_USER as f64).into(),
        ])?
        .run()
        .await?;
    if crate::platform::db::changes(&result)? == 0 {
        return Err(ApiError::Conflict(format!(
            "at most {MAX_ACTIVE_PER_USER} active API keys; revoke one first"
        )));
    }
    Ok((view, secret))
}

pub async fn list(db: &D1Database, caller: &Caller) -> Result<Vec<ApiKeyView>, ApiError> {
    Ok(db
        .prepare(
            "SELECT id, name, prefix, created_at, last_used_at FROM api_keys \
             WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY id",
        )
        .bind(&[caller.user_id.as_str().into()])?
        .all()
        .await?
        .results()?)
}

/// Revokes one of the caller's keys; another user's key is "not found".
pub async fn revoke(
    db: &D1Database,
    kv: &worker::kv::KvStore,
    caller: &Caller,
    id: &str,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Row {
        key_hash: String,
    }
    let row: Option<Row> = db
        .prepare(
            "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL \
             RETURNING key_hash",
        )
        .bind(&[id.into(), caller.user_id.as_str().into(), ids::now_rfc3339().as_str().into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| ApiError::not_found("api key"))?;
    kv.put(&revoked_key(&row.key_hash), "1")?
        .expiration_ttl(REVOKED_TTL_SECS)
        .execute()
        .await?;
    kv.delete(&cache_key(&row.key_hash)).await?;
    Ok(())
}

/// Revokes every active key of a user (an account recovered by password reset from
/// whoever held it unverified), with the same markers as [`revoke`].
pub async fn revoke_all(
    db: &D1Database,
    kv: &worker::kv::KvStore,
    user_id: &str,
) -> Result<usize, ApiError> {
    let revoked = revoke_all_statement(db, user_id, None)?.all().await?;
    mark_revoked(kv, &revoked).await
}

/// The statement that revokes every active key of `user_id` (returning their hashes, for
/// [`mark_revoked`]); with `password_hash`, only while the account's password hash is
/// that one (a reset's, set earlier in the same batch).
pub fn revoke_all_statement(
    db: &D1Database,
    user_id: &str,
    password_hash: Option<&str>,
) -> Result<worker::D1PreparedStatement, ApiError> {
    Ok(db
        .prepare(
            "UPDATE api_keys SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = ?1 AND password_hash = ?3)) \
             RETURNING key_hash",
        )
        .bind(&[
            user_id.into(),
            ids::now_rfc3339().as_str().into(),
            crate::platform::db::nullable(password_hash),
        ])?)
}

/// Writes the markers of the keys a [`revoke_all_statement`] revoked; returns how many.
pub async fn mark_revoked(
    kv: &worker::kv::KvStore,
    revoked: &worker::D1Result,
) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        key_hash: String,
    }
    let rows: Vec<Row> = revoked.results()?;
    for row in &rows {
        kv.put(&revoked_key(&row.key_hash), "1")?
            .expiration_ttl(REVOKED_TTL_SECS)
            .execute()
            .await?;
        kv.delete(&cache_key(&row.key_hash)).await?;
    }
    Ok(rows.len())
}

/// Resolves a presented key to (key id, user id), or `None` when unknown or revoked.
pub async fn authenticate(
    db: &D1Database,
    kv: &worker::kv::KvStore,
    key: &str,
) -> Result<Option<(String, String)>, ApiError> {
    if !looks_like_key(key) {
        return Ok(None);
    }
    let hash = crypto::sha256_hex(key.as_bytes());
    let (cached, revoked) = futures::future::join(
        kv.get(&cache_key(&hash)).json::<CachedKey>(),
        kv.get(&revoked_key(&hash)).text(),
    )
    .await;
    if revoked?.is_some() {
        return Ok(None);
    }
    let now = crate::platform::ids::now();
    let stamp = ids::rfc3339(now);
    let (entry, write_cache) = match cached? {
        Some(mut entry) => {
            let stale = entry
                .last_used_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_none_or(|t| {
                    (now - t.with_timezone(&chrono::Utc)).num_seconds() >= LAST_USED_EVERY_SECS
                });
            if stale {
                let result = db
                    .prepare("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND revoked_at IS NULL")
                    .bind(&[stamp.as_str().into(), entry.key_id.as_str().into()])?
                    .run()
                    .await?;
                // Revoked since the cache entry was written: refuse, cache nothing.
                if crate::platform::db::changes(&result)? == 0 {
                    kv.delete(&cache_key(&hash)).await?;
                    return Ok(None);
                }
                entry.last_used_at = Some(stamp);
            }
            (entry, stale)
        }
        None => {
            // Not cached: the key is found, and its last use stamped when stale, in one
            // statement.
            let every = ids::rfc3339(now - chrono::Duration::seconds(LAST_USED_EVERY_SECS));
            let row: Option<CachedKey> = db
                .prepare(
                    "UPDATE api_keys SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at <= ?2 \
                     THEN ?3 ELSE last_used_at END WHERE key_hash = ?1 AND revoked_at IS NULL \
                     AND user_id IN (SELECT id FROM users WHERE is_active = 1) \
                     RETURNING id AS key_id, user_id, last_used_at",
                )
                .bind(&[hash.as_str().into(), every.into(), stamp.as_str().into()])?
                .first(None)
                .await?;
            match row {
                Some(r) => (r, true),
                None => return Ok(None),
            }
        }
    };
    if write_cache {
        kv.put(&cache_key(&hash), serde_json::to_string(&entry)?)?
            .expiration_ttl(CACHE_TTL_SECS)
            .execute()
            .await?;
    }
    Ok(Some((entry.key_id, entry.user_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shape_is_checked_before_io() {
        let good = format!("{PREFIX}{}", crypto::b64url_encode(&[7u8; 32]));
        assert_eq!(good.len(), PREFIX.len() + 43);
        assert!(looks_like_key(&good));
        assert!(!looks_like_key("ek_test_abc"));
        assert!(!looks_like_key(&format!("{PREFIX}short")));
        assert!(!looks_like_key(&format!("{PREFIX}{}", "*".repeat(43))));
    }
}
