//! edge-api: one Worker, the backend of Phantom, Personal OS, Assistant, Money and
//! Suiftly. This file holds the entry points only: it installs the product list, then
//! hands requests, cron ticks and Durable Objects to the platform.

pub mod platform;
pub mod products;

use worker::worker_sys::web_sys;
use worker::{event, Context, Env, ScheduleContext, ScheduledEvent};

pub use platform::auth::rate_limit::AttemptCounter;
pub use platform::scheduler::UserScheduler;

/// Talc instead of Rust's default wasm allocator (dlmalloc): 2.7 KiB less gzip in the
/// bundle (no difference in a request's time measurable here). Wasm without threads only,
/// which is what Workers run.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
    platform::product::install(products::ALL);
    platform::http::intern_strings();
}

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    platform::http::serve(req, env, ctx).await
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = platform::cron::run_scheduled(&event.cron(), env).await {
        worker::console_error!(
            "{}",
            serde_json::json!({"level": "error", "msg": format!("cron {}: {e}", event.cron())})
        );
    }
}
