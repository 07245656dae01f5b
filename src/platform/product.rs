//! What a product is to the platform: one value that declares its routes, its settings,
//! its per-user scheduler jobs, its cron jobs and the platform events it listens to.
//! `src/products/mod.rs` lists the products; `lib.rs` installs that list once per isolate
//! and the platform reads it from here, so the platform never names a product.

use std::any::Any;
use std::sync::OnceLock;

use futures::future::LocalBoxFuture;
use worker::Env;

use crate::platform::auth::Caller;
use crate::platform::config::{Config, Stage};
use crate::platform::error::ApiError;
use crate::platform::http::{Ctx, Response};
use crate::platform::openapi::Doc;

pub type Reply = LocalBoxFuture<'static, Result<Response, ApiError>>;

/// A route's handler. Routes for signed-in users get the caller as an argument, so a
/// handler cannot forget to ask who is calling.
#[derive(Clone, Copy)]
pub enum Handler {
    Anyone(fn(Ctx) -> Reply),
    User(fn(Ctx, Caller) -> Reply),
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    Public,
    /// A signed-in user: access token (Bearer or cookie) or `X-API-Key`.
    User,
    /// A signed-in user presenting a header credential (Bearer or `X-API-Key`), never the
    /// cookie alone: GETs that change state, which a cross-site link could otherwise
    /// trigger with the browser's SameSite=Lax cookie.
    UserByHeader,
    /// A signed-in session (Bearer or cookie access token): routes about the session
    /// itself, which an API key does not have.
    Session,
    /// A trusted server-side gateway: `X-Gateway-Token` equal to `GATEWAY_TOKEN`.
    Gateway,
    /// Only outside production (local diagnostics); answers 404 in production.
    DevOnly,
    /// Anyone: a page or file for browsers (the `/docs` reference), not an API operation,
    /// so it is left out of the OpenAPI document.
    Page,
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub auth: Auth,
    pub handler: Handler,
    pub doc: Doc,
}

/// `route!(GET "/api/os/tasks", User, tasks::list, tasks::LIST_DOC)`: a [`Route`] whose
/// handler is called with the caller for `User` and `UserByHeader` routes.
#[macro_export]
macro_rules! route {
    ($method:ident $path:literal, User, $handler:path, $doc:expr) => {
        $crate::route!(@user $method $path, User, $handler, $doc)
    };
    ($method:ident $path:literal, UserByHeader, $handler:path, $doc:expr) => {
        $crate::route!(@user $method $path, UserByHeader, $handler, $doc)
    };
    ($method:ident $path:literal, Session, $handler:path, $doc:expr) => {
        $crate::route!(@user $method $path, Session, $handler, $doc)
    };
    ($method:ident $path:literal, $auth:ident, $handler:path, $doc:expr) => {
        $crate::platform::product::Route {
            method: stringify!($method),
            path: $path,
            auth: $crate::platform::product::Auth::$auth,
            handler: $crate::platform::product::Handler::Anyone(|ctx| Box::pin($handler(ctx))),
            doc: $doc,
        }
    };
    (@user $method:ident $path:literal, $auth:ident, $handler:path, $doc:expr) => {
        $crate::platform::product::Route {
            method: stringify!($method),
            path: $path,
            auth: $crate::platform::product::Auth::$auth,
            handler: $crate::platform::product::Handler::User(|ctx, caller| {
                Box::pin($handler(ctx, caller))
            }),
            doc: $doc,
        }
    };
}

/// Something that happened on the platform that products may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A user signed in with a Sui wallet (the first time creates the user).
    WalletSignedIn { user_id: &'a str, address: &'a str },
    /// A user proved they own `email` (a verification or password-reset link): what was
    /// granted to the address may now be theirs.
    EmailVerified { user_id: &'a str, email: &'a str },
}

/// What an event listener, a job or a cron job gets: the bindings and the parsed config.
pub struct JobCtx {
    pub env: Env,
    pub db: worker::D1Database,
    pub config: std::rc::Rc<Config>,
}

/// A product's reaction to a platform event: the statements that record it, which run in
/// the same D1 batch as the event's own writes (so an event never happens without its
/// reactions, nor costs a round trip of its own).
pub type Listener = fn(
    &worker::D1Database,
    &Config,
    &Event<'_>,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError>;

/// Runs one of a product's per-user scheduler jobs: `kind` without the product prefix,
/// `slot` the due time of the cycle (stable across retries). Returns a short outcome.
pub type JobRunner =
    for<'a> fn(&'a Env, &'a str, &'a str, i64) -> LocalBoxFuture<'a, Result<String, ApiError>>;

pub type CronFn = for<'a> fn(&'a JobCtx) -> LocalBoxFuture<'a, Result<String, ApiError>>;

/// A job of the cron tick (every 5 minutes); recorded in `cron_runs` as `product:name`.
pub struct CronJob {
    pub name: &'static str,
    pub run: CronFn,
}

/// Parses a product's settings from the environment (vars and secrets alike), pushing one
/// problem per bad setting, each starting with the setting's name.
pub type SettingsParser =
    fn(&dyn Fn(&str) -> Option<String>, &Stage, &mut Vec<String>) -> Box<dyn Any>;

pub struct Product {
    /// Also the prefix of its scheduler job kinds (`name:kind`) and cron job names.
    pub name: &'static str,
    /// What users call it, for the API description.
    pub title: &'static str,
    pub routes: &'static [Route],
    pub settings: Option<SettingsParser>,
    pub jobs: Option<JobRunner>,
    pub crons: &'static [CronJob],
    pub listener: Option<Listener>,
}

static PRODUCTS: OnceLock<&'static [&'static Product]> = OnceLock::new();

/// Installs the product list (once per isolate, from the entry points).
pub fn install(products: &'static [&'static Product]) {
    let _ = PRODUCTS.set(products);
}

/// The installed products (none before [`install`], as in native unit tests).
pub fn all() -> &'static [&'static Product] {
    PRODUCTS.get().copied().unwrap_or(&[])
}

/// Every product's reaction to `event`: statements for the emitter's batch.
pub fn reactions(
    db: &worker::D1Database,
    config: &Config,
    event: &Event<'_>,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let mut stmts = Vec::new();
    for p in all() {
        if let Some(listen) = p.listener {
            stmts.extend(listen(db, config, event)?);
        }
    }
    Ok(stmts)
}

/// Runs a per-user job `product:kind` with the product that registered it.
pub async fn run_job(env: &Env, user_id: &str, kind: &str, slot: i64) -> Result<String, ApiError> {
    let (product, rest) = kind
        .split_once(':')
        .ok_or_else(|| ApiError::internal(format!("job kind {kind:?} names no product")))?;
    let runner = all()
        .iter()
        .find(|p| p.name == product)
        .and_then(|p| p.jobs)
        .ok_or_else(|| ApiError::internal(format!("no product runs job kind {kind:?}")))?;
    runner(env, user_id, rest, slot).await
}
