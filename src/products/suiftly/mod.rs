//! Suiftly (SPEC §7, seed 004): customers created at wallet sign-in, services and tiers,
//! per-service API keys, seal keys, usage ingest from the gateway, billing against an
//! escrow balance, and the key vault the gateway reads.

pub mod chain;
pub mod customers;
pub mod escrow;
pub mod keys;
pub mod pricing;
pub mod seal_keys;
pub mod services;
pub mod usage;
pub mod vault;

use crate::platform::error::ApiError;
use crate::platform::http::Ctx;

/// The AES key of stored service keys.
pub fn vault_key(ctx: &Ctx) -> Result<[u8; 32], ApiError> {
    ctx.config
        .suiftly
        .vault_key
        .ok_or_else(|| ApiError::internal("VAULT_KEY is not set (wrangler secret put VAULT_KEY)"))
}
