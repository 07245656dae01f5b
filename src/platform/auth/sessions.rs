//! Refresh sessions in KV `SESSIONS`. A session (`sess:{sid}`) is the rotation chain of one
//! sign-in; each refresh token is stored only as its SHA-256 (`rt:{hash}`). Refresh retires
//! the presented token and issues the next; presenting a retired token again deletes the
//! session, so every token of the chain — access tokens included, at their next check —
//! stops working. Logout deletes the session.

use serde::{Deserialize, Serialize};
use worker::kv::KvStore;

use crate::platform::crypto;
use crate::platform::error::ApiError;
use crate::platform::ids;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshRecord {
    sid: String,
    user_id: String,
    /// `false` once rotated: presenting it again is reuse.
    active: bool,
}

/// What presenting a refresh token found.
pub enum Presented {
    /// A live token: here is its session; it has been retired.
    Valid {
        sid: String,
        user_id: String,
    },
    /// A retired token came back: the chain is now revoked.
    Reused,
    Unknown,
}

pub struct Sessions {
    kv: KvStore,
    ttl_secs: u64,
}

fn session_key(sid: &str) -> String {
    format!("sess:{sid}")
}

fn token_key(token: &str) -> String {
    format!("rt:{}", crypto::sha256_hex(token.as_bytes()))
}

impl Sessions {
    pub fn new(env: &worker::Env, ttl_secs: i64) -> Result<Self, ApiError> {
        Ok(Self {
            kv: env.kv("SESSIONS")?,
            ttl_secs: ttl_secs.max(60) as u64,
        })
    }

    /// Starts a session for `user_id`; returns (session id, first refresh token).
    pub async fn start(&self, user_id: &str) -> Result<(String, String), ApiError> {
        let sid = ids::new_id()?;
        let session = Session {
            user_id: user_id.to_string(),
            created_at: ids::now_rfc3339(),
        };
        self.kv
            .put(&session_key(&sid), serde_json::to_string(&session)?)?
            .expiration_ttl(self.ttl_secs)
            .execute()
            .await?;
        let token = self.issue_token(&sid, user_id).await?;
        Ok((sid, token))
    }

    async fn issue_token(&self, sid: &str, user_id: &str) -> Result<String, ApiError> {
        let token = crypto::random_token(32)?;
        let record = RefreshRecord {
            sid: sid.to_string(),
            user_id: user_id.to_string(),
            active: true,
        };
        self.kv
            .put(&token_key(&token), serde_json::to_string(&record)?)?
            .expiration_ttl(self.ttl_secs)
            .execute()
            .await?;
        Ok(token)
    }

    /// Whether the session is live (not revoked, not expired).
    pub async fn is_live(&self, sid: &str) -> Result<bool, ApiError> {
        Ok(self.kv.get(&session_key(sid)).text().await?.is_some())
    }

    pub async fn revoke(&self, sid: &str) -> Result<(), ApiError> {
        self.kv.delete(&session_key(sid)).await?;
        Ok(())
    }

    /// Looks a presented refresh token up, retiring it when valid and revoking its chain
    /// when it was already retired.
    pub async fn present(&self, token: &str) -> Result<Presented, ApiError> {
        let key = token_key(token);
        let Some(record) = self.kv.get(&key).json::<RefreshRecord>().await? else {
            return Ok(Presented::Unknown);
        };
        if !record.active {
            self.revoke(&record.sid).await?;
            return Ok(Presented::Reused);
        }
        if !self.is_live(&record.sid).await? {
            return Ok(Presented::Unknown);
        }
        let retired = RefreshRecord {
            active: false,
            ..record.clone()
        };
        self.kv
            .put(&key, serde_json::to_string(&retired)?)?
            .expiration_ttl(self.ttl_secs)
            .execute()
            .await?;
        Ok(Presented::Valid {
            sid: record.sid,
            user_id: record.user_id,
        })
    }

    /// The next refresh token of a session, extending the session's life.
    pub async fn rotate(&self, sid: &str, user_id: &str) -> Result<String, ApiError> {
        let session = Session {
            user_id: user_id.to_string(),
            created_at: ids::now_rfc3339(),
        };
        self.kv
            .put(&session_key(sid), serde_json::to_string(&session)?)?
            .expiration_ttl(self.ttl_secs)
            .execute()
            .await?;
        self.issue_token(sid, user_id).await
    }
}
