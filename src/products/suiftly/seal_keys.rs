//! Seal keys: purchased (cost-checked and charged), listed. The private part is returned
//! once, at purchase, and kept only encrypted under `VAULT_KEY`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{customers, escrow, vault_key};
use crate::platform::auth::Caller;
use crate::platform::crypto;
use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{page_of, Doc};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealKey {
    pub id: String,
    pub public_key: String,
    pub is_active: bool,
    pub created_at: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    public_key: String,
    #[serde(deserialize_with = "crate::platform::db::flag")]
    is_active: bool,
    created_at: String,
}

pub async fn purchase(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let vault = vault_key(&ctx)?;
    let db = ctx.d1()?;
    let c = customers::of_caller(&db, &caller).await?;
    let price = crate::products::suiftly::settings::of(&ctx.config)?.seal_key_price_usd_cents;
    c.check(price)?;
    let (public, private) = crypto::ed25519_generate().await?;
    let sealed = crypto::b64_encode(&crypto::aes_gcm_encrypt(&vault, &private).await?);
    let key = SealKey {
        id: ids::new_id()?,
        public_key: crypto::b64_encode(&public),
        is_active: true,
        created_at: ids::now_rfc3339(),
    };
    let insert = db
        .prepare(
            "INSERT INTO suiftly_seal_keys (id, customer_id, public_key, encrypted_private_key, is_active, created_at) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5)",
        )
        .bind(&[
            key.id.as_str().into(),
            (c.customer_id as f64).into(),
            key.public_key.as_str().into(),
            sealed.into(),
            key.created_at.as_str().into(),
        ])?;
    if price > 0 {
        // The key and its charge commit together or not at all (402 when the balance or
        // the monthly limit no longer allows it).
        let outcome = escrow::debit(
            &db,
            &c,
            price,
            &format!("seal:{}:{}", c.customer_id, key.id),
            "seal key purchase",
            insert,
        )
        .await?;
        if outcome != escrow::Debit::Applied {
            return Err(ApiError::internal(format!(
                "seal key purchase ended as {outcome:?}"
            )));
        }
    } else {
        insert.run().await?;
    }
    let mut body = serde_json::to_value(&key)?;
    body["private_key"] = Value::String(crypto::b64_encode(&private));
    body["charged_usd_cents"] = json!(price);
    http::json(201, &body)
}

pub async fn list(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let rows = async {
        let rows: Vec<Row> = db
            .prepare(format!(
                "SELECT id, public_key, is_active, created_at FROM suiftly_seal_keys WHERE customer_id = {} ORDER BY id",
                customers::MINE
            ))
            .bind(&[caller.user_id.as_str().into()])?
            .all()
            .await?
            .results()?;
        Ok::<_, ApiError>(rows)
    };
    // The customer (404 for a user who is none) and the keys, read at once.
    let (_, rows) = futures::try_join!(customers::of_caller(&db, &caller), rows)?;
    let items: Vec<SealKey> = rows
        .into_iter()
        .map(|r| SealKey {
            id: r.id,
            public_key: r.public_key,
            is_active: r.is_active,
            created_at: r.created_at,
        })
        .collect();
    http::json(200, &json!({"items": items, "next_cursor": null}))
}

pub const PURCHASE_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Buy a seal key",
    description: "Charges SEAL_KEY_PRICE_CENTS (default 500) after the balance and limit checks (402). Answers the \
        Ed25519 public key and, this once, the PKCS#8 private key (base64).",
    request: None,
    response: (201, || crate::schema!({"type": "object", "properties": {"id": {"type": "string"}, "public_key": {"type": "string"},
        "private_key": {"type": "string"}, "charged_usd_cents": {"type": "integer"}}})),
};
pub const LIST_DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "Seal keys",
    description: "Public parts only.",
    request: None,
    response: (200, || {
        page_of(
            crate::schema!({"type": "object", "properties": {"id": {"type": "string"},
                "public_key": {"type": "string"}, "is_active": {"type": "boolean"},
                "created_at": {"type": "string", "format": "date-time"}}}),
        )
    }),
};
