//! Vault regeneration for the Suiftly gateway (see `products::suiftly::vault`).

use super::JobCtx;
use crate::platform::error::ApiError;

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let kv = ctx.env.kv("CACHE")?;
    crate::products::suiftly::vault::regenerate(&ctx.db, &kv, &ctx.config.suiftly.tiers).await
}
