//! Every route of the API in one table: method, path, the auth it needs, its handler
//! and the text `/openapi.json` shows for it. Paths use `{name}` for parameters.

use futures::future::LocalBoxFuture;
use worker::Response;

use crate::platform::auth::handlers as auth;
use crate::platform::error::ApiError;
use crate::platform::http::Ctx;
use crate::platform::{meta, scheduler};
use crate::products::{os, phantom, suiftly};

pub type Handler = fn(Ctx) -> LocalBoxFuture<'static, Result<Response, ApiError>>;

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
    /// The Suiftly gateway: `X-Gateway-Token`.
    Gateway,
    /// Only outside production (local diagnostics); answers 404 in production.
    DevOnly,
}

/// The OpenAPI text of a route.
pub struct Doc {
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// JSON Schema of the request body, when the route takes one.
    pub request: Option<fn() -> serde_json::Value>,
    /// Success status and JSON Schema of its body.
    pub response: (u16, fn() -> serde_json::Value),
}

/// The schema of a 204 answer's (absent) body.
pub fn no_body() -> serde_json::Value {
    serde_json::json!({"type": "null"})
}

/// The schema of a page of a list: `{items: [item], next_cursor}`.
pub fn page_of(item: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {"items": {"type": "array", "items": item},
        "next_cursor": {"type": ["string", "null"]}}})
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub auth: Auth,
    pub handler: Handler,
    pub doc: Doc,
}

macro_rules! route {
    ($method:literal, $path:literal, $auth:ident, $handler:path, $doc:expr) => {
        Route {
            method: $method,
            path: $path,
            auth: Auth::$auth,
            handler: |ctx| Box::pin($handler(ctx)),
            doc: $doc,
        }
    };
}

