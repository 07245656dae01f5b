//! Suiftly (docs/suiftly.md): customers created at wallet sign-in, services and tiers,
//! per-service API keys, seal keys, usage ingest from the gateway, billing against an
//! escrow balance, and the key vault the gateway reads.

pub mod chain;
pub mod customers;
pub mod escrow;
pub mod jobs;
pub mod keys;
pub mod pricing;
pub mod seal_keys;
pub mod services;
pub mod settings;
pub mod usage;
pub mod vault;

use crate::platform::config::Config;
use crate::platform::error::ApiError;
use crate::platform::http::Ctx;
use crate::platform::product::{Event, Product, Route};
use crate::route;

pub static PRODUCT: Product = Product {
    name: "suiftly",
    title: "Suiftly",
    routes: ROUTES,
    settings: Some(|raw, stage, errors| Box::new(settings::parse(raw, stage, errors))),
    jobs: None,
    crons: jobs::CRONS,
    listener: Some(listen),
};

static ROUTES: &[Route] = &[
    route!(GET "/api/suiftly/customer", User, customers::get, customers::GET_DOC),
    route!(PATCH "/api/suiftly/customer", User, customers::patch, customers::PATCH_DOC),
    route!(GET "/api/suiftly/services", User, services::list, services::LIST_DOC),
    route!(GET "/api/suiftly/services/{type}", User, services::get, services::GET_DOC),
    route!(PUT "/api/suiftly/services/{type}/config", User, services::put_config, services::CONFIG_DOC),
    route!(POST "/api/suiftly/services/{type}/enable", User, services::enable, services::ENABLE_DOC),
    route!(POST "/api/suiftly/services/{type}/disable", User, services::disable, services::DISABLE_DOC),
    route!(GET "/api/suiftly/services/{type}/keys", User, keys::list, keys::LIST_DOC),
    route!(POST "/api/suiftly/services/{type}/keys", User, keys::create, keys::CREATE_DOC),
    route!(POST "/api/suiftly/services/{type}/keys/{id}/regenerate", User, keys::regenerate, keys::REGENERATE_DOC),
    route!(DELETE "/api/suiftly/services/{type}/keys/{id}", User, keys::revoke, keys::REVOKE_DOC),
    route!(GET "/api/suiftly/seal-keys", User, seal_keys::list, seal_keys::LIST_DOC),
    route!(POST "/api/suiftly/seal-keys", User, seal_keys::purchase, seal_keys::PURCHASE_DOC),
    route!(POST "/api/suiftly/usage/logs", Gateway, usage::ingest, usage::INGEST_DOC),
    route!(GET "/api/suiftly/usage", User, usage::list, usage::LIST_DOC),
    route!(GET "/api/suiftly/billing", User, usage::billing, usage::BILLING_DOC),
    route!(POST "/api/suiftly/escrow/deposit", User, escrow::deposit, escrow::DEPOSIT_DOC),
    route!(POST "/api/suiftly/escrow/withdraw", User, escrow::withdraw, escrow::WITHDRAW_DOC),
    route!(GET "/api/suiftly/escrow/transactions", User, escrow::transactions, escrow::TRANSACTIONS_DOC),
    route!(GET "/api/suiftly/vault", Gateway, vault::get, vault::DOC),
];

/// A wallet user is a Suiftly customer from the first sign-in on.
/// A wallet's first sign-in makes its user a customer (in the sign-in's own batch).
fn listen(
    db: &worker::D1Database,
    config: &Config,
    event: &Event<'_>,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    match event {
        Event::WalletSignedIn { user_id, address } => Ok(vec![customers::ensure_statement(
            db,
            settings::of(config)?,
            user_id,
            address,
        )?]),
        Event::EmailVerified { .. } => Ok(Vec::new()),
    }
}

/// The AES key of stored service keys.
pub fn vault_key(ctx: &Ctx) -> Result<[u8; 32], ApiError> {
    settings::of(&ctx.config)?
        .vault_key
        .ok_or_else(|| ApiError::internal("VAULT_KEY is not set (wrangler secret put VAULT_KEY)"))
}
