//! The key vault the gateway reads: CSV `customer_id,encrypted_key,rate_limit,tier,service_type`
//! of active keys of enabled, unsuspended services. Each version is written whole to KV
//! `CACHE` under its own key and only then the `vault:current` pointer is flipped, so a
//! reader never sees a half-written vault.

use serde::{Deserialize, Serialize};
use worker::{kv::KvStore, D1Database};

use super::pricing::{TierName, Tiers};
use crate::platform::crypto::sha256_hex;
use crate::platform::db::parse_closed;
use crate::platform::error::ApiError;
use crate::platform::http::{Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::Doc;

const POINTER: &str = "vault:current";
/// Versions live two days; every run refreshes the current one.
const VERSION_TTL_SECS: u64 = 2 * 86_400;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pointer {
    pub version: String,
    pub generated_at: String,
    pub rows: usize,
}

pub struct VaultRow {
    pub customer_id: i64,
    pub encrypted_key: String,
    pub tier: TierName,
    pub service_type: String,
}

/// The CSV text (header first, rows in a stable order) for `rows`.
pub fn render(rows: &[VaultRow], tiers: &Tiers) -> String {
    let mut out = String::from("customer_id,encrypted_key,rate_limit,tier,service_type\n");
    for r in rows {
        let tier = r.tier;
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            r.customer_id,
            r.encrypted_key,
            tiers.get(tier).rate_limit_rps,
            tier.as_str(),
            r.service_type
        ));
    }
    out
}

/// Rebuilds the vault from D1; writes a new version only when the content changed.
pub async fn regenerate(db: &D1Database, kv: &KvStore, tiers: &Tiers) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        customer_id: i64,
        encrypted_key: String,
        tier: String,
        service_type: String,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT k.customer_id, k.encrypted_key, s.tier, s.service_type FROM suiftly_api_keys k \
             JOIN suiftly_services s ON s.customer_id = k.customer_id AND s.service_type = k.service_type \
             WHERE k.is_active = 1 AND s.is_enabled = 1 AND s.suspended_reason IS NULL ORDER BY k.customer_id, k.id",
        )
        .all()
        .await?
        .results()?;
    let rows = rows
        .into_iter()
        .map(|r| {
            Ok(VaultRow {
                tier: parse_closed(
                    &r.tier,
                    TierName::parse,
                    "suiftly_services",
                    format!("{}/{}", r.customer_id, r.service_type),
                )?,
                customer_id: r.customer_id,
                encrypted_key: r.encrypted_key,
                service_type: r.service_type,
            })
        })
        .collect::<Result<Vec<VaultRow>, ApiError>>()?;
    let csv = render(&rows, tiers);
    let version = sha256_hex(csv.as_bytes())[..32].to_string();
    let current: Option<Pointer> = kv.get(POINTER).json().await?;
    // The version's content first, then the pointer to it.
    kv.put(&format!("vault:{version}"), csv.as_str())?
        .expiration_ttl(VERSION_TTL_SECS)
        .execute()
        .await?;
    if current.as_ref().is_some_and(|p| p.version == version) {
        return Ok(format!("unchanged ({} keys)", rows.len()));
    }
    let pointer = Pointer {
        version: version.clone(),
        generated_at: ids::now_rfc3339(),
        rows: rows.len(),
    };
    kv.put(POINTER, serde_json::to_string(&pointer)?)?
        .execute()
        .await?;
    Ok(format!("version {version} ({} keys)", rows.len()))
}

/// `GET /vault` (gateway token): the current vault with its `ETag`; 304 on `If-None-Match`.
pub async fn get(ctx: Ctx) -> Result<Response, ApiError> {
    let kv = ctx.env.kv("CACHE")?;
    let mut pointer: Option<Pointer> = kv.get(POINTER).json().await?;
    if pointer.is_none() {
        regenerate(
            &ctx.d1()?,
            &kv,
            &crate::products::suiftly::settings::of(&ctx.config)?.tiers,
        )
        .await?;
        pointer = kv.get(POINTER).json().await?;
    }
    let p =
        pointer.ok_or_else(|| ApiError::internal("vault pointer missing after regeneration"))?;
    let etag = format!("\"{}\"", p.version);
    let not_modified = ctx
        .header("If-None-Match")
        .is_some_and(|h| h.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if not_modified {
        Response::empty(304)
    } else {
        let csv = kv
            .get(&format!("vault:{}", p.version))
            .text()
            .await?
            .ok_or_else(|| ApiError::internal("vault version missing"))?;
        Response::with_body(200, "text/csv; charset=utf-8", csv)
    };
    resp.set_header("ETag", etag);
    resp.set_header("X-Vault-Generated-At", p.generated_at);
    resp.set_header("Cache-Control", "no-cache");
    Ok(resp)
}

pub const DOC: Doc = Doc {
    tag: "suiftly",
    params: &[],
    summary: "The gateway's key vault (CSV)",
    description: "Gateway token. `customer_id,encrypted_key,rate_limit,tier,service_type` for every active key of an \
        enabled, unsuspended service; `encrypted_key` is base64(12-byte nonce ‖ AES-256-GCM ciphertext) under VAULT_KEY. \
        Regenerated by the cron every 5 minutes; `ETag` names the version and `If-None-Match` gives 304.",
    request: None,
    response: (200, || crate::schema!({"type": "string", "contentMediaType": "text/csv"})),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_header_and_tier_rate_limits() {
        let rows = vec![
            VaultRow {
                customer_id: 12345678,
                encrypted_key: "AAA=".into(),
                tier: TierName::Pro,
                service_type: "seal".into(),
            },
            VaultRow {
                customer_id: 87654321,
                encrypted_key: "BBB=".into(),
                tier: TierName::Starter,
                service_type: "seal".into(),
            },
        ];
        assert_eq!(
            render(&rows, &Tiers::default()),
            "customer_id,encrypted_key,rate_limit,tier,service_type\n12345678,AAA=,500,pro,seal\n87654321,BBB=,100,starter,seal\n"
        );
        assert_eq!(render(&[], &Tiers::default()).lines().count(), 1);
    }
}