pub static ROUTES: &[Route] = &[
    route!("GET", "/health", Public, meta::health, meta::HEALTH_DOC),
    route!(
        "GET",
        "/openapi.json",
        Public,
        meta::openapi,
        meta::OPENAPI_DOC
    ),
    route!("GET", "/docs", Public, meta::docs, meta::DOCS_DOC),
    // Accounts and auth (SPEC §2)
    route!(
        "POST",
        "/api/auth/signup",
        Public,
        auth::signup,
        auth::SIGNUP_DOC
    ),
    route!(
        "POST",
        "/api/auth/login",
        Public,
        auth::login,
        auth::LOGIN_DOC
    ),
    route!(
        "POST",
        "/api/auth/refresh",
        Public,
        auth::refresh,
        auth::REFRESH_DOC
    ),
    route!(
        "POST",
        "/api/auth/logout",
        User,
        auth::logout,
        auth::LOGOUT_DOC
    ),
    route!("GET", "/api/auth/me", User, auth::me, auth::ME_DOC),
    route!(
        "POST",
        "/api/auth/api-keys",
        User,
        auth::create_api_key,
        auth::CREATE_KEY_DOC
    ),
    route!(
        "GET",
        "/api/auth/api-keys",
        User,
        auth::list_api_keys,
        auth::LIST_KEYS_DOC
    ),
    route!(
        "DELETE",
        "/api/auth/api-keys/{id}",
        User,
        auth::revoke_api_key,
        auth::REVOKE_KEY_DOC
    ),
    route!(
        "POST",
        "/api/auth/wallet/challenge",
        Public,
        auth::wallet_challenge,
        auth::CHALLENGE_DOC
    ),
    route!(
        "POST",
        "/api/auth/wallet/verify",
        Public,
        auth::wallet_verify,
        auth::VERIFY_DOC
    ),
    // Phantom (SPEC §3)
    route!(
        "POST",
        "/api/phantom/personas",
        User,
        phantom::personas::create,
        phantom::personas::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/phantom/personas",
        User,
        phantom::personas::list,
        phantom::personas::LIST_DOC
    ),
    route!(
        "POST",
        "/api/phantom/personas/generate",
        User,
        phantom::personas::generate,
        phantom::personas::GENERATE_DOC
    ),
    route!(
        "GET",
        "/api/phantom/personas/{id}",
        User,
        phantom::personas::get,
        phantom::personas::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/phantom/personas/{id}",
        User,
        phantom::personas::update,
        phantom::personas::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/phantom/personas/{id}",
        User,
        phantom::personas::delete,
        phantom::personas::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/phantom/persona/rotate",
        User,
        phantom::personas::rotate_now,
        phantom::personas::ROTATE_DOC
    ),
    route!(
        "POST",
        "/api/phantom/plans/generate",
        User,
        phantom::plans::generate,
        phantom::plans::GENERATE_DOC
    ),
    route!(
        "GET",
        "/api/phantom/plans",
        User,
        phantom::plans::list,
        phantom::plans::LIST_DOC
    ),
    route!(
        "GET",
        "/api/phantom/plans/next",
        UserByHeader,
        phantom::plans::next,
        phantom::plans::NEXT_DOC
    ),
    route!(
        "POST",
        "/api/phantom/plans/{id}/complete",
        User,
        phantom::plans::complete,
        phantom::plans::COMPLETE_DOC
    ),
    route!(
        "GET",
        "/api/phantom/noise",
        UserByHeader,
        phantom::noise::pending,
        phantom::noise::PENDING_DOC
    ),
    route!(
        "GET",
        "/api/phantom/noise/{event_type}",
        UserByHeader,
        phantom::noise::pending_of_type,
        phantom::noise::PENDING_TYPE_DOC
    ),
    route!(
        "GET",
        "/api/phantom/fingerprint",
        User,
        phantom::profile::get_fingerprint,
        phantom::profile::FINGERPRINT_DOC
    ),
    route!(
        "GET",
        "/api/phantom/form-data",
        User,
        phantom::profile::form_data,
        phantom::profile::FORM_DATA_DOC
    ),
    route!(
        "GET",
        "/api/phantom/status",
        User,
        phantom::status::get,
        phantom::status::DOC
    ),
    route!(
        "GET",
        "/api/phantom/settings",
        User,
        phantom::settings::get,
        phantom::settings::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/phantom/settings",
        User,
        phantom::settings::patch,
        phantom::settings::PATCH_DOC
    ),
    route!(
        "POST",
        "/api/phantom/scheduler/run-now",
        User,
        phantom::scheduler::run_now,
        phantom::scheduler::RUN_NOW_DOC
    ),
    // Personal OS (SPEC §4)
    route!(
        "GET",
        "/api/os/settings",
        User,
        os::settings::get,
        os::settings::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/settings",
        User,
        os::settings::patch,
        os::settings::PATCH_DOC
    ),
    route!(
        "POST",
        "/api/os/tasks",
        User,
        os::tasks::create,
        os::tasks::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/tasks",
        User,
        os::tasks::list,
        os::tasks::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/tasks/{id}",
        User,
        os::tasks::get,
        os::tasks::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/tasks/{id}",
        User,
        os::tasks::update,
        os::tasks::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/tasks/{id}",
        User,
        os::tasks::delete,
        os::tasks::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/os/tasks/{id}/complete",
        User,
        os::tasks::complete,
        os::tasks::COMPLETE_DOC
    ),
    route!(
        "POST",
        "/api/os/tasks/{id}/dependencies/{dep_id}",
        User,
        os::tasks::add_dependency,
        os::tasks::ADD_DEP_DOC
    ),
    route!(
        "DELETE",
        "/api/os/tasks/{id}/dependencies/{dep_id}",
        User,
        os::tasks::remove_dependency,
        os::tasks::REMOVE_DEP_DOC
    ),
    route!(
        "POST",
        "/api/os/goals",
        User,
        os::goals::create,
        os::goals::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/goals",
        User,
        os::goals::list,
        os::goals::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/goals/{id}",
        User,
        os::goals::get,
        os::goals::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/goals/{id}",
        User,
        os::goals::update,
        os::goals::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/goals/{id}",
        User,
        os::goals::delete,
        os::goals::DELETE_DOC
    ),
    route!(
        "GET",
        "/api/os/goals/{id}/progress",
        User,
        os::goals::progress,
        os::goals::PROGRESS_DOC
    ),
    route!(
        "POST",
        "/api/os/goals/{id}/tasks/{item_id}",
        User,
        os::goals::link_task,
        os::goals::LINK_TASK_DOC
    ),
    route!(
        "DELETE",
        "/api/os/goals/{id}/tasks/{item_id}",
        User,
        os::goals::unlink_task,
        os::goals::UNLINK_TASK_DOC
    ),
    route!(
        "POST",
        "/api/os/goals/{id}/metrics/{item_id}",
        User,
        os::goals::link_metric,
        os::goals::LINK_METRIC_DOC
    ),
    route!(
        "DELETE",
        "/api/os/goals/{id}/metrics/{item_id}",
        User,
        os::goals::unlink_metric,
        os::goals::UNLINK_METRIC_DOC
    ),
    route!(
        "POST",
        "/api/os/goals/{id}/habits/{item_id}",
        User,
        os::goals::link_habit,
        os::goals::LINK_HABIT_DOC
    ),
    route!(
        "DELETE",
        "/api/os/goals/{id}/habits/{item_id}",
        User,
        os::goals::unlink_habit,
        os::goals::UNLINK_HABIT_DOC
    ),
    route!(
        "GET",
        "/api/os/wallet",
        User,
        os::wallet::get,
        os::wallet::WALLET_DOC
    ),
    route!(
        "POST",
        "/api/os/rewards",
        User,
        os::wallet::create_reward,
        os::wallet::CREATE_REWARD_DOC
    ),
    route!(
        "GET",
        "/api/os/rewards",
        User,
        os::wallet::list_rewards,
        os::wallet::LIST_REWARDS_DOC
    ),
    route!(
        "GET",
        "/api/os/rewards/{id}",
        User,
        os::wallet::get_reward,
        os::wallet::GET_REWARD_DOC
    ),
    route!(
        "PATCH",
        "/api/os/rewards/{id}",
        User,
        os::wallet::update_reward,
        os::wallet::UPDATE_REWARD_DOC
    ),
    route!(
        "DELETE",
        "/api/os/rewards/{id}",
        User,
        os::wallet::delete_reward,
        os::wallet::DELETE_REWARD_DOC
    ),
    route!(
        "POST",
        "/api/os/rewards/{id}/redeem",
        User,
        os::wallet::redeem,
        os::wallet::REDEEM_DOC
    ),
    route!(
        "POST",
        "/api/os/habits",
        User,
        os::habits::create,
        os::habits::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/habits",
        User,
        os::habits::list,
        os::habits::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/habits/today",
        User,
        os::habits::today,
        os::habits::TODAY_DOC
    ),
    route!(
        "GET",
        "/api/os/habits/{id}",
        User,
        os::habits::get,
        os::habits::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/habits/{id}",
        User,
        os::habits::update,
        os::habits::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/habits/{id}",
        User,
        os::habits::delete,
        os::habits::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/os/habits/{id}/logs",
        User,
        os::habits::log,
        os::habits::LOG_DOC
    ),
    route!(
        "DELETE",
        "/api/os/habits/{id}/logs/{date}",
        User,
        os::habits::unlog,
        os::habits::UNLOG_DOC
    ),
    route!(
        "POST",
        "/api/os/metrics",
        User,
        os::metrics::create,
        os::metrics::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/metrics",
        User,
        os::metrics::list,
        os::metrics::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/metrics/{id}",
        User,
        os::metrics::get,
        os::metrics::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/metrics/{id}",
        User,
        os::metrics::update,
        os::metrics::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/metrics/{id}",
        User,
        os::metrics::delete,
        os::metrics::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/os/metrics/{id}/logs",
        User,
        os::metrics::log,
        os::metrics::LOG_DOC
    ),
    route!(
        "GET",
        "/api/os/metrics/{id}/logs",
        User,
        os::metrics::logs,
        os::metrics::LOGS_DOC
    ),
    route!(
        "GET",
        "/api/os/metrics/{id}/analytics",
        User,
        os::metrics::analytics,
        os::metrics::ANALYTICS_DOC
    ),
    route!(
        "POST",
        "/api/os/flashcards",
        User,
        os::flashcards::create,
        os::flashcards::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/flashcards",
        User,
        os::flashcards::list,
        os::flashcards::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/flashcards/due",
        User,
        os::flashcards::due,
        os::flashcards::DUE_DOC
    ),
    route!(
        "GET",
        "/api/os/flashcards/{id}",
        User,
        os::flashcards::get,
        os::flashcards::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/flashcards/{id}",
        User,
        os::flashcards::update,
        os::flashcards::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/flashcards/{id}",
        User,
        os::flashcards::delete,
        os::flashcards::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/os/flashcards/{id}/review",
        User,
        os::flashcards::review,
        os::flashcards::REVIEW_DOC
    ),
    route!(
        "POST",
        "/api/os/courses",
        User,
        os::courses::create,
        os::courses::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/courses",
        User,
        os::courses::list,
        os::courses::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/courses/{id}",
        User,
        os::courses::get,
        os::courses::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/courses/{id}",
        User,
        os::courses::update,
        os::courses::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/courses/{id}",
        User,
        os::courses::delete,
        os::courses::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/os/courses/{id}/modules",
        User,
        os::courses::add_module,
        os::courses::ADD_MODULE_DOC
    ),
    route!(
        "PATCH",
        "/api/os/courses/{id}/modules/{module_id}",
        User,
        os::courses::update_module,
        os::courses::UPDATE_MODULE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/courses/{id}/modules/{module_id}",
        User,
        os::courses::delete_module,
        os::courses::DELETE_MODULE_DOC
    ),
    route!(
        "POST",
        "/api/os/skills",
        User,
        os::skills::create,
        os::skills::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/skills",
        User,
        os::skills::list,
        os::skills::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/skills/{id}",
        User,
        os::skills::get,
        os::skills::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/skills/{id}",
        User,
        os::skills::update,
        os::skills::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/skills/{id}",
        User,
        os::skills::delete,
        os::skills::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/os/skills/{id}/prerequisites/{req_id}",
        User,
        os::skills::add_prerequisite,
        os::skills::ADD_PREREQ_DOC
    ),
    route!(
        "DELETE",
        "/api/os/skills/{id}/prerequisites/{req_id}",
        User,
        os::skills::remove_prerequisite,
        os::skills::REMOVE_PREREQ_DOC
    ),
    route!(
        "GET",
        "/api/os/export",
        User,
        os::transfer::export,
        os::transfer::EXPORT_DOC
    ),
    route!(
        "POST",
        "/api/os/import",
        User,
        os::transfer::import,
        os::transfer::IMPORT_DOC
    ),
    route!(
        "POST",
        "/api/os/projects",
        User,
        os::projects::create,
        os::projects::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/projects",
        User,
        os::projects::list,
        os::projects::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/projects/{id}",
        User,
        os::projects::get,
        os::projects::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/projects/{id}",
        User,
        os::projects::update,
        os::projects::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/projects/{id}",
        User,
        os::projects::delete,
        os::projects::DELETE_DOC
    ),
    route!(
        "POST",
        "/api/os/logbook",
        User,
        os::logbook::create,
        os::logbook::CREATE_DOC
    ),
    route!(
        "GET",
        "/api/os/logbook",
        User,
        os::logbook::list,
        os::logbook::LIST_DOC
    ),
    route!(
        "GET",
        "/api/os/logbook/{id}",
        User,
        os::logbook::get,
        os::logbook::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/os/logbook/{id}",
        User,
        os::logbook::update,
        os::logbook::UPDATE_DOC
    ),
    route!(
        "DELETE",
        "/api/os/logbook/{id}",
        User,
        os::logbook::delete,
        os::logbook::DELETE_DOC
    ),
    // Suiftly (SPEC §7)
    route!(
        "GET",
        "/api/suiftly/customer",
        User,
        suiftly::customers::get,
        suiftly::customers::GET_DOC
    ),
    route!(
        "PATCH",
        "/api/suiftly/customer",
        User,
        suiftly::customers::patch,
        suiftly::customers::PATCH_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/services",
        User,
        suiftly::services::list,
        suiftly::services::LIST_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/services/{type}",
        User,
        suiftly::services::get,
        suiftly::services::GET_DOC
    ),
    route!(
        "PUT",
        "/api/suiftly/services/{type}/config",
        User,
        suiftly::services::put_config,
        suiftly::services::CONFIG_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/services/{type}/enable",
        User,
        suiftly::services::enable,
        suiftly::services::ENABLE_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/services/{type}/disable",
        User,
        suiftly::services::disable,
        suiftly::services::DISABLE_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/services/{type}/keys",
        User,
        suiftly::keys::list,
        suiftly::keys::LIST_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/services/{type}/keys",
        User,
        suiftly::keys::create,
        suiftly::keys::CREATE_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/services/{type}/keys/{id}/regenerate",
        User,
        suiftly::keys::regenerate,
        suiftly::keys::REGENERATE_DOC
    ),
    route!(
        "DELETE",
        "/api/suiftly/services/{type}/keys/{id}",
        User,
        suiftly::keys::revoke,
        suiftly::keys::REVOKE_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/seal-keys",
        User,
        suiftly::seal_keys::list,
        suiftly::seal_keys::LIST_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/seal-keys",
        User,
        suiftly::seal_keys::purchase,
        suiftly::seal_keys::PURCHASE_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/usage/logs",
        Gateway,
        suiftly::usage::ingest,
        suiftly::usage::INGEST_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/usage",
        User,
        suiftly::usage::list,
        suiftly::usage::LIST_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/billing",
        User,
        suiftly::usage::billing,
        suiftly::usage::BILLING_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/escrow/deposit",
        User,
        suiftly::escrow::deposit,
        suiftly::escrow::DEPOSIT_DOC
    ),
    route!(
        "POST",
        "/api/suiftly/escrow/withdraw",
        User,
        suiftly::escrow::withdraw,
        suiftly::escrow::WITHDRAW_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/escrow/transactions",
        User,
        suiftly::escrow::transactions,
        suiftly::escrow::TRANSACTIONS_DOC
    ),
    route!(
        "GET",
        "/api/suiftly/vault",
        Gateway,
        suiftly::vault::get,
        suiftly::vault::DOC
    ),
    route!(
        "POST",
        "/__dev/scheduler/{name}/probe",
        DevOnly,
        scheduler::dev_probe,
        scheduler::DEV_PROBE_DOC
    ),
    route!(
        "GET",
        "/__dev/scheduler/{name}",
        DevOnly,
        scheduler::dev_jobs,
        scheduler::DEV_JOBS_DOC
    ),
];

