//! Vault regeneration for the Suiftly gateway (see `products::suiftly::vault`).

use crate::platform::error::ApiError;
use crate::platform::product::JobCtx;

pub async fn run(ctx: &JobCtx) -> Result<String, ApiError> {
    let kv = ctx.env.kv("CACHE")?;
    crate::products::suiftly::vault::regenerate(
        &ctx.db,
        &kv,
        &crate::products::suiftly::settings::of(&ctx.config)?.tiers,
    )
    .await
}
