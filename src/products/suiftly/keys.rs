//! API keys of a service, for the gateway: created (the secret is shown once),
//! listed without the secret, regenerated (`key_version` + 1, the old secret revoked at
//! once) and revoked. Stored as SHA-256 for lookups and AES-256-GCM under `VAULT_KEY`
//! for the vault.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{customers, services, vault_key};
use crate::platform::auth::Caller;
use crate::platform::crypto;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{no_body, page_of, Doc};

pub const PREFIX: &str = "sfy_live_";
const MAX_ACTIVE: i64 = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyView {
    pub id: String,
    pub service_type: String,
    pub key_version: i64,
    pub key_prefix: String,
    pub created_at: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    service_type: String,
    key_version: i64,
    key_prefix: String,
    created_at: String,
}

impl From<Row> for KeyView {
    fn from(r: Row) -> Self {
        KeyView {
            id: r.id,
            service_type: r.service_type,
            key_version: r.key_version,
            key_prefix: r.key_prefix,
            created_at: r.created_at,
        }
    }
}

struct Secret {
    key: String,
    hash: String,
    sealed: String,
    prefix: String,
}

async fn new_secret(vault: &[u8; 32]) -> Result<Secret, ApiError> {
    let key = format!("{PREFIX}{}", crypto::random_token(32)?);
    Ok(Secret {
        hash: crypto::sha256_hex(key.as_bytes()),
        sealed: crypto::b64_encode(&crypto::aes_gcm_encrypt(vault, key.as_bytes()).await?),
        prefix: key[..PREFIX.len() + 4].to_string(),
        key,
    })
}

fn created(id: &str, key: &str, version: i64, created_at: &str) -> Result<Response, ApiError> {
    http::json(
        201,
        &json!({"id": id, "key": key, "key_version": version, "created_at": created_at}),
    )
}

pub async fn create(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = services::parse_type(ctx.param("type"))?;
    if !services::LIVE.contains(&t) {
        return Err(ApiError::Conflict(format!("{t} is coming soon")));
    }
    let vault = vault_key(&ctx)?;
    let db = ctx.d1()?;
    let c = customers::of_caller(&db, &caller).await?;
    let s = new_secret(&vault).await?;
    let id = ids::new_id()?;
    let now = ids::now_rfc3339();
    let result = db
        .prepare(
            "INSERT INTO suiftly_api_keys (id, customer_id, service_type, key_version, key_prefix, key_hash, encrypted_key, \
             is_active, created_at) SELECT ?1, ?2, ?3, 1, ?4, ?5, ?6, 1, ?7 \
             WHERE (SELECT COUNT(*) FROM suiftly_api_keys WHERE customer_id = ?2 AND service_type = ?3 AND is_active = 1) < ?8",
        )
        .bind(&[
            id.as_str().into(),
            (c.customer_id as f64).into(),
            t.into(),
            s.prefix.as_str().into(),
            s.hash.as_str().into(),
            s.sealed.as_str().into(),
            now.as_str().into(),
            (MAX_ACTIVE as f64).into(),
        ])?
        .run()
        .await?;
    if crate::platform::db::changes(&result)? == 0 {
        return Err(ApiError::Conflict(format!(
            "at most {MAX_ACTIVE} active keys per service"
        )));
    }
    created(&id, &s.key, 1, &now)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = services::parse_type(ctx.param("type"))?;
    let db = ctx.d1()?;
    let rows = async {
        let rows: Vec<Row> = db
            .prepare(format!(
                "SELECT id, service_type, key_version, key_prefix, created_at FROM suiftly_api_keys \
                 WHERE customer_id = {} AND service_type = ?2 AND is_active = 1 ORDER BY id",
                customers::MINE
            ))
            .bind(&[caller.user_id.as_str().into(), t.into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    // The customer (404 for a user who is none) and the keys, read at once.
    let (_, rows) = futures::try_join!(customers::of_caller(&db, &caller), rows)?;
    let items: Vec<KeyView> = rows.into_iter().map(KeyView::from).collect();
    http::json(200, &json!({"items": items, "next_cursor": null}))
}

pub async fn regenerate(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = services::parse_type(ctx.param("type"))?;
    let vault = vault_key(&ctx)?;
    let db = ctx.d1()?;
    let c = customers::of_caller(&db, &caller).await?;
    let s = new_secret(&vault).await?;
    #[derive(Deserialize)]
    struct V {
        key_version: i64,
        created_at: String,
    }
    let updated: Option<V> = db
        .prepare(
            "UPDATE suiftly_api_keys SET key_version = key_version + 1, key_prefix = ?1, key_hash = ?2, encrypted_key = ?3 \
             WHERE id = ?4 AND customer_id = ?5 AND service_type = ?6 AND is_active = 1 RETURNING key_version, created_at",
        )
        .bind(&[
            s.prefix.as_str().into(),
            s.hash.as_str().into(),
            s.sealed.as_str().into(),
            ctx.param("id").into(),
            (c.customer_id as f64).into(),
            t.into(),
        ])?
        .first(None)
        .await?;
    let v = updated.ok_or_else(|| ApiError::not_found("api key"))?;
    created(ctx.param("id"), &s.key, v.key_version as i64, &v.created_at)
}

pub async fn revoke(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let t = services::parse_type(ctx.param("type"))?;
    let db = ctx.d1()?;
    let c = customers::of_caller(&db, &caller).await?;
    crate::platform::db::run_or_404(db.prepare(
            "UPDATE suiftly_api_keys SET is_active = 0, revoked_at = ?1 WHERE id = ?2 AND customer_id = ?3 \
             AND service_type = ?4 AND is_active = 1",
        ).bind(&[ids::now_rfc3339().into(), ctx.param("id").into(), (c.customer_id as f64).into(), t.into()])?, "api key").await?;
    http::no_content()
}

fn created_schema() -> Value {
    crate::schema!({"type": "object", "properties": {"id": {"type": "string"}, "key": {"type": "string", "description": "shown only here"},
        "key_version": {"type": "integer"}, "created_at": {"type": "string"}}})
}

pub const CREATE_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[super::services::SERVICE_TYPE],
    summary: "Create a service API key",
    description: "The key is only in this answer. At most 10 active per service.",
    request: None,
    response: (201, created_schema),
};
pub const LIST_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[super::services::SERVICE_TYPE],
    summary: "A service's active API keys",
    description: "Never the secret.",
    request: None,
    response: (200, || {
        page_of(
            crate::schema!({"type": "object", "properties": {"id": {"type": "string"},
                "service_type": {"type": "string"}, "key_version": {"type": "integer"},
                "key_prefix": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}}),
        )
    }),
};
pub const REGENERATE_DOC: Doc = Doc { tag: "suiftly", params: &[super::services::SERVICE_TYPE], summary: "Regenerate a key", description: "New secret, key_version + 1; the old secret stops at once (the vault follows at its next run).", request: None, response: (201, created_schema) };
pub const REVOKE_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[super::services::SERVICE_TYPE],
    summary: "Revoke a key",
    description: "",
    request: None,
    response: (204, no_body),
};