pub enum Match {
    Found(&'static Route, Vec<(&'static str, String)>),
    /// The path exists with other methods (listed for `Allow`).
    WrongMethod(Vec<&'static str>),
    NotFound,
}

/// Finds the route for `method` and `path`. `HEAD` is served by the `GET` route.
pub fn find(method: &str, path: &str) -> Match {
    let method = if method == "HEAD" { "GET" } else { method };
    let mut allow = Vec::new();
    for route in ROUTES {
        if let Some(params) = match_path(route.path, path) {
            if route.method == method {
                return Match::Found(route, params);
            }
            allow.push(route.method);
        }
    }
    if allow.is_empty() {
        Match::NotFound
    } else {
        allow.push("OPTIONS");
        Match::WrongMethod(allow)
    }
}

/// Matches `/a/{x}/b` against `/a/42/b`, giving `[("x", "42")]`. Parameters match one
/// non-empty segment; a trailing slash is not ignored.
pub fn match_path(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(g)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.push((name, percent_decode(g)?));
                } else if p != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_extracted() {
        let p = match_path(
            "/api/os/tasks/{id}/dependencies/{dep_id}",
            "/api/os/tasks/a/dependencies/b%20c",
        )
        .expect("matches");
        assert_eq!(
            p,
            vec![("id", "a".to_string()), ("dep_id", "b c".to_string())]
        );
        assert!(match_path("/api/os/tasks/{id}", "/api/os/tasks/").is_none());
        assert!(match_path("/api/os/tasks/{id}", "/api/os/tasks/a/b").is_none());
        assert!(match_path("/health", "/health/").is_none());
    }

    #[test]
    fn wrong_method_lists_allowed_ones() {
        match find("DELETE", "/health") {
            Match::WrongMethod(allow) => assert_eq!(allow, vec!["GET", "OPTIONS"]),
            _ => panic!("expected 405"),
        }
        assert!(matches!(find("GET", "/nope"), Match::NotFound));
        assert!(matches!(find("HEAD", "/health"), Match::Found(..)));
    }

    #[test]
    fn every_route_is_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "duplicate route {} {}",
                    a.method,
                    a.path
                );
            }
        }
    }
}
