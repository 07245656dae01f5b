//! The platform's own routes: the service itself, accounts and auth, and local
//! diagnostics. Products declare theirs in their own folder.

use crate::platform::auth::handlers as auth;
use crate::platform::auth::verification;
use crate::platform::product::Route;
use crate::platform::{meta, scheduler};
use crate::route;

pub static ROUTES: &[Route] = &[
    route!(GET "/health", Public, meta::health, meta::HEALTH_DOC),
    route!(GET "/openapi.json", Public, meta::openapi, meta::OPENAPI_DOC),
    route!(GET "/docs", Page, meta::docs_page, meta::DOCS_DOC),
    route!(GET "/docs/docs.js", Page, meta::docs_script, meta::DOCS_DOC),
    route!(GET "/docs/docs.css", Page, meta::docs_style, meta::DOCS_DOC),
    route!(POST "/api/auth/signup", Public, auth::signup, auth::SIGNUP_DOC),
    route!(POST "/api/auth/login", Public, auth::login, auth::LOGIN_DOC),
    route!(POST "/api/auth/refresh", Public, auth::refresh, auth::REFRESH_DOC),
    route!(POST "/api/auth/logout", Session, auth::logout, auth::LOGOUT_DOC),
    route!(GET "/api/auth/me", User, auth::me, auth::ME_DOC),
    route!(POST "/api/auth/api-keys", User, auth::create_api_key, auth::CREATE_KEY_DOC),
    route!(GET "/api/auth/api-keys", User, auth::list_api_keys, auth::LIST_KEYS_DOC),
    route!(DELETE "/api/auth/api-keys/{id}", User, auth::revoke_api_key, auth::REVOKE_KEY_DOC),
    route!(POST "/api/auth/wallet/challenge", Public, auth::wallet_challenge, auth::CHALLENGE_DOC),
    route!(POST "/api/auth/wallet/verify", Public, auth::wallet_verify, auth::VERIFY_DOC),
    route!(POST "/api/auth/email/verification", User, verification::send_verification, verification::SEND_DOC),
    route!(POST "/api/auth/email/verify", Public, verification::verify, verification::VERIFY_DOC),
    route!(POST "/api/auth/password/forgot", Public, verification::forgot, verification::FORGOT_DOC),
    route!(POST "/api/auth/password/reset", Public, verification::reset, verification::RESET_DOC),
    route!(GET "/auth/verify-email", Page, verification::verify_page, verification::PAGE_DOC),
    route!(POST "/auth/verify-email", Page, verification::verify_form, verification::PAGE_DOC),
    route!(GET "/auth/reset-password", Page, verification::reset_page, verification::PAGE_DOC),
    route!(POST "/auth/reset-password", Page, verification::reset_form, verification::PAGE_DOC),
    route!(GET "/__dev/outbox", DevOnly, verification::dev_outbox, verification::DEV_OUTBOX_DOC),
    route!(POST "/__dev/scheduler/{name}/probe", DevOnly, scheduler::dev_probe, scheduler::DEV_PROBE_DOC),
    route!(GET "/__dev/scheduler/{name}", DevOnly, scheduler::dev_jobs, scheduler::DEV_JOBS_DOC),
];
